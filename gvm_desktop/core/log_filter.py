"""What an auditor asks of the access log: a filter and its checked form, and the flags with what they read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gvm_desktop.core.audit import Action, LoggedEntry, Outcome
from gvm_desktop.core.justification import ReasonCategory

BURST_RECORDS = 20  # distinct records opened by one user...
BURST_WINDOW = timedelta(minutes=60)  # ...inside this long


@dataclass(frozen=True)
class LogFilter:
    """A filter as typed by the auditor: checked by the service (services/log_queries.py) before any search."""

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
class LogQuery:
    """A LogFilter once checked: every value known good and the username resolved to its account.

    This is what the store searches (store/access_log.py turns it into SQL with bound
    parameters and picks the index); an empty query matches every entry.
    """

    user_id: int | None = None
    record_ref: str | None = None
    actions: tuple[Action, ...] = ()
    outcome: Outcome | None = None
    reason_category: ReasonCategory | None = None
    since_utc: str | None = None
    before_utc: str | None = None  # exclusive: the start of the day after the filter's last


@dataclass(frozen=True)
class Flag:
    kind: str  # no_operation | burst | outside_bcu | removed_since
    seq: int
    username: str | None
    record_ref: str | None
    detail: str


FLAG_LABELS = {
    # Opened or read for a reason that would normally have an operation: the quarterly review and a SPOC's
    # decision on a proposal are the workflow's own references (services/log_queries.py, _unlinked).
    "no_operation": "Record opened with no linked operation",
    "burst": f"More than {BURST_RECORDS} records opened within {int(BURST_WINDOW.total_seconds() // 60)} minutes",
    "outside_bcu": "Access outside the user's BCU attempted",
    "removed_since": "Record opened of a person since removed",
}


@dataclass(frozen=True)
class RecordRead:
    """An allowed record open or history read, as the flags look at it."""

    seq: int
    at_utc: str
    username: str | None
    record_ref: str | None
    operation_ref: str | None
    action: str
    reason_category: str | None
    user_id: int | None
    role: str | None
    bcu: str | None


@dataclass(frozen=True)
class BcuRefusal:
    """A refused attempt at another BCU's record."""

    seq: int
    username: str | None
    record_ref: str | None
    detail: str


@dataclass(frozen=True)
class WorkflowAct:
    """A step of the matrix's workflow someone took on a record (a review recommendation, a decision...)."""

    user_id: int | None
    record_ref: str | None
    action: str
    at_utc: str


@dataclass(frozen=True)
class LogPage:
    """One page of the entries a filter matches, newest first."""

    entries: list[LoggedEntry]
    next_before: int | None  # pass as `before_seq` for the next (older) page; None at the end
