"""A made-up username locks out exactly as an account does (issue 11, item 3).

Otherwise five wrong attempts are an oracle: "locked" means the account exists. The
name is tracked by its salted locator, never by the text typed, and the lock shows
its end in the workstation's own time.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import AccountLocked, AuthenticationError
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import LOCKOUT_MINUTES, LOCKOUT_THRESHOLD
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import access_log, keyslots, throttle
from gvm_desktop.store.throttle import SigninThrottle
from gvm_desktop.store.vault import load_slots
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
SPOC, AUDITOR = ACC[Role.SPOC], ACC[Role.AUDITOR]
WRONG_PW = "definitely-not-it-42"
# A password typed into the username field: the reason the typed text must never be kept.
MADE_UP = "Harbour-Quillbrook-Secret-77"


def _attempts(app: App, username: str, times: int) -> list[tuple[type[BaseException], str]]:
    """What the sign-in window would show for each of `times` wrong attempts."""
    seen: list[tuple[type[BaseException], str]] = []
    for _ in range(times):
        with pytest.raises(AuthenticationError) as refused:
            app.auth.sign_in(username, WRONG_PW)
        seen.append((type(refused.value), str(refused.value)))
    return seen


def _in_zone(app: App, tz: str) -> App:
    """The same vault opened by a workstation whose Environment names the time zone `tz`."""
    return App(app.vault_dir, replace(app.env, tz=tz))


def _locator(app: App, username: str) -> str:
    return keyslots.locator_for(normalise_username(username), load_slots(app.paths).locator_salt)


def test_a_made_up_name_is_locked_out_with_the_same_error_and_words_as_an_account(demo_app: App) -> None:
    real = _attempts(demo_app, SPOC.username, LOCKOUT_THRESHOLD + 1)
    made_up = _attempts(demo_app, MADE_UP, LOCKOUT_THRESHOLD + 1)
    assert made_up == real
    # The sequence itself: plain failures, then the lock on the fifth, and still locked on the sixth.
    assert [kind for kind, _ in real] == [AuthenticationError] * (LOCKOUT_THRESHOLD - 1) + [AccountLocked] * 2
    assert real[-1][1].startswith(f"This account is locked after {LOCKOUT_THRESHOLD} failed sign-ins")


def test_the_lock_on_a_made_up_name_survives_a_restart_and_ends_on_time(
    demo_app: App, make_app: Callable[..., App], clock: ManualClock
) -> None:
    _attempts(demo_app, MADE_UP, LOCKOUT_THRESHOLD)
    restarted = make_app(demo_app.vault_dir)  # a new process on the same vault folder
    with pytest.raises(AccountLocked):
        restarted.auth.sign_in(MADE_UP, WRONG_PW)
    clock.advance(timedelta(minutes=LOCKOUT_MINUTES) - timedelta(seconds=1))
    with pytest.raises(AccountLocked):
        restarted.auth.sign_in(MADE_UP, WRONG_PW)
    clock.advance(timedelta(seconds=1))
    ((kind, message),) = _attempts(restarted, MADE_UP, 1)
    assert (kind, message) == (AuthenticationError, "Sign-in failed: the username or password is wrong.")


def test_the_throttle_file_and_the_log_never_hold_the_text_typed(demo_app: App, clock: ManualClock) -> None:
    _attempts(demo_app, MADE_UP, LOCKOUT_THRESHOLD + 1)
    raw = demo_app.paths.throttle.read_bytes()
    for form in {MADE_UP, MADE_UP.lower(), normalise_username(MADE_UP)}:
        assert form.encode() not in raw
        assert form.encode("utf-16-le") not in raw
    state = json.loads(raw)
    # Counted under its salted locator, like an account; the pending events name no locator.
    assert state["accounts"][_locator(demo_app, MADE_UP)]["locked_until"] is not None
    assert {(e["locator"], e["outcome"]) for e in state["pending"]} == {
        (None, "unknown_user"), (None, "unknown_user_locked"), (None, "unknown_user_while_locked")}

    # The auditor's log says which case it was, without the text.
    clock.advance(60)
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    try:
        entries = [e.entry for e in access_log.recent(conn_of(ws), 200)]
    finally:
        demo_app.auth.sign_out(ws)
    ours = [e for e in entries if e.action in (Action.SIGN_IN_FAILED, Action.ACCOUNT_LOCKED) and e.username is None]
    assert len(ours) == LOCKOUT_THRESHOLD + 2  # five failures, the lock, the refusal while locked
    assert sum(1 for e in ours if e.action is Action.ACCOUNT_LOCKED and "unknown username" in (e.detail or "")) == 1
    assert sum(1 for e in ours if e.outcome is Outcome.REFUSED and e.action is Action.SIGN_IN_FAILED) == 1
    assert not any(MADE_UP.lower() in repr(e).lower() for e in entries)


def test_the_unlock_time_is_shown_in_the_workstations_time_zone(demo_app: App, clock: ManualClock) -> None:
    # A summer afternoon, so London's local time differs from UTC by an hour.
    clock.advance(datetime(2027, 7, 1, 15, 30, tzinfo=UTC) - clock.now())
    london = _in_zone(demo_app, "Europe/London")
    expected = f"try again after 16:{30 + LOCKOUT_MINUTES} Europe/London."
    real = _attempts(london, SPOC.username, LOCKOUT_THRESHOLD)[-1]
    made_up = _attempts(london, MADE_UP, LOCKOUT_THRESHOLD)[-1]
    assert real == made_up == (AccountLocked, f"This account is locked after {LOCKOUT_THRESHOLD} failed sign-ins; {expected}")
    # Another workstation zone, another local reading of the same lock.
    with pytest.raises(AccountLocked, match=r"try again after 21:15 Asia/Kolkata\."):
        _in_zone(demo_app, "Asia/Kolkata").auth.sign_in(SPOC.username, SPOC.password)


@pytest.mark.skipif(sys.platform == "win32", reason="time.tzset is POSIX")
def test_a_zone_abbreviation_falls_back_to_the_systems_local_time(
    demo_app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a Linux workstation's Environment carries in summer: "BST", which is no zone name."""
    clock.advance(datetime(2027, 7, 1, 15, 30, tzinfo=UTC) - clock.now())
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        _attempts(demo_app, SPOC.username, LOCKOUT_THRESHOLD - 1)
        with pytest.raises(AccountLocked, match=r"try again after 16:45 BST\."):
            _in_zone(demo_app, "BST").auth.sign_in(SPOC.username, WRONG_PW)
    finally:
        monkeypatch.undo()
        time.tzset()


