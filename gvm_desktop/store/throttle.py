"""Sign-in throttling that survives a restart, kept beside (not inside) the vault.

A failed sign-in cannot be written into the encrypted database (nobody has
its key yet), and the vault's own files must stay byte-for-byte unchanged by a
failed open. So failures go to this small file, keyed by slot locator (no
usernames), and are moved into the access log by the next session that opens.
Deleting the file resets lockouts: lockout defends the sign-in window; Argon2id
is what defends a copied vault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.settings import LOCKOUT_MINUTES, LOCKOUT_THRESHOLD
from gvm_desktop.store.files import atomic_write

MAX_PENDING = 1000


@dataclass(frozen=True)
class PendingEvent:
    at: str
    locator: str | None
    outcome: str


class SigninThrottle:
    def __init__(self, path: Path) -> None:
        self._path = path

    def _load(self) -> dict[str, Any]:
        try:
            raw = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return {"accounts": {}, "pending": [], "dropped": 0}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            # A damaged throttle file must not lock everybody out for ever, nor
            # silently forget: start again, and say so in the next session's log.
            return {"accounts": {}, "pending": [{"at": None, "locator": None, "outcome": "throttle_reset"}], "dropped": 0}
        raw.setdefault("accounts", {})
        raw.setdefault("pending", [])
        raw.setdefault("dropped", 0)
        return raw

    def _save(self, state: dict[str, Any]) -> None:
        atomic_write(self._path, json.dumps(state, sort_keys=True).encode())

    def locked_until(self, locator: str, now: datetime) -> datetime | None:
        entry = self._load()["accounts"].get(locator)
        if not entry or not entry.get("locked_until"):
            return None
        until = from_iso(entry["locked_until"])
        return until if until > now else None

    def record_failure(self, locator: str | None, outcome: str, now: datetime) -> datetime | None:
        """Count a failure; return the lock's end if this failure locked the account."""
        state = self._load()
        locked: datetime | None = None
        if locator is not None and outcome == "wrong_password":
            entry = state["accounts"].setdefault(locator, {"failures": 0, "locked_until": None})
            entry["failures"] += 1
            if entry["failures"] >= LOCKOUT_THRESHOLD:
                locked = now + timedelta(minutes=LOCKOUT_MINUTES)
                entry["locked_until"] = to_iso(locked)
                entry["failures"] = 0
        state["pending"].append({"at": to_iso(now), "locator": locator, "outcome": outcome})
        if locked:
            state["pending"].append({"at": to_iso(now), "locator": locator, "outcome": "account_locked"})
        overflow = len(state["pending"]) - MAX_PENDING
        if overflow > 0:
            state["pending"] = state["pending"][overflow:]
            state["dropped"] += overflow
        self._save(state)
        return locked

    def record_success(self, locator: str) -> None:
        state = self._load()
        if locator in state["accounts"]:
            del state["accounts"][locator]
            self._save(state)

    def failures(self, locator: str) -> int:
        return int(self._load()["accounts"].get(locator, {}).get("failures", 0))

    def pending(self) -> tuple[list[PendingEvent], int]:
        """The recorded failures not yet in the access log, and how many overflowed."""
        state = self._load()
        events = [PendingEvent(p["at"], p["locator"], p["outcome"]) for p in state["pending"]]
        return events, int(state["dropped"])

    def forget_pending(self, count: int) -> None:
        """Drop the first `count` pending events, once they are committed to the log."""
        state = self._load()
        if count or state["dropped"]:
            state["pending"] = state["pending"][count:]
            state["dropped"] = 0
            self._save(state)

    def clear_account(self, locator: str) -> None:
        self.record_success(locator)
