"""The monthly system audit's queries: a month of the access log, and the BCU of each record it touched.

A month is turned into a range of sequence numbers first (the log's times never go
backwards, which `log verify` checks), so every query below reads the month through the
primary key or the (action, seq) index, never the whole log. A record's BCU comes from
the reference index in common (person_index: every BCU's people, whichever compartments this
session holds; its ref is unique), else the archive index of a removed person, else the
allowed log entry of the person's removal or rejection: that entry was made
by a SPOC of the person's own BCU, so it still tells the BCU after the archive row has been
purged. Otherwise the BCU is NULL (not known).
"""

from __future__ import annotations

from collections.abc import Sequence

from gvm_desktop.core.audit import Action
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound

# The BCU of each distinct reference in `refs`, resolved once per reference (not per entry) by joins:
# the matrix, the archive, then the allowed removal or rejection entries of the whole log (through the
# (action, seq) index; one per person ever removed, a small set), each of which a SPOC of the person's
# own BCU made. The caller's WITH clause defines `refs(ref)` first.
_BCU_OF = (
    "removed AS (SELECT record_ref AS ref, min(bcu) AS bcu FROM access_log INDEXED BY access_log_action "
    f"WHERE action IN ('{Action.APPROVE_REMOVE.value}', '{Action.REJECT_ADD.value}') AND outcome = 'allowed' "
    "GROUP BY record_ref), "
    "bcu_of AS MATERIALIZED (SELECT refs.ref, coalesce(n.bcu, a.bcu, r.bcu) AS bcu FROM refs "
    "LEFT JOIN person_index n ON n.ref = refs.ref LEFT JOIN archive_index a ON a.ref = refs.ref "
    "LEFT JOIN removed r ON r.ref = refs.ref)"
)


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" * len(values))


def month_range(conn: Connection, first_utc: str, last_utc: str) -> tuple[int, int] | None:
    """The first and last sequence numbers of entries made from `first_utc` to `last_utc` (inclusive), or None."""
    low = conn.execute("SELECT seq FROM access_log INDEXED BY access_log_time WHERE at_utc >= ? "
                       "ORDER BY at_utc, seq LIMIT 1", (first_utc,)).fetchone()
    high = conn.execute("SELECT seq FROM access_log INDEXED BY access_log_time WHERE at_utc <= ? "
                        "ORDER BY at_utc DESC, seq DESC LIMIT 1", (last_utc,)).fetchone()
    if low is None or high is None or int(low[0]) > int(high[0]):
        return None
    return int(low[0]), int(high[0])


def bcus_in_vault(conn: Connection) -> list[str]:
    """Every BCU that holds a live or archived record."""
    return [r[0] for r in conn.execute("SELECT bcu FROM person_index UNION SELECT bcu FROM archive_index ORDER BY 1")]


def record_touches(conn: Connection, seqs: tuple[int, int], actions: Sequence[str]
                   ) -> tuple[list[tuple[str, str | None, str, str | None, int]], dict[str | None, int]]:
    """For allowed entries naming one record: (username, role, action, the record's BCU, entries), and
    the number of distinct records opened (record.open) per BCU."""
    if not actions:
        return [], {}
    # The month's entries grouped by user, action and record first (read once, through the (action, seq) index),
    # so each record's BCU is resolved once however often it was used.
    sql = (f"WITH t AS MATERIALIZED (SELECT l.username, l.role, l.action, l.record_ref, count(*) AS n "
           f"FROM access_log l INDEXED BY access_log_action WHERE l.action IN ({_marks(actions)}) "
           "AND l.seq BETWEEN ? AND ? AND l.outcome = 'allowed' AND l.record_ref IS NOT NULL "
           "GROUP BY l.username, l.role, l.action, l.record_ref), "
           f"refs AS (SELECT DISTINCT record_ref AS ref FROM t), {_BCU_OF} "
           "SELECT 0, t.username, t.role, t.action, b.bcu, sum(t.n) FROM t JOIN bcu_of b ON b.ref = t.record_ref "
           "GROUP BY t.username, t.role, t.action, b.bcu "
           "UNION ALL SELECT 1, NULL, NULL, NULL, b.bcu, count(DISTINCT t.record_ref) FROM t "
           "JOIN bcu_of b ON b.ref = t.record_ref WHERE t.action = ? GROUP BY b.bcu")
    touches: list[tuple[str, str | None, str, str | None, int]] = []
    opened: dict[str | None, int] = {}
    for kind, username, role, action, bcu, n in conn.execute(sql, (*actions, *seqs, Action.RECORD_OPEN.value)):
        if kind:
            opened[bcu] = int(n)
        else:
            touches.append((username or "(unknown)", role, action, bcu, int(n)))
    return touches, opened


