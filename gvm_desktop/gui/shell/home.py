"""The home page each role sees after signing in, built only from what the services return.

Officers and SPOCs get the matrix (home_matrix.py; SPOCs also their team's access),
admins accounts and settings (home_admin.py), auditors the access log and its
audit (home_auditor.py); partners' preview is here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QVBoxLayout, QWidget

from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import COLUMN_LABELS
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.audit.home_auditor import AuditorHome
from gvm_desktop.gui.common.home_base import HomePage, panel
from gvm_desktop.gui.common.widgets import heading, note
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.matrix.matrix_panel import MatrixPanel

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

__all__ = ["AdminHome", "AuditorHome", "MatrixHome", "PartnerHome", "build_home"]


PARTNER_TEXT = (
    "Preview only, under your organisation's data sharing agreement (DSA): you see the people and the "
    "fields it lists, and only while it is in force. Partner access never allows copying, printing or exporting."
)


class PartnerHome(HomePage):
    """The DSA preview: the columns the agreement lists, no opening, no copying; or the service's refusal."""

    def __init__(self, ops: SessionOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
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
        self.matrix = MatrixPanel(ops, self.error_label, self)
        self.matrix.model.view_changed.connect(self._view_changed)
        layout.addWidget(self.matrix, 1)

    def load(self) -> None:
        self.matrix.load()

    def _view_changed(self) -> None:
        columns = self.matrix.model.columns
        # Refused (no agreement in force): the service's message is on the page, and no empty grid beside it.
        self.matrix.setVisible(bool(columns))
        until = self.matrix.model.partner_until
        self.shared.setText("Your agreement shares: " + ", ".join(COLUMN_LABELS.get(c, c) for c in columns) + "."
                            + (f" It is in force until {until.isoformat()}; the preview ends then." if until else "")
                            if columns else "")

    def wipe(self) -> None:
        self.matrix.wipe()
        super().wipe()


def build_home(ops: SessionOps, parent: QWidget | None = None) -> HomePage:
    """The home for the session's role; anyone not listed gets the partner page, which reads nothing."""
    role = ops.session.role
    if role in (Role.OFFICER, Role.SPOC):
        return MatrixHome(ops, parent)
    if role is Role.ADMIN:
        return AdminHome(ops, parent)
    if role is Role.AUDITOR:
        return AuditorHome(ops, parent)
    return PartnerHome(ops, parent)
