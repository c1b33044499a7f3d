"""The matrix table on a page: search as you type, sort by header, open a row (after saying why).

One panel for every role that sees a list; what differs is decided by the role:
officers and SPOCs search, open and may copy a reference; auditors see references
and open them; partners see their agreement's columns, open nothing and copy nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.labels import people_text
from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import COLUMN_LABELS
from gvm_desktop.gui.common.clipboard import SecureClipboard
from gvm_desktop.gui.common.form_fields import limit_line
from gvm_desktop.gui.common.widgets import StretchColumn, is_copy_key, note
from gvm_desktop.gui.matrix.matrix_model import REF_ROLE, MatrixQueryProxy, MatrixTableModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from gvm_desktop.gui.common.operations import SessionOps
    from gvm_desktop.gui.common.widgets import ErrorLabel

SEARCH_DELAY_MS = 150  # typing pauses this long before the service is asked (each ask is logged)
# A typical wide value per column: columns are sized from these, never by reading every row.
_SAMPLES = {"ref": "N-000000", "name": "Anne-Marie Cinderbrookes", "age": "100", "borough": "Tower Hamlets",
            "status": "Proposed", "classification": "Offender and victim", "harm_score": "100", "harm_band": "Amber",
            "victim_score": "100", "victim_band": "Amber", "in_custody": "Yes", "last_reviewed": "2026-12-31",
            "bcu": "CE"}
# Which column takes a wide window's spare room: the first of these a role's list has.
STRETCH_ORDER = ("name", "classification", "borough", "status", "ref")


class MatrixTable(QTableView):
    """Rows of the matrix: Enter or a double-click asks to open one; Ctrl+C copies a reference or nothing."""

    open_requested = Signal(int)  # a row of the model

    def __init__(self, proxy: MatrixQueryProxy, parent: QWidget | None, *, can_open: bool,
                 clipboard: SecureClipboard | None) -> None:
        super().__init__(parent)
        self._can_open = can_open
        self._clipboard = clipboard
        self.filler: StretchColumn | None = None
        self.setModel(proxy)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(False)  # the arrows move between rows; Tab leaves the table
        self.setDragEnabled(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        # Fixed row height: the view never asks each row for its size (that would fetch every page).
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Not stretched: a band colour across the rest of the window reads as a bar chart.
        self.horizontalHeader().setStretchLastSection(False)
        self.horizontalHeader().setSectionsClickable(True)
        if clipboard is None:
            self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        self.setSortingEnabled(True)
        self.doubleClicked.connect(self._double_clicked)

    def _double_clicked(self, index: QModelIndex) -> None:
        if self._can_open and index.isValid():
            self.open_requested.emit(index.row())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_copy_key(event):
            # Qt's own Ctrl+C would copy the cell (a name, say); only a reference may leave, and not for long.
            ref = self.currentIndex().data(REF_ROLE) if self.currentIndex().isValid() else None
            if self._clipboard is not None and ref:
                self._clipboard.copy(str(ref))
            event.accept()
            return
        if self._can_open and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex().row())
            event.accept()
            return
        super().keyPressEvent(event)

    def size_columns(self, columns: tuple[str, ...]) -> None:
        metrics = self.fontMetrics()
        header_metrics = self.horizontalHeader().fontMetrics()
        widths = []
        for i, key in enumerate(columns):
            title = header_metrics.horizontalAdvance(COLUMN_LABELS.get(key, key)) + 30  # room for the sort arrow
            widths.append(max(title, metrics.horizontalAdvance(_SAMPLES.get(key, "M" * 8)) + 16))
            self.setColumnWidth(i, widths[-1])
        # The name (or, where a role sees none, the widest words) takes the spare width: never a band's colour.
        stretch = next((columns.index(k) for k in STRETCH_ORDER if k in columns), len(columns) - 1)
        if self.filler is None:
            self.filler = StretchColumn(self, stretch)
        self.filler.move_to(stretch, widths[stretch])


class MatrixPanel(QWidget):
    open_requested = Signal(str)  # a record reference, to open behind a justification

    def __init__(self, ops: SessionOps, errors: ErrorLabel, parent: QWidget | None = None, *,
                 batch_size: int | None = None) -> None:
        """`errors`: the page's error line, where a refusal of the list is said."""
        super().__init__(parent)
        self._wiped = False
        role = ops.session.role
        self.role = role
        self.can_open = role in (Role.OFFICER, Role.SPOC, Role.AUDITOR)
        # Auditors list references only; the service takes no search for them.
        self.can_search = role in (Role.OFFICER, Role.SPOC, Role.PARTNER)
        kwargs = {"batch_size": batch_size} if batch_size else {}
        self.model = MatrixTableModel(ops, errors, self, default_sort="ref" if role is Role.AUDITOR else "name",
                                      **kwargs)
        self.proxy = MatrixQueryProxy(self.model, self)
        self.clipboard = SecureClipboard(self) if self.can_open else None
        self.table = MatrixTable(self.proxy, self, can_open=self.can_open, clipboard=self.clipboard)
        self.table.setObjectName("matrixTable")
        self.table.setAccessibleName("Matrix")
        self.summary = note("", self)
        self.summary.setObjectName("matrixSummary")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(self)
        self.search.setObjectName("matrixSearch")
        self.search.setAccessibleName("Search names and aliases")
        self.search.setPlaceholderText("Start of a name or alias; the list follows as you type")
        self.search.setClearButtonEnabled(True)
        search_row = QHBoxLayout()
        self.search_label = QLabel("Se&arch", self)
        self.search_label.setBuddy(self.search)
        search_row.addWidget(self.search_label)
        search_row.addWidget(self.search, 1)
        search_row.addStretch(0)  # keeps the count on the right when the search box is hidden
        search_row.addWidget(self.summary)
        layout.addLayout(search_row)
        layout.addWidget(self.table, 1)
        self._show_search(self.can_search)

        self.ref_edit = QLineEdit(self)
        self.ref_edit.setObjectName("openByRef")
        self.ref_edit.setAccessibleName("Open by reference")
        self.ref_edit.setPlaceholderText("N-000123")
        limit_line(self.ref_edit, 20)
        self.open_button = QPushButton("&Open record…", self)
        self.open_button.setEnabled(False)
        if self.can_open:
            open_row = QHBoxLayout()
            ref_label = QLabel("Open &by reference", self)
            ref_label.setBuddy(self.ref_edit)
            open_row.addWidget(self.open_button)
            open_row.addSpacing(24)
            open_row.addWidget(ref_label)
            open_row.addWidget(self.ref_edit)
            open_row.addStretch(1)
            layout.addLayout(open_row)
        else:
            self.ref_edit.hide()
            self.open_button.hide()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._search_entered)
        self.model.view_changed.connect(self._view_changed)
        self.proxy.order_changed.connect(self._show_order)
        self.table.open_requested.connect(self._open_row)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.open_button.clicked.connect(self.open_selected)
        self.ref_edit.returnPressed.connect(self._open_typed)
        self.setTabOrder(self.search, self.table)
        self.setTabOrder(self.table, self.open_button)
        self.setTabOrder(self.open_button, self.ref_edit)

    # -- loading ----------------------------------------------------------------

    def load(self, *, automatic: bool = False, then: Callable[[bool], None] | None = None) -> None:
        """Ask the service for the list as it stands (keeping the search and order); `then(ok)` once answered.

        `automatic`: the first listing of a home just opened, which the user did not ask for.
        """
        if not self._wiped:
            self.model.load(automatic=automatic, then=then)

    def apply_search(self) -> None:
        self._debounce.stop()
        if self._wiped:
            return
        self.proxy.set_search(self.search.text())

    def _search_entered(self) -> None:
        """Enter in the search box: search now, and go to the first row once the answer is in."""
        self._debounce.stop()
        text = self.search.text()
        if self._wiped:
            return
        if text.strip() == self.model.query.strip():
            self._to_first_row(True)
        else:
            self.model.load(query=text, then=self._to_first_row)

    def _to_first_row(self, ok: bool) -> None:
        if ok and self.proxy.rowCount() > 0:
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.table.selectRow(0)

    def _show_search(self, shown: bool) -> None:
        self.search_label.setVisible(shown)
        self.search.setVisible(shown)
        self.search.setEnabled(shown)

    def focus_search(self) -> None:
        target = self.search if self.search.isEnabled() else self.table
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if target is self.search:
            self.search.selectAll()

    def _view_changed(self) -> None:
        columns = self.model.columns
        if columns:
            self.table.size_columns(columns)
        self._show_order(self.model.sort_column(), self.proxy.sort_order())
        count = self.model.rowCount()
        if not columns:
            self.summary.setText("")
        elif self.model.query.strip():
            self.summary.setText(f"{count:,} match{'' if count == 1 else 'es'}" if count else "No one matches")
        else:
            self.summary.setText(people_text(count))
        if self.role is Role.PARTNER:
            # A preview without names cannot be searched by name (the service would return nobody).
            self._show_search("name" in columns)
        self._selection_changed()

    def _show_order(self, column: int, order: Qt.SortOrder) -> None:
        header = self.table.horizontalHeader()
        header.blockSignals(True)  # showing the order must not ask for it again
        header.setSortIndicator(column, order)
        header.blockSignals(False)
        header.viewport().update()

    # -- opening ----------------------------------------------------------------

    def _selection_changed(self) -> None:
        self.open_button.setEnabled(self.can_open and self.table.selectionModel().hasSelection())

    def _open_row(self, row: int) -> None:
        ref = self.model.ref_at(row)
        if ref:
            self.open_requested.emit(ref)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_row(rows[0].row())

    def _open_typed(self) -> None:
        ref = self.ref_edit.text().strip().upper()
        if ref:
            self.open_requested.emit(ref)

    def wipe(self) -> None:
        """Empty the table, the search text (a typed name is personal data) and our clipboard copy.

        After this the panel asks the service nothing more: it is about to be deleted.
        """
        self._wiped = True
        self.search.clear()
        self.ref_edit.clear()
        self._debounce.stop()
        self.model.clear()
        if self.clipboard is not None:
            self.clipboard.clear()
