"""The auditor's access-log table: entries fetched a page at a time, only as far as someone scrolls.

The service pages by key (`before_seq`), newest first, so the cost of a page does
not grow with the log: at ten million entries the first screen is one query and
scrolling to the bottom asks for the next page through Qt's canFetchMore/fetchMore.
Nothing here ever reads the whole log.

Times show in the workstation's local time with its zone; the UTC the log records is in
each time's tooltip and in the entry's details.

There is no sort proxy on purpose: sorting would reorder only the pages fetched so
far and pass that off as the whole log. The order is the log's own (newest first);
the filters narrow it, in the database.

Every page is asked for through the session's operations, off the GUI thread:
fetchMore() only queues the question, and the rows are inserted when it is answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from gvm_desktop.core.audit import LoggedEntry, Outcome
from gvm_desktop.core.labels import ROLE_LABELS, action_label, outcome_label, reason_label, role_label
from gvm_desktop.core.local_time import local_text, utc_text
from gvm_desktop.core.log_filter import LogFilter, LogPage
from gvm_desktop.gui.common.palette import LiveColours, Pair, Scheme
from gvm_desktop.gui.common.table_models import SORT_ROLE

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import Result, SessionOps
    from gvm_desktop.gui.common.widgets import ErrorLabel

AnyIndex = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 200  # entries per service call: several screens, far under the service's 1,000 cap

# (key, title, a typical wide value: columns are sized from these, never by reading rows)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("seq", "Seq", "10000000"),
    ("at_utc", "Time (local)", "29 Nov 2026 22:30 GMT+10"),
    ("user", "User", "firstname.lastname"),
    ("role", "Role", max(ROLE_LABELS.values(), key=len)),
    ("bcu", "BCU", "BCU"),
    ("action", "Action", "matrix.status_check"),
    ("record_ref", "Record ref", "N-000000"),
    ("reason", "Reason", "Intelligence development: a reason"),
    ("outcome", "Outcome", "refused"),
    ("detail", "Detail", "a detail of some length goes here"),
)
COLUMN_KEYS = tuple(key for key, _title, _sample in COLUMNS)

# A refused or failed entry is tinted; its Outcome column says the same in words (never colour alone).
# A refused or failed entry's row and its text, for the palette in use (light or dark).
_TINTED: dict[Outcome, Callable[[Scheme], Pair]] = {Outcome.REFUSED: lambda s: s.refused,
                                                     Outcome.FAILED: lambda s: s.failed}
OUTCOME_TINTS = LiveColours(_TINTED)
TINT_TEXTS = LiveColours(_TINTED, text=True)


def when_text(at_utc: str) -> str:
    """'2026-11-02T09:00:00Z' reads as '2 Nov 2026 09:00 GMT': the workstation's time, its zone named."""
    return local_text(at_utc)


def cell_text(item: LoggedEntry, key: str) -> str:
    e = item.entry
    if key == "seq":
        return str(item.seq)
    if key == "at_utc":
        return when_text(e.at_utc)
    if key == "user":
        return e.username or "-"
    if key == "role":
        return role_label(e.role)
    if key == "bcu":
        return e.bcu or ""
    if key == "action":
        return action_label(e.action.value)
    if key == "record_ref":
        return e.record_ref or ""
    if key == "reason":
        label = reason_label(e.reason_category, missing="")
        return f"{label}: {e.justification}" if label and e.justification else label or (e.justification or "")
    if key == "outcome":
        return outcome_label(e.outcome)
    if key == "detail":
        return e.detail or ""
    return ""


