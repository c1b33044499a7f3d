"""The auditors' questions of the log: filtered pages, and flags for patterns worth a look."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from gvm_desktop.core.audit import Action, LoggedEntry, Outcome
from gvm_desktop.core.clock import from_iso
from gvm_desktop.core.errors import NotFound, ValidationError
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.policy import Permission
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, accounts

PAGE = 200
MAX_PAGE = 1000
BURST_RECORDS = 20  # distinct records opened by one user...
BURST_WINDOW = timedelta(minutes=60)  # ...inside this long
MAX_FLAGS = 2000
_REF = re.compile(r"^[A-Za-z0-9:_-]{1,30}$")


@dataclass(frozen=True)
class LogFilter:
    username: str | None = None
    record_ref: str | None = None
    actions: tuple[str, ...] = ()
    outcome: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    reason_category: str | None = None

    def describe(self) -> str:
        """The filter in words, for the log entry and the export's cover (names of users are staff, not subjects)."""
        parts = [f"user {self.username}" if self.username else "", f"record {self.record_ref}" if self.record_ref else "",
                 f"actions {', '.join(self.actions)}" if self.actions else "", f"outcome {self.outcome}" if self.outcome else "",
                 f"from {self.since}" if self.since else "", f"to {self.until}" if self.until else "",
                 f"reason {self.reason_category}" if self.reason_category else ""]
        return "; ".join(p for p in parts if p) or "everything"


@dataclass(frozen=True)
class LogPage:
    entries: list[LoggedEntry]
    next_before: int | None  # pass as `before_seq` for the next (older) page; None at the end


@dataclass(frozen=True)
class Flag:
    kind: str  # no_operation | burst | outside_bcu | removed_since
    seq: int
    username: str | None
    record_ref: str | None
    detail: str


FLAG_LABELS = {
    "no_operation": "Record opened with no linked operation",
    "burst": f"More than {BURST_RECORDS} records opened within {int(BURST_WINDOW.total_seconds() // 60)} minutes",
    "outside_bcu": "Access outside the user's BCU attempted",
    "removed_since": "Record opened of a person since removed",
}


def _where(ws: Workspace, f: LogFilter) -> tuple[list[str], list[object]]:
    """Validate a filter and turn it into SQL conditions; every value is a bound parameter."""
    where: list[str] = []
    params: list[object] = []
    if f.username:
        if len(f.username) > 40:
            raise ValidationError("A username filter is at most 40 characters.")
        account = accounts.by_username(ws.conn, f.username.strip().lower())
        if account is None:
            raise NotFound(f"There is no account '{f.username.strip()[:40]}'.")
        where.append("user_id = ?")
        params.append(account.id)
    if f.record_ref:
        if not _REF.fullmatch(f.record_ref.strip()):
            raise ValidationError("A record reference filter looks like N-000123 or user:12 (at most 30 characters).")
        where.append("record_ref = ?")
        params.append(f.record_ref.strip().upper() if f.record_ref.strip().upper().startswith("N-") else f.record_ref.strip())
    if f.actions:
        if len(f.actions) > 50:
            raise ValidationError("Filter on at most 50 actions at once.")
        known = {a.value for a in Action}
        unknown = [a for a in f.actions if a not in known]
        if unknown:
            raise ValidationError(f"Unknown action '{unknown[0][:40]}'.")
        where.append(f"action IN ({','.join('?' * len(f.actions))})")
        params.extend(f.actions)
    if f.outcome:
        if f.outcome not in {o.value for o in Outcome}:
            raise ValidationError("An outcome is allowed, refused or failed.")
        where.append("outcome = ?")
        params.append(f.outcome)
    if f.reason_category:
        if f.reason_category not in {c.value for c in ReasonCategory}:
            raise ValidationError(f"Unknown reason category '{f.reason_category[:40]}'.")
        where.append("reason_category = ?")
        params.append(f.reason_category)
    if f.since and f.until and f.until < f.since:
        raise ValidationError(f"The date range is reversed: {f.since} is after {f.until}.")
    if f.since or f.until:
        low, high = access_log.seq_bounds(
            ws.conn, f"{f.since.isoformat()}T00:00:00Z" if f.since else None,
            f"{(f.until + timedelta(days=1)).isoformat()}T00:00:00Z" if f.until else None)
        where.append("seq BETWEEN ? AND ?")
        params.extend((low, high))
    return where, params


