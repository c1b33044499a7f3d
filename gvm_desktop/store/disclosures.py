"""Table disclosures: which people each disclosure (an export, a partner's view) included.

One row per person per access-log entry that disclosed them, written in the
transaction that appends the entry: a subject access pack lists a person's
disclosures from here, and no row exists without its entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound


def record(conn: Connection, log_seq: int, refs: Iterable[str]) -> None:
    """Register the people of `refs` as disclosed by access-log entry `log_seq`."""
    conn.executemany("INSERT OR IGNORE INTO disclosures (ref, log_seq) VALUES (?, ?)", [(r, log_seq) for r in refs])


def seqs_of(conn: Connection, ref: str) -> list[int]:
    """The access-log entries that disclosed the person `ref`, oldest first."""
    return [int(r[0]) for r in conn.execute("SELECT log_seq FROM disclosures WHERE ref = ? ORDER BY log_seq", (ref,))]


# One row per person per day per agreement: the dedupe joins a disclosure to its log entry (no schema change).
# The range on log_seq (the second column of the key) keeps it to that person's rows of the day; the log is in
# time order (`log verify` checks it), so the day's first entry bounds them.
_ONCE_A_DAY = (
    "INSERT OR IGNORE INTO disclosures (ref, log_seq) SELECT ?1, ?2 WHERE NOT EXISTS ("
    "SELECT 1 FROM disclosures d JOIN access_log a ON a.seq = d.log_seq "
    "WHERE d.ref = ?1 AND d.log_seq >= ?3 AND d.log_seq <> ?2 AND a.operation_ref = ?4 AND a.action = ?5)")


def record_once_a_day(conn: Connection, log_seq: int, refs: Iterable[str], *, agreement_ref: str, action: str) -> int:
    """Register the people of `refs` as disclosed by entry `log_seq`, except those already registered on that
    entry's UTC day by an `action` entry of the same agreement (its operation_ref). Returns the rows added."""
    first = conn.execute("SELECT seq FROM access_log WHERE at_utc >= (SELECT substr(at_utc, 1, 10) || 'T00:00:00Z' "
                         "FROM access_log WHERE seq = ?) ORDER BY at_utc, seq LIMIT 1", (log_seq,)).fetchone()
    since = int(first[0]) if first else log_seq
    before = conn.total_changes
    conn.executemany(_ONCE_A_DAY, [(ref, log_seq, since, agreement_ref, action) for ref in dict.fromkeys(refs)])
    return conn.total_changes - before


class DisclosuresRepository(Repository):
    """The disclosure register (table disclosures)."""

    __slots__ = ()

    record = bound(record)
    seqs_of = bound(seqs_of)
    record_once_a_day = bound(record_once_a_day)