class LogTableModel(QAbstractTableModel):
    """The entries fetched so far for one filter, newest first, and the key of the next page."""

    # New results (or none): the panel updates its summary line.
    changed = Signal()

    def __init__(self, ops: SessionOps, errors: ErrorLabel, parent: QObject | None = None, *,
                 page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._ops = ops
        self._errors = errors  # where a refused older page is said
        self.page_size = page_size
        self._entries: list[LoggedEntry] = []
        self._next_before: int | None = None
        self._fetching = False  # an older page is on its way: it is not asked for twice
        self._generation = 0  # a new filter or a wipe makes the answers still on their way stale
        self.filter: LogFilter | None = None  # the filter these rows answer; None before the first load
        self.pages_fetched = 0

    # -- asking the service -----------------------------------------------------

    def load(self, log_filter: LogFilter, *, errors: ErrorLabel, then: Callable[[bool], None] | None = None) -> None:
        """Ask for the first page for this filter; `then(ok)` once answered. A refusal (an invalid filter)
        is said in `errors` after the table is emptied: rows that answer another filter must not stand beside it."""
        # Counted when asked, not when answered: of two requests still on their way only the newer may land.
        self._generation += 1
        generation = self._generation
        size = self.page_size

        def answered(result: Result[LogPage]) -> None:
            if generation != self._generation:
                return
            if result.ok and result.value is not None:
                self._show_first(result.value, log_filter)
            else:
                self.clear()
            if then is not None:
                then(result.ok)

        self._ops.run(lambda s, ws: s.log.search(ws, log_filter, limit=size), errors=errors, finished=answered,
                      owner=self)

    def _show_first(self, page: LogPage, log_filter: LogFilter) -> None:
        self.beginResetModel()
        self._generation += 1
        self._entries = list(page.entries)
        self._next_before = page.next_before
        self._fetching = False
        self.filter = log_filter
        self.pages_fetched = 1
        self.endResetModel()
        self.changed.emit()

    def clear(self) -> None:
        """Forget every fetched entry and the filter (the lock calls this)."""
        self.beginResetModel()
        self._generation += 1
        self._entries, self._next_before, self.filter, self.pages_fetched = [], None, None, 0
        self._fetching = False
        self.endResetModel()
        self.changed.emit()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return (not parent.isValid() and self._next_before is not None and self.filter is not None
                and not self._fetching)

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008 - Qt's signature
        self.fetch_older(parent)

    def fetch_older(self, parent: AnyIndex = QModelIndex(), then: Callable[[bool], None] | None = None) -> bool:  # noqa: B008
        """Ask for the next (older) page; False if there is none to ask for. Qt calls this through fetchMore
        (from a paint, even), so it only queues the question; `then(ok)` runs once it is answered."""
        if not self.canFetchMore(parent):
            return False
        log_filter, before, size, generation = self.filter, self._next_before, self.page_size, self._generation
        assert log_filter is not None
        self._fetching = True

        def answered(result: Result[LogPage]) -> None:
            if generation != self._generation:
                return
            self._fetching = False
            if result.ok and result.value is not None:
                self._append(result.value)
            else:
                self._next_before = None  # a failing page is not asked for again on every scroll
            if then is not None:
                then(result.ok)

        self._ops.run(lambda s, ws: s.log.search(ws, log_filter, before_seq=before, limit=size),
                      failed=self._errors.show_error, finished=answered, owner=self)
        return True

    def _append(self, page: LogPage) -> None:
        self.pages_fetched += 1
        self._next_before = page.next_before
        if page.entries:
            first = len(self._entries)
            self.beginInsertRows(QModelIndex(), first, first + len(page.entries) - 1)
            self._entries.extend(page.entries)
            self.endInsertRows()
        self.changed.emit()

    # -- what the panel asks ----------------------------------------------------

    @property
    def complete(self) -> bool:
        """True once the last page is in (every matching entry is a row)."""
        return self.filter is not None and self._next_before is None

    def entry_at(self, row: int) -> LoggedEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of_seq(self, seq: int) -> int | None:
        """The row holding entry `seq`, among the rows fetched so far."""
        return next((row for row, item in enumerate(self._entries) if item.seq == seq), None)

    # -- QAbstractTableModel ----------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() >= len(COLUMNS) or index.row() >= len(self._entries):
            return None
        item = self._entries[index.row()]
        key = COLUMN_KEYS[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and key == "at_utc":
            return utc_text(item.entry.at_utc)  # the log's own record, which an auditor quotes
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cell_text(item, key)
        if role == SORT_ROLE:
            # The log's order, never the local text's: a clock put back in autumn shows 01:30 twice.
            return item.seq if key == "seq" else item.entry.at_utc if key == "at_utc" else cell_text(item, key)
        tint = OUTCOME_TINTS.get(item.entry.outcome)
        if role == Qt.ItemDataRole.BackgroundRole:
            return tint
        if role == Qt.ItemDataRole.ForegroundRole and tint is not None:
            return TINT_TEXTS[item.entry.outcome]
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "seq":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
