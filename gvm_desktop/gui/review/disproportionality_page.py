"""The disproportionality tab: choose a BCU and a quarter, read the report, export it, and (admin) load the reference.

A SPOC reads only their own BCU, so the chooser is fixed for them; an auditor or
an administrator picks any BCU. Reading the report is logged, so the page asks
the services only when its tab is first opened or "Show report" is pressed.
Every refusal (no reference population loaded, a BCU out of reach) is shown on
the page in the service's own words. Every call runs on the session's worker;
the PDF export shows a progress line while it is built and written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.disproportionality import SMALL_NUMBER
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, Role, allows
from gvm_desktop.core.review import Quarter
from gvm_desktop.gui.common.file_choice import ask_save_path
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.pdf_password import ProtectedPdfDialog
from gvm_desktop.gui.common.shortcuts import add_lock_shortcut
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, note
from gvm_desktop.gui.review.disproportionality_panel import DisproportionalityPanel

if TYPE_CHECKING:
    from gvm_desktop.core.disproportionality import DisproportionalityReport
    from gvm_desktop.core.exports import Exported
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Call, Result, SessionOps

QUARTERS_OFFERED = 4  # this quarter and the three before it, as the report's own trend


def ask_open_path(parent: QWidget, title: str, name_filter: str, on_chosen: Callable[[Path], object], *,
                  folder: Path | None = None, on_lock: Callable[[], None] | None = None) -> QFileDialog:
    """An open-file twin of file_choice.ask_save_path: Qt's own dialog, a child of the page, opened with open(),
    so a lock hides and blanks it like any other dialog and a test can answer it."""
    dialog = QFileDialog(parent, title, str(folder or Path(QDir.homePath())), name_filter)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.fileSelected.connect(lambda name: on_chosen(Path(name)))
    if on_lock is not None:
        add_lock_shortcut(dialog).triggered.connect(on_lock)
    dialog.finished.connect(lambda _result: dialog.deleteLater())  # nothing lingers to be wiped
    dialog.open()
    return dialog


class DisproportionalityPage(QWidget):
    """BCU and quarter choosers, the report panel, its export, and the admin's reference import."""

    def __init__(self, ops: SessionOps, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self._page = ops, page
        self.loaded = False
        self.folder: Path | None = None  # where the last file came from or went: the next dialog starts there
        self.can_import = allows(ops.session.role, Permission.REFERENCE_MANAGE)
        # The administrator loads the reference population but holds no key to the people counted against it.
        self.can_read = allows(ops.session.role, Permission.DISPROPORTIONALITY)
        self.bcu_box: QComboBox | None = None
        if ops.session.role is not Role.SPOC:  # a SPOC's report is their own BCU's; the service refuses any other
            self.bcu_box = self._bcu_box()
        self.quarter_box = self._quarter_box()
        self.load_button = QPushButton("Sho&w report", self)
        self.load_button.setToolTip("Count the chosen BCU's matrix for the chosen quarter (the reading is logged)")
        self.import_button = QPushButton("Import reference &population (CSV)…", self)
        self.import_button.setToolTip("Replace the reference population with a CSV of borough,dimension,group,population")
        self.import_button.setVisible(self.can_import)
        # The date the figures refer to (the census day): printed on every report, never the day they were loaded.
        self.as_of_field = QLineEdit(self)
        self.as_of_field.setPlaceholderText("YYYY-MM-DD")
        self.as_of_field.setMaxLength(10)
        self.as_of_field.setAccessibleName("Date the reference figures refer to")
        self.as_of_field.setToolTip("The day the figures count the population on, e.g. the census day 2021-03-21")
        self.as_of_label = QLabel("Figures as of (census &day):", self)
        self.as_of_label.setBuddy(self.as_of_field)
        for widget in (self.as_of_field, self.as_of_label):
            widget.setVisible(self.can_import)
        self.panel = DisproportionalityPanel(self)
        self.notice = NoticeLabel(self)
        self.error_label = ErrorLabel(self)
        self._lay_out()
        self.load_button.clicked.connect(lambda: self.load())
        self.import_button.clicked.connect(lambda: self.choose_reference())
        self.panel.export_requested.connect(lambda: self.export_report())

    def _bcu_box(self) -> QComboBox:
        box = QComboBox(self)
        for code in sorted(BCUS):
            box.addItem(bcu_text(code), code)
        box.setAccessibleName("BCU")
        return box

    def _quarter_box(self) -> QComboBox:
        box = QComboBox(self)
        quarter = Quarter.of(self.ops.clock.now().date())
        for _ in range(QUARTERS_OFFERED):
            box.addItem(str(quarter), str(quarter))
            quarter = quarter.previous()
        box.setAccessibleName("Quarter")
        return box

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        row = QHBoxLayout()
        bcu_label = QLabel("&BCU:", self)
        row.addWidget(bcu_label)
        if self.bcu_box is None:
            bcu_label.setText(f"BCU: {bcu_text(self.ops.session.bcu)}")
        else:
            bcu_label.setBuddy(self.bcu_box)
            row.addWidget(self.bcu_box)
        quarter_label = QLabel("Q&uarter:", self)
        quarter_label.setBuddy(self.quarter_box)
        row.addSpacing(12)
        row.addWidget(quarter_label)
        row.addWidget(self.quarter_box)
        row.addWidget(self.load_button)
        row.addStretch(1)
        row.addWidget(self.as_of_label)
        row.addWidget(self.as_of_field)
        row.addWidget(self.import_button)
        layout.addLayout(row)
        if not self.can_read:
            for widget in (bcu_label, self.bcu_box, quarter_label, self.quarter_box, self.load_button, self.panel):
                if widget is not None:
                    widget.setVisible(False)
            layout.addWidget(note("The report counts people's ethnicity, gender and age, which only SPOCs (their BCU) "
                                  "and auditors (any BCU) hold the keys to read; they count against the reference "
                                  "population loaded here.", self))
        if self.can_import:
            layout.addWidget(note("The reference population is one CSV for every BCU (borough,dimension,group,population); "
                                  "importing replaces the one loaded before.", self))
        layout.addWidget(self.error_label)
        layout.addWidget(self.notice)
        layout.addWidget(self.panel, 1)

    # -- the report -----------------------------------------------------------------------------------------------------

    @property
    def bcu(self) -> str | None:
        return self.ops.session.bcu if self.bcu_box is None else self.bcu_box.currentData()

    @property
    def quarter(self) -> str:
        return str(self.quarter_box.currentData())

    def load(self) -> None:
        """Read the report for the chosen BCU and quarter; on a refusal the page says why and shows no report."""
        self.notice.clear()
        if not self.can_read:
            return
        bcu, quarter = self.bcu, self.quarter
        self.loaded = True  # asked: opening the tab again does not read (and log) again
        self.ops.run(lambda s, ws: s.reports.disproportionality(ws, bcu, quarter), errors=self.error_label,
                     finished=self._answered, owner=self)

    def _answered(self, result: Result[DisproportionalityReport]) -> None:
        if not self.loaded:
            return  # wiped meanwhile
        self.panel.dimension_box.blockSignals(False)  # blocked by a wipe; a report is about to be shown again
        self.panel.set_report(result.value if result.ok else None)

    @property
    def report(self) -> DisproportionalityReport | None:
        return self.panel.report

    def export_report(self) -> QFileDialog | None:
        report = self.report
        if report is None:
            return None
        return ask_save_path(self, "Export disproportionality report", f"disproportionality-{report.bcu}-{report.quarter}.pdf",
                             "PDF files (*.pdf)", "pdf", lambda path: self.export_to(path), folder=self.folder,
                             on_lock=self._page.lock_requested.emit)

    def export_to(self, path: Path) -> ProtectedPdfDialog | None:
        """Ask for the PDF's password and the user's own (it signs the report), then write the report on screen (its
        BCU and quarter, whatever the boxes say now) to `path`, off the GUI thread; None if there is no report."""
        report = self.report
        if report is None:
            return None
        self.folder = path.parent
        bcu, quarter = report.bcu, str(report.quarter)
        self.error_label.clear_message()
        self.notice.clear()

        def make(account: str, pdf: str | None, plain: bool) -> Call[Exported]:
            return lambda s, ws: s.reports.export_disproportionality(ws, path, account_password=account,
                                                                     pdf_password=pdf, unencrypted=plain, bcu=bcu,
                                                                     quarter=quarter)

        # The screen shows exact counts inside the vault; the file that leaves it has its small numbers suppressed.
        dialog = ProtectedPdfDialog(self.ops, "Export the disproportionality report",
                                    f"The disproportionality report of {bcu}, {quarter}, counts below "
                                    f"{SMALL_NUMBER} suppressed", path, make, self,
                                    progress="Exporting the disproportionality report")
        dialog.written.connect(self._exported)
        dialog.lock_requested.connect(self._page.lock_requested.emit)
        dialog.open()
        return dialog

    def _exported(self, result: Exported) -> None:
        self.notice.setText(f"Report saved to {result.path} ({result.bytes:,} bytes, counts only, small numbers "
                            f"suppressed, signed with your key, "
                            f"{'AES-256 encrypted' if result.encrypted else 'NOT encrypted'}; "
                            f"access-log entry {result.log_seq}).")

    # -- the reference population (admin) ------------------------------------------------------------------------------

    def choose_reference(self) -> QFileDialog | None:
        if not self.can_import:
            return None
        return ask_open_path(self, "Import reference population", "CSV files (*.csv);;All files (*)",
                             lambda path: self.import_reference(path), folder=self.folder,
                             on_lock=self._page.lock_requested.emit)

    def import_reference(self, path: Path) -> None:
        """Load `path` as the reference population, dated as the page says; the row count, or the file's fault, is
        said on the page."""
        self.folder = path.parent
        self.notice.clear()
        typed = self.as_of_field.text().strip()
        try:
            as_of = date.fromisoformat(typed) if typed else None
        except ValueError:
            self.error_label.show_message(f"'{typed}' is not a date: give the day the figures refer to as YYYY-MM-DD.")
            return
        self.error_label.clear_message()
        self.ops.run(lambda s, ws: s.reports.load_reference(ws, path, as_of=as_of),
                     done=lambda count: self._imported(count, path), errors=self.error_label, owner=self)

    def _imported(self, count: int, path: Path) -> None:
        self.notice.setText(f"Reference population loaded: {count:,} rows from {path.name}, replacing any before. "
                            + ("Press Show report to count a BCU against it." if self.can_read
                               else "SPOCs and auditors count their BCUs against it."))

    # -- locking --------------------------------------------------------------------------------------------------------

    def wipe(self) -> None:
        """Forget the report and every message (the home calls this when the session locks)."""
        # After this the home's wipe empties every combo box's model (home_base.wipe_item_models), and the panel
        # cannot redraw for a dimension of None: its box stays quiet until a report is loaded again, and a second
        # wipe (the box already empty, so the panel already cleared) leaves the panel alone.
        if self.panel.dimension_box.count():
            self.panel.clear()
        self.panel.dimension_box.blockSignals(True)
        self.notice.clear()
        self.error_label.clear_message()
        self.loaded = False
