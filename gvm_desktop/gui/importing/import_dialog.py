"""The SPOC's import of a legacy spreadsheet, in one window: file and mapping, columns and preview, dry run, import.

Every reading of the file runs on the session's worker (preview, dry run, commit: each logged by the
service with the file's SHA-256 and counts). "Import N people" is enabled only by a dry run of this very
file with this very mapping that refused nothing; the commit passes that dry run's SHA-256, so a file
changed since is refused by the service, not trusted by the window. Errors are shown in the window,
which keeps the file, the mapping and the report as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QDir, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import gvm_desktop
from gvm_desktop.core.errors import GvmError, ValidationError
from gvm_desktop.core.import_mapping import (
    ImportMapping,
    mapping_problems,
    mapping_to_toml,
    parse_mapping,
    unmapped_headers,
)
from gvm_desktop.core.import_report import (
    ADD,
    DUPLICATE,
    REFUSED,
    SKIPPED,
    ImportPreview,
    ImportRefused,
    ImportReport,
    report_csv,
)
from gvm_desktop.core.people import bcu_name
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.file_choice import ask_save_path, writing_to
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.screen_fit import open_fitted
from gvm_desktop.gui.common.shortcuts import add_lock_shortcut
from gvm_desktop.gui.common.widgets import BusyBar, ErrorLabel, NoticeLabel, ReadOnlyTable, heading, note
from gvm_desktop.gui.importing.import_models import FateFilter, FateModel, PreviewModel
from gvm_desktop.gui.importing.mapping_form import MappingForm
from gvm_desktop.ingest.read import read_mapping_text
from gvm_desktop.ingest.table import ImportFileError

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import Call, SessionOps

T = TypeVar("T")

TITLE = "Import a spreadsheet"
SAMPLE_MAPPING = "legacy-matrix.toml"
SPREADSHEETS = "Spreadsheets (*.xlsx *.csv)"
MAPPINGS = "Mapping files (*.toml)"


def sample_mapping() -> Path | None:
    """The sample mapping beside a source checkout (resources/samples is not package data): None when installed."""
    path = Path(gvm_desktop.__file__).resolve().parent.parent / "resources" / "samples" / SAMPLE_MAPPING
    return path if path.is_file() else None


def counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def counts_text(report: ImportReport) -> str:
    c = report.counts
    verb = "added" if report.committed else "would be added"
    return (f"{counted(len(report.rows), 'row', 'rows')}: {c[ADD]} {verb}, {c[REFUSED]} refused, "
            f"{counted(c[DUPLICATE], 'duplicate', 'duplicates')}, "
            f"{counted(c[SKIPPED], 'empty row', 'empty rows')} skipped.")


def people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


class ConfirmImportDialog(FormDialog):
    """Says what the import does before it does it; Cancel is the default."""

    def __init__(self, count: int, bcu: str | None, file_name: str, parent: QWidget | None) -> None:
        super().__init__(f"Import {people(count)}", parent, ok_text=f"Import {people(count)}")
        where = f"{bcu_name(bcu)} ({bcu})" if bcu else "your BCU"
        self.message = note(
            f"{people(count)} from {file_name} will be added to {where} as proposals, with the evidence their rows "
            "carry, in one step: all of them or none. Nobody becomes active on the matrix until you approve "
            "them, one by one, on corroborated evidence, as for a person added by hand. Imported scores are "
            "never used: each score is worked out from the dated evidence.", self)
        self.message.setObjectName("confirmImport")
        self.body.addWidget(self.message)
        self.resize(560, self.sizeHint().height())
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setDefault(True)
        self.ok_button.setAutoDefault(False)


class ImportDialog(QDialog):
    """Window-modal, opened with open(); Ctrl+L locks; closing or the lock wipes what it read."""

    lock_requested = Signal()
    imported = Signal(int)  # how many people were proposed

    def __init__(self, ops: SessionOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.running = False  # a reading of the file, a dry run or the import is on the worker
        self.setWindowTitle(TITLE)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.mapping = ImportMapping()
        self.preview: ImportPreview | None = None
        self.report: ImportReport | None = None
        self._checked: tuple[Path, str] | None = None  # (file, mapping as TOML) the report is of
        self.sample = sample_mapping()
        self.confirm: ConfirmImportDialog | None = None
        self.file_dialog: QFileDialog | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(note("Brings the matrix your BCU keeps in a spreadsheet in as proposed people. Choose the "
                              "file and a mapping file (which column is which field), check the columns, run a dry "
                              "run, then import. A dry run changes nothing.", self))
        layout.addLayout(self._files_grid())
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._columns_page(), "Co&lumns and preview")
        self.tabs.addTab(self._dry_run_page(), "&Dry run and import")
        layout.addWidget(self.tabs, 1)
        self.busy = BusyBar(self)
        self.notice = NoticeLabel(self)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.busy)
        layout.addWidget(self.notice)
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        assert close is not None
        self.close_button: QPushButton = close
        self.close_button.setText("Close")
        self.close_button.setAutoDefault(False)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        add_lock_shortcut(self).triggered.connect(self.lock_requested)
        # Closed: the file's rows it read are dropped now, not when the home goes.
        self.finished.connect(lambda _result: self.wipe())
        # Another file or mapping named: what was read no longer holds until it is read again.
        self.file_edit.textChanged.connect(lambda _t: self._forget_file())
        self.mapping_edit.textChanged.connect(lambda _t: self._forget_file())
        open_fitted(self, QSize(1100, 700))  # at 150% on a 1280x800 screen, the whole screen and no more
        self._update_buttons()

    # -- layout -----------------------------------------------------------------------------------------------------

    def _files_grid(self) -> QGridLayout:
        grid = QGridLayout()
        self.file_edit = QLineEdit(self)
        self.file_edit.setObjectName("importFile")
        self.file_edit.setPlaceholderText("the .xlsx or .csv file")
        file_label = QLabel("&Spreadsheet", self)
        file_label.setBuddy(self.file_edit)
        self.choose_file_button = QPushButton("Choose spreads&heet…", self)
        self.mapping_edit = QLineEdit(self)
        self.mapping_edit.setObjectName("importMapping")
        self.mapping_edit.setPlaceholderText("a .toml mapping file; empty: start from the file's own headers")
        mapping_label = QLabel("&Mapping file", self)
        mapping_label.setBuddy(self.mapping_edit)
        self.choose_mapping_button = QPushButton("Choose mapping &file…", self)
        self.sample_button = QPushButton("Start from the s&ample mapping", self)
        self.sample_button.setToolTip("The mapping of resources/samples/legacy-matrix.xlsx, every key explained")
        self.sample_button.setVisible(self.sample is not None)
        self.read_button = QPushButton("&Read the file", self)
        self.read_button.setDefault(True)
        grid.addWidget(file_label, 0, 0)
        grid.addWidget(self.file_edit, 0, 1)
        grid.addWidget(self.choose_file_button, 0, 2)
        grid.addWidget(self.read_button, 0, 3)
        grid.addWidget(mapping_label, 1, 0)
        grid.addWidget(self.mapping_edit, 1, 1)
        grid.addWidget(self.choose_mapping_button, 1, 2)
        grid.addWidget(self.sample_button, 1, 3)
        grid.setColumnStretch(1, 1)
        self.choose_file_button.clicked.connect(
            lambda: self._ask_open("Choose the spreadsheet", SPREADSHEETS, self.file_edit))
        self.choose_mapping_button.clicked.connect(
            lambda: self._ask_open("Choose the mapping file", MAPPINGS, self.mapping_edit))
        self.sample_button.clicked.connect(self.use_sample_mapping)
        self.read_button.clicked.connect(lambda: self.read_file())
        self.file_edit.returnPressed.connect(lambda: self.read_file())
        self.mapping_edit.returnPressed.connect(lambda: self.read_file())
        return grid

    def _columns_page(self) -> QWidget:
        page = QWidget(self)
        row = QHBoxLayout(page)
        splitter = QSplitter(Qt.Orientation.Horizontal, page)
        scroll = QScrollArea(splitter)
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mapping_form = MappingForm()
        scroll.setWidget(self.mapping_form)
        self.mapping_form.changed.connect(self._mapping_changed)
        right = QWidget(splitter)
        inner = QVBoxLayout(right)
        inner.setContentsMargins(0, 0, 0, 0)
        self.preview_title = heading("The first rows, as mapped", right, level=2)
        inner.addWidget(self.preview_title)
        self.preview_model = PreviewModel(self)
        self.preview_table = ReadOnlyTable(self.preview_model, right)
        self.preview_table.setObjectName("importPreview")
        self.preview_table.setAccessibleName("The first rows of the file, as mapped")
        inner.addWidget(self.preview_table, 1)
        self.problems = QLabel(right)
        self.problems.setObjectName("errorLabel")
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.hide()
        self.warnings = note("", right)
        self.warnings.hide()
        inner.addWidget(self.problems)
        inner.addWidget(self.warnings)
        buttons = QHBoxLayout()
        self.save_mapping_button = QPushButton("Sa&ve mapping…", right)
        self.save_mapping_button.clicked.connect(self.ask_save_mapping)
        buttons.addStretch(1)
        buttons.addWidget(self.save_mapping_button)
        inner.addLayout(buttons)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        row.addWidget(splitter)
        return page

    def _dry_run_page(self) -> QWidget:
        page = QWidget(self)
        inner = QVBoxLayout(page)
        top = QHBoxLayout()
        self.dry_run_button = QPushButton("Run a dry ru&n", page)
        self.dry_run_button.setToolTip("Check every row and say what would happen to it; changes nothing")
        self.counts = QLabel("No dry run yet.", page)
        self.counts.setObjectName("importCounts")
        self.counts.setWordWrap(True)
        top.addWidget(self.dry_run_button)
        top.addWidget(self.counts, 1)
        inner.addLayout(top)
        self.blocking_only = QCheckBox("Only rows that st&op the import", page)
        inner.addWidget(self.blocking_only)
        self.fate_model = FateModel(self)
        self.fate_filter = FateFilter(self.fate_model, self)
        self.fate_table = ReadOnlyTable(self.fate_filter, page)
        self.fate_table.setObjectName("importFates")
        self.fate_table.setAccessibleName("Every row's fate")
        inner.addWidget(self.fate_table, 1)
        inner.addWidget(note("The report names rows, columns and rules, never a person's details: it can be saved "
                             "and shared to fix the spreadsheet.", page))
        buttons = QHBoxLayout()
        self.save_report_button = QPushButton("Save re&port…", page)
        self.import_button = QPushButton("&Import…", page)
        buttons.addWidget(self.save_report_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        inner.addLayout(buttons)
        self.dry_run_button.clicked.connect(lambda: self.run_dry_run())
        self.blocking_only.toggled.connect(self.fate_filter.set_blocking_only)
        self.save_report_button.clicked.connect(self.ask_save_report)
        self.import_button.clicked.connect(lambda: self.ask_import())
        return page

    # -- choosing files ---------------------------------------------------------------------------------------------

    def _ask_open(self, title: str, name_filter: str, into: QLineEdit) -> QFileDialog:
        start = Path(into.text()).parent if into.text().strip() else Path(QDir.homePath())
        dialog = QFileDialog(self, title, str(start), name_filter)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(into.setText)
        add_lock_shortcut(dialog).triggered.connect(self.lock_requested)
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def use_sample_mapping(self) -> None:
        if self.sample is not None:
            self.mapping_edit.setText(str(self.sample))
            if self.file_edit.text().strip():
                self.read_file()

    def set_files(self, spreadsheet: Path, mapping: Path | None = None) -> None:
        """What choosing both files does (tests set them so, without a file dialog)."""
        self.file_edit.setText(str(spreadsheet))
        self.mapping_edit.setText("" if mapping is None else str(mapping))

    def _path(self) -> Path | None:
        text = self.file_edit.text().strip()
        return Path(text) if text else None

    def _read_mapping(self) -> ImportMapping:
        text = self.mapping_edit.text().strip()
        if not text:
            return ImportMapping()
        path = Path(text)
        try:
            # A regular file of bounded size only: a FIFO or a device chosen by mistake must not hang the window.
            return parse_mapping(read_mapping_text(path), path.name)
        except OSError as exc:
            raise ValidationError(f"Cannot read the mapping file {path.name}: "
                                  f"{exc.strerror or type(exc).__name__}.") from None
        except UnicodeDecodeError:
            raise ValidationError(f"The mapping file {path.name} is not UTF-8 text.") from None

    # -- reading the file -------------------------------------------------------------------------------------------

    def read_file(self) -> None:
        """Read the mapping file here (small, checked whole), then the spreadsheet's first rows on the worker."""
        self.notice.clear()
        path = self._path()
        if path is None:
            self.error_label.show_message("Choose the spreadsheet first.")
            return
        try:
            mapping = self._read_mapping()
        except GvmError as exc:
            self.error_label.show_error(exc)
            return
        self._run(lambda s, ws: s.importing.preview(ws, path, mapping),
                  done=lambda preview: self._show_preview(preview, mapping), failed=self._read_failed(path),
                  progress="Reading the spreadsheet")

    def _read_failed(self, path: Path) -> Callable[[GvmError], None]:
        """A file's fault is said with the file's name: the service's words name the row and column, not the file."""

        def show(error: GvmError) -> None:
            if isinstance(error, ImportFileError):
                self.error_label.show_message(f"{path.name}: {error.message}")
            else:
                self.error_label.show_error(error)

        return show

    def _show_preview(self, preview: ImportPreview, mapping: ImportMapping) -> None:
        self.preview = preview
        self.mapping = mapping
        self.mapping_form.show_mapping(mapping, preview.headers)
        self.tabs.setCurrentIndex(0)
        self._mapping_changed(mapping)
        sheet = f", sheet “{mapping.sheet}”" if mapping.sheet else ""
        self.preview_title.setText(f"The first {len(preview.rows)} of {preview.total_rows} rows{sheet}, as mapped")

    def _mapping_changed(self, mapping: ImportMapping) -> None:
        self.mapping = mapping
        if self.preview is not None:
            self.preview_model.show_rows(self.preview.headers, self.preview.rows, mapping.columns)
            self.preview_table.resizeColumnsToContents()
            problems = mapping_problems(mapping, self.preview.headers)
            self.problems.setText("What stops the import reading this file:\n" + "\n".join(f"• {p}" for p in problems)
                                  if problems else "")
            self.problems.setVisible(bool(problems))
            unread = unmapped_headers(mapping, self.preview.headers)
            self.warnings.setText("Not imported (neither mapped nor ignored): " + ", ".join(f"'{h[:60]}'" for h in unread)
                                  if unread else "")
            self.warnings.setVisible(bool(unread))
        self._update_buttons()

    def _forget_file(self) -> None:
        self.preview = None
        self._update_buttons()

    # -- dry run and import -----------------------------------------------------------------------------------------

    def run_dry_run(self) -> None:
        path = self._path()
        if path is None or self.preview is None:
            self.error_label.show_message("Read the file first: choose it and press Read the file.")
            return
        mapping = self.mapping
        self.tabs.setCurrentIndex(1)
        self._run(lambda s, ws: s.importing.dry_run(ws, path, mapping),
                  done=lambda report: self._show_report(report, (path, mapping_to_toml(mapping))),
                  failed=self._read_failed(path), progress="Dry run of the spreadsheet")

    def _show_report(self, report: ImportReport, checked: tuple[Path, str] | None) -> None:
        self.report = report
        self._checked = checked if not report.committed else None
        self.fate_model.set_rows(report.rows)
        for column in (0, 1, 2):  # row, fate, column: as wide as they need; the reason takes the rest
            self.fate_table.resizeColumnToContents(column)
        blocking = len(report.blocking)
        if report.committed:
            head = "Imported. "
        elif blocking:
            head = (f"Dry run: {counted(blocking, 'row stops', 'rows stop')} the import; fix them in the "
                    "spreadsheet (or the mapping) and run the dry run again. ")
        else:
            head = "Dry run: nothing stops the import. "
        self.counts.setText(head + counts_text(report))
        if blocking and not self.blocking_only.isChecked():
            self.blocking_only.setChecked(True)
        elif not blocking and self.blocking_only.isChecked():
            self.blocking_only.setChecked(False)
        self._update_buttons()

    def importable(self) -> int:
        """How many people "Import" would add now: 0 unless the last dry run is of this file and this mapping."""
        report, path = self.report, self._path()
        if report is None or report.committed or report.blocking or self._checked is None or path is None:
            return 0
        if self._checked != (path, mapping_to_toml(self.mapping)):
            return 0
        return report.counts[ADD]

    def ask_import(self) -> ConfirmImportDialog | None:
        count, path, report = self.importable(), self._path(), self.report
        if not count or path is None or report is None:
            return None
        dialog = ConfirmImportDialog(count, self.ops.session.bcu, path.name, self)
        dialog.lock_requested.connect(self.lock_requested)
        dialog.accepted.connect(lambda: self._commit(path, self.mapping, report.sha256))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.confirm = dialog
        dialog.open()
        return dialog

    def _commit(self, path: Path, mapping: ImportMapping, sha256: str) -> None:
        self._run(lambda s, ws: s.importing.commit(ws, path, mapping, expected_sha256=sha256),
                  done=self._imported, failed=self._import_failed, progress="Importing the spreadsheet",
                  changes=frozenset({Change.MATRIX}), said="Spreadsheet imported as proposals (logged)")

    def _imported(self, report: ImportReport) -> None:
        self._show_report(report, None)
        refs = [r.ref for r in report.rows if r.ref]
        count = len(refs)
        self.notice.setText(f"{people(count)} added as proposals, {refs[0]} to {refs[-1]}. Approve each on "
                            "corroborated evidence: they are waiting for you on your home page." if refs else "")
        self.imported.emit(count)

    def _import_failed(self, error: GvmError) -> None:
        refused = error.report if isinstance(error, ImportRefused) else None  # it carries the report that says why
        if refused is not None:
            self._show_report(refused, None)
        else:
            self._checked = None  # the file changed, or the service refused: a new dry run is needed
            self._update_buttons()
        path = self._path()
        if isinstance(error, ImportFileError) and path is not None:
            self.error_label.show_message(f"{path.name}: {error.message}")
        else:
            self.error_label.show_error(error)

    # -- saving the mapping and the report --------------------------------------------------------------------------

    def ask_save_mapping(self) -> QFileDialog:
        return ask_save_path(self, "Save the mapping", "mapping.toml", MAPPINGS, "toml", self.save_mapping_to,
                             on_lock=self.lock_requested.emit)

    def save_mapping_to(self, path: Path) -> None:
        text = mapping_to_toml(self.mapping)
        try:
            writing_to(path, lambda: path.write_text(text, encoding="utf-8"))
        except GvmError as exc:
            self.error_label.show_error(exc)
            return
        self.mapping_edit.blockSignals(True)
        self.mapping_edit.setText(str(path))
        self.mapping_edit.blockSignals(False)
        self.notice.setText(f"Mapping saved to {path}.")

    def ask_save_report(self) -> QFileDialog | None:
        if self.report is None:
            return None
        return ask_save_path(self, "Save the report", "import-report.csv", "CSV files (*.csv)", "csv",
                             self.save_report_to, on_lock=self.lock_requested.emit)

    def save_report_to(self, path: Path) -> None:
        report = self.report
        if report is None:
            return
        try:
            text = report_csv(report)
            writing_to(path, lambda: path.write_text(text, encoding="utf-8"))
        except GvmError as exc:
            self.error_label.show_error(exc)
            return
        self.notice.setText(f"Report saved to {path} (rows, fates, columns and reasons; no personal data).")

    # -- running -----------------------------------------------------------------------------------------------------

    def _run(self, call: Call[T], *, done: Callable[[T], None], progress: str,
             failed: Callable[[GvmError], None] | None = None, changes: frozenset[Change] = frozenset(),
             said: str | None = None) -> None:
        self.error_label.clear_message()
        self._set_running(True)
        self.ops.run(call, done=done, failed=failed, errors=self.error_label, changes=changes, progress=progress,
                     owner=self, said=said, finished=lambda _r: self._set_running(False))

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.busy.set_busy(running)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.running
        count = self.importable()
        self.import_button.setText(f"&Import {people(count)}…" if count else "&Import…")
        self.import_button.setEnabled(bool(count) and not running)
        self.dry_run_button.setEnabled(self.preview is not None and not running)
        self.save_report_button.setEnabled(self.report is not None and not running)
        self.save_mapping_button.setEnabled(not running)
        self.read_button.setEnabled(not running)

    def wipe(self) -> None:
        """The lock: drop the file's rows, the report and the mapping the window holds."""
        self.preview = None
        self.report = None
        self._checked = None
        self.mapping = ImportMapping()
        self.preview_model.clear()
        self.fate_model.clear()
        self.mapping_form.clear()
