"""Flags: patterns in a date range worth an auditor's look, each one a way into the log.

The service finds them (records opened or read with no operation, unless for a
quarterly review under way or a proposal the SPOC then decided; bursts, attempts
outside a BCU, records of people since removed); a double-click (or Enter, or
the button) shows the entry behind a flag in the Access log tab.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.log_filter import FLAG_LABELS, Flag
from gvm_desktop.gui.common.form_fields import date_box, to_qdate
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ErrorLabel, ReadOnlyTable, field_label, heading, note

if TYPE_CHECKING:
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Result



class FlagsTableModel(RowTableModel[Flag]):
    columns = (
        Column[Flag]("Flag", lambda f: FLAG_LABELS.get(f.kind, f.kind)),
        Column[Flag]("Entry", lambda f: str(f.seq), lambda f: f.seq, numeric=True),
        Column[Flag]("User", lambda f: f.username or "-"),
        Column[Flag]("Record", lambda f: f.record_ref or "-"),
        Column[Flag]("Detail", lambda f: f.detail, stretch=True),
    )


class FlagsTable(ReadOnlyTable):
    """Enter on a row does what a double-click does: show its entry."""

    activated_row = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class FlagsPanel(QWidget):
    jump_requested = Signal(int, object, object)  # entry seq, record ref or None, username or None

    def __init__(self, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        today = self.ops.clock.now().date()
        self.since = date_box(self, today, empty=False, name="Flags from")
        self.since.setDate(to_qdate(today.replace(day=1)))  # the current month, as the monthly audit shows it
        self.until = date_box(self, today, empty=False, name="Flags to")
        self.find_button = QPushButton("Fi&nd flags", self)
        self.show_button = QPushButton("Sho&w in log", self)
        self.model = FlagsTableModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = FlagsTable(self.proxy, self)
        self.table.setObjectName("flagsTable")
        self.table.setAccessibleName("Flags")
        self.summary = note("", self)
        self.error_label = ErrorLabel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(heading("Flags", self, level=2))
        layout.addWidget(note("Patterns worth a look in a date range (at most a year): "
                              + "; ".join(FLAG_LABELS.values()) + ". A record opened for the quarterly review, or by "
                              "the SPOC to decide a proposal, is flagged only when no review was under way or no "
                              "decision followed. Double-click a flag to see its entry.", self))
        row = QHBoxLayout()
        self.date_labels = [field_label(text, box, self) for text, box in (("Fro&m", self.since), ("&To", self.until))]
        for label, box in zip(self.date_labels, (self.since, self.until), strict=True):
            row.addWidget(label)
            row.addWidget(box)
        row.addWidget(self.find_button)
        row.addStretch(1)
        row.addWidget(self.show_button)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)

        self.find_button.clicked.connect(self.find_flags)
        self.table.doubleClicked.connect(self._jump)
        self.table.activated_row.connect(self._jump)
        self.show_button.clicked.connect(lambda: self._jump(self.table.currentIndex()))
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def find_flags(self) -> None:
        since: date = self.since.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
        until: date = self.until.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
        self.ops.run(lambda s, ws: s.log.flags(ws, since, until), errors=self.error_label,
                     finished=lambda result: self._show(result, since, until), owner=self)

    def _show(self, result: Result[list[Flag]], since: date, until: date) -> None:
        flags = result.value if result.ok else None
        if flags is None:
            self.model.clear()
            self.summary.clear()
            return
        self.model.set_rows(flags)
        self.table.resizeColumnsToContents()
        count = len(flags)
        self.summary.setText(f"{count} flag{'s' if count != 1 else ''} from {since} to {until}."
                             if count else f"No flags from {since} to {until}.")

    def flag_at(self, view_row: int) -> Flag | None:
        source = self.proxy.mapToSource(self.proxy.index(view_row, 0))
        return self.model.row_at(source.row()) if source.isValid() else None

    def _jump(self, index: QModelIndex) -> None:
        flag = self.flag_at(index.row()) if index.isValid() else None
        if flag is not None:
            self.jump_requested.emit(flag.seq, flag.record_ref, flag.username)

    def _update_buttons(self) -> None:
        self.show_button.setEnabled(self.table.currentIndex().isValid())

    def wipe(self) -> None:
        self.model.clear()
        self.summary.clear()
