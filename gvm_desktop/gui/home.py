"""The home page each role sees after signing in, built only from what the services return.

Officers and SPOCs get the matrix (home_matrix.py), admins accounts and settings
(home_admin.py); partners and auditors are here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import COLUMN_LABELS
from gvm_desktop.gui.home_admin import AdminHome
from gvm_desktop.gui.home_base import HomePage, panel
from gvm_desktop.gui.home_matrix import MatrixHome
from gvm_desktop.gui.matrix_panel import MatrixPanel
from gvm_desktop.gui.record_flow import RecordOpener
from gvm_desktop.gui.table_models import AccessLogTableModel, sorted_view_model
from gvm_desktop.gui.widgets import ReadOnlyTable, heading, note

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace

LOG_PAGE = 200
__all__ = ["AdminHome", "AuditorHome", "MatrixHome", "PartnerHome", "build_home"]


PARTNER_TEXT = (
    "Preview only, under your organisation's data sharing agreement (DSA): you see the people and the "
    "fields it lists, and only while it is in force. Partner access never allows copying, printing or exporting."
)


class PartnerHome(HomePage):
    """The DSA preview: the columns the agreement lists, no opening, no copying; or the service's refusal."""

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(app, ws, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addWidget(heading("Partner preview", self))
        box = panel(self)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(12, 10, 12, 10)
        self.text = note(PARTNER_TEXT, box)
        inner.addWidget(self.text)
        layout.addWidget(box)
        self.shared = note("", self)
        layout.addWidget(self.shared)
        layout.addWidget(self.error_label)
        self.matrix = MatrixPanel(app, ws, self)
        self.matrix.failed.connect(self.report)
        self.matrix.model.view_changed.connect(self._view_changed)
        layout.addWidget(self.matrix, 1)

    def load(self) -> None:
        self.matrix.load()

    def _view_changed(self) -> None:
        columns = self.matrix.model.columns
        # Refused (no agreement in force): the service's message is on the page, and no empty grid beside it.
        self.matrix.setVisible(bool(columns))
        self.shared.setText("Your agreement shares: " + ", ".join(COLUMN_LABELS.get(c, c) for c in columns) + "."
                            if columns else "")

    def wipe(self) -> None:
        self.matrix.wipe()
        super().wipe()


class AuditorHome(HomePage):
    """Auditors: the latest access-log entries (reading them is itself logged), and record references
    across BCUs, each opened only behind a justification."""

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(app, ws, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)

        log_page = QWidget(self.tabs)
        log_layout = QVBoxLayout(log_page)
        log_layout.addWidget(heading("Access log", log_page))
        log_layout.addWidget(note(
            f"The latest {LOG_PAGE} entries, newest first. Each time this list is read, "
            "that reading is added to the log too.", log_page))
        self.log_model = AccessLogTableModel(self)
        self.log_view = ReadOnlyTable(sorted_view_model(self.log_model, self), log_page)
        self.log_view.setObjectName("accessLogTable")
        self.log_view.setAccessibleName("Access log")
        log_layout.addWidget(self.log_view, 1)
        row = QHBoxLayout()
        self.refresh_button = QPushButton("&Refresh", log_page)
        self.refresh_button.clicked.connect(self.load)
        self.summary = QLabel(log_page)
        row.addWidget(self.refresh_button)
        row.addWidget(self.summary, 1)
        log_layout.addLayout(row)
        self.tabs.addTab(log_page, "Access &log")

        refs_page = QWidget(self.tabs)
        refs_layout = QVBoxLayout(refs_page)
        refs_layout.addWidget(heading("Record references", refs_page))
        refs_layout.addWidget(note(
            "References of everyone on the matrix, in every BCU; no names. Opening one asks why, "
            "and the reason goes into the access log with the read.", refs_page))
        self.matrix = MatrixPanel(app, ws, refs_page)
        refs_layout.addWidget(self.matrix, 1)
        self.tabs.addTab(refs_page, "Record &references")
        self.opener = RecordOpener(app, ws, self)
        self.matrix.open_requested.connect(self.opener.open)
        self.matrix.failed.connect(self.report)
        # The references are listed (and that listing logged) only when the tab is opened.
        self.tabs.currentChanged.connect(lambda _i: self._load_references())
        self._references_loaded = False

    def _load_references(self) -> None:
        if self.tabs.currentIndex() == 1 and not self._references_loaded:
            self._references_loaded = self.matrix.load()

    def wipe(self) -> None:
        self.matrix.wipe()
        super().wipe()

    def load(self) -> None:
        entries = self.call_service(lambda: self.app.audit.recent(self.ws, LOG_PAGE))
        if entries is None:
            return
        self.log_model.set_rows(entries)
        self.log_view.resizeColumnsToContents()
        newest = entries[0].seq if entries else 0
        self.summary.setText(f"{len(entries)} entries shown; the newest is #{newest}.")


def build_home(app: App, ws: Workspace, parent: QWidget | None = None) -> HomePage:
    """The home for the session's role; anyone not listed gets the partner page, which reads nothing."""
    role = ws.session.role
    if role in (Role.OFFICER, Role.SPOC):
        return MatrixHome(app, ws, parent)
    if role is Role.ADMIN:
        return AdminHome(app, ws, parent)
    if role is Role.AUDITOR:
        return AuditorHome(app, ws, parent)
    return PartnerHome(app, ws, parent)
