"""The sign-in window: username, password, and (for a demo vault) the published demo accounts.

It comes up before the services are even imported (`gvm-desktop` starts here: gui/shell/main.py
`launch`), so this module loads Qt and the shared widgets only; the App is built on a worker of its
own after the window's first paint, and people type meanwhile. `gvm-desktop --demo` on a workstation
without a demo vault builds one here, behind a progress dialog: like signing in, work with no
session yet, on a worker of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.errors import GvmError
from gvm_desktop.gui.common.widgets import BusyBar, DemoBanner, ErrorLabel, heading, note
from gvm_desktop.gui.common.worker import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTableWidget

    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace

TITLE = "gvm-desktop — sign in"
EMPTY_FIELDS = "Enter your username and password."
OPENING_TEXT = "Opening the vault…"


def no_vault_text(vault_dir: object) -> str:
    """Rich text (the path is escaped: a folder name is not markup)."""
    from html import escape  # only without a vault: not on every start's way to the first paint

    return (
        f"<b>There is no vault at</b> {escape(str(vault_dir))}<br><br>"
        "An administrator creates one on this workstation with<br>"
        "<code>&nbsp;&nbsp;gvm-desktop init --admin NAME</code><br><br>"
        "To try the application on synthetic data instead, run <code>gvm-desktop --demo</code>."
    )


class _DemoProgress(QObject):
    """Carries the demo build's steps from the worker thread to the progress dialog (queued)."""

    step = Signal(int, int)


