"""The auditors' questions of the log: filtered pages, and flags for patterns worth a look."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from datetime import date, datetime, timedelta

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.errors import NotFound, ValidationError
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.log_filter import (
    BURST_RECORDS,
    BURST_WINDOW,
    Flag,
    LogFilter,
    LogPage,
    LogQuery,
    RecordRead,
)
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.store.protocols import Unit

PAGE = 200
MAX_PAGE = 1000
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


def _day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def to_query(store: Unit, f: LogFilter) -> LogQuery:
    """Validate a filter and resolve it into the store's query: its username to an account, its dates to a span."""
    user_id: int | None = None
    if f.username:
        if len(f.username) > 40:
            raise ValidationError("A username filter is at most 40 characters.")
        account = store.accounts.by_username(f.username.strip().lower())
        if account is None:
            raise NotFound(f"There is no account '{f.username.strip()[:40]}'.")
        user_id = account.id
    record_ref: str | None = None
    if f.record_ref:
        ref = f.record_ref.strip()
        if not _REF.fullmatch(ref):
            raise ValidationError("A record reference filter looks like N-000123 or user:12 (at most 30 characters).")
        record_ref = ref.upper() if ref.upper().startswith("N-") else ref
    actions: tuple[Action, ...] = ()
    if f.actions:
        if len(f.actions) > 50:
            raise ValidationError("Filter on at most 50 actions at once.")
        known = {a.value for a in Action}
        unknown = [a for a in f.actions if a not in known]
        if unknown:
            raise ValidationError(f"Unknown action '{unknown[0][:40]}'.")
        actions = tuple(Action(a) for a in f.actions)
    outcome: Outcome | None = None
    if f.outcome:
        if f.outcome not in {o.value for o in Outcome}:
            raise ValidationError("An outcome is allowed, refused or failed.")
        outcome = Outcome(f.outcome)
    reason: ReasonCategory | None = None
    if f.reason_category:
        if f.reason_category not in {c.value for c in ReasonCategory}:
            raise ValidationError(f"Unknown reason category '{f.reason_category[:40]}'.")
        reason = ReasonCategory(f.reason_category)
    if f.since and f.until and f.until < f.since:
        raise ValidationError(f"The date range is reversed: {f.since} is after {f.until}.")
    return LogQuery(user_id=user_id, record_ref=record_ref, actions=actions, outcome=outcome, reason_category=reason,
                    since_utc=_day_start(f.since) if f.since else None,
                    before_utc=_day_start(f.until + timedelta(days=1)) if f.until else None)


class _Workflow:
    """What the log says of the workflow around a flags range: reviews under way per BCU, and who recommended,
    decided or approved what and when (read once, on the first read given a workflow reason)."""

    def __init__(self, store: Unit, since_utc: str) -> None:
        self._store = store
        self._spans: dict[str, list[tuple[str, str | None]]] = {}
        self.acts: dict[tuple[int | None, str | None], list[tuple[str, str]]] = {}
        for act in store.log.actions_since(REVIEW_ACTIONS + DECISION_ACTIONS, since_utc, refused_saying=(UNCORROBORATED,)):
            self.acts.setdefault((act.user_id, act.record_ref), []).append((act.at_utc, act.action))

    def review_under_way(self, bcu: str | None, at: str) -> tuple[bool, str]:
        """(whether a review of `bcu` was under way at `at`, until when it was)."""
        if bcu is None:
            return False, ""
        if bcu not in self._spans:
            self._spans[bcu] = self._store.reviews.open_spans(bcu)
        for opened, signed in self._spans[bcu]:
            if opened <= at and (signed is None or at <= signed):
                return True, signed or _NEVER
        return False, ""

    def acted(self, user_id: int | None, ref: str | None, actions: tuple[str, ...], since: str, until: str) -> bool:
        return any(since <= at <= until and action in actions for at, action in self.acts.get((user_id, ref), ()))


def _unlinked(workflow: Callable[[], _Workflow], read: RecordRead, moment: datetime) -> str | None:
    """Why a record opened or read without an operation reference deserves a look, or None when it does not.

    A reason of the matrix's own workflow stands in for an operation only when the log shows the workflow:
    for the quarterly review, a review of the user's BCU under way and their recommendation or decision on
    this record in it; for a proposal, the SPOC's decision on this record within DECISION_AFTER (or just
    before: the record view reads the record again after a decision). Choosing the category alone silences
    nothing.
    """
    try:
        reason = ReasonCategory(read.reason_category or "")
    except ValueError:
        return NO_OPERATION
    if not reason.workflow:
        return NO_OPERATION
    since = to_iso(moment - DECISION_BEFORE)
    if reason is ReasonCategory.QUARTERLY_REVIEW:
        under_way, until = workflow().review_under_way(read.bcu, read.at_utc)
        if not under_way:
            return f"given as the quarterly review, but no review of {read.bcu or 'their BCU'} was under way then"
        if workflow().acted(read.user_id, read.record_ref, REVIEW_ACTIONS, since, until):
            return None
        return "given as the quarterly review, but no recommendation or decision on this record followed in it"
    if read.role == Role.SPOC.value and workflow().acted(read.user_id, read.record_ref, DECISION_ACTIONS, since,
                                                         to_iso(moment + DECISION_AFTER)):
        return None
    return (f"given as a proposal decision, but the SPOC decided nothing on this record within "
            f"{DECISION_AFTER.days} days")