def _index_for(f: LogFilter) -> str | None:
    """The most selective index the filter can use, so the newest matches come straight off it."""
    if f.record_ref:
        return "access_log_record"
    if f.username:
        return "access_log_user"
    if len(f.actions) == 1:
        return "access_log_action"
    if f.reason_category:
        return "access_log_reason"
    if f.outcome and not f.actions:
        return "access_log_outcome"
    return None


class LogQueryService:
    def search(self, ws: Workspace, f: LogFilter, *, before_seq: int | None = None, limit: int = PAGE) -> LogPage:
        """One page of matching entries, newest first; keyset pagination stays fast at ten million entries."""
        ws.authorize(Permission.ACCESS_LOG_READ, Action.LOG_SEARCH)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"Ask for 1 to {MAX_PAGE} entries at a time.")
        where, params = _where(ws, f)
        if before_seq is not None:
            where.append("seq < ?")
            params.append(before_seq)
        with ws.write() as conn:
            rows = access_log.search(conn, where, params, limit + 1, _index_for(f))
            if before_seq is None:  # log the question once, not every page of its answer
                access_log.append(conn, ws.entry(Action.LOG_SEARCH, detail=f.describe()))
        more = len(rows) > limit
        rows = rows[:limit]
        return LogPage(rows, rows[-1].seq if more else None)

    def flags(self, ws: Workspace, since: date, until: date, *, burst_records: int = BURST_RECORDS) -> list[Flag]:
        """Patterns worth an auditor's look in a date range (at most MAX_FLAGS, oldest first)."""
        ws.authorize(Permission.ACCESS_LOG_READ, Action.LOG_FLAGS)
        if until < since:
            raise ValidationError(f"The date range is reversed: {since} is after {until}.")
        if (until - since).days > 366:
            raise ValidationError("Look for flags over at most a year at a time.")
        span = (f"{since.isoformat()}T00:00:00Z", f"{(until + timedelta(days=1)).isoformat()}T00:00:00Z")
        conn = ws.conn
        flags: list[Flag] = []
        opens = conn.execute(
            "SELECT seq, at_utc, username, record_ref, operation_ref FROM access_log WHERE action = 'record.open' "
            "AND outcome = 'allowed' AND at_utc >= ? AND at_utc < ? ORDER BY seq", span).fetchall()
        removed = {r[0]: r[1] for r in conn.execute("SELECT ref, removed_at FROM archive")}
        windows: dict[str, list[tuple[object, str]]] = {}
        for seq, at, user, ref, op in opens:
            if not op:
                flags.append(Flag("no_operation", seq, user, ref, "no operation reference given"))
            if ref in removed and removed[ref] >= at:
                flags.append(Flag("removed_since", seq, user, ref, f"removed on {removed[ref][:10]}"))
            recent = windows.setdefault(user or "", [])
            moment = from_iso(at)
            recent.append((moment, ref))
            while recent and moment - recent[0][0] > BURST_WINDOW:  # type: ignore[operator]
                recent.pop(0)
            distinct = {r for _t, r in recent}
            if len(distinct) == burst_records + 1:
                flags.append(Flag("burst", seq, user, ref, f"{len(distinct)} records in {BURST_WINDOW} up to here"))
        for seq, user, ref, detail in conn.execute(
                "SELECT seq, username, record_ref, detail FROM access_log WHERE outcome = 'refused' "
                "AND detail LIKE '%belongs to BCU%' AND at_utc >= ? AND at_utc < ? ORDER BY seq", span):
            flags.append(Flag("outside_bcu", seq, user, ref, detail))
        flags.sort(key=lambda fl: fl.seq)
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.LOG_FLAGS, detail=f"{since}..{until}: {len(flags)} flags"))
        return flags[:MAX_FLAGS]
