"""The sign-in window: username, password, and (for a demo vault) the published demo accounts.

Before it, `gvm-desktop --demo` on a workstation without a demo vault builds one here, behind a
progress dialog: like signing in, work with no session yet, on a worker of its own.
"""

from __future__ import annotations

import threading
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.synthetic import DEMO_PEOPLE
from gvm_desktop.gui.common.widgets import BusyBar, DemoBanner, ErrorLabel, heading, note
from gvm_desktop.gui.common.worker import TaskRunner
from gvm_desktop.services.vaults import DEMO_ACCOUNTS

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace

TITLE = "gvm-desktop — sign in"
EMPTY_FIELDS = "Enter your username and password."


def no_vault_text(vault_dir: object) -> str:
    """Rich text (the path is escaped: a folder name is not markup)."""
    return (
        f"<b>There is no vault at</b> {escape(str(vault_dir))}<br><br>"
        "An administrator creates one on this workstation with<br>"
        "<code>&nbsp;&nbsp;gvm-desktop init --admin NAME</code><br><br>"
        "To try the application on synthetic data instead, run <code>gvm-desktop --demo</code>."
    )


class _DemoProgress(QObject):
    """Carries the demo build's steps from the worker thread to the progress dialog (queued)."""

    step = Signal(int, int)


