"""The matrix table: a model over the ids of a service view, rows fetched lazily a page at a time.

Anki's browser pattern. `matrix.view()` returns the columns this role may see
and the ids in order (cheap, even at 100,000 people); `matrix.rows()` turns a
page of ids into rows, and each call is logged, so only the pages a person
scrolls to are ever read. Sorting and searching never reorder rows in memory:
the proxy asks the service for a new view, and the model starts again from ids.

Both go through the session's operations, off the GUI thread. `data()` never
calls a service: it shows what is cached (an empty cell while a row's page is on
its way) and notes the missing page, which is asked for once control is back in
the event loop; when the page arrives the model says so with `dataChanged`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QIdentityProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from gvm_desktop.core.records import COLUMN_LABELS, SORTABLE, MatrixRow
from gvm_desktop.gui.common.palette import LiveColours, band_pair

if TYPE_CHECKING:
    from gvm_desktop.core.records import MatrixView
    from gvm_desktop.gui.common.operations import Result, SessionOps
    from gvm_desktop.gui.common.widgets import ErrorLabel

AnyIndex = QModelIndex | QPersistentModelIndex

BATCH_SIZE = 150  # rows per service call: a screenful or three, far under the service's 1,000 cap
REF_ROLE = Qt.ItemDataRole.UserRole + 10  # the row's record reference (None if the role cannot see it)
BAND_ROLE = Qt.ItemDataRole.UserRole + 11  # "Red"/"Amber"/"Green" for band columns

BAND_COLUMNS = frozenset({"harm_band", "victim_band"})
NUMBER_COLUMNS = frozenset({"age", "harm_score", "victim_score"})
# Text beside the colour, always: a band is never shown by colour alone.
# Each band's cell and its text, for the palette in use (light or dark).
BAND_COLOURS = LiveColours({band: band_pair(band) for band in ("Red", "Amber", "Green")})
BAND_TEXT_COLOURS = LiveColours({band: band_pair(band) for band in ("Red", "Amber", "Green")}, text=True)
# A band sorts by the score it comes from; the service sorts by scores, not by band names.
SORT_KEYS = {"harm_band": "harm_score", "victim_band": "victim_score"}
GONE_TEXT = "(no longer listed)"


def cell_text(key: str, value: object) -> str:
    """How one value reads in the table."""
    if value is None:
        return ""
    if key == "in_custody":
        return "Yes" if value else "No"
    if key == "last_reviewed":
        return str(value) or "not yet"
    if key in ("status", "classification"):
        text = str(value)
        return text[:1].upper() + text[1:]
    return str(value)


class MatrixTableModel(QAbstractTableModel):
    """Holds one view's ids and a cache of the pages already fetched; nothing else."""

    # A new view arrived (or the model was cleared): the panel updates its count and header.
    view_changed = Signal()

    def __init__(self, ops: SessionOps, errors: ErrorLabel, parent: QObject | None = None, *,
                 batch_size: int = BATCH_SIZE, default_sort: str = "name") -> None:
        super().__init__(parent)
        self._ops = ops
        self._errors = errors  # where a refusal is said (the page's error line)
        self._batch = batch_size
        self._view: MatrixView | None = None
        self._pages: dict[int, dict[int, MatrixRow]] = {}  # arrived, by page number
        self._asked: set[int] = set()  # pages asked for (on their way, arrived or refused): never asked twice
        self._wanted: set[int] = set()  # pages data() found missing, asked for on the next turn of the event loop
        self._generation = 0  # a new view or a wipe makes the answers still on their way stale
        self.query = ""
        self.sort_key = default_sort
        self.sort_column_key = default_sort  # the column clicked for that order (a band sorts by its score)
        self.descending = False

    # -- asking the service -----------------------------------------------------

    def load(self, *, query: str | None = None, sort_key: str | None = None, descending: bool | None = None,
             automatic: bool = False, then: Callable[[bool], None] | None = None) -> None:
        """Ask for a new view (ids only) with this search and order; `then(ok)` runs when it is answered.

        `automatic`: the list shown by itself as the home opens, not asked for by the user (the service
        logs it, and the rows of its first page, as such).
        On a refusal the table is emptied rather than left showing the previous answer.
        """
        query = self.query if query is None else query
        sort_key = self.sort_key if sort_key is None else sort_key
        descending = self.descending if descending is None else descending
        searched = query.strip() or None
        # Counted when asked, not when answered: of two requests still on their way only the newer may land.
        self._generation += 1
        generation = self._generation

        def answered(result: Result[MatrixView]) -> None:
            if generation != self._generation:  # wiped meanwhile
                return
            if result.ok and result.value is not None:
                self._show_view(result.value, query, sort_key, descending)
            else:
                self.clear()
            if then is not None:
                then(result.ok)

        self._ops.run(lambda s, ws: s.matrix.view(ws, query=searched, sort=sort_key, descending=descending,
                                                  automatic=automatic),
                      errors=self._errors, finished=answered, owner=self)

    @property
    def partner_until(self) -> date | None:
        """A partner's preview: the last day its agreement is in force (None for any other list)."""
        return self._view.partner_until if self._view is not None else None

    def _show_view(self, view: MatrixView, query: str, sort_key: str, descending: bool) -> None:
        self.beginResetModel()
        self._generation += 1
        self._view, self._pages, self._asked, self._wanted = view, {}, set(), set()
        self.query, self.sort_key, self.descending = query, sort_key, descending
        self.endResetModel()
        self.view_changed.emit()

    def clear(self) -> None:
        """Forget the view, every fetched row and the search text (the lock calls this)."""
        self.beginResetModel()
        self._generation += 1
        self._view, self._pages, self._asked, self._wanted, self.query = None, {}, set(), set(), ""
        self.endResetModel()
        self.view_changed.emit()

    def _want(self, page: int) -> None:
        """Note a missing page; called from data(), which must not start calls while the view paints."""
        if page in self._asked or page in self._wanted:
            return
        if not self._wanted:
            QTimer.singleShot(0, self, self._ask_wanted)
        self._wanted.add(page)

    def _ask_wanted(self) -> None:
        view, generation = self._view, self._generation
        wanted, self._wanted = sorted(self._wanted), set()
        if view is None:
            return
        for page in wanted:
            self._asked.add(page)
            self._ask_page(view, generation, page)

    def _ask_page(self, view: MatrixView, generation: int, page: int) -> None:
        ids = view.ids[page * self._batch:(page + 1) * self._batch]

        def arrived(rows: list[MatrixRow]) -> None:
            self._page_arrived(generation, page, rows)

        self._ops.run(lambda s, ws: s.matrix.rows(ws, view, ids), done=arrived, failed=self._errors.show_error,
                      owner=self)

    def _page_arrived(self, generation: int, page: int, rows: Sequence[MatrixRow]) -> None:
        if generation != self._generation or self._view is None:
            return
        self._pages[page] = {row.nominal_id: row for row in rows}
        first = page * self._batch
        last = min(first + self._batch, len(self._view.ids)) - 1
        if last >= first and self.columnCount():
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def _cached(self, row: int) -> tuple[bool, MatrixRow | None]:
        """(arrived, the row): arrived False while its page is on its way (and then asked for)."""
        if self._view is None or not 0 <= row < len(self._view.ids):
            return True, None
        page = self._pages.get(row // self._batch)
        if page is None:
            self._want(row // self._batch)
            return False, None
        return True, page.get(self._view.ids[row])

    def row_values(self, row: int) -> dict[str, object] | None:
        """The row's values if its page is in; None while it is on its way, or if the person left the list."""
        _arrived, found = self._cached(row)
        return None if found is None else found.values

    # -- what the panel asks ----------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...]:
        return self._view.columns if self._view else ()

    @property
    def fetched_pages(self) -> tuple[int, ...]:
        """The pages asked for so far (on their way, arrived or refused)."""
        return tuple(sorted(self._asked))

    @property
    def batch_size(self) -> int:
        return self._batch

    @property
    def has_view(self) -> bool:
        return self._view is not None

    def ref_at(self, row: int) -> str | None:
        values = self.row_values(row)
        ref = values.get("ref") if values else None
        return str(ref) if ref else None

    def sort_key_of(self, column: int) -> str | None:
        """The service's sort key for a column, or None if this view cannot be sorted by it."""
        if not 0 <= column < len(self.columns):
            return None
        key = SORT_KEYS.get(self.columns[column], self.columns[column])
        # The service sorts a partner's preview only by its own columns, an auditor's by ref or status.
        return key if key in SORTABLE and key in self.columns else None

    def sort_column(self) -> int:
        """The column showing the current order, or -1 (for instance, a preview sorted by a hidden ref).

        A band column clicked keeps the indicator, though the service sorted by its score.
        """
        if self.sort_column_key in self.columns and self.sort_key_of(self.columns.index(self.sort_column_key)) \
                == self.sort_key:
            return self.columns.index(self.sort_column_key)
        return self.columns.index(self.sort_key) if self.sort_key in self.columns else -1

    # -- QAbstractTableModel ----------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() or self._view is None else len(self._view.ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() >= len(self.columns):
            return None
        key = self.columns[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:  # answered without fetching anything
            if key in NUMBER_COLUMNS:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole,
                        Qt.ItemDataRole.ForegroundRole, REF_ROLE, BAND_ROLE):
            return None
        arrived, found = self._cached(index.row())
        if found is None:
            gone = arrived and role == Qt.ItemDataRole.DisplayRole and index.column() == 0
            return GONE_TEXT if gone else None  # on its way: an empty cell until dataChanged
        values = found.values
        value = values.get(key)
        if role == REF_ROLE:
            return values.get("ref")
        if key in BAND_COLUMNS:
            if role == BAND_ROLE:
                return value
            if role == Qt.ItemDataRole.BackgroundRole:
                return BAND_COLOURS.get(str(value))
            if role == Qt.ItemDataRole.ForegroundRole:
                return BAND_TEXT_COLOURS.get(str(value))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cell_text(key, value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        key = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMN_LABELS.get(key, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key in BAND_COLUMNS:
                return "Red, Amber or Green from the score; sorting by it sorts by the score"
            return None if self.sort_key_of(section) else "This list cannot be sorted by this column"
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # No ItemIsDragEnabled: rows cannot be dragged out into another application.
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class MatrixQueryProxy(QIdentityProxyModel):
    """What views sort and filter through: both re-query the service instead of reordering in memory.

    A QSortFilterProxyModel would need every row in memory to sort them; at 100,000
    people the database's index does it, and only ids come back.
    """

    # The order actually in force after a header click (column -1: none shown); the view follows it.
    order_changed = Signal(int, Qt.SortOrder)

    def __init__(self, source: MatrixTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self._source = source

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self._source.sort_key_of(column)
        descending = order == Qt.SortOrder.DescendingOrder
        if key is not None and (key, descending) != (self._source.sort_key, self._source.descending):
            clicked = self._source.columns[column]

            def answered(ok: bool) -> None:
                if ok:
                    self._source.sort_column_key = clicked
                self._show_order()

            self._source.load(sort_key=key, descending=descending, then=answered)
            return
        if key is not None:
            self._source.sort_column_key = self._source.columns[column]
        self._show_order()  # refused or unchanged: the header shows the order really in force

    def _show_order(self) -> None:
        self.order_changed.emit(self._source.sort_column(), self.sort_order())

    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._source.descending else Qt.SortOrder.AscendingOrder

    def set_search(self, text: str) -> None:
        """Filter by a name or alias prefix (the service folds case and accents)."""
        if text.strip() != self._source.query.strip():
            self._source.load(query=text)
