"""Synthetic access-log entries: the same stream for the product's vault and the plain baseline.

Plain values (no gvm_desktop types): `plain.py` inserts them with the standard library,
the product side turns each into a LogEntry and appends it through the store.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

from gvm_desktop.core.clock import to_iso

ACTIONS = ("record.open", "matrix.list", "matrix.rows", "auth.sign_in", "matrix.status_check")
RECORD_OPEN = "record.open"


class SyntheticEntry(NamedTuple):
    """One entry's fields, named as LogEntry names them, in the order the log's columns hold them."""

    at_utc: str
    tz: str
    workstation: str
    user_id: int
    username: str
    role: str
    bcu: str
    action: str
    record_ref: str | None
    reason_category: str | None
    justification: str | None
    outcome: str
    detail: str | None
    operation_ref: str | None


def synthetic_entries(count: int, after: datetime) -> Iterator[SyntheticEntry]:
    """`count` entries one second apart from `after`, by 59 invented users; every fifth opens a record."""
    rng = random.Random(11)
    users = [(i, f"bench.user{i}", rng.choice(("officer", "spoc")), rng.choice(("CE", "NE", "SW"))) for i in range(1, 60)]
    for n in range(count):
        uid, uname, role, bcu = users[n % len(users)]
        action = ACTIONS[n % len(ACTIONS)]
        opens = action == RECORD_OPEN
        yield SyntheticEntry(
            to_iso(after + timedelta(seconds=n + 1)), "GMT", "bench-ws", uid, uname, role, bcu, action,
            f"N-{n % 100_000 + 1:06d}" if opens else None, "quarterly_review" if opens else None,
            "Benchmark justification text" if opens else None, "allowed", None, None)
