"""The auditor's access-log tab: filters, the lazily fetched table, one entry's details, and what to do with them.

Every question is the service's: Apply asks `log.search` for a first page (and
that question is itself logged); scrolling asks for older pages. Exports and
audit forms write files and show a progress line while they run; the files
hold what the current (applied) filter selects, as the summary line says. The
PDFs (the pack, a form) ask first for their password and the auditor's own, which
signs them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.audit import Action, LoggedEntry
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.gui.audit.log_details import LogEntryDetails
from gvm_desktop.gui.audit.log_filters import LogFilterBar
from gvm_desktop.gui.audit.log_model import COLUMNS, LogTableModel
from gvm_desktop.gui.common.file_choice import ask_save_path, writing_to
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.pdf_password import ProtectedCall, ProtectedPdfDialog
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, note

if TYPE_CHECKING:
    from gvm_desktop.core.audit_forms import AuditForm
    from gvm_desktop.core.exports import ExportResult
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Call, Result, Services
    from gvm_desktop.services.context import Workspace

MAX_JUMP_PAGES = 50  # how far back a jump to one entry may page before giving up (it then says so)


class LogTable(QTableView):
    """Rows of the log: fixed heights and sample-sized columns, so the view never reads rows to lay out."""

    def __init__(self, model: LogTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(False)  # the arrows move between rows; Tab leaves the table
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setDragEnabled(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        metrics, header = self.fontMetrics(), self.horizontalHeader().fontMetrics()
        for i, (_key, title, sample) in enumerate(COLUMNS):
            self.setColumnWidth(i, max(header.horizontalAdvance(title) + 20, metrics.horizontalAdvance(sample) + 16))


class AccessLogPanel(QWidget):
    form_issued = Signal(object)  # an AuditForm, once its PDF is written

    def __init__(self, page: HomePage, parent: QWidget | None = None, *, page_size: int | None = None) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        self.folder: Path | None = None  # where the last export went; the next dialog starts there
        self.error_label = ErrorLabel(self)
        self.model = LogTableModel(self.ops, self.error_label, self, **({"page_size": page_size} if page_size else {}))
        self.filters = LogFilterBar(self.ops.clock.now().date(), self)
        self.table = LogTable(self.model, self)
        self.table.setObjectName("accessLogTable")
        self.table.setAccessibleName("Access log")
        self.details = LogEntryDetails(self)
        self.summary = note("", self)
        self.result_label = NoticeLabel(self)
        self.timeline_button = QPushButton("Sho&w this user's timeline", self)
        self.issue_button = QPushButton("&Issue audit form…", self)
        self.issue_button.setToolTip("For a record.open entry: a PDF form asking its user why they opened the record")
        self.export_csv_button = QPushButton("Export selection as signed &CSV…", self)
        self.export_pack_button = QPushButton("Export audit pac&k (PDF)…", self)
        for button in (self.export_csv_button, self.export_pack_button):
            button.setToolTip("Every entry the applied filters select (not only the rows loaded so far)")
        self._lay_out()

        self.filters.applied.connect(self.apply)
        self.model.changed.connect(self._update_summary)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(lambda: self._show_details(None))
        self.timeline_button.clicked.connect(self.timeline_of_user)
        self.issue_button.clicked.connect(lambda: self.issue_form())
        self.export_csv_button.clicked.connect(lambda: self.export_csv())
        self.export_pack_button.clicked.connect(lambda: self.export_pack())
        self._show_details(None)

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.filters)
        # The table across the full width (ten columns), the selected entry under it.
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        below = QWidget(splitter)
        below_layout = QHBoxLayout(below)
        below_layout.setContentsMargins(0, 4, 0, 0)
        below_layout.addWidget(self.details, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.timeline_button)
        buttons.addWidget(self.issue_button)
        buttons.addStretch(1)
        below_layout.addLayout(buttons)
        splitter.addWidget(below)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.export_csv_button)
        row.addWidget(self.export_pack_button)
        layout.addLayout(row)
        layout.addWidget(self.result_label)
        layout.addWidget(self.error_label)

    # -- asking -----------------------------------------------------------------

    def load(self) -> None:
        """The first page of what the filter fields say."""
        self.apply(self.filters.current())

    def apply(self, log_filter: LogFilter, then: Callable[[bool], None] | None = None) -> None:
        """Ask the service for this filter; its refusal (reversed dates, unknown user…) shows under the fields."""
        def answered(ok: bool) -> None:
            if ok:
                self.table.scrollToTop()
            if then is not None:
                then(ok)

        self.model.load(log_filter, errors=self.filters.error_label, then=answered)

    def _update_summary(self) -> None:
        f = self.model.filter
        # Exports hold what the applied filter selects; with none in force (a refused filter) there is nothing to say.
        self.export_csv_button.setEnabled(f is not None)
        self.export_pack_button.setEnabled(f is not None)
        if f is None:
            self.summary.setText("")
            return
        count = self.model.rowCount()
        if self.model.complete:
            self.summary.setText(f"{count:,} matching entr{'y' if count == 1 else 'ies'}, newest first. "
                                 f"Selection: {f.describe()}.")
        else:
            self.summary.setText(f"The newest {count:,} matching entries so far; scroll down for older ones. "
                                 f"Selection: {f.describe()}.")

    # -- the selected entry ------------------------------------------------------

    def selected_entry(self) -> LoggedEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry_at(rows[0].row()) if rows else None

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_details(self.selected_entry())

    def _show_details(self, item: LoggedEntry | None) -> None:
        self.details.show_entry(item)
        self.timeline_button.setEnabled(bool(item and item.entry.username))
        self.issue_button.setEnabled(bool(item and item.entry.action is Action.RECORD_OPEN and item.entry.user_id))

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)

    def timeline_of_user(self) -> bool:
        """Everything the selected entry's user did: the user filter alone. False if no entry with a user is selected."""
        item = self.selected_entry()
        if item is None or not item.entry.username:
            return False
        timeline = LogFilter(username=item.entry.username)
        self.filters.show_filter(timeline)
        self.apply(timeline)
        return True

    def jump_to(self, seq: int, record_ref: str | None, username: str | None) -> None:
        """Show entry `seq` (a flag's): filter by its record (or else its user), then page back to it."""
        target = LogFilter(record_ref=record_ref) if record_ref else LogFilter(username=username)
        self.filters.show_filter(target)
        self.apply(target, then=lambda ok: self._look_for(seq, 0) if ok else None)

    def _look_for(self, seq: int, pages: int) -> None:
        """One step of a jump: select the entry if it is in, or else ask for the next older page and look again."""
        row = self.model.row_of_seq(seq)
        if row is not None:
            self.error_label.clear_message()
            self.select_row(row)
            return
        if pages < MAX_JUMP_PAGES and self.model.fetch_older(then=lambda ok: self._look_for(seq, pages + 1) if ok
                                                            else None):
            return
        self.error_label.show_message(f"Entry {seq} is not among the entries loaded for this filter.")

    # -- files ------------------------------------------------------------------

    def _selection_filter(self) -> LogFilter | None:
        """The filter in force; None (and a message) when the last one was refused: never 'everything' by surprise."""
        if self.model.filter is None:
            self.error_label.show_message("No filter is in force: apply one (or Clear filters for every entry) first.")
        return self.model.filter

    def _ask(self, title: str, suggested: str, name_filter: str, suffix: str,
             then: Callable[[Path], object]) -> QFileDialog:
        return ask_save_path(self, title, suggested, name_filter, suffix, then, folder=self.folder,
                             on_lock=self._page.lock_requested.emit)

    def _today(self) -> str:
        return self.ops.clock.now().date().isoformat()

    def export_csv(self) -> QFileDialog:
        return self._ask("Export selection as signed CSV", f"access-log-{self._today()}.csv", "CSV files (*.csv)",
                         "csv", self.export_csv_to)

    def export_pack(self) -> QFileDialog:
        return self._ask("Export audit pack", f"audit-pack-{self._today()}.pdf", "PDF files (*.pdf)", "pdf",
                         self.export_pack_to)

    def issue_form(self) -> QFileDialog | None:
        item = self.selected_entry()
        if item is None or not self.issue_button.isEnabled():
            return None
        return self._ask(f"Issue audit form about entry {item.seq}", f"audit-form-entry-{item.seq}.pdf",
                         "PDF files (*.pdf)", "pdf", lambda path: self.issue_form_to(item.seq, path))

    def _start(self, what: str, path: Path, call: Call[Any], done: Callable[[Any], None], *,
               changes: frozenset[Change] = frozenset()) -> bool:
        """Run a file-writing call on the session's worker, with a progress line; its outcome lands on the result line."""
        self.folder = path.parent
        self.error_label.clear_message()
        self.result_label.setText(f"{what} to {path}…")

        def write(s: Services, ws: Workspace) -> Any:
            return writing_to(path, lambda: call(s, ws))

        self.ops.run(write, done=done, errors=self.error_label, changes=changes, progress=what, owner=self,
                     finished=self._written)
        return True

    def _written(self, result: Result[Any]) -> None:
        if not result.ok:
            self.result_label.clear()  # the "…" line goes; the error says what happened

    def export_csv_to(self, path: Path) -> bool:
        """Export what the applied filter selects; False (and a message) if no filter is in force."""
        f = self._selection_filter()
        if f is None:
            return False
        report = self.ops.reporter()
        return self._start("Exporting a signed CSV", path,
                           lambda s, ws: s.exports.export_csv(ws, f, path, progress=report), self._csv_done)

    def _csv_done(self, result: ExportResult) -> None:
        self.result_label.setText(
            f"Exported {result.entries:,} entries to {result.csv_path}; signature in {result.signature_path.name} "
            f"(key {result.key_fingerprint}, log head {result.log_head}).")

    def export_pack_to(self, path: Path) -> ProtectedPdfDialog | None:
        """Ask for the pack's PDF password and the auditor's own (it signs the pack), then write what the applied
        filter selects; None (and a message) if no filter is in force."""
        f = self._selection_filter()
        if f is None:
            return None
        report = self.ops.reporter()

        def make(account: str, pdf: str | None, plain: bool) -> Call[int]:
            return lambda s, ws: s.forms.export_pack(ws, f, path, report, account_password=account, pdf_password=pdf,
                                                     unencrypted=plain)

        dialog = self._protected("Export the audit pack", f"The audit pack of the selection ({f.describe()})", path,
                                 make, progress="Writing the audit pack")
        dialog.written.connect(lambda count: self.result_label.setText(
            f"Audit pack of {count:,} entries saved to {path}, signed with your key."))
        return dialog

    def issue_form_to(self, seq: int, path: Path) -> ProtectedPdfDialog:
        """Ask for the form's PDF password and the auditor's own (it signs the form), then issue it."""

        def make(account: str, pdf: str | None, plain: bool) -> Call[AuditForm]:
            return lambda s, ws: s.forms.issue(ws, seq, path, account_password=account, pdf_password=pdf,
                                               unencrypted=plain)

        dialog = self._protected(f"Issue an audit form about entry {seq}", f"An audit form about entry {seq}", path,
                                 make, progress=f"Issuing an audit form about entry {seq}",
                                 changes=frozenset({Change.AUDIT_FORMS}))
        dialog.written.connect(lambda form: self._issued(form, path))
        return dialog

    def _protected(self, title: str, what: str, path: Path, make: ProtectedCall, *, progress: str,
                   changes: frozenset[Change] = frozenset()) -> ProtectedPdfDialog:
        self.folder = path.parent
        self.error_label.clear_message()
        dialog = ProtectedPdfDialog(self.ops, title, what, path, make, self, progress=progress, changes=changes)
        dialog.lock_requested.connect(self._page.lock_requested.emit)
        dialog.open()
        return dialog

    def _issued(self, form: AuditForm, path: Path) -> None:
        self.result_label.setText(f"Audit form #{form.id} issued to {form.subject or 'its user'} about entry "
                                  f"{form.log_seq}; saved to {path}. Record the answer in the Audit forms tab.")
        self.form_issued.emit(form)

    def wipe(self) -> None:
        self.details.show_entry(None)
        self.model.clear()
