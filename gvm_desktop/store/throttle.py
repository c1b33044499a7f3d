"""Sign-in throttling that survives a restart, kept beside (not inside) the vault.

A failed sign-in cannot be written into the encrypted database (nobody has
its key yet), and the vault's own files must stay byte-for-byte unchanged by a
failed open. So failures go to this small file, keyed by slot locator (no
usernames), and are moved into the access log by the next session that opens.
Deleting the file resets lockouts: lockout defends the sign-in window; Argon2id
is what defends a copied vault.

A name that has no account is counted and locked exactly like one that has, under the
same salted locator (never the text typed), so the lockout cannot tell a stranger which
names are accounts. The file keeps at most MAX_TRACKED locators: past that, the unlocked
ones whose last failure is oldest are dropped first. A live lock is never dropped before
it ends, whatever the flood: otherwise typing made-up names would evict a real account's
lock. Live locks are bounded instead by how fast they can be made: every counted failure
is one Argon2id check (an unlock, or the same cost burnt for an unknown name) made one at
a time under the lock, so a lock costs LOCKOUT_THRESHOLD of them, about 2.5 s at the
default cost, and at most a few hundred can be live within LOCKOUT_MINUTES. The cap is
also set so that evicting a counter by flooding takes longer than waiting out a lock.

Every read-modify-write of the file, and the whole check-password-record sequence of
a sign-in, runs under an OS lock on `signin-throttle.lock` beside it (`guard()`), so
attempts started at once, in any number of processes, are checked one at a time and
each is counted exactly once. The file's contents are checked in full when read:
anything malformed starts again (as an unreadable file does) and is logged, so a
damaged or hostile file can neither crash a sign-in nor lock an account for ever.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.settings import LOCKOUT_MINUTES, LOCKOUT_THRESHOLD
from gvm_desktop.store.file_lock import FileLock
from gvm_desktop.store.files import atomic_write

MAX_PENDING = 1000
# Locators kept with a failure count or a lock. Flooding made-up names to push a real
# account's count out costs this many Argon2id checks (about 17 minutes at the default
# cost): slower than simply waiting out a LOCKOUT_MINUTES lock, so eviction buys nothing.
MAX_TRACKED = 2048
# How long a sign-in waits for another one on the same vault before saying it is busy.
# Each holder does at most one Argon2id check (about 0.5 s), so this is generous.
LOCK_TIMEOUT_SECONDS = 60.0
# MAX_PENDING events take about 110 KB and MAX_TRACKED locators about 220 KB; the rest is
# room for some 5,700 live locks beyond the cap (125 bytes each), which are never dropped
# while live: a file over this limit is reset, which would lift every lock. Anything much
# larger was not written by us.
MAX_FILE_BYTES = 1024 * 1024
# Counts above this are not ours either (and a huge one would only be printed into the log).
MAX_COUNT = 10**9
_LOCATOR_MAX = 128
_OUTCOME = re.compile(r"[a-z_]{1,40}")
_RESET_EVENT = {"at": None, "locator": None, "outcome": "throttle_reset"}
# The failures that count towards a lock, and the event each adds when it locks. A name
# with no account counts exactly as a wrong password does (issue 11).
_COUNTED = {"wrong_password": "account_locked", "unknown_user": "unknown_user_locked"}
# Events about a name with no account keep no locator in the pending list: the counter
# needs it, the log does not, and an account created later under that name must not
# inherit failures that were not its own.
_ANONYMOUS = frozenset({"unknown_user", "unknown_user_locked", "unknown_user_while_locked"})



def _fresh() -> dict[str, Any]:
    return {"accounts": {}, "pending": [], "dropped": 0}


def _reset() -> dict[str, Any]:
    """A damaged throttle file must not lock everybody out for ever, nor silently forget:
    start again, and say so in the next session's log."""
    return {"accounts": {}, "pending": [dict(_RESET_EVENT)], "dropped": 0}


