"""The auditor's workspace: the access log and what an audit does with it.

Tabs: the log (filters, lazily fetched pages, an entry's details, exports and
audit forms), record references across BCUs, flags, the audit forms issued,
the monthly audit of a BCU, and the disproportionality report of any BCU. The "Verify log" bar stays above them all. Every read
here is the service's, and each one is itself logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from gvm_desktop.gui.audit.audit_forms_panel import AuditFormsPanel
from gvm_desktop.gui.audit.flags_panel import FlagsPanel
from gvm_desktop.gui.audit.log_panel import AccessLogPanel
from gvm_desktop.gui.audit.log_verify import VerifyBar
from gvm_desktop.gui.audit.monthly_audit_panel import MonthlyAuditPanel
from gvm_desktop.gui.common.home_base import HomePage, panel
from gvm_desktop.gui.common.widgets import heading, note
from gvm_desktop.gui.matrix.matrix_panel import MatrixPanel
from gvm_desktop.gui.record.record_flow import RecordOpener
from gvm_desktop.gui.review.disproportionality_page import DisproportionalityPage

if TYPE_CHECKING:
    from gvm_desktop.core.audit_forms import AuditForm
    from gvm_desktop.gui.common.operations import SessionOps


class AuditorHome(HomePage):
    def __init__(self, ops: SessionOps, parent: QWidget | None = None, *, page_size: int | None = None) -> None:
        super().__init__(ops, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        box = panel(self)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(10, 6, 10, 6)
        self.verify_bar = VerifyBar(ops, box)
        inner.addWidget(self.verify_bar)
        layout.addWidget(box)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)

        self.log_panel = AccessLogPanel(self, self.tabs, page_size=page_size)
        self.tabs.addTab(self.log_panel, "Access &log")
        self.refs_page = self._references_page()
        self.tabs.addTab(self.refs_page, "Record &references")
        self.flags_panel = FlagsPanel(self, self.tabs)
        self.tabs.addTab(self.flags_panel, "Fla&gs")
        self.forms_panel = AuditFormsPanel(self, self.tabs)
        self.tabs.addTab(self.forms_panel, "Audit &forms")
        self.monthly_panel = MonthlyAuditPanel(self, self.tabs)
        self.tabs.addTab(self.monthly_panel, "Monthly au&dit")
        self.disproportionality = DisproportionalityPage(ops, self, self.tabs)
        self.tabs.addTab(self.disproportionality, "Dispro&portionality")
        # The names older tests and the lock's checks use.
        self.log_model = self.log_panel.model
        self.log_view = self.log_panel.table

        self.opener = RecordOpener(self)
        self.matrix.open_requested.connect(self.opener.open)
        self.flags_panel.jump_requested.connect(self.show_log_entry)
        self.log_panel.form_issued.connect(self._form_issued)
        # References and forms are read (and the references' listing logged) only once their tab is opened.
        self.tabs.currentChanged.connect(lambda _i: self._tab_shown())
        self._references_asked = False
        self._flags_asked = self._monthly_asked = False  # each read once on arrival; the buttons read again

    def _references_page(self) -> QWidget:
        page = QWidget(self.tabs)
        refs_layout = QVBoxLayout(page)
        refs_layout.addWidget(heading("Record references", page, level=2))
        refs_layout.addWidget(note(
            "References of everyone on the matrix, in every BCU; no names. Opening one asks why, "
            "and the reason goes into the access log with the read.", page))
        self.matrix = MatrixPanel(self.ops, self.error_label, page)
        refs_layout.addWidget(self.matrix, 1)
        return page

    def _tab_shown(self) -> None:
        current = self.tabs.currentWidget()
        if current is self.refs_page and not self._references_asked:
            self._references_asked = True
            self.matrix.load(then=self._references_answered)
        elif current is self.forms_panel and not self.forms_panel.loaded:
            self.forms_panel.load()
        elif current is self.disproportionality and not self.disproportionality.loaded:
            self.disproportionality.load()  # the report's reading is logged: only once its tab is opened
        elif current is self.flags_panel and not self._flags_asked:
            self._flags_asked = True
            self.flags_panel.find_flags()  # the current month on arrival (logged, as the button's reading is)
        elif current is self.monthly_panel and not self._monthly_asked:
            self._monthly_asked = True
            self.monthly_panel.show_audit()

    def _references_answered(self, ok: bool) -> None:
        self._references_asked = ok  # refused: asked again the next time the tab is opened

    def load(self) -> None:
        self.log_panel.load()

    def show_log_entry(self, seq: int, record_ref: str | None, username: str | None) -> None:
        """A flag's entry, in the Access log tab."""
        self.tabs.setCurrentWidget(self.log_panel)
        self.log_panel.jump_to(seq, record_ref, username)

    def _form_issued(self, form: AuditForm) -> None:
        self.forms_panel.select_when_loaded(form.id)  # the list is read again on Change.AUDIT_FORMS

    def set_busy(self, busy: bool) -> None:
        # The tabs (and every table and button on them) wait; the bar says something is running.
        self.tabs.setEnabled(not busy)
        self.verify_bar.set_busy(busy)

    def wipe(self) -> None:
        self.verify_bar.wipe()
        self.log_panel.wipe()
        self.flags_panel.wipe()
        self.forms_panel.wipe()
        self.monthly_panel.wipe()
        self.disproportionality.wipe()
        self.matrix.wipe()
        self._flags_asked = self._monthly_asked = False
        super().wipe()
