"""Access governance: training, the SPOC's grant, inactive accounts, the monthly system audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS

ACC = {a.role: a for a in DEMO_ACCOUNTS}
TODAY = date(2026, 11, 2)
NEW_PW = "velvet-anchor-comet-33"


def sign_in(app: App, role: Role):
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def new_officer(app: App, name: str = "new.officer", bcu: str = "CE") -> None:
    admin = sign_in(app, Role.ADMIN)
    app.accounts.add(admin, username=name, display_name="New Officer (synthetic)", role=Role.OFFICER, bcu=bcu,
                     password=NEW_PW)


def test_an_officer_needs_current_training_and_the_spocs_grant(demo_app: App, clock: ManualClock) -> None:
    new_officer(demo_app)
    officer = demo_app.auth.sign_in("new.officer", NEW_PW)
    with pytest.raises(PermissionDenied, match="training is not recorded as current"):
        demo_app.matrix.list(officer)
    spoc = sign_in(demo_app, Role.SPOC)
    with pytest.raises(ValidationError, match="no current 'Gangs Matrix data protection' training"):
        demo_app.governance.grant(spoc, "new.officer")
    demo_app.governance.record_training(spoc, "new.officer", completed_on=TODAY - timedelta(days=3),
                                        expires_on=TODAY + timedelta(days=365))
    with pytest.raises(PermissionDenied, match="has not granted you access"):
        demo_app.matrix.list(officer)
    demo_app.governance.grant(spoc, "new.officer")
    assert demo_app.matrix.list(officer).ids
    # Training lapses: the matrix closes again, without anybody having to remember.
    clock.advance(timedelta(days=366))
    with pytest.raises(PermissionDenied, match="training is not recorded as current"):
        demo_app.matrix.list(officer)


def test_a_spoc_governs_only_their_own_bcu(demo_app: App) -> None:
    new_officer(demo_app, "ne.officer", "NE")
    spoc = sign_in(demo_app, Role.SPOC)
    with pytest.raises(PermissionDenied, match="not in your BCU"):
        demo_app.governance.record_training(spoc, "ne.officer", completed_on=TODAY, expires_on=TODAY + timedelta(days=9))
    with pytest.raises(PermissionDenied, match="not in your BCU"):
        demo_app.governance.grant(spoc, "ne.officer")
    with pytest.raises(PermissionDenied):
        demo_app.governance.grant(sign_in(demo_app, Role.ADMIN), "ne.officer")  # admins record training, SPOCs grant


def test_training_dates_must_make_sense(demo_app: App) -> None:
    admin = sign_in(demo_app, Role.ADMIN)
    with pytest.raises(ValidationError, match="in the future"):
        demo_app.governance.record_training(admin, ACC[Role.OFFICER].username, completed_on=TODAY + timedelta(days=1),
                                            expires_on=TODAY + timedelta(days=9))
    with pytest.raises(ValidationError, match="expires before"):
        demo_app.governance.record_training(admin, ACC[Role.OFFICER].username, completed_on=TODAY, expires_on=TODAY)


def test_inactive_accounts_are_listed_and_disabled_on_confirmation(demo_app: App, clock: ManualClock) -> None:
    new_officer(demo_app)  # created, never used
    clock.advance(timedelta(days=200))
    auditor = sign_in(demo_app, Role.AUDITOR)
    listed = {i.account.username: i.last_used for i in demo_app.governance.inactive(auditor)}
    assert listed["new.officer"].startswith("never (created 2026-11-02")
    assert ACC[Role.AUDITOR].username not in listed  # just signed in
    with pytest.raises(PermissionDenied):
        demo_app.governance.disable_inactive(auditor, ["new.officer"])
    spoc = sign_in(demo_app, Role.SPOC)
    with pytest.raises(ValidationError, match="not on the list of inactive accounts"):
        demo_app.governance.disable_inactive(spoc, [ACC[Role.SPOC].username])
    assert demo_app.governance.disable_inactive(spoc, ["new.officer"]) == ["new.officer"]
    with pytest.raises(Exception, match="username or password is wrong"):
        demo_app.auth.sign_in("new.officer", NEW_PW)


def test_monthly_system_audit_counts_who_did_what(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    view = demo_app.matrix.list(officer)
    demo_app.matrix.rows(officer, view, view.ids[:10])
    spoc = sign_in(demo_app, Role.SPOC)
    report = demo_app.governance.monthly_audit(spoc, "CE", "2026-11")
    assert report.activity[ACC[Role.OFFICER].username]["matrix.list"] == 1
    assert report.by_action["matrix.rows"] == 1
    # The rows the officer saw are records viewed, counted under their BCU.
    assert [(u.username, u.bcu, u.counts.viewed) for u in report.by_user] == [
        (ACC[Role.OFFICER].username, "CE", len(view.ids[:10]))]
    with pytest.raises(PermissionDenied, match="BCU CE only"):
        demo_app.governance.monthly_audit(spoc, "NE", "2026-11")
    with pytest.raises(ValidationError, match="YYYY-MM"):
        demo_app.governance.monthly_audit(sign_in(demo_app, Role.AUDITOR), "CE", "November")


def test_automatic_disabling_when_the_admin_turns_it_on(demo_app: App, clock: ManualClock) -> None:
    new_officer(demo_app)
    admin = sign_in(demo_app, Role.ADMIN)
    clock.advance(timedelta(days=200))
    demo_app.auth.sign_out(sign_in(demo_app, Role.ADMIN))  # setting off: nothing happens
    assert demo_app.auth.sign_in("new.officer", NEW_PW)
    clock.advance(timedelta(days=200))
    admin = sign_in(demo_app, Role.ADMIN)
    demo_app.settings.change(admin, "auto_disable_inactive", 1)
    demo_app.auth.sign_out(admin)
    admin = sign_in(demo_app, Role.ADMIN)  # this sign-in disables every account unused for six months
    disabled = {a.username for a in demo_app.accounts.list(admin) if not a.active}
    assert "new.officer" in disabled and ACC[Role.ADMIN].username not in disabled


def test_team_roster_shows_training_and_grants_of_the_spocs_bcu_only(demo_app: App) -> None:
    new_officer(demo_app, "ne.officer", "NE")
    team = {m.account.username: m for m in demo_app.governance.team(sign_in(demo_app, Role.SPOC))}
    assert "ne.officer" not in team
    officer = team[ACC[Role.OFFICER].username]
    assert officer.granted and officer.training
    with pytest.raises(PermissionDenied):
        demo_app.governance.team(sign_in(demo_app, Role.OFFICER))
