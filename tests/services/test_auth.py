"""Sign-in, lockout that survives a restart, lock and unlock, all on a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import AccountLocked, AuthenticationError, SessionLocked
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.conftest import DEMO_PEOPLE

ACC = {a.role: a for a in DEMO_ACCOUNTS}
SPOC, AUDITOR, OFFICER = ACC[Role.SPOC], ACC[Role.AUDITOR], ACC[Role.OFFICER]


def _fail(app: App, times: int, username: str = SPOC.username) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError):
            app.auth.sign_in(username, "definitely-not-it-42")


def test_five_failures_lock_for_fifteen_minutes_across_a_restart(
    demo_app: App, make_app: Callable[..., App], clock: ManualClock
) -> None:
    # The unlock time is shown in the workstation's zone (issue 11): pin it, so the words do not depend on the machine.
    demo_app = App(demo_app.vault_dir, replace(demo_app.env, tz="UTC"))
    _fail(demo_app, 4)
    with pytest.raises(AccountLocked, match="locked after 5 failed sign-ins; try again after 09:15 UTC"):
        demo_app.auth.sign_in(SPOC.username, "definitely-not-it-42")
    restarted = make_app(demo_app.vault_dir)  # a new process on the same vault
    with pytest.raises(AccountLocked):
        restarted.auth.sign_in(SPOC.username, SPOC.password)  # even the right password
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(AccountLocked):
        restarted.auth.sign_in(SPOC.username, SPOC.password)
    clock.advance(timedelta(seconds=1))
    restarted.auth.sign_out(restarted.auth.sign_in(SPOC.username, SPOC.password))
    # Other accounts were never affected.
    restarted.auth.sign_out(restarted.auth.sign_in(OFFICER.username, OFFICER.password))


def test_a_success_resets_the_count(demo_app: App) -> None:
    _fail(demo_app, 4)
    demo_app.auth.sign_out(demo_app.auth.sign_in(SPOC.username, SPOC.password))
    _fail(demo_app, 4)  # would lock on the 5th if the count had not been reset
    demo_app.auth.sign_out(demo_app.auth.sign_in(SPOC.username, SPOC.password))


def test_failures_reach_the_access_log_at_the_next_session(demo_app: App, clock: ManualClock) -> None:
    _fail(demo_app, 5)
    _fail(demo_app, 1, username="no.such.user")
    clock.advance(60)
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    entries = [e.entry for e in demo_app.audit.recent(ws, 100)]
    failed = [e for e in entries if e.action is Action.SIGN_IN_FAILED]
    assert sum(1 for e in failed if e.username == SPOC.username and e.detail == "wrong password") == 5
    assert any(e.action is Action.ACCOUNT_LOCKED and e.username == SPOC.username for e in entries)
    unknown = [e for e in failed if e.username is None]
    assert len(unknown) == 1 and "no.such.user" not in (unknown[0].detail or "")
    # Recorded at the time they happened, not at the time of the flush.
    assert all(e.at_utc == "2026-11-02T09:00:00Z" for e in failed)
    demo_app.auth.sign_out(ws)
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    again = [e.entry for e in demo_app.audit.recent(ws, 100) if e.entry.action is Action.SIGN_IN_FAILED]
    assert len(again) == len(failed), "pending failures must be flushed exactly once"


def test_lock_closes_the_connection_and_unlock_needs_the_password(demo_app: App) -> None:
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    assert demo_app.matrix.overview(ws).total > 0
    demo_app.auth.lock(ws)
    assert ws.locked
    with pytest.raises(SessionLocked):
        demo_app.matrix.overview(ws)
    with pytest.raises(AuthenticationError):
        demo_app.auth.unlock(ws, "wrong-password-here-1")
    assert ws.locked
    demo_app.auth.unlock(ws, OFFICER.password)
    assert not ws.locked and demo_app.matrix.overview(ws).total > 0
    actions = [e.entry.action for e in demo_app.audit.recent(demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password), 20)]
    assert Action.SESSION_LOCK in actions and Action.SESSION_UNLOCK in actions


def test_officer_sees_only_their_own_bcu(demo_app: App) -> None:
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    overview = demo_app.matrix.overview(ws)
    assert overview.bcu == "CE"
    assert 0 < overview.total < DEMO_PEOPLE  # a slice of the demo matrix, not all of it


def test_disabled_account_cannot_sign_in(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ACC[Role.ADMIN].username, ACC[Role.ADMIN].password)
    demo_app.accounts.disable(admin, OFFICER.username)
    with pytest.raises(AuthenticationError, match="username or password is wrong"):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)


def test_refused_outcomes_are_logged_with_the_reason(demo_app: App) -> None:
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    with pytest.raises(Exception, match="may not list accounts"):
        demo_app.accounts.list(ws)
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    refused = [e.entry for e in demo_app.audit.recent(auditor, 20) if e.entry.outcome is Outcome.REFUSED]
    assert refused[0].action is Action.ACCOUNT_LIST and refused[0].username == OFFICER.username
