"""Appending to and reading the access log table."""

from __future__ import annotations

from collections.abc import Iterable

from gvm_desktop.core.audit import Action, GrantChange, LogEntry, LoggedEntry, Outcome, PriorJustification
from gvm_desktop.core.log_filter import BcuRefusal, LogQuery, RecordRead, WorkflowAct
from gvm_desktop.store import log_chain
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound

_COLUMNS = (
    "at_utc, tz, workstation, user_id, username, role, bcu, action, record_ref, "
    "reason_category, justification, outcome, detail, operation_ref"
)


def append(conn: Connection, e: LogEntry) -> int:
    """Insert one entry, chained and MACed, inside the caller's transaction; return its sequence number."""
    return log_chain.append(conn, e)


def last_time(conn: Connection) -> str | None:
    """The time of the log's last entry (its rowid order is its sequence)."""
    row = conn.execute("SELECT at_utc FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row and isinstance(row[0], str) else None


def recent(conn: Connection, limit: int) -> list[LoggedEntry]:
    rows = conn.execute(
        f"SELECT seq, {_COLUMNS} FROM access_log ORDER BY seq DESC LIMIT ?", (limit,)
    ).fetchall()
    return [_row(r) for r in rows]


def count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM access_log").fetchone()[0])


def _row(r: tuple) -> LoggedEntry:
    return LoggedEntry(
        seq=r[0],
        entry=LogEntry(
            at_utc=r[1], tz=r[2], workstation=r[3], user_id=r[4], username=r[5], role=r[6], bcu=r[7],
            action=Action(r[8]), record_ref=r[9], reason_category=r[10], justification=r[11],
            outcome=Outcome(r[12]), detail=r[13], operation_ref=r[14],
        ),
    )


def last_justification(conn: Connection, user_id: int, record_ref: str) -> PriorJustification | None:
    """What this user last gave to open this record, to prefill the prompt."""
    r = conn.execute(
        "SELECT reason_category, justification, operation_ref FROM access_log "
        "WHERE user_id = ? AND record_ref = ? AND action = 'record.open' AND outcome = 'allowed' "
        "ORDER BY seq DESC LIMIT 1",
        (user_id, record_ref),
    ).fetchone()
    return PriorJustification(r[0], r[1], r[2]) if r else None


# The index that answers each kind of filter in sequence order. Without the hint, SQLite
# (no statistics on a fresh vault) walks the whole table newest-first looking for a rare
# record reference: 9 s at ten million entries, where the index takes milliseconds.
SEARCH_INDEXES = ("access_log_record", "access_log_user", "access_log_action", "access_log_reason",
                  "access_log_outcome")


def _index_for(q: LogQuery) -> str | None:
    """The most selective index the query can use, so the newest matches come straight off it."""
    if q.record_ref:
        return "access_log_record"
    if q.user_id is not None:
        return "access_log_user"
    if len(q.actions) == 1:
        return "access_log_action"
    if q.reason_category:
        return "access_log_reason"
    if q.outcome and not q.actions:
        return "access_log_outcome"
    return None


def _conditions(conn: Connection, q: LogQuery, before_seq: int | None) -> tuple[list[str], list[object]]:
    """The query as SQL conditions written here, from fixed text; every value is a bound parameter."""
    where: list[str] = []
    params: list[object] = []
    if q.user_id is not None:
        where.append("user_id = ?")
        params.append(q.user_id)
    if q.record_ref:
        where.append("record_ref = ?")
        params.append(q.record_ref)
    if q.actions:
        where.append(f"action IN ({','.join('?' * len(q.actions))})")
        params.extend(a.value for a in q.actions)
    if q.outcome:
        where.append("outcome = ?")
        params.append(q.outcome.value)
    if q.reason_category:
        where.append("reason_category = ?")
        params.append(q.reason_category.value)
    if q.since_utc or q.before_utc:
        where.append("seq BETWEEN ? AND ?")
        params.extend(seq_bounds(conn, q.since_utc, q.before_utc))
    if before_seq is not None:
        where.append("seq < ?")
        params.append(before_seq)
    return where, params


def search(conn: Connection, query: LogQuery, limit: int, *, before_seq: int | None = None) -> list[LoggedEntry]:
    """Entries matching `query`, newest first, below `before_seq` when given (keyset pagination)."""
    where, params = _conditions(conn, query, before_seq)
    index = _index_for(query)
    if index is not None and index not in SEARCH_INDEXES:
        raise ValueError(index)
    hint = f"INDEXED BY {index}" if index else ""
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(f"SELECT seq, {_COLUMNS} FROM access_log {hint} {clause} ORDER BY seq DESC LIMIT ?",
                        (*params, limit))
    return [_row(r) for r in rows]


def seq_bounds(conn: Connection, since_utc: str | None, before_utc: str | None) -> tuple[int, int]:
    """The sequence range of entries in [since, before): time order is part of what `log verify` checks,
    so a date range becomes a range of the primary key, the cheapest thing to scan."""
    low = conn.execute("SELECT seq FROM access_log WHERE at_utc >= ? ORDER BY at_utc, seq LIMIT 1",
                       (since_utc,)).fetchone() if since_utc else (1,)
    high = conn.execute("SELECT seq FROM access_log WHERE at_utc < ? ORDER BY at_utc DESC, seq DESC LIMIT 1",
                        (before_utc,)).fetchone() if before_utc else conn.execute("SELECT max(seq) FROM access_log").fetchone()
    return (int(low[0]) if low and low[0] is not None else 1 << 62, int(high[0]) if high and high[0] is not None else 0)


def by_seq(conn: Connection, seq: int) -> LoggedEntry | None:
    row = conn.execute(f"SELECT seq, {_COLUMNS} FROM access_log WHERE seq = ?", (seq,)).fetchone()
    return _row(row) if row else None


def for_record(conn: Connection, record_ref: str) -> list[LoggedEntry]:
    """Every entry about one record, oldest first: a subject access pack lists them all, never a first slice."""
    rows = conn.execute(f"SELECT seq, {_COLUMNS} FROM access_log INDEXED BY access_log_record WHERE record_ref = ? "
                        "ORDER BY seq", (record_ref,)).fetchall()
    return [_row(r) for r in rows]


def by_seqs(conn: Connection, seqs: list[int]) -> list[LoggedEntry]:
    out: list[LoggedEntry] = []
    for start in range(0, len(seqs), 500):
        chunk = seqs[start:start + 500]
        rows = conn.execute(f"SELECT seq, {_COLUMNS} FROM access_log WHERE seq IN ({', '.join('?' * len(chunk))}) "
                            "ORDER BY seq", chunk).fetchall()
        out.extend(_row(r) for r in rows)
    return out


def last_of_actions(conn: Connection, user_id: int, actions: Iterable[Action], *,
                    unless_marked: str | None = None) -> str | None:
    """When this user last did one of `actions` (allowed), or None: newest first down the (user_id, seq) index.

    Entries whose detail starts with `unless_marked` are passed over: the services mark with it what the
    application did by itself rather than the user (core/governance.py AUTOMATIC_VIEW).
    It stops at the first match, so it reads only the user's entries since their last use.
    """
    names = sorted(a.value for a in actions)
    marked = "AND (detail IS NULL OR substr(detail, 1, ?) <> ?) " if unless_marked else ""
    row = conn.execute(
        f"SELECT at_utc FROM access_log INDEXED BY access_log_user WHERE user_id = ? AND outcome = 'allowed' "
        f"AND action IN ({', '.join('?' * len(names))}) {marked}ORDER BY seq DESC LIMIT 1",
        (user_id, *names, *((len(unless_marked), unless_marked) if unless_marked else ()))).fetchone()
    return row[0] if row else None


def last_grant_change(conn: Connection, user_id: int) -> GrantChange | None:
    """The newest grant or revocation (carried out, not refused) of this account's matrix access,
    down the (record_ref, seq) index."""
    row = conn.execute(
        "SELECT action, detail FROM access_log INDEXED BY access_log_record WHERE record_ref = ? "
        "AND action IN (?, ?) AND outcome = 'allowed' ORDER BY seq DESC LIMIT 1",
        (f"user:{user_id}", Action.ACCESS_GRANT.value, Action.ACCESS_REVOKE.value)).fetchone()
    return GrantChange(Action(row[0]), row[1]) if row else None


def actions_since(conn: Connection, actions: tuple[str, ...], since_utc: str, *,
                  refused_saying: tuple[tuple[str, str], ...] = ()) -> list[WorkflowAct]:
    """Every allowed entry of `actions` from `since_utc` on, oldest first:
    down the (action, seq) index from the first entry of that moment (the log is in time order).

    A failed or refused attempt did nothing, so it is left out, except the refusals named in `refused_saying`
    as (action, text its detail contains): a refusal that is itself an outcome worth counting.
    """
    low = conn.execute("SELECT seq FROM access_log WHERE at_utc >= ? ORDER BY at_utc, seq LIMIT 1", (since_utc,)).fetchone()
    if low is None or not actions:
        return []
    refusals = "".join(" OR (outcome = 'refused' AND action = ? AND instr(detail, ?) > 0)" for _ in refused_saying)
    rows = conn.execute(
        f"SELECT user_id, record_ref, action, at_utc FROM access_log INDEXED BY access_log_action "
        f"WHERE action IN ({', '.join('?' * len(actions))}) AND seq >= ? AND (outcome = 'allowed'{refusals}) "
        "ORDER BY seq", (*actions, low[0], *(v for pair in refused_saying for v in pair)))
    return [WorkflowAct(r[0], r[1], str(r[2]), str(r[3])) for r in rows]


def record_reads(conn: Connection, since: str, until: str) -> list[RecordRead]:
    """Allowed record opens and history reads in [since, until), oldest first: what the auditor's flags look at."""
    rows = conn.execute(
        "SELECT seq, at_utc, username, record_ref, operation_ref, action, reason_category, user_id, role, bcu "
        "FROM access_log WHERE action IN ('record.open', 'record.history') AND outcome = 'allowed' "
        "AND at_utc >= ? AND at_utc < ? ORDER BY seq", (since, until))
    return [RecordRead(*r) for r in rows]


def outside_bcu_refusals(conn: Connection, since: str, until: str) -> list[BcuRefusal]:
    """Refusals of another BCU's record in [since, until), oldest first."""
    rows = conn.execute(
        "SELECT seq, username, record_ref, detail FROM access_log WHERE outcome = 'refused' "
        "AND detail LIKE '%belongs to BCU%' AND at_utc >= ? AND at_utc < ? ORDER BY seq", (since, until))
    return [BcuRefusal(*r) for r in rows]


class AccessLogRepository(Repository):
    """The access log: appending entries (chained and MACed) and reading them back."""

    __slots__ = ()

    append = bound(append)
    last_time = bound(last_time)
    recent = bound(recent)
    count = bound(count)
    last_justification = bound(last_justification)
    search = bound(search)
    entry_hash = bound(log_chain.hash_at)  # one reading of a stored hash, which refuses a malformed one
    by_seq = bound(by_seq)
    for_record = bound(for_record)
    by_seqs = bound(by_seqs)
    last_of_actions = bound(last_of_actions)
    last_grant_change = bound(last_grant_change)
    actions_since = bound(actions_since)
    record_reads = bound(record_reads)
    outside_bcu_refusals = bound(outside_bcu_refusals)
