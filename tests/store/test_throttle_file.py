"""The sign-in throttle file: its lock, and what happens when its contents are hostile (issue 10).

A damaged or edited `signin-throttle.json` must never end a sign-in in a traceback
nor lock an account for ever: it starts again, and the next session logs that.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import stat
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import AccountLocked, AuthenticationError, StorageError
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import LOCKOUT_THRESHOLD
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import access_log, keyslots
from gvm_desktop.store.throttle import SigninThrottle
from gvm_desktop.store.vault import load_slots
from tests.support.vault_access import conn_of

SPOC = next(a for a in DEMO_ACCOUNTS if a.role is Role.SPOC)
WRONG_PW = "definitely-not-it-42"
POSIX = sys.platform != "win32"


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


# -- the lock -------------------------------------------------------------------


@pytest.mark.skipif(not POSIX, reason="file modes are POSIX")
def test_the_lock_file_sits_beside_the_throttle_file_and_is_private(tmp_path: Path) -> None:
    throttle = SigninThrottle(tmp_path / "signin-throttle.json")
    assert throttle.lock_path == tmp_path / "signin-throttle.lock"
    old = os.umask(0)  # the loosest umask: the mode must come from us, not from it
    try:
        with throttle.guard():
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(throttle.lock_path.stat().st_mode) == 0o600
    # One left with a looser mode (by hand, or an older version) is narrowed at next use.
    throttle.lock_path.chmod(0o644)
    with throttle.guard():
        pass
    assert stat.S_IMODE(throttle.lock_path.stat().st_mode) == 0o600


def test_a_held_lock_makes_others_wait_then_says_busy(tmp_path: Path) -> None:
    path = tmp_path / "signin-throttle.json"
    holder, waiter = SigninThrottle(path), SigninThrottle(path, lock_timeout=0.3)
    with holder.guard():
        began = time.monotonic()
        with pytest.raises(StorageError, match="Sign-in is busy"):
            waiter.record_failure(None, "unknown_user", ManualClock().now())
        assert time.monotonic() - began >= 0.3
        # Re-entrant for its holder: the throttle's own methods take the guard too.
        holder.record_failure(None, "unknown_user", ManualClock().now())
    assert [e.outcome for e in waiter.pending()[0]] == ["unknown_user"]  # free again


def test_a_lock_freed_while_waiting_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "signin-throttle.json"
    holder, waiter = SigninThrottle(path), SigninThrottle(path, lock_timeout=10)
    entered = threading.Event()

    def hold() -> None:
        with holder.guard():
            entered.set()
            time.sleep(0.3)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    began = time.monotonic()
    with waiter.guard():
        waited = time.monotonic() - began
    thread.join()
    assert 0.1 < waited < 5


def test_on_a_read_only_folder_the_lock_is_taken_read_only_or_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`log verify` on a copy on read-only media must still open (it writes nothing)."""
    path = tmp_path / "signin-throttle.json"
    throttle = SigninThrottle(path, lock_timeout=0.2)
    real_open = os.open

    def read_only_media(target: object, flags: int, *args: object) -> int:
        if flags & (os.O_CREAT | os.O_RDWR | os.O_WRONLY):
            raise OSError(errno.EROFS, "Read-only file system", str(target))
        return real_open(target, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only_media)
    with throttle.guard():  # no lock file, and none can be made: nobody can write here either
        assert throttle.pending() == ([], 0)
    assert not throttle.lock_path.exists()
    monkeypatch.setattr(os, "open", real_open)
    with SigninThrottle(path).guard():
        pass  # now there is a lock file
    monkeypatch.setattr(os, "open", read_only_media)
    with throttle.guard():  # taken through a read-only descriptor, and it still excludes others
        monkeypatch.setattr(os, "open", real_open)
        with pytest.raises(StorageError, match="busy"), SigninThrottle(path, lock_timeout=0.2).guard():
            pass


def _hold_lock_until_killed(path: str, held: multiprocessing.synchronize.Event) -> None:
    with SigninThrottle(Path(path)).guard():
        held.set()
        time.sleep(600)


def test_a_process_killed_holding_the_lock_does_not_leave_it_locked(tmp_path: Path) -> None:
    path = tmp_path / "signin-throttle.json"
    ctx = _context()
    held = ctx.Event()
    proc = ctx.Process(target=_hold_lock_until_killed, args=(str(path), held))
    proc.start()
    try:
        assert held.wait(60), "the child never took the lock"
        with pytest.raises(StorageError, match="busy"), SigninThrottle(path, lock_timeout=0.2).guard():
            pass
    finally:
        proc.kill()  # SIGKILL: no finally, no unlock; only the OS can let the lock go
        proc.join(30)
    began = time.monotonic()
    with SigninThrottle(path, lock_timeout=10).guard():
        pass
    assert time.monotonic() - began < 2