def create_demo_with_progress(app: App, nominals: int = DEMO_PEOPLE) -> GvmError | None:
    """Build the demo vault on a worker thread behind a progress dialog with a percentage; None when built.

    Before any window: the dialog is the only thing on screen while the people are made.
    """
    dialog = QProgressDialog(f"Creating a demo vault of {nominals:,} synthetic people...", "", 0, 100)
    dialog.setWindowTitle("gvm-desktop — DEMO")
    dialog.setCancelButton(None)  # half a vault is no use: the build runs to its end
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    relay = _DemoProgress(dialog)
    relay.step.connect(lambda done, total: dialog.setValue(done * 100 // total if total else 0),
                       Qt.ConnectionType.QueuedConnection)
    runner = TaskRunner(dialog)
    loop = QEventLoop()
    outcome: list[GvmError | None] = []

    def finished(error: GvmError | None) -> None:
        outcome.append(error)
        loop.quit()

    def build() -> None:
        app.auth.sign_out(app.create_demo(nominals, progress=relay.step.emit).workspace)

    dialog.show()
    runner.start(build, lambda _none: finished(None), finished)
    if not outcome:
        loop.exec()
    dialog.close()
    dialog.deleteLater()
    return outcome[0]


class SignInWindow(QWidget):
    """Emits `signed_in(workspace)`; the password never leaves this window except to the service."""

    signed_in = Signal(object)
    closed = Signal()

    def __init__(self, app: App, *, demo: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._demo = demo
        # Set when the window closes mid-sign-in, so the worker closes the vault it opened.
        self._abandoned = threading.Event()
        self._runner = TaskRunner(self)
        self._runner.busy_changed.connect(self._set_busy)
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(520)

        self.username = QLineEdit(self)
        self.username.setObjectName("username")
        self.username.setAccessibleName("Username")
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sign_in_button = QPushButton("&Sign in", self)
        self.sign_in_button.setDefault(True)
        self.busy_bar = BusyBar(self)
        self.error_label = ErrorLabel(self)
        self.no_vault_label = QLabel(self)
        self.no_vault_label.setObjectName("noVault")
        self.no_vault_label.setWordWrap(True)
        self.no_vault_label.setTextFormat(Qt.TextFormat.RichText)
        self.no_vault_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_again_button = QPushButton("Check &again", self)

        self.demo_banner: DemoBanner | None = DemoBanner(self) if demo else None
        self.demo_accounts: QTableWidget | None = self._demo_table() if demo else None

        self._lay_out()
        self.username.returnPressed.connect(self.sign_in)
        self.password.returnPressed.connect(self.sign_in)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.check_again_button.clicked.connect(self.refresh_vault_state)
        self.refresh_vault_state()
        self.username.setFocus()

    # -- layout -----------------------------------------------------------------

    def _lay_out(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 20)
        outer.setSpacing(12)
        if self.demo_banner is not None:
            outer.addWidget(self.demo_banner)
        outer.addWidget(heading("Gangs Violence Matrix", self))
        outer.addWidget(note("Offline and encrypted. Every sign-in and every record opened is logged.", self))
        no_vault_row = QHBoxLayout()
        no_vault_row.addWidget(self.no_vault_label, 1)
        no_vault_row.addWidget(self.check_again_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(no_vault_row)

        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        outer.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)
        outer.addLayout(buttons)
        outer.addWidget(self.busy_bar)
        outer.addWidget(self.error_label)

        if self.demo_accounts is not None:
            outer.addWidget(heading("Demo accounts", self, level=2))
            outer.addWidget(note("Published on purpose: this vault holds only synthetic people. "
                                 "Choose an account to fill in the form.", self))
            outer.addWidget(self.demo_accounts)
        outer.addStretch(1)

    def _demo_table(self) -> QTableWidget:
        table = QTableWidget(len(DEMO_ACCOUNTS), 3, self)
        table.setObjectName("demoAccounts")
        table.setAccessibleName("Demo accounts")
        table.setHorizontalHeaderLabels(["Username", "Role", "Password"])
        for row, acct in enumerate(DEMO_ACCOUNTS):
            for col, text in enumerate((acct.username, acct.role.label, acct.password)):
                table.setItem(row, col, QTableWidgetItem(text))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        # Tall enough for every account, so the list never needs a scroll bar.
        rows_height = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(rows_height + table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth())
        table.currentCellChanged.connect(lambda row, _col, _prev_row, _prev_col: self.choose_demo_account(row))
        table.cellActivated.connect(lambda row, _col: self._sign_in_as_demo_account(row))
        return table

    # -- behaviour --------------------------------------------------------------

    def refresh_vault_state(self) -> None:
        """Without a vault there is nothing to sign in to: say where we looked and how to make one."""
        exists = self._app.vault_exists()
        self.no_vault_label.setText("" if exists else no_vault_text(self._app.vault_dir))
        self.no_vault_label.setVisible(not exists)
        self.check_again_button.setVisible(not exists)
        self._set_busy(self._runner.busy)

    def choose_demo_account(self, row: int) -> None:
        if 0 <= row < len(DEMO_ACCOUNTS) and not self._runner.busy:
            acct = DEMO_ACCOUNTS[row]
            self.username.setText(acct.username)
            self.password.setText(acct.password)
            self.error_label.clear_message()

    def _sign_in_as_demo_account(self, row: int) -> None:
        self.choose_demo_account(row)
        self.sign_in()

    def sign_in(self) -> bool:
        """Start signing in off the GUI thread; False if nothing was started."""
        if self._runner.busy or not self._app.vault_exists():
            return False
        username, password = self.username.text().strip(), self.password.text()
        if not username or not password:
            self.error_label.show_message(EMPTY_FIELDS)
            return False
        self.error_label.clear_message()
        app, abandoned = self._app, self._abandoned

        def work() -> Workspace | None:
            ws = app.auth.sign_in(username, password)
            if abandoned.is_set():
                app.auth.sign_out(ws)  # nobody will take this session: close the vault at once
                return None
            return ws

        return self._runner.start(work, self._succeeded, self._failed)

    def _succeeded(self, ws: Workspace | None) -> None:
        if ws is None:
            return
        self.password.clear()
        self.username.clear()
        self.signed_in.emit(ws)

    def _failed(self, error: GvmError) -> None:
        self.password.clear()
        self.error_label.show_error(error)
        self.password.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self.busy_bar.set_busy(busy)
        enabled = not busy and self._app.vault_exists()
        for widget in (self.username, self.password, self.sign_in_button):
            widget.setEnabled(enabled)
        if self.demo_accounts is not None:
            self.demo_accounts.setEnabled(enabled)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def closeEvent(self, event: QCloseEvent) -> None:
        self._abandoned.set()
        self._runner.finish_and_forget()
        self.password.clear()
        super().closeEvent(event)
        self.closed.emit()
