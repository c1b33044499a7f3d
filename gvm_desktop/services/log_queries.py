"""The auditors' questions of the log: filtered pages, and flags for patterns worth a look."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gvm_desktop.core.audit import Action, LoggedEntry, Outcome
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.errors import NotFound, ValidationError
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, accounts, records, reviews
from gvm_desktop.store.database import Connection

PAGE = 200
MAX_PAGE = 1000
BURST_RECORDS = 20  # distinct records opened by one user...
BURST_WINDOW = timedelta(minutes=60)  # ...inside this long
MAX_FLAGS = 2000
NO_OPERATION = "no operation reference given"
# A record opened to decide its proposal is followed by the decision within this long...
DECISION_AFTER = timedelta(days=7)
# ...or the decision came just before (the record view reads the record again after a decision).
DECISION_BEFORE = timedelta(hours=1)
# The decisions on a proposal, as the log records them carried out...
DECISION_ACTIONS = (Action.APPROVE_ADD.value, Action.REJECT_ADD.value, Action.APPROVE_REMOVE.value)
# ...or an approval refused for want of corroboration, a decision taken too: the SPOC read the evidence and the
# refusal says what is missing. This is what ChangeService.approve_addition logs then ("N-000123 cannot become
# active: ..."). Any other failed or refused attempt decided nothing (no live proposal by that reference, another
# BCU's record) and must not silence the flag.
UNCORROBORATED = (Action.APPROVE_ADD.value, " cannot become active: ")
# ...and a person's part in a quarterly review.
REVIEW_ACTIONS = (Action.REVIEW_RECOMMEND.value, Action.REVIEW_VERDICT.value)
_NEVER = "9999-12-31T23:59:59Z"  # an unsigned review is under way until it is signed
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
    # Opened or read for a reason that would normally have an operation: the quarterly review and a SPOC's
    # decision on a proposal are the workflow's own references (see _unlinked).
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


class _Workflow:
    """What the log says of the workflow around a flags range: reviews under way per BCU, and who recommended,
    decided or approved what and when (read once, on the first read given a workflow reason)."""

    def __init__(self, conn: Connection, since_utc: str) -> None:
        self._conn = conn
        self._spans: dict[str, list[tuple[str, str | None]]] = {}
        self.acts: dict[tuple[int | None, str | None], list[tuple[str, str]]] = {}
        for user_id, ref, action, at in access_log.actions_since(conn, REVIEW_ACTIONS + DECISION_ACTIONS, since_utc,
                                                                 refused_saying=(UNCORROBORATED,)):
            self.acts.setdefault((user_id, ref), []).append((at, action))

    def review_under_way(self, bcu: str | None, at: str) -> tuple[bool, str]:
        """(whether a review of `bcu` was under way at `at`, until when it was)."""
        if bcu is None:
            return False, ""
        if bcu not in self._spans:
            self._spans[bcu] = reviews.open_spans(self._conn, bcu)
        for opened, signed in self._spans[bcu]:
            if opened <= at and (signed is None or at <= signed):
                return True, signed or _NEVER
        return False, ""

    def acted(self, user_id: int | None, ref: str | None, actions: tuple[str, ...], since: str, until: str) -> bool:
        return any(since <= at <= until and action in actions for at, action in self.acts.get((user_id, ref), ()))


def _unlinked(workflow: Callable[[], _Workflow], *, at: str, moment: datetime, category: str | None,
              user_id: int | None, role: str | None, bcu: str | None, ref: str | None) -> str | None:
    """Why a record opened or read without an operation reference deserves a look, or None when it does not.

    A reason of the matrix's own workflow stands in for an operation only when the log shows the workflow:
    for the quarterly review, a review of the user's BCU under way and their recommendation or decision on
    this record in it; for a proposal, the SPOC's decision on this record within DECISION_AFTER (or just
    before: the record view reads the record again after a decision). Choosing the category alone silences
    nothing.
    """
    try:
        reason = ReasonCategory(category or "")
    except ValueError:
        return NO_OPERATION
    if not reason.workflow:
        return NO_OPERATION
    since = to_iso(moment - DECISION_BEFORE)
    if reason is ReasonCategory.QUARTERLY_REVIEW:
        under_way, until = workflow().review_under_way(bcu, at)
        if not under_way:
            return f"given as the quarterly review, but no review of {bcu or 'their BCU'} was under way then"
        if workflow().acted(user_id, ref, REVIEW_ACTIONS, since, until):
            return None
        return "given as the quarterly review, but no recommendation or decision on this record followed in it"
    if role == Role.SPOC.value and workflow().acted(user_id, ref, DECISION_ACTIONS, since,
                                                    to_iso(moment + DECISION_AFTER)):
        return None
    return (f"given as a proposal decision, but the SPOC decided nothing on this record within "
            f"{DECISION_AFTER.days} days")


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
        flags: list[Flag] = []
        # Read and logged in one transaction, like every other look at the log.
        with ws.write() as conn:
            reads = access_log.record_reads(conn, *span)
            removed = records.removal_dates(conn)
            windows: dict[str, list[tuple[object, str]]] = {}
            loaded: list[_Workflow] = []

            def workflow() -> _Workflow:
                if not loaded:
                    loaded.append(_Workflow(conn, to_iso(from_iso(span[0]) - DECISION_BEFORE)))
                return loaded[0]

            for seq, at, user, ref, op, action, category, user_id, role, bcu in reads:
                moment = from_iso(at)
                if not op:
                    unlinked = _unlinked(workflow, at=at, moment=moment, category=category, user_id=user_id, role=role,
                                         bcu=bcu, ref=ref)
                    if unlinked:
                        flags.append(Flag("no_operation", seq, user, ref, unlinked))
                if action != Action.RECORD_OPEN.value:
                    continue  # earlier versions read: the rules below are about opening records
                if ref in removed and removed[ref] >= at:
                    flags.append(Flag("removed_since", seq, user, ref, f"removed on {removed[ref][:10]}"))
                recent = windows.setdefault(user or "", [])
                recent.append((moment, ref))
                while recent and moment - recent[0][0] > BURST_WINDOW:  # type: ignore[operator]  # object holds a datetime
                    recent.pop(0)
                distinct = {r for _t, r in recent}
                if len(distinct) == burst_records + 1:
                    flags.append(Flag("burst", seq, user, ref, f"{len(distinct)} records in {BURST_WINDOW} up to here"))
            for seq, user, ref, detail in access_log.outside_bcu_refusals(conn, *span):
                flags.append(Flag("outside_bcu", seq, user, ref, detail))
            flags.sort(key=lambda fl: fl.seq)
            access_log.append(conn, ws.entry(Action.LOG_FLAGS, detail=f"{since}..{until}: {len(flags)} flags"))
        return flags[:MAX_FLAGS]
