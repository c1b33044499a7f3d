"""Matrix access unused for six months is withdrawn (issue 11, item 4).

The Met revokes access not used for six months. Here the SPOC's grant is withdrawn: at
the officer's own sign-in (which is then refused, saying the SPOC can restore it), and
at any SPOC's or administrator's sign-in for the officers in their scope. Use means
using the matrix, read from the access log, never merely signing in.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import AuthenticationError, PermissionDenied
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import access_log
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
OFFICER = ACC[Role.OFFICER]
TODAY = date(2026, 11, 2)
NEW_PW = "velvet-anchor-comet-33"
REFUSAL = r"withdrawn because you have not used it for six months; your BCU's SPOC can restore it\."
PAST_SIX_MONTHS = timedelta(days=184)


def sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def log(app: App) -> list[tuple[int, LogEntry]]:
    """The whole access log, oldest first, as an auditor reads it."""
    ws = sign_in(app, Role.AUDITOR)
    try:
        return [(e.seq, e.entry) for e in reversed(access_log.recent(conn_of(ws), 100_000))]
    finally:
        app.auth.sign_out(ws)


def granted(app: App) -> dict[str, bool]:
    """Each officer's grant, read straight from the vault in an auditor's session (which withdraws nothing)."""
    ws = sign_in(app, Role.AUDITOR)
    try:
        return {name: bool(at) for name, at in conn_of(ws).execute(
            "SELECT username, bcu_access_granted_at FROM users WHERE role = 'officer'")}
    finally:
        app.auth.sign_out(ws)


def user_id(app: App, username: str) -> int:
    ws = sign_in(app, Role.AUDITOR)
    try:
        return int(conn_of(ws).execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0])
    finally:
        app.auth.sign_out(ws)


def trained_officer(app: App, username: str, bcu: str, granted_by: Workspace) -> None:
    """A new officer of `bcu`, trained (recorded by the admin) and granted by `granted_by`, a SPOC of that BCU."""
    admin = sign_in(app, Role.ADMIN)
    app.accounts.add(admin, username=username, display_name="Synthetic Officer", role=Role.OFFICER, bcu=bcu,
                     password=NEW_PW)
    app.governance.record_training(admin, username, completed_on=TODAY - timedelta(days=1),
                                   expires_on=TODAY + timedelta(days=3 * 365))
    app.auth.sign_out(admin)
    app.governance.grant(granted_by, username)


def test_an_officer_unused_for_six_months_is_refused_until_the_spoc_restores_access(
    demo_app: App, clock: ManualClock
) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    demo_app.matrix.list(officer)  # the last use of the matrix
    demo_app.auth.sign_out(officer)
    clock.advance(PAST_SIX_MONTHS)

    # A wrong password still says only that: the withdrawal is told to nobody without the password.
    with pytest.raises(AuthenticationError, match="username or password is wrong"):
        demo_app.auth.sign_in(OFFICER.username, "definitely-not-it-42")
    with pytest.raises(PermissionDenied, match=rf"^Your access to the CE matrix was {REFUSAL}$"):
        sign_in(demo_app, Role.OFFICER)
    assert granted(demo_app)[OFFICER.username] is False

    # Logged together: the withdrawal, then the refused sign-in, in consecutive entries of one transaction.
    me = user_id(demo_app, OFFICER.username)
    entries = log(demo_app)
    revoked = [(seq, e) for seq, e in entries if e.action is Action.ACCESS_REVOKE and e.record_ref == f"user:{me}"]
    assert len(revoked) == 1
    seq, entry = revoked[0]
    assert entry.username == OFFICER.username and "unused for six months" in (entry.detail or "")
    refusal = dict(entries)[seq + 1]
    assert (refusal.action, refusal.outcome, refusal.username) == (Action.SIGN_IN, Outcome.REFUSED, OFFICER.username)

    # Still refused at the next attempt, without a second withdrawal: the SPOC has not restored it.
    with pytest.raises(PermissionDenied, match=REFUSAL):
        sign_in(demo_app, Role.OFFICER)
    assert sum(1 for _, e in log(demo_app) if e.action is Action.ACCESS_REVOKE) == 1

    spoc = sign_in(demo_app, Role.SPOC)
    demo_app.governance.grant(spoc, OFFICER.username)
    demo_app.auth.sign_out(spoc)
    officer = sign_in(demo_app, Role.OFFICER)  # in again, and the matrix is open
    assert demo_app.matrix.list(officer).ids
    demo_app.auth.sign_out(officer)
    # The grant restarts the six months: a week later nothing is withdrawn.
    clock.advance(timedelta(days=7))
    demo_app.auth.sign_out(sign_in(demo_app, Role.OFFICER))


def test_signing_in_often_without_using_the_matrix_is_not_use(demo_app: App, clock: ManualClock) -> None:
    for _ in range(6):  # a sign-in every month, days 30 to 180 after the grant: never the matrix
        clock.advance(timedelta(days=30))
        demo_app.auth.sign_out(sign_in(demo_app, Role.OFFICER))
    clock.advance(timedelta(days=30))
    with pytest.raises(PermissionDenied, match=REFUSAL):
        sign_in(demo_app, Role.OFFICER)
    assert granted(demo_app)[OFFICER.username] is False


def test_a_spocs_sign_in_withdraws_in_their_bcu_and_an_admins_in_every_bcu(demo_app: App, clock: ManualClock) -> None:
    admin = sign_in(demo_app, Role.ADMIN)
    demo_app.accounts.add(admin, username="ne.spoc", display_name="Synthetic SPOC", role=Role.SPOC, bcu="NE",
                          password=NEW_PW)
    demo_app.auth.sign_out(admin)
    ne_spoc = demo_app.auth.sign_in("ne.spoc", NEW_PW)
    trained_officer(demo_app, "ne.officer", "NE", ne_spoc)
    demo_app.auth.sign_out(ne_spoc)
    ce_spoc = sign_in(demo_app, Role.SPOC)
    trained_officer(demo_app, "ce.busy", "CE", ce_spoc)
    demo_app.auth.sign_out(ce_spoc)

    clock.advance(timedelta(days=100))
    busy = demo_app.auth.sign_in("ce.busy", NEW_PW)
    demo_app.matrix.list(busy)  # used: its six months now run from today
    demo_app.auth.sign_out(busy)
    clock.advance(PAST_SIX_MONTHS - timedelta(days=100))

    demo_app.auth.sign_out(sign_in(demo_app, Role.SPOC))  # CE's SPOC: CE's unused officer only
    before = granted(demo_app)
    assert (before[OFFICER.username], before["ce.busy"], before["ne.officer"]) == (False, True, True)
    demo_app.auth.sign_out(sign_in(demo_app, Role.ADMIN))  # the administrator: every BCU
    after = granted(demo_app)
    assert (after[OFFICER.username], after["ce.busy"], after["ne.officer"]) == (False, True, False)

    by_whom = {e.detail.split(": ")[-1].split(",")[0]: e.username for _, e in log(demo_app)
               if e.action is Action.ACCESS_REVOKE and e.detail and "unused for six months" in e.detail}
    assert by_whom == {OFFICER.username: ACC[Role.SPOC].username, "ne.officer": ACC[Role.ADMIN].username}
    with pytest.raises(PermissionDenied, match=r"^Your access to the NE matrix was "):
        demo_app.auth.sign_in("ne.officer", NEW_PW)
    demo_app.auth.sign_out(demo_app.auth.sign_in("ce.busy", NEW_PW))


@pytest.mark.parametrize("target", [Role.AUDITOR, Role.OFFICER])
def test_the_spocs_inactive_disable_permission_reaches_only_inactive_accounts_of_their_bcu(
        demo_app: App, target: Role) -> None:
    """Through Python a SPOC can call the account service directly: the service, not the caller, holds the line.
    The demo's auditor works across BCUs, and the demo officer signed in recently: neither may be disabled so."""
    from gvm_desktop.core.policy import Permission

    spoc = sign_in(demo_app, Role.SPOC)
    with pytest.raises(PermissionDenied):
        demo_app.accounts.disable(spoc, ACC[target].username, permission=Permission.INACTIVE_DISABLE)
    active = conn_of(spoc).execute("SELECT status FROM users WHERE username = ?", (ACC[target].username,)).fetchone()
    assert active == ("active",)
