"""The server's access log from a client: append through gvm.append_log, read the rows and the head.

Appends run in the caller's transaction, like the vault's: the entry commits or rolls back with
the work it records. append_log locks the chain's state row until that transaction ends, so keep
it short; and run it at READ COMMITTED (psycopg's default): under REPEATABLE READ or SERIALIZABLE
a concurrent append makes the lock fail with a serialisation error instead of waiting its turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from gvm_desktop.core.audit import LogEntry

# Every chained field, in the order of the canonical form (store/log_chain.py _FIELDS).
FIELDS = ("seq", "at_utc", "tz", "workstation", "user_id", "username", "role", "bcu", "action", "record_ref",
          "reason_category", "justification", "outcome", "detail", "operation_ref")
_APPEND = "SELECT entry_seq, entry_at_utc FROM gvm.append_log(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_ROWS = ("SELECT seq, at_utc, tz, workstation, user_id, username, role, bcu, action, record_ref, reason_category, "
         "justification, outcome, detail, operation_ref, prev_hash, entry_hash, mac "
         "FROM gvm.access_log WHERE seq BETWEEN %s AND %s ORDER BY seq")

Connection = psycopg.Connection[tuple[object, ...]]


@dataclass(frozen=True)
class Appended:
    seq: int
    at_utc: str  # the server's clock: the entry's own at_utc is not sent (see append)


@dataclass(frozen=True)
class ServerHead:
    """The chain's head as log_head() gives it to auditors: no key, only a commitment to the next one."""

    seq: int
    hash: bytes
    key_commitment: bytes


@dataclass(frozen=True)
class LogRow:
    """One stored entry: its chained fields in canonical order, then the chain's own columns."""

    fields: tuple[object, ...]
    prev_hash: bytes
    entry_hash: bytes
    mac: bytes

    @property
    def seq(self) -> int:
        return int(str(self.fields[0]))

    @property
    def at_utc(self) -> str:
        return str(self.fields[1])


def append(conn: Connection, e: LogEntry) -> Appended:
    """Append one entry in the caller's transaction.

    The server gives the time, under the chain's lock, never before the previous entry's: the clients'
    clocks differ, and an entry dated before the one it follows would fail verification.
    """
    row = conn.execute(_APPEND, (e.tz, e.workstation, e.user_id, e.username, e.role, e.bcu, e.action.value,
                                 e.record_ref, e.reason_category, e.justification, e.outcome.value, e.detail,
                                 e.operation_ref)).fetchone()
    assert row is not None  # a function call returns one row or raises
    return Appended(int(str(row[0])), str(row[1]))


def head(conn: Connection) -> ServerHead | None:
    """The recorded head (auditors only); None before the log has started."""
    row = conn.execute("SELECT head_seq, head_hash, key_commitment FROM gvm.log_head()").fetchone()
    if row is None or row[0] is None:
        return None
    return ServerHead(int(str(row[0])), _bytes(row[1]), _bytes(row[2]))


def _bytes(value: object) -> bytes:
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b""


def span(conn: Connection) -> tuple[int, int] | None:
    row = conn.execute("SELECT min(seq), max(seq) FROM gvm.access_log").fetchone()
    if row is None or row[0] is None:
        return None
    return int(str(row[0])), int(str(row[1]))


def rows(conn: Connection, first: int, last: int, *, chunk: int = 10_000) -> Iterator[LogRow]:
    """Entries first..last in seq order, a chunk a statement."""
    lo = first
    while lo <= last:
        hi = min(lo + chunk - 1, last)
        for r in conn.execute(_ROWS, (lo, hi)).fetchall():
            yield LogRow(tuple(r[:15]), _bytes(r[15]), _bytes(r[16]), _bytes(r[17]))
        lo = hi + 1