def _is_count(value: object) -> bool:
    # bool is an int to Python but never a count here.
    return type(value) is int and 0 <= value <= MAX_COUNT


def _is_locator(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _LOCATOR_MAX


def _is_time(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 32:
        return False
    try:
        from_iso(value)
    except ValueError:
        return False
    return True


def _is_event(value: object) -> bool:
    return (
        isinstance(value, dict)
        and (value.get("at") is None or _is_time(value.get("at")))
        and (value.get("locator") is None or _is_locator(value.get("locator")))
        and isinstance(value.get("outcome"), str)
        and _OUTCOME.fullmatch(value["outcome"]) is not None
    )


def _validated(raw: object) -> dict[str, Any] | None:
    """The state in `raw` rebuilt from checked parts, or None if its shape is not ours.

    A malformed pending event is dropped and counted (the rest of the file is still
    good); anything else malformed makes the whole file untrustworthy.
    """
    if not isinstance(raw, dict):
        return None
    accounts_raw, pending_raw, dropped = raw.get("accounts", {}), raw.get("pending", []), raw.get("dropped", 0)
    if not isinstance(accounts_raw, dict) or not isinstance(pending_raw, list) or not _is_count(dropped):
        return None
    accounts: dict[str, dict[str, Any]] = {}
    for locator, entry in accounts_raw.items():
        if not _is_locator(locator) or not isinstance(entry, dict):
            return None
        failures, until, last = entry.get("failures"), entry.get("locked_until"), entry.get("last")
        if not _is_count(failures) or not (until is None or _is_time(until)) or not (last is None or _is_time(last)):
            return None
        # "last" (the latest failure, for eviction) is absent from files written before it
        # existed: such an entry counts as the oldest.
        accounts[locator] = {"failures": failures, "locked_until": until, "last": last}
    pending: list[dict[str, Any]] = []
    for event in pending_raw:
        if _is_event(event):
            pending.append({"at": event["at"], "locator": event["locator"], "outcome": event["outcome"]})
        else:
            dropped += 1
    overflow = len(pending) - MAX_PENDING
    if overflow > 0:
        pending, dropped = pending[overflow:], dropped + overflow
    return {"accounts": accounts, "pending": pending, "dropped": min(dropped, MAX_COUNT)}


def _read_capped(path: Path) -> bytes | None:
    """The file's bytes; None if it is not a regular file or is too large to be ours."""
    # O_NONBLOCK: a FIFO planted under the file's name must not hang every sign-in.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > MAX_FILE_BYTES else b"".join(chunks)
    finally:
        os.close(fd)


def _live_lock(entry: dict[str, Any], now: datetime) -> bool:
    return entry["locked_until"] is not None and from_iso(entry["locked_until"]) > now


def _bound_tracked(accounts: dict[str, dict[str, Any]], now: datetime, *, keep: str) -> None:
    """Keep at most MAX_TRACKED locators, never dropping a lock before it ends.

    An entry with no failures left and no live lock says nothing and goes first; then
    the unlocked entries whose last failure is oldest. Live locks beyond the cap stay
    (see the module's note on why they cannot pile up), and so does `keep`, the entry
    just counted: on a clock that has not moved, its time ties with the others'.
    """
    for locator in [k for k, e in accounts.items() if e["failures"] == 0 and not _live_lock(e, now)]:
        del accounts[locator]
    excess = len(accounts) - MAX_TRACKED
    if excess <= 0:
        return
    unlocked = sorted((k for k, e in accounts.items() if k != keep and not _live_lock(e, now)),
                      key=lambda k: accounts[k]["last"] or "")  # ISO text sorts as time; None first
    for locator in unlocked[:excess]:
        del accounts[locator]


@dataclass(frozen=True)
class PendingEvent:
    at: str
    locator: str | None
    outcome: str


class SigninThrottle:
    def __init__(self, path: Path, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self._path = path
        self.lock_path = path.with_suffix(".lock")
        self._lock = FileLock(self.lock_path, what="Sign-in", timeout=lock_timeout)

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Hold the vault's sign-in lock: one reader-writer of the throttle file at a time.

        Waits for another holder (another window, process or user on this vault) for up
        to the lock timeout, then raises StorageError. Re-entrant within this object.
        """
        with self._lock.hold():
            yield

    def _load(self) -> dict[str, Any]:
        try:
            data = _read_capped(self._path)
        except FileNotFoundError:
            return _fresh()
        except OSError:
            return _reset()
        if data is None:
            return _reset()
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            # ValueError covers bad JSON and integers too long to convert; RecursionError, deep nesting.
            return _reset()
        state = _validated(raw)
        return _reset() if state is None else state

    def _save(self, state: dict[str, Any]) -> None:
        atomic_write(self._path, json.dumps(state, sort_keys=True).encode())

    def locked_until(self, locator: str, now: datetime) -> datetime | None:
        with self.guard():
            state = self._load()
            entry = state["accounts"].get(locator)
            if entry is None or entry["locked_until"] is None:
                return None
            until = from_iso(entry["locked_until"])
            if until <= now:
                return None
            latest = from_iso(to_iso(now + timedelta(minutes=LOCKOUT_MINUTES)))
            if until > latest:
                # Later than a lock made now would end: a clock put back, or an edited file.
                # Hold it no longer than a fresh lock, so no account is locked for ever.
                until = latest
                entry["locked_until"] = to_iso(latest)
                self._save(state)
            return until

    def record_failure(self, locator: str | None, outcome: str, now: datetime, *, queue: bool = True) -> datetime | None:
        """Count a failure; return the lock's end if this failure locked the account.

        `queue=False` when the caller logs the failure itself (a session is open): it is
        counted, and a lock it causes is still queued, but the failure is not logged twice.
        """
        with self.guard():
            return self._record_failure(locator, outcome, now, queue=queue)

    def _record_failure(self, locator: str | None, outcome: str, now: datetime, *, queue: bool = True
                        ) -> datetime | None:
        state = self._load()
        locked: datetime | None = None
        if locator is not None and outcome in _COUNTED:
            entry = state["accounts"].setdefault(locator, {"failures": 0, "locked_until": None, "last": None})
            entry["failures"] += 1
            entry["last"] = to_iso(now)
            if entry["failures"] >= LOCKOUT_THRESHOLD:
                locked = now + timedelta(minutes=LOCKOUT_MINUTES)
                entry["locked_until"] = to_iso(locked)
                entry["failures"] = 0
            _bound_tracked(state["accounts"], now, keep=locator)
        logged = None if outcome in _ANONYMOUS else locator
        if queue:
            state["pending"].append({"at": to_iso(now), "locator": logged, "outcome": outcome})
        if locked:
            state["pending"].append({"at": to_iso(now), "locator": logged, "outcome": _COUNTED[outcome]})
        overflow = len(state["pending"]) - MAX_PENDING
        if overflow > 0:
            state["pending"] = state["pending"][overflow:]
            state["dropped"] = min(state["dropped"] + overflow, MAX_COUNT)
        self._save(state)
        return locked

    def record_success(self, locator: str) -> None:
        with self.guard():
            state = self._load()
            if locator in state["accounts"]:
                del state["accounts"][locator]
                self._save(state)

    def failures(self, locator: str) -> int:
        with self.guard():
            entry = self._load()["accounts"].get(locator)
            return 0 if entry is None else int(entry["failures"])

    def pending(self) -> tuple[list[PendingEvent], int]:
        """The recorded failures not yet in the access log, and how many overflowed."""
        with self.guard():
            state = self._load()
        events = [PendingEvent(p["at"], p["locator"], p["outcome"]) for p in state["pending"]]
        return events, int(state["dropped"])

    def forget_pending(self, count: int) -> None:
        """Drop the first `count` pending events, once they are committed to the log."""
        with self.guard():
            state = self._load()
            if count or state["dropped"]:
                state["pending"] = state["pending"][count:]
                state["dropped"] = 0
                self._save(state)