def documents(conn: Connection, seqs: tuple[int, int], actions: Sequence[str]
              ) -> list[tuple[int, str, str | None, str, str | None, str | None]]:
    """(seq, username, role, action, record reference, its BCU) for allowed entries that made a document."""
    if not actions:
        return []
    sql = (f"WITH t AS MATERIALIZED (SELECT seq, username, role, action, record_ref FROM access_log "
           f"INDEXED BY access_log_action WHERE action IN ({_marks(actions)}) AND seq BETWEEN ? AND ? "
           "AND outcome = 'allowed'), "
           f"refs AS (SELECT DISTINCT record_ref AS ref FROM t WHERE record_ref IS NOT NULL), {_BCU_OF} "
           "SELECT t.seq, t.username, t.role, t.action, t.record_ref, b.bcu FROM t "
           "LEFT JOIN bcu_of b ON b.ref = t.record_ref ORDER BY t.seq")
    return [(int(r[0]), r[1] or "(unknown)", r[2], r[3], r[4], r[5]) for r in conn.execute(sql, (*actions, *seqs))]


def disclosed(conn: Connection, seqs: tuple[int, int]) -> dict[int, dict[str | None, int]]:
    """log seq -> {BCU -> people} from the disclosure register, for the month's entries.

    The register's key is (ref, log_seq), so a range of log_seq reads the whole register once;
    it holds a row per person per document, far fewer rows than the log.
    """
    out: dict[int, dict[str | None, int]] = {}
    sql = ("WITH d AS MATERIALIZED (SELECT ref, log_seq FROM disclosures WHERE log_seq BETWEEN ? AND ?), "
           f"refs AS (SELECT DISTINCT ref FROM d), {_BCU_OF} "
           "SELECT d.log_seq, b.bcu, count(*) FROM d JOIN bcu_of b ON b.ref = d.ref GROUP BY d.log_seq, b.bcu")
    for seq, bcu, n in conn.execute(sql, seqs):
        out.setdefault(int(seq), {})[bcu] = int(n)
    return out


def shown(conn: Connection, seqs: tuple[int, int], actions: Sequence[str]
          ) -> list[tuple[str, str | None, str, str | None, str | None, int]]:
    """(username, role, action, the entry's BCU, detail, entries) for allowed entries that say how many rows they showed."""
    if not actions:
        return []
    sql = (f"SELECT username, role, action, bcu, detail, count(*) FROM access_log INDEXED BY access_log_action "
           f"WHERE action IN ({_marks(actions)}) AND seq BETWEEN ? AND ? AND outcome = 'allowed' "
           "GROUP BY username, role, action, bcu, detail")
    return [(r[0] or "(unknown)", r[1], r[2], r[3], r[4], int(r[5])) for r in conn.execute(sql, (*actions, *seqs))]


def activity(conn: Connection, seqs: tuple[int, int], bcu: str | None) -> tuple[dict[str, dict[str, int]], int]:
    """Every entry of the month by user and action (only those made by accounts of `bcu`, unless None), and refusals."""
    where = "seq BETWEEN ? AND ?" + (" AND bcu = ?" if bcu is not None else "")
    params: tuple[object, ...] = (*seqs, bcu) if bcu is not None else seqs
    out: dict[str, dict[str, int]] = {}
    refused = 0
    for username, action, n, r in conn.execute(
            f"SELECT username, action, count(*), sum(outcome = 'refused') FROM access_log WHERE {where} "
            "GROUP BY username, action", params):
        out.setdefault(username or "(unknown)", {})[action] = int(n)
        refused += int(r or 0)
    return out, refused


class MonthlyAuditRepository(Repository):
    """The counts of the monthly audit: records viewed, downloaded, edited."""

    __slots__ = ()

    month_range = bound(month_range)
    bcus_in_vault = bound(bcus_in_vault)
    record_touches = bound(record_touches)
    documents = bound(documents)
    disclosed = bound(disclosed)
    shown = bound(shown)
    activity = bound(activity)
