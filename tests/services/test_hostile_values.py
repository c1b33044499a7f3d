"""Hostile values at the services: one specific refusal each, and nothing written (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.changes import Intervention
from gvm_desktop.core.errors import GvmError, NotFound, ValidationError
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.conftest import ADMIN_PW
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import conn_of, read_bcu

ACC = {a.role: a for a in DEMO_ACCOUNTS}
TODAY = date(2026, 11, 2)  # ManualClock's start
NEW_PW = "velvet-anchor-comet-33"
WHY = Justification.make("linked_operation", "Briefing for a planned operation", "Op DEMO/26")
MISSING = "N-999999"


def sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def count(ws: Workspace, table: str) -> int:
    return int(conn_of(ws).execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- 1. bidirectional and invisible controls in account names ----------------------------------------------------


@pytest.mark.parametrize("cp", [0x202E, 0x202A, 0x2066, 0x2069, 0x200F, 0x061C], ids=lambda cp: f"U+{cp:04X}")
def test_account_names_with_reordering_controls_are_refused_and_nothing_is_added(admin_ws: Workspace, app: App,
                                                                                 cp: int) -> None:
    before = count(admin_ws, "users")
    with pytest.raises(ValidationError) as caught:
        app.accounts.add(admin_ws, username=f"eve{chr(cp)}nimda", display_name="Eve (synthetic)", role=Role.OFFICER,
                         bcu="CE", password=NEW_PW)
    assert caught.value.message.startswith(f"A username may not contain U+{cp:04X} (")
    assert "reorder the text around it in the access log" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        app.accounts.add(admin_ws, username="eve.officer", display_name=f"Eve {chr(cp)}Admin", role=Role.OFFICER,
                         bcu="CE", password=NEW_PW)
    assert caught.value.message.startswith(f"A display name may not contain U+{cp:04X} (")
    assert "reorder the text around it in the access log" in caught.value.message
    assert count(admin_ws, "users") == before


def test_a_right_to_left_display_name_is_still_an_account(admin_ws: Workspace, app: App) -> None:
    account = app.accounts.add(admin_ws, username="yusuf.officer", display_name="يوسف الحكيم", role=Role.OFFICER,
                               bcu="CE", password=NEW_PW)
    assert account.display_name == "يوسف الحكيم"


def test_a_new_vault_refuses_a_reordering_display_name_and_leaves_no_vault(app: App) -> None:
    with pytest.raises(ValidationError, match="U\\+202E"):
        app.init_vault("alice.admin", "Alice \u202eAdmin", ADMIN_PW)
    assert not app.vault_exists()


def test_a_refused_display_name_leaves_nothing_at_all(app: App, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ValidationError, match="U\\+202E"):
        app.init_vault("alice.admin", "Alice \u202eAdmin", ADMIN_PW)
    assert not memory_keyring.store
    assert not app.paths.folder.exists()


# -- 2. NUL in a new password ------------------------------------------------------------------------------------


def test_a_password_with_nul_is_refused_everywhere_it_is_set(admin_ws: Workspace, app: App) -> None:
    nul_pw = "velvet-anchor\x00comet-33"
    before = count(admin_ws, "users")
    with pytest.raises(ValidationError, match=r"^The password may not contain a NUL character\.$"):
        app.accounts.add(admin_ws, username="bob.officer", display_name="Bob (synthetic)", role=Role.OFFICER,
                         bcu="CE", password=nul_pw)
    assert count(admin_ws, "users") == before
    app.accounts.add(admin_ws, username="bob.officer", display_name="Bob (synthetic)", role=Role.OFFICER, bcu="CE",
                     password=NEW_PW)
    versions = conn_of(admin_ws).execute("SELECT username, slot_version FROM users ORDER BY id").fetchall()
    with pytest.raises(ValidationError, match="NUL"):
        app.accounts.reset_password(admin_ws, "bob.officer", nul_pw)
    with pytest.raises(ValidationError, match="NUL"):
        app.accounts.change_own_password(admin_ws, ADMIN_PW, nul_pw)
    assert conn_of(admin_ws).execute("SELECT username, slot_version FROM users ORDER BY id").fetchall() == versions
    app.auth.sign_in("bob.officer", NEW_PW)  # the old passwords still open the vault


# -- 3. training and DSA dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("completed", "expires", "field", "bad"), [
    (date(1899, 12, 31), TODAY + timedelta(days=365), "The completion date", date(1899, 12, 31)),
    (date(1, 1, 1), TODAY + timedelta(days=365), "The completion date", date(1, 1, 1)),
    (TODAY, date(2036, 11, 3), "The expiry date", date(2036, 11, 3)),
    (TODAY, date(9999, 12, 31), "The expiry date", date(9999, 12, 31)),
])
def test_training_dates_outside_the_range_are_refused(demo_app: App, completed: date, expires: date, field: str,
                                                      bad: date) -> None:
    spoc = sign_in(demo_app, Role.SPOC)
    before = count(spoc, "training")
    with pytest.raises(ValidationError) as caught:
        demo_app.governance.record_training(spoc, ACC[Role.OFFICER].username, completed_on=completed, expires_on=expires)
    assert caught.value.message == f"{field} must be from 1900-01-01 to 2036-11-02 (got {bad.isoformat()})."
    assert count(spoc, "training") == before
    # The edges themselves are allowed.
    demo_app.governance.record_training(spoc, ACC[Role.OFFICER].username, completed_on=date(1900, 1, 1),
                                        expires_on=date(2036, 11, 2))
    assert count(spoc, "training") == before + 1


@pytest.mark.parametrize(("starts", "ends", "field", "bad"), [
    (date(1800, 1, 1), TODAY, "The agreement's start date", date(1800, 1, 1)),
    (TODAY, date(2999, 1, 1), "The agreement's end date", date(2999, 1, 1)),
    (date(9000, 1, 1), date(9999, 12, 31), "The agreement's start date", date(9000, 1, 1)),
])
def test_dsa_dates_outside_the_range_are_refused(demo_app: App, starts: date, ends: date, field: str, bad: date) -> None:
    admin = sign_in(demo_app, Role.ADMIN)
    before = count(admin, "dsa")
    with pytest.raises(ValidationError) as caught:
        demo_app.dsa.register(admin, organisation="Synthetic Youth Service", bcu="CE", fields=["ref"], starts_on=starts,
                              ends_on=ends)
    assert caught.value.message == f"{field} must be from 1900-01-01 to 2036-11-02 (got {bad.isoformat()})."
    assert count(admin, "dsa") == before


# -- 4. the monthly audit's month --------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "1899-12", "2036-12"])
def test_a_month_outside_the_range_is_refused_and_nothing_is_logged(demo_app: App, month: str) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    before = count(auditor, "access_log")
    with pytest.raises(ValidationError) as caught:
        demo_app.governance.monthly_audit(auditor, "CE", month)
    assert caught.value.message == f"The month must be from 1900-01 to 2036-11 (got {month})."
    assert count(auditor, "access_log") == before


@pytest.mark.parametrize("month", ["2026-13", "2026-W45", "2026-11-01", "2026-1"])
def test_a_month_that_is_not_yyyy_mm_is_refused(demo_app: App, month: str) -> None:
    with pytest.raises(ValidationError) as caught:
        demo_app.governance.monthly_audit(sign_in(demo_app, Role.AUDITOR), "CE", month)
    assert caught.value.message == f"A month is YYYY-MM (got '{month}')."


def test_december_and_the_last_allowed_month_still_work(demo_app: App) -> None:
    sign_in(demo_app, Role.OFFICER)  # a CE entry this month
    auditor = sign_in(demo_app, Role.AUDITOR)
    assert demo_app.governance.monthly_audit(auditor, "CE", "2026-12").month == "2026-12"
    assert demo_app.governance.monthly_audit(auditor, "CE", "2036-11").by_action == {}
    assert sum(demo_app.governance.monthly_audit(auditor, "CE", "2026-11").by_action.values()) > 0


# -- 5. another BCU's reference reads exactly like one that does not exist ---------------------------------------


def _refusal(call: Callable[[str], object], ref: str) -> GvmError:
    with pytest.raises(GvmError) as caught:
        call(ref)
    return caught.value


def _assert_same_refusal(call: Callable[[str], object], other: str) -> None:
    missing, foreign = _refusal(call, MISSING), _refusal(call, other)
    assert type(foreign) is type(missing) is NotFound
    assert foreign.exit_code == missing.exit_code
    assert foreign.message.replace(other, "REF") == missing.message.replace(MISSING, "REF")
    assert "BCU" not in foreign.message


def _other_ref(ws: Workspace, status: str = "active") -> str:
    # The reference index in common: the officer's session holds no other BCU's compartment.
    return str(conn_of(ws).execute("SELECT ref FROM person_index WHERE bcu <> 'CE' AND status = ? ORDER BY id LIMIT 1",
                               (status,)).fetchone()[0])


def test_another_bcus_reference_is_refused_as_if_it_did_not_exist(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    other = _other_ref(officer)
    where = conn_of(officer).execute("SELECT bcu FROM person_index WHERE ref = ?", (other,)).fetchone()[0]
    state = read_bcu(demo_app, where, "SELECT version, status FROM nominals WHERE ref = ?", (other,))
    tables = {t: count(officer, t) for t in ("evidence", "interventions", "police_activity", "proposals")}
    draft = EvidenceDraft(kind=EvidenceType.GANG_ASSOCIATION, source_type=SourceType.POLICE, source_ref="SYN/1",
                          grading=Grading.parse("1BP"), on=TODAY - timedelta(days=3),
                          summary="Synthetic: seen with associates of a demo gang.")
    calls: list[Callable[[str], object]] = [
        lambda ref: demo_app.records.open(officer, ref, WHY),
        lambda ref: demo_app.changes.edit(officer, ref, {"postcode": "ZZ1 1ZZ"}, "Synthetic: a corrected postcode."),
        lambda ref: demo_app.changes.add_evidence(officer, ref, draft),
        lambda ref: demo_app.changes.add_intervention(officer, ref, Intervention("Synthetic mentoring", "Demo Trust",
                                                                                 TODAY, True)),
        lambda ref: demo_app.changes.add_activity(officer, ref, "stop", TODAY),
        lambda ref: demo_app.changes.propose_removal(officer, ref, "Synthetic: no longer linked to any group."),
    ]
    spoc = sign_in(demo_app, Role.SPOC)
    calls += [
        lambda ref: demo_app.records.history(spoc, ref, WHY),
        lambda ref: demo_app.changes.approve_removal(spoc, ref, "Synthetic: no longer linked to any group."),
    ]
    for call in calls:
        _assert_same_refusal(call, other)
    proposed = _other_ref(spoc, "proposed")
    _assert_same_refusal(lambda ref: demo_app.changes.approve_addition(spoc, ref, "Synthetic: corroborated."), proposed)
    # Nothing changed.
    assert read_bcu(demo_app, where, "SELECT version, status FROM nominals WHERE ref = ?", (other,)) == state
    assert {t: count(officer, t) for t in tables} == tables


def test_the_refusal_keeps_its_true_reason_in_the_access_log_for_auditors(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    other = _other_ref(officer)
    with pytest.raises(NotFound):
        demo_app.records.open(officer, other, WHY)
    outcome, detail = conn_of(officer).execute(
        "SELECT outcome, detail FROM access_log WHERE record_ref = ? ORDER BY seq DESC LIMIT 1", (other,)).fetchone()
    bcu = conn_of(officer).execute("SELECT bcu FROM person_index WHERE ref = ?", (other,)).fetchone()[0]
    assert (outcome, detail) == ("refused", f"{other} belongs to BCU {bcu}; your access is limited to BCU CE.")
    flags = demo_app.log.flags(sign_in(demo_app, Role.AUDITOR), TODAY, TODAY)
    assert [f.record_ref for f in flags if f.kind == "outside_bcu"] == [other]


def test_another_bcus_review_is_refused_as_if_it_did_not_exist(demo_app: App) -> None:
    spoc = sign_in(demo_app, Role.SPOC)
    other = int(conn_of(spoc).execute("INSERT INTO reviews (bcu, quarter, opened_at) VALUES ('NE', '2026Q4', 'x')")
                .lastrowid or 0)  # autocommit: another BCU's review, planted
    with pytest.raises(NotFound) as missing:
        demo_app.reviews.items(spoc, 999_999)
    with pytest.raises(NotFound) as foreign:
        demo_app.reviews.items(spoc, other)
    assert foreign.value.message.replace(str(other), "ID") == missing.value.message.replace("999999", "ID")
    outcome, detail = conn_of(spoc).execute(
        "SELECT outcome, detail FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert outcome == "refused" and "belongs to BCU NE" in detail
