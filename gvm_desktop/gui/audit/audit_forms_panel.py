"""Audit forms: the ones issued (from a record.open entry in the Access log tab) and their answers.

An answer arrives on paper or by mail; the auditor records it here, once. The
service refuses a second answer, and both the issuing and the answer are logged.
Issuing a form or recording an answer announces Change.AUDIT_FORMS: the list is read again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.audit_forms import AuditForm
from gvm_desktop.gui.common.dialogs import NoteDialog
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model, time_column
from gvm_desktop.gui.common.widgets import ErrorLabel, ReadOnlyTable, heading, note

if TYPE_CHECKING:
    from gvm_desktop.gui.common.home_base import HomePage

MIN_ANSWER = 10  # characters: "see op X" is not yet an answer worth recording


def first_line(text: str | None, limit: int = 80) -> str:
    """The start of an answer for its table cell; the whole answer shows below the table."""
    lines = (text or "").strip().splitlines()
    if not lines:
        return ""
    return lines[0] if len(lines) == 1 and len(lines[0]) <= limit else lines[0][:limit].rstrip() + "…"


class AuditFormsTableModel(RowTableModel[AuditForm]):
    columns = (
        Column[AuditForm]("Form", lambda f: f"#{f.id}", lambda f: f.id),
        Column[AuditForm]("Log entry", lambda f: str(f.log_seq), lambda f: f.log_seq, numeric=True),
        Column[AuditForm]("Asked", lambda f: f.subject or "-"),
        time_column("Issued", lambda f: f.issued_at),
        Column[AuditForm]("Issued by", lambda f: f.issued_by),
        time_column("Answered", lambda f: f.answered_at, "awaiting"),
        Column[AuditForm]("Answer", lambda f: first_line(f.answer)),
    )


class AuditFormsPanel(QWidget):
    def __init__(self, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        self.model = AuditFormsTableModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = ReadOnlyTable(self.proxy, self)
        self.table.setObjectName("auditFormsTable")
        self.table.setAccessibleName("Audit forms")
        self.answer_view = QPlainTextEdit(self)
        self.answer_view.setReadOnly(True)
        self.answer_view.setAccessibleName("Answer of the selected form")
        self.answer_view.setPlaceholderText("The selected form's answer, once recorded")
        self.answer_view.setMaximumHeight(120)
        self.answer_button = QPushButton("Record &answer…", self)
        self.refresh_button = QPushButton("R&eload", self)
        self.summary = note("", self)
        self.error_label = ErrorLabel(self)
        self.dialog: NoteDialog | None = None
        self.loaded = False
        self._select_after_load: int | None = None  # a form just issued or answered, selected once the list is in

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(heading("Audit forms", self, level=2))
        layout.addWidget(note("Forms issued from record.open entries (Access log tab, Issue audit form…), newest "
                              "first. Each asks the user why they opened the record; record their answer here.", self))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.answer_view)
        row = QHBoxLayout()
        row.addWidget(self.answer_button)
        row.addWidget(self.summary, 1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        layout.addWidget(self.error_label)

        self.answer_button.clicked.connect(lambda: self.record_answer())
        self.refresh_button.clicked.connect(lambda: self.load())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.model.modelReset.connect(self._selection_changed)
        self.ops.changed.connect(self._changed)
        self._selection_changed()

    def load(self, *, quietly: bool = False) -> None:
        """Read the forms issued. `quietly`: a refresh after a change, which leaves the error line as it is."""
        self.ops.run(lambda s, ws: s.forms.list(ws), done=self._show, errors=None if quietly else self.error_label,
                     failed=self.error_label.show_error if quietly else None, owner=self)

    def select_when_loaded(self, form_id: int) -> None:
        self._select_after_load = form_id

    def _changed(self, changes: frozenset[Change]) -> None:
        if Change.AUDIT_FORMS in changes:
            self.load(quietly=True)

    def _show(self, forms: list[AuditForm]) -> None:
        self.loaded = True
        self.model.set_rows(forms)
        self.table.resizeColumnsToContents()
        waiting = sum(1 for f in forms if f.answer is None)
        self.summary.setText(f"{len(forms)} form{'s' if len(forms) != 1 else ''}, {waiting} awaiting an answer.")
        if self._select_after_load is not None:
            self.select_form(self._select_after_load)
            self._select_after_load = None

    def selected_form(self) -> AuditForm | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    def select_form(self, form_id: int) -> bool:
        for row in range(self.proxy.rowCount()):
            form = self.model.row_at(self.proxy.mapToSource(self.proxy.index(row, 0)).row())
            if form.id == form_id:
                self.table.selectRow(row)
                self.table.setCurrentIndex(self.proxy.index(row, 0))
                return True
        return False

    def _selection_changed(self) -> None:
        form = self.selected_form()
        self.answer_view.setPlainText(form.answer or "" if form else "")
        self.answer_button.setEnabled(form is not None and form.answer is None)

    def record_answer(self) -> NoteDialog | None:
        form = self.selected_form()
        if form is None or form.answer is not None:
            return None
        form_id = form.id
        dialog = NoteDialog(
            f"Answer to audit form #{form_id}",
            f"{form.subject or 'The user'}'s answer to form #{form_id} (about log entry {form.log_seq}), "
            "as they gave it. It is recorded once and cannot be changed afterwards.",
            lambda s, ws, text: s.forms.record_answer(ws, form_id, text),
            self.ops, self, ok_text="Record answer", minimum=MIN_ANSWER, changes={Change.AUDIT_FORMS})
        self._page.adopt(dialog)
        dialog.accepted.connect(lambda: self.select_when_loaded(form_id))
        self.dialog = dialog
        dialog.open()
        return dialog

    def wipe(self) -> None:
        self.model.clear()
        self.answer_view.clear()
        self.loaded = False
        self._select_after_load = None