def _record_many(path: str, start: multiprocessing.synchronize.Barrier, times: int) -> None:
    throttle = SigninThrottle(Path(path))
    now = ManualClock().now()
    start.wait(60)
    for _ in range(times):
        throttle.record_failure(None, "unknown_user", now)


def test_failures_recorded_from_many_processes_at_once_are_all_kept(tmp_path: Path) -> None:
    path = tmp_path / "signin-throttle.json"
    ctx = _context()
    workers, each = 4, 25
    start = ctx.Barrier(workers)
    procs = [ctx.Process(target=_record_many, args=(str(path), start, each)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    events, dropped = SigninThrottle(path).pending()
    assert (len(events), dropped) == (workers * each, 0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_fifo_in_place_of_the_file_does_not_hang_sign_in(tmp_path: Path) -> None:
    path = tmp_path / "signin-throttle.json"
    os.mkfifo(path)
    result: list[object] = []
    # In a thread, so that a hang fails the test instead of hanging the run.
    thread = threading.Thread(target=lambda: result.append(SigninThrottle(path).pending()), daemon=True)
    thread.start()
    thread.join(10)
    assert result, "reading the throttle file hung on a FIFO"
    events, _dropped = result[0]  # type: ignore[misc]
    assert [e.outcome for e in events] == ["throttle_reset"]


# -- hostile contents -------------------------------------------------------------

# "{me}" stands for the signing-in account's slot locator, so that the bad entry is the
# one its sign-in reads (an entry for nobody would be skipped by a lazy reader).
HOSTILE = {
    "list": "[]",
    "null": "null",
    "number": "5",
    "string": '"signin"',
    "accounts-list": '{"accounts": []}',
    "account-number": '{"accounts": {"x": 5}}',
    "my-account-number": '{"accounts": {"{me}": 5}}',
    "account-empty": '{"accounts": {"{me}": {}}}',
    "pending-string": '{"pending": "x"}',
    "pending-object": '{"pending": {"outcome": "wrong_password"}}',
    "dropped-string": '{"dropped": "lots"}',
    "dropped-negative": '{"dropped": -1}',
    "dropped-bool": '{"dropped": true}',
    "dropped-infinite": '{"dropped": 1e999}',
    "dropped-huge": '{"dropped": 99999999999999999999999999}',
    "locked-until-not-a-date": '{"accounts": {"{me}": {"failures": 0, "locked_until": "not a date"}}}',
    "locked-until-number": '{"accounts": {"{me}": {"failures": 0, "locked_until": 1767225600}}}',
    "locked-until-bad-day": '{"accounts": {"{me}": {"failures": 0, "locked_until": "2026-02-30T10:00:00Z"}}}',
    "failures-string": '{"accounts": {"{me}": {"failures": "4", "locked_until": null}}}',
    "failures-null": '{"accounts": {"{me}": {"failures": null, "locked_until": null}}}',
    "failures-float": '{"accounts": {"{me}": {"failures": 1.5, "locked_until": null}}}',
    "failures-negative": '{"accounts": {"{me}": {"failures": -1000000, "locked_until": null}}}',
    "failures-infinite": '{"accounts": {"{me}": {"failures": 1e999, "locked_until": null}}}',
    "failures-nan": '{"accounts": {"{me}": {"failures": NaN, "locked_until": null}}}',
    "failures-5000-digits": '{"accounts": {"{me}": {"failures": 1' + "0" * 5000 + ', "locked_until": null}}}',
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
    "too-large": '{"accounts": {}, "padding": "' + "x" * (2 * 1024 * 1024) + '"}',
}


def _locator(app: App, username: str) -> str:
    return keyslots.locator_for(normalise_username(username), load_slots(app.paths).locator_salt)


def _write_hostile(app: App, template: str) -> None:
    app.paths.throttle.write_text(template.replace("{me}", _locator(app, SPOC.username)), "utf-8")


def _log(app: App, username: str, password: str) -> list[LogEntry]:
    """Sign in, and return the access log (newest first) as that session left it."""
    ws = app.auth.sign_in(username, password)
    try:
        return [e.entry for e in access_log.recent(conn_of(ws), 500)]
    finally:
        app.auth.sign_out(ws)


@pytest.mark.parametrize("template", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_throttle_file_is_reset_and_logged_and_still_counts(
    demo_app: App, clock: ManualClock, template: str
) -> None:
    _write_hostile(demo_app, template)
    # The right password signs in, and that session's log says the file was reset.
    entries = _log(demo_app, SPOC.username, SPOC.password)
    resets = [e for e in entries if e.action is Action.THROTTLE_RESET]
    assert len(resets) == 1 and resets[0].outcome is Outcome.FAILED
    assert isinstance(json.loads(demo_app.paths.throttle.read_text("utf-8"))["accounts"], dict)

    # A wrong password against the same hostile file still counts: five lock the account.
    _write_hostile(demo_app, template)
    for _ in range(LOCKOUT_THRESHOLD - 1):
        with pytest.raises(AuthenticationError) as refused:
            demo_app.auth.sign_in(SPOC.username, WRONG_PW)
        assert not isinstance(refused.value, AccountLocked)
    with pytest.raises(AccountLocked):
        demo_app.auth.sign_in(SPOC.username, WRONG_PW)
    with pytest.raises(AccountLocked):
        demo_app.auth.sign_in(SPOC.username, SPOC.password)
    clock.advance(timedelta(minutes=15))
    entries = _log(demo_app, SPOC.username, SPOC.password)
    # A queued time earlier than the log's last entry is logged at that entry's time, saying so.
    mine = Counter((e.action, (e.detail or "").split(" (recorded as at ")[0]) for e in entries
                   if e.username == SPOC.username)
    assert mine[(Action.SIGN_IN_FAILED, "wrong password")] == LOCKOUT_THRESHOLD
    assert mine[(Action.SIGN_IN_FAILED, "account locked")] == 1
    assert mine[(Action.ACCOUNT_LOCKED, f"{LOCKOUT_THRESHOLD} failed sign-ins in a row")] == 1
    assert sum(1 for e in entries if e.action is Action.THROTTLE_RESET) == 2  # once per hostile file


def test_a_minimal_file_is_not_a_reset(demo_app: App) -> None:
    demo_app.paths.throttle.write_text("{}", "utf-8")
    entries = _log(demo_app, SPOC.username, SPOC.password)
    assert not any(e.action is Action.THROTTLE_RESET for e in entries)


def test_a_lock_far_in_the_future_lasts_no_longer_than_a_fresh_one(demo_app: App, clock: ManualClock) -> None:
    _write_hostile(demo_app, '{"accounts": {"{me}": {"failures": 0, "locked_until": "9999-12-31T23:59:59Z"}}}')
    with pytest.raises(AccountLocked, match="try again after 09:15 UTC"):
        demo_app.auth.sign_in(SPOC.username, SPOC.password)
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(AccountLocked):
        demo_app.auth.sign_in(SPOC.username, SPOC.password)
    clock.advance(timedelta(seconds=1))
    _log(demo_app, SPOC.username, SPOC.password)


def test_malformed_pending_events_are_dropped_and_counted(demo_app: App) -> None:
    me = _locator(demo_app, SPOC.username)
    good = {"at": "2026-11-02T08:00:00Z", "locator": me, "outcome": "wrong_password"}
    bad: list[object] = [
        5, "wrong_password", None, [], {},
        {"at": 3, "locator": me, "outcome": "wrong_password"},
        {"at": "yesterday", "locator": me, "outcome": "wrong_password"},
        {"at": "2026-11-02T08:30:00Z", "locator": ["x"], "outcome": "locked"},
        {"at": "2026-11-02T08:30:00Z", "locator": 7, "outcome": "locked"},
        {"at": "2026-11-02T08:30:00Z", "locator": me, "outcome": 1},
        {"at": "2026-11-02T08:30:00Z", "locator": me, "outcome": "Robert'); DROP TABLE--"},
        {"at": None, "locator": None},
    ]
    demo_app.paths.throttle.write_text(json.dumps({"accounts": {}, "pending": [*bad[:6], good, *bad[6:]],
                                                   "dropped": 2}), "utf-8")
    entries = _log(demo_app, SPOC.username, SPOC.password)
    flushed = [e for e in entries if e.action is Action.SIGN_IN_FAILED]
    # Queued at 08:00, flushed after entries of 09:00: logged at 09:00 (the log's order holds), saying when.
    assert [(e.username, e.detail, e.at_utc) for e in flushed if e.username] == [
        (SPOC.username, "wrong password (recorded as at 2026-11-02T08:00:00Z)", "2026-11-02T09:00:00Z")]
    overflowed = [e.detail for e in flushed if e.username is None]
    assert overflowed == [f"{len(bad) + 2} older failed sign-ins overflowed the throttle file and were not kept"]
    assert not any(e.action is Action.THROTTLE_RESET for e in entries)