# -- the file's growth is bounded, and a flood never evicts a live lock ----------------


def test_a_flood_of_made_up_names_is_bounded_and_never_evicts_a_live_lock(
    demo_app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = 8
    monkeypatch.setattr(throttle, "MAX_TRACKED", cap, raising=False)
    _attempts(demo_app, SPOC.username, LOCKOUT_THRESHOLD)  # a real account, locked
    names = [f"made.up.{i:03d}" for i in range(3 * cap)]
    for name in names:
        clock.advance(1)  # each a second later than the one before, so "oldest" is well defined
        _attempts(demo_app, name, 1)
    accounts = json.loads(demo_app.paths.throttle.read_text("utf-8"))["accounts"]
    assert len(accounts) == cap and _locator(demo_app, SPOC.username) in accounts
    counter = SigninThrottle(demo_app.paths.throttle)
    # The newest names are still counted (the lock takes one place), the oldest were dropped first.
    assert [counter.failures(_locator(demo_app, n)) for n in names[-(cap - 1):]] == [1] * (cap - 1)
    assert counter.failures(_locator(demo_app, names[-cap])) == 0
    with pytest.raises(AccountLocked):
        demo_app.auth.sign_in(SPOC.username, SPOC.password)  # the flood did not lift the lock


def test_live_locks_stay_past_the_cap_until_they_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cap = 4
    monkeypatch.setattr(throttle, "MAX_TRACKED", cap, raising=False)
    path = tmp_path / "signin-throttle.json"
    counter = SigninThrottle(path)
    clock = ManualClock()
    locked = [f"{i:032x}" for i in range(2 * cap)]
    for loc in locked:
        for _ in range(LOCKOUT_THRESHOLD):
            counter.record_failure(loc, "unknown_user", clock.now())
        clock.advance(1)
    assert all(counter.locked_until(loc, clock.now()) is not None for loc in locked)
    clock.advance(timedelta(minutes=LOCKOUT_MINUTES))  # every lock has ended
    counter.record_failure("f" * 32, "wrong_password", clock.now())
    accounts = json.loads(path.read_text("utf-8"))["accounts"]
    assert list(accounts) == ["f" * 32]  # ended locks with nothing left to count are gone


def test_a_full_throttle_file_fits_its_size_limit_with_room_for_locks() -> None:
    """MAX_TRACKED must stay well inside MAX_FILE_BYTES: a file over the limit is reset, which would lift every lock."""
    at = "2026-11-02T09:00:00Z"
    entry = {"failures": LOCKOUT_THRESHOLD - 1, "locked_until": at, "last": at}
    state = {"accounts": {f"{i:032x}": entry for i in range(throttle.MAX_TRACKED)},
             "pending": [{"at": at, "locator": "f" * 32, "outcome": "wrong_password"}] * throttle.MAX_PENDING,
             "dropped": 0}
    size = len(json.dumps(state, sort_keys=True).encode())
    per_lock = len(json.dumps({"f" * 32: entry}, sort_keys=True).encode())
    assert (throttle.MAX_FILE_BYTES - size) // per_lock >= 2000, (size, per_lock)
