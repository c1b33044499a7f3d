"""The home page each role sees after signing in, built only from what the services return."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.home_admin import AdminHome
from gvm_desktop.gui.home_base import HomePage, bcu_text, panel
from gvm_desktop.gui.table_models import AccessLogTableModel, sorted_view_model
from gvm_desktop.gui.widgets import ReadOnlyTable, heading, note

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace
    from gvm_desktop.services.matrix import MatrixOverview

LOG_PAGE = 200
STATUS_NAMES = (("proposed", "Proposed"), ("active", "Active"), ("removed", "Removed"))


class MatrixHome(HomePage):
    """Officers and SPOCs: how many people of their BCU are proposed, active and removed. Counts only."""

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(app, ws, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        layout.addWidget(heading(f"Matrix overview — {bcu_text(ws.session.bcu)}", self))

        box = panel(self)
        grid = QGridLayout(box)
        grid.setContentsMargins(16, 12, 16, 12)
        grid.setHorizontalSpacing(32)
        self.count_labels: dict[str, QLabel] = {}
        for col, (key, name) in enumerate((*STATUS_NAMES, ("total", "Total"))):
            value = QLabel("–", box)
            value.setObjectName("countValue")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value.setAccessibleName(f"{name} count")
            caption = QLabel(name, box)
            caption.setObjectName("countName")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(value, 0, col)
            grid.addWidget(caption, 1, col)
            self.count_labels[key] = value
        layout.addWidget(box)

        refresh_row = QHBoxLayout()
        self.refresh_button = QPushButton("&Refresh counts", self)
        self.refresh_button.clicked.connect(self.load)
        refresh_row.addWidget(self.refresh_button)
        refresh_row.addStretch(1)
        layout.addLayout(refresh_row)
        layout.addWidget(self.error_label)

        placeholder = QFrame(self)
        placeholder.setObjectName("placeholder")
        inner = QVBoxLayout(placeholder)
        inner.setContentsMargins(16, 16, 16, 16)
        inner.addWidget(heading("The matrix table", placeholder, level=2))
        inner.addWidget(note(
            "The matrix table (people, scores, reviews) arrives in the next release. "
            "Until then this page shows only the counts above; no person's details are shown here.",
            placeholder,
        ))
        layout.addWidget(placeholder)
        layout.addStretch(1)

    def load(self) -> None:
        overview = self.call_service(lambda: self.app.matrix.overview(self.ws))
        self._show(overview)

    def _show(self, overview: MatrixOverview | None) -> None:
        for key, _name in STATUS_NAMES:
            self.count_labels[key].setText("–" if overview is None else f"{overview.by_status.get(key, 0):,}")
        self.count_labels["total"].setText("–" if overview is None else f"{overview.total:,}")


PARTNER_TEXT = (
    "You have preview-only access under a data sharing agreement (DSA).\n\n"
    "No records are shared with partners until a DSA is registered for your organisation. "
    "When one is, you will see here only what it covers.\n\n"
    "Partner access never allows copying, printing or exporting."
)


class PartnerHome(HomePage):
    """Partners see what their access means; no service call, so nothing is read from the vault."""

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(app, ws, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        layout.addWidget(heading("Partner preview", self))
        box = panel(self)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(16, 16, 16, 16)
        self.text = note(PARTNER_TEXT, box)
        inner.addWidget(self.text)
        layout.addWidget(box)
        layout.addWidget(self.error_label)
        layout.addStretch(1)


class AuditorHome(HomePage):
    """Auditors: the latest access-log entries (reading them is itself logged)."""

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(app, ws, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addWidget(heading("Access log", self))
        layout.addWidget(note(
            f"The latest {LOG_PAGE} entries, newest first. Each time this list is read, "
            "that reading is added to the log too.", self))
        self.log_model = AccessLogTableModel(self)
        self.log_view = ReadOnlyTable(sorted_view_model(self.log_model, self), self)
        self.log_view.setObjectName("accessLogTable")
        self.log_view.setAccessibleName("Access log")
        layout.addWidget(self.log_view, 1)
        row = QHBoxLayout()
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.clicked.connect(self.load)
        self.summary = QLabel(self)
        row.addWidget(self.refresh_button)
        row.addWidget(self.summary, 1)
        layout.addLayout(row)
        layout.addWidget(self.error_label)

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