def create_demo_with_progress(app: App, nominals: int | None = None) -> GvmError | None:
    """Build the demo vault on a worker thread behind a progress dialog with a percentage; None when built.

    Before anyone can sign in: the dialog is application-modal while the people are made. `nominals`
    defaults to the demo's own size.
    """
    # Imported here, as the demo table's classes are: not on the way to the sign-in window's first paint.
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QProgressDialog

    if nominals is None:
        from gvm_desktop.core.synthetic import DEMO_PEOPLE

        nominals = DEMO_PEOPLE
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
    """Emits `signed_in(workspace)`; the password never leaves this window except to the service.

    Made without an App (`app=None`), it shows "Opening the vault…" until `attach`: the fields take
    typing, the Sign in button and Enter wait, and what was typed stays for when the vault is open.
    """

    signed_in = Signal(object)
    closed = Signal()
    first_painted = Signal()  # once, on the event loop's next turn after the first paint reached the screen
    vault_opened = Signal(object)  # the App built by `open_vault`
    open_failed = Signal(object)  # the GvmError that stopped it, already on the window

    def __init__(self, app: App | None, *, demo: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._demo = demo
        self._demo_logins: tuple[tuple[str, str], ...] = ()  # each row's username and password
        self._painted = False
        self._opening_failed = False
        # Set when the window closes mid-sign-in, so the worker closes the vault it opened.
        self._abandoned = threading.Event()
        self._runner = TaskRunner(self)
        self._runner.busy_changed.connect(self._set_busy)
        # Apart from the sign-in's: building the App must not grey out the fields people are typing in.
        self._opener = TaskRunner(self)
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
        self.opening_label = note(OPENING_TEXT, self)
        self.opening_label.setObjectName("opening")
        self.busy_bar = BusyBar(self)
        self.error_label = ErrorLabel(self)
        self.no_vault_label = QLabel(self)
        self.no_vault_label.setObjectName("noVault")
        self.no_vault_label.setWordWrap(True)
        self.no_vault_label.setTextFormat(Qt.TextFormat.RichText)
        self.no_vault_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_again_button = QPushButton("Check &again", self)

        self.demo_banner: DemoBanner | None = DemoBanner(self) if demo else None
        self._demo_section: QWidget | None = None
        self.demo_accounts: QTableWidget | None = None
        if demo:
            self._demo_section, self.demo_accounts = self._demo_part()

        self._lay_out()
        self.username.returnPressed.connect(self.sign_in)
        self.password.returnPressed.connect(self.sign_in)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.check_again_button.clicked.connect(self.refresh_vault_state)
        self._fill_demo_table()  # at the first paint: the accounts are core's, not the vault's
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
        buttons.addWidget(self.opening_label)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)
        outer.addLayout(buttons)
        outer.addWidget(self.busy_bar)
        outer.addWidget(self.error_label)

        if self._demo_section is not None:
            outer.addWidget(self._demo_section)
        outer.addStretch(1)

    def _demo_part(self) -> tuple[QWidget, QTableWidget]:
        """The demo accounts' heading, note and (empty) table, hidden: `_fill_demo_table` fills and shows them."""
        from PySide6.QtWidgets import QTableWidget  # only a demo's window has one

        part = QWidget(self)
        column = QVBoxLayout(part)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        column.addWidget(heading("Demo accounts", part, level=2))
        column.addWidget(note("Published on purpose: this vault holds only synthetic people. "
                              "Choose an account to fill in the form.", part))
        table = QTableWidget(0, 3, part)
        column.addWidget(table)
        part.hide()
        table.setObjectName("demoAccounts")
        table.setAccessibleName("Demo accounts")
        table.setHorizontalHeaderLabels(["Username", "Role", "Password"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.currentCellChanged.connect(lambda row, _col, _prev_row, _prev_col: self.choose_demo_account(row))
        table.cellActivated.connect(lambda row, _col: self._sign_in_as_demo_account(row))
        return part, table

    def _fill_demo_table(self) -> None:
        part, table = self._demo_section, self.demo_accounts
        if part is None or table is None or self._demo_logins:
            return
        from PySide6.QtWidgets import QTableWidgetItem

        from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS

        self._demo_logins = tuple((acct.username, acct.password) for acct in DEMO_ACCOUNTS)
        table.setRowCount(len(DEMO_ACCOUNTS))
        for row, acct in enumerate(DEMO_ACCOUNTS):
            for col, text in enumerate((acct.username, acct.role.label, acct.password)):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        # Tall enough for every account, so the list never needs a scroll bar.
        rows_height = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(rows_height + table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth())
        part.show()

    # -- opening the vault behind the window ------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            # The next turn of the event loop: this paint reaches the screen before whatever waited for it.
            QTimer.singleShot(0, self, self.first_painted.emit)

    def open_vault(self, build: Callable[[], App]) -> None:
        """Run `build` on a worker of its own, so typing goes on meanwhile; then `vault_opened(app)` or
        `open_failed(error)` (the error shown here first). Attaching the App is the caller's: see `attach`."""
        self._opener.start(build, self.vault_opened.emit, self.fail_opening)

    def attach(self, app: App) -> None:
        """The vault is open: Sign in works, with whatever was typed meanwhile."""
        self._app = app
        self._fill_demo_table()
        self.refresh_vault_state()

    def fail_opening(self, error: GvmError) -> None:
        """Opening stopped: the message stays on the window, and there is nothing to sign in to."""
        self._opening_failed = True
        self.error_label.show_error(error)
        self.refresh_vault_state()
        self.open_failed.emit(error)

    @property
    def opening(self) -> bool:
        """True until the App is attached (or opening failed)."""
        return self._app is None and not self._opening_failed

    # -- behaviour --------------------------------------------------------------

    def refresh_vault_state(self) -> None:
        """Without a vault there is nothing to sign in to: say where we looked and how to make one."""
        app = self._app
        missing = app is not None and not app.vault_exists()
        self.no_vault_label.setText(no_vault_text(app.vault_dir) if app is not None and missing else "")
        self.no_vault_label.setVisible(missing)
        self.check_again_button.setVisible(missing)
        self.opening_label.setVisible(self.opening)
        self._set_busy(self._runner.busy)

    def choose_demo_account(self, row: int) -> None:
        if 0 <= row < len(self._demo_logins) and not self._runner.busy:
            username, password = self._demo_logins[row]
            self.username.setText(username)
            self.password.setText(password)
            self.error_label.clear_message()

    def _sign_in_as_demo_account(self, row: int) -> None:
        self.choose_demo_account(row)
        self.sign_in()

    def sign_in(self) -> bool:
        """Start signing in off the GUI thread; False if nothing was started."""
        app = self._app
        if app is None or self._runner.busy or not app.vault_exists():
            return False
        username, password = self.username.text().strip(), self.password.text()
        if not username or not password:
            self.error_label.show_message(EMPTY_FIELDS)
            return False
        self.error_label.clear_message()
        abandoned = self._abandoned

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
        ready = not busy and self._app is not None and self._app.vault_exists()
        # While the vault opens the fields take typing; only signing in waits.
        for widget in (self.username, self.password):
            widget.setEnabled(ready or self.opening)
        self.sign_in_button.setEnabled(ready)
        if self.demo_accounts is not None:
            self.demo_accounts.setEnabled(ready)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def closeEvent(self, event: QCloseEvent) -> None:
        self._abandoned.set()
        self._runner.finish_and_forget()
        self._opener.finish_and_forget()  # an App still being built is dropped, not handed to a closed window
        self.password.clear()
        super().closeEvent(event)
        self.closed.emit()
