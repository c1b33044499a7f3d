"""The SPOC's team access: their BCU's accounts, whose training is current, grants, and inactive accounts.

An officer reaches the BCU's matrix only with current data-protection training
and the SPOC's grant (core/governance.py). The services enforce both on every
call; this page records the training, grants or revokes, and offers the
inactive accounts for disabling. A change to training, grants or accounts
(Change.GOVERNANCE, Change.ACCOUNTS) has the team read again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.governance import REQUIRED_COURSE, TrainingRecord, has_current
from gvm_desktop.core.policy import Permission, Role, allows
from gvm_desktop.gui.admin.inactive_panel import InactivePanel
from gvm_desktop.gui.admin.training_dialog import RecordTrainingDialog
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model, time_column
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, ReadOnlyTable, heading, note

if TYPE_CHECKING:
    from datetime import date

    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Call, Services, SessionOps
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
        time_column("Last sign-in", lambda m: m.account.last_signin_at, "never"),
        Column[TeamMember]("Training", lambda m: m.training_text()),
        Column[TeamMember]("Matrix access", lambda m: m.access_text()),
    )


class TeamAccessPanel(QWidget):
    def __init__(self, ops: SessionOps, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self._page = ops, page
        self.bcu = ops.session.bcu
        self.model = TeamTableModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = ReadOnlyTable(self.proxy, self)
        self.table.setObjectName("teamTable")
        self.table.setAccessibleName("Team accounts")
        self.training_button = QPushButton("Record trai&ning…", self)
        self.grant_button = QPushButton("&Grant access", self)
        self.revoke_button = QPushButton("Re&voke access", self)
        self.refresh_button = QPushButton("Re&load", self)
        for button, tip in ((self.grant_button, "Open the BCU's matrix to this officer (needs current training)"),
                            (self.revoke_button, "Close the BCU's matrix to this officer")):
            button.setToolTip(tip)
        self.summary = note("", self)
        self.result_label = NoticeLabel(self)
        self.error_label = ErrorLabel(self)
        self.inactive = InactivePanel(page, self, can_disable=allows(ops.session.role, Permission.INACTIVE_DISABLE))
        self.dialog: RecordTrainingDialog | None = None
        self.loaded = False
        self._lay_out()

        self.training_button.clicked.connect(lambda: self.record_training())
        self.grant_button.clicked.connect(lambda: self.grant())
        self.revoke_button.clicked.connect(lambda: self.revoke())
        self.refresh_button.clicked.connect(lambda: self.load())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        ops.changed.connect(self._changed)
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

    def load(self) -> None:
        self.load_team()
        self.inactive.load()

    def load_team(self, *, quietly: bool = False) -> None:
        """Read the BCU's accounts with their training and grants. `quietly`: a refresh after a change,
        which leaves the error line as it is (a failure still shows)."""
        today, bcu = self.ops.clock.now().date(), self.bcu

        def read(s: Services, ws: Workspace) -> list[TeamMember]:
            return [TeamMember(m.account, m.training, today, m.granted) for m in s.governance.team(ws)
                    if m.account.bcu == bcu]

        self.ops.run(read, done=self._show_team, errors=None if quietly else self.error_label,
                     failed=self.error_label.show_error if quietly else None,
                     finished=lambda result: None if result.ok else self._forget(), owner=self)

    def _changed(self, changes: frozenset[Change]) -> None:
        if self.loaded and changes & {Change.GOVERNANCE, Change.ACCOUNTS}:
            self.load_team(quietly=True)

    def _forget(self) -> None:
        self.model.clear()
        self.summary.clear()

    def _show_team(self, members: list[TeamMember]) -> None:
        self.loaded = True
        selected = self.selected_username()
        self.model.set_rows(members)
        self.table.resizeColumnsToContents()
        if selected:
            self.select_username(selected)
        untrained = sum(1 for m in members if m.account.active and m.account.role in TRAINED_ROLES
                        and not m.training_current())
        self.summary.setText(f"{len(members)} accounts in {self.bcu}; {untrained} without current training.")

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
        dialog = RecordTrainingDialog(self.ops, member.account.username, member.account.display_name, self)
        self._page.adopt(dialog)
        dialog.accepted.connect(lambda: self._trained(dialog.username))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _trained(self, username: str) -> None:
        self.result_label.setText(f"Training recorded for {username}.")  # the team is read again (GOVERNANCE)

    def grant(self) -> bool:
        """Open the matrix to the selected officer; False if nobody is selected (nothing asked)."""
        username = self.selected_username()
        if username is None:
            return False
        self._decide(lambda s, ws: s.governance.grant(ws, username),
                     f"{username} may now use the {self.bcu} matrix.")
        return True

    def revoke(self) -> bool:
        """Close the matrix to the selected officer; False if nobody is selected (nothing asked)."""
        username = self.selected_username()
        if username is None:
            return False
        self._decide(lambda s, ws: s.governance.revoke(ws, username),
                     f"{username} can no longer use the {self.bcu} matrix.")
        return True

    def _decide(self, call: Call[object], said: str) -> None:
        self.ops.run(call, done=lambda _none: self.result_label.setText(said), failed=self._refused,
                     errors=self.error_label, changes={Change.GOVERNANCE}, owner=self)

    def _refused(self, error: GvmError) -> None:
        self.result_label.clear()
        self.error_label.show_error(error)

    def wipe(self) -> None:
        self.model.clear()
        self.inactive.wipe()
        self.summary.clear()
        self.result_label.clear()
        self.loaded = False
