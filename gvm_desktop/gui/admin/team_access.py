"""The SPOC's team access: their BCU's accounts, whose training is current, grants, and inactive accounts.

An officer reaches the BCU's matrix only with current data-protection training
and the SPOC's grant (core/governance.py). The services enforce both on every
call; this page records the training, grants or revokes, and offers the
inactive accounts for disabling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.governance import REQUIRED_COURSE, TrainingRecord, has_current
from gvm_desktop.core.policy import Permission, Role, allows
from gvm_desktop.gui.admin.inactive_panel import InactivePanel
from gvm_desktop.gui.admin.training_dialog import RecordTrainingDialog
from gvm_desktop.gui.audit.log_model import when_text
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, ReadOnlyTable, heading, note

if TYPE_CHECKING:
    from datetime import date

    from gvm_desktop.app import App
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.services.context import Workspace

# Roles that need the course to reach the matrix; a partner's preview is governed by their agreement.
TRAINED_ROLES = frozenset({Role.OFFICER, Role.SPOC})


@dataclass(frozen=True)
class TeamMember:
    account: Account
    training: tuple[TrainingRecord, ...]
    today: date
    granted: bool = False

    def access_text(self) -> str:
        if self.account.role is not Role.OFFICER:
            return "by role"
        return "granted" if self.granted else "not granted"

    def training_current(self) -> bool:
        return has_current(list(self.training), self.today)

    def training_text(self) -> str:
        if self.account.role not in TRAINED_ROLES:
            return "not needed"
        course = [t for t in self.training if t.course == REQUIRED_COURSE]
        if self.training_current():
            return f"current until {max(t.expires_on for t in course if t.current(self.today))}"
        if course:
            return f"expired {max(t.expires_on for t in course)}"
        return "none recorded"


class TeamTableModel(RowTableModel[TeamMember]):
    columns = (
        Column[TeamMember]("Username", lambda m: m.account.username),
        Column[TeamMember]("Display name", lambda m: m.account.display_name),
        Column[TeamMember]("Role", lambda m: m.account.role.label),
        Column[TeamMember]("Status", lambda m: m.account.status),
        Column[TeamMember]("Last sign-in (UTC)", lambda m: when_text(m.account.last_signin_at or "") or "never",
                           lambda m: m.account.last_signin_at or ""),
        Column[TeamMember]("Training", lambda m: m.training_text()),
        Column[TeamMember]("Matrix access", lambda m: m.access_text()),
    )


class TeamAccessPanel(QWidget):
    def __init__(self, app: App, ws: Workspace, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app, self._ws, self._page = app, ws, page
        self.bcu = ws.session.bcu
        self.model = TeamTableModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = ReadOnlyTable(self.proxy, self)
        self.table.setObjectName("teamTable")
        self.table.setAccessibleName("Team accounts")
        self.training_button = QPushButton("Record trai&ning…", self)
        self.grant_button = QPushButton("&Grant access", self)
        self.revoke_button = QPushButton("Re&voke access", self)
        self.refresh_button = QPushButton("Refres&h", self)
        for button, tip in ((self.grant_button, "Open the BCU's matrix to this officer (needs current training)"),
                            (self.revoke_button, "Close the BCU's matrix to this officer")):
            button.setToolTip(tip)
        self.summary = note("", self)
        self.result_label = NoticeLabel(self)
        self.error_label = ErrorLabel(self)
        self.inactive = InactivePanel(app, ws, page, self, can_disable=allows(ws.session.role, Permission.INACTIVE_DISABLE))
        self.dialog: RecordTrainingDialog | None = None
        self.loaded = False
        self._lay_out()

        self.training_button.clicked.connect(lambda: self.record_training())
        self.grant_button.clicked.connect(lambda: self.grant())
        self.revoke_button.clicked.connect(lambda: self.revoke())
        self.refresh_button.clicked.connect(self.load)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self.inactive.disabled.connect(lambda _names: self.load_team())
        self._update_buttons()

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(heading(f"Team access — {bcu_text(self.bcu)}", self, level=2))
        layout.addWidget(note(
            f"An officer uses the matrix only with current '{REQUIRED_COURSE}' training and your grant; "
            "both are checked on every read. Record the training first, then grant.", self))
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        team = QWidget(splitter)
        team_layout = QVBoxLayout(team)
        team_layout.setContentsMargins(0, 0, 0, 0)
        team_layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        for button in (self.training_button, self.grant_button, self.revoke_button):
            row.addWidget(button)
        row.addWidget(self.summary, 1)
        row.addWidget(self.refresh_button)
        team_layout.addLayout(row)
        team_layout.addWidget(self.result_label)
        team_layout.addWidget(self.error_label)
        splitter.addWidget(team)
        inactive = QWidget(splitter)
        inactive_layout = QVBoxLayout(inactive)
        inactive_layout.setContentsMargins(0, 6, 0, 0)
        inactive_layout.addWidget(heading("Inactive accounts", inactive, level=2))
        inactive_layout.addWidget(self.inactive, 1)
        splitter.addWidget(inactive)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)

    # -- data -------------------------------------------------------------------

    def load(self) -> bool:
        return self.load_team() and self.inactive.load()

    def load_team(self) -> bool:
        members = self._page.call_service(self._read_team, self.error_label)
        if members is None:
            self.model.clear()
            self.summary.clear()
            return False
        self.loaded = True
        selected = self.selected_username()
        self.model.set_rows(members)
        self.table.resizeColumnsToContents()
        if selected:
            self.select_username(selected)
        untrained = sum(1 for m in members if m.account.active and m.account.role in TRAINED_ROLES
                        and not m.training_current())
        self.summary.setText(f"{len(members)} accounts in {self.bcu}; {untrained} without current training.")
        return True

    def _read_team(self) -> list[TeamMember]:
        today = self._app.env.clock.now().date()
        return [TeamMember(m.account, m.training, today, m.granted) for m in self._app.governance.team(self._ws)
                if m.account.bcu == self.bcu]

    # -- selection --------------------------------------------------------------

    def selected_member(self) -> TeamMember | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row()) if rows else None

    def selected_username(self) -> str | None:
        member = self.selected_member()
        return member.account.username if member else None

    def select_username(self, username: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.model.row_at(self.proxy.mapToSource(self.proxy.index(row, 0)).row()).account.username == username:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        member = self.selected_member()
        active = member is not None and member.account.active
        self.training_button.setEnabled(active and member is not None and member.account.role in TRAINED_ROLES)
        officer = active and member is not None and member.account.role is Role.OFFICER
        self.grant_button.setEnabled(officer)
        self.revoke_button.setEnabled(officer)

    # -- actions ----------------------------------------------------------------

    def record_training(self) -> RecordTrainingDialog | None:
        member = self.selected_member()
        if member is None:
            return None
        dialog = RecordTrainingDialog(self._app, self._ws, member.account.username, member.account.display_name, self)
        self._page.adopt(dialog)
        dialog.accepted.connect(lambda: self._trained(dialog.username))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _trained(self, username: str) -> None:
        self.result_label.setText(f"Training recorded for {username}.")
        self.load_team()

    def grant(self) -> bool:
        username = self.selected_username()
        if username is None:
            return False
        def grant() -> bool:
            self._app.governance.grant(self._ws, username)
            return True

        done = self._page.call_service(grant, self.error_label)
        self.result_label.setText(f"{username} may now use the {self.bcu} matrix." if done else "")
        return bool(done)

    def revoke(self) -> bool:
        username = self.selected_username()
        if username is None:
            return False
        def revoke() -> bool:
            self._app.governance.revoke(self._ws, username)
            return True

        done = self._page.call_service(revoke, self.error_label)
        self.result_label.setText(f"{username} can no longer use the {self.bcu} matrix." if done else "")
        return bool(done)

    def wipe(self) -> None:
        self.model.clear()
        self.inactive.wipe()
        self.summary.clear()
        self.result_label.clear()
        self.loaded = False