def _flags(store: Unit, span: tuple[str, str], burst_records: int) -> list[Flag]:
    """Every flag in the span [start, end), in log order."""
    removed = store.records.removal_dates()
    flags: list[Flag] = []
    windows: dict[str, list[tuple[datetime, str | None]]] = {}
    loaded: list[_Workflow] = []

    def workflow() -> _Workflow:
        if not loaded:
            loaded.append(_Workflow(store, to_iso(from_iso(span[0]) - DECISION_BEFORE)))
        return loaded[0]

    for read in store.log.record_reads(*span):
        seq, user, ref = read.seq, read.username, read.record_ref
        moment = from_iso(read.at_utc)
        if not read.operation_ref:
            unlinked = _unlinked(workflow, read, moment)
            if unlinked:
                flags.append(Flag("no_operation", seq, user, ref, unlinked))
        if read.action != Action.RECORD_OPEN.value:
            continue  # earlier versions read: the rules below are about opening records
        if ref is not None and ref in removed and removed[ref] >= read.at_utc:
            flags.append(Flag("removed_since", seq, user, ref, f"removed on {removed[ref][:10]}"))
        recent = windows.setdefault(user or "", [])
        recent.append((moment, ref))
        while recent and moment - recent[0][0] > BURST_WINDOW:
            recent.pop(0)
        distinct = {r for _t, r in recent}
        if len(distinct) == burst_records + 1:
            flags.append(Flag("burst", seq, user, ref, f"{len(distinct)} records in {BURST_WINDOW} up to here"))
    for refusal in store.log.outside_bcu_refusals(*span):
        flags.append(Flag("outside_bcu", refusal.seq, refusal.username, refusal.record_ref, refusal.detail))
    flags.sort(key=lambda fl: fl.seq)
    return flags


class LogQueryService:
    def __init__(self) -> None:
        # The questions each session has asked (and logged) so far: only their later pages are plain reads.
        self._asked: weakref.WeakKeyDictionary[Workspace, set[LogFilter]] = weakref.WeakKeyDictionary()

    def search(self, ws: Workspace, f: LogFilter, *, before_seq: int | None = None, limit: int = PAGE) -> LogPage:
        """One page of matching entries, newest first; keyset pagination stays fast at ten million entries.

        The first page logs the question (read and logged in one transaction); the pages after it
        log nothing again, so they are plain reads. A "later page" of a question this session never
        asked is a first page: otherwise a caller could page through the whole log unseen.
        """
        asked = self._asked.setdefault(ws, set())
        first = before_seq is None or f not in asked
        with ws.operation(Permission.ACCESS_LOG_READ, Action.LOG_SEARCH, writes=first) as op:
            if not 1 <= limit <= MAX_PAGE:
                raise ValidationError(f"Ask for 1 to {MAX_PAGE} entries at a time.")
            rows = op.store.log.search(to_query(op.store, f), limit + 1, before_seq=before_seq)
            if first:
                op.log(detail=f.describe())
        if first:
            asked.add(f)
        more = len(rows) > limit
        rows = rows[:limit]
        return LogPage(rows, rows[-1].seq if more else None)

    def flags(self, ws: Workspace, since: date, until: date, *, burst_records: int = BURST_RECORDS) -> list[Flag]:
        """Patterns worth an auditor's look in a date range (at most MAX_FLAGS, oldest first)."""
        with ws.operation(Permission.ACCESS_LOG_READ, Action.LOG_FLAGS) as op:
            if until < since:
                raise ValidationError(f"The date range is reversed: {since} is after {until}.")
            if (until - since).days > 366:
                raise ValidationError("Look for flags over at most a year at a time.")
            # Read and logged in one transaction, like every other look at the log.
            flags = _flags(op.store, (_day_start(since), _day_start(until + timedelta(days=1))), burst_records)
            op.log(detail=f"{since}..{until}: {len(flags)} flags")
        return flags[:MAX_FLAGS]
