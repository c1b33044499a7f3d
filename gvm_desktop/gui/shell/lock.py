"""The locked state: the vault is closed, the home page is gone, only the password gets you back.

Like a password manager's locked view, this page holds nothing from the vault:
just who was signed in (from the session, which survives the lock) and a
password field. Unlocking runs Argon2id, so it goes off the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.text import isolate
from gvm_desktop.gui.common.home_base import panel
from gvm_desktop.gui.common.widgets import BusyBar, ErrorLabel, heading, note
from gvm_desktop.gui.common.worker import TaskRunner

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace

# Why the session locked, as recorded in the access log (AuthService.lock's `reason`).
REASON_ON_REQUEST = "on request"
REASON_IDLE = "idle"
REASON_SESSION_LOST = "the vault refused the session"


class LockedPage(QWidget):
    unlocked = Signal()
    sign_out_requested = Signal()
    busy_changed = Signal(bool)

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._ws = ws
        self._runner = TaskRunner(self)
        self._runner.busy_changed.connect(self._set_busy)
        self._runner.busy_changed.connect(self.busy_changed)

        self.title = heading(f"Locked — {isolate(ws.session.display_name)}", self)
        self.reason = note("", self)
        self.password = QLineEdit(self)
        self.password.setObjectName("unlockPassword")
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.unlock_button = QPushButton("&Unlock", self)
        self.unlock_button.setDefault(True)
        self.sign_out_button = QPushButton("Sign &out", self)
        self.busy_bar = BusyBar(self)
        self.error_label = ErrorLabel(self)
        self._lay_out(ws)

        self.password.returnPressed.connect(self.unlock)
        self.unlock_button.clicked.connect(self.unlock)
        self.sign_out_button.clicked.connect(self.sign_out_requested)

    def _lay_out(self, ws: Workspace) -> None:
        box = panel(self)
        box.setMaximumWidth(520)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(24, 20, 24, 20)
        inner.setSpacing(12)
        inner.addWidget(self.title)
        inner.addWidget(self.reason)
        inner.addWidget(note(
            "The vault is closed and nothing from it is on screen. "
            f"Enter the password of {ws.session.username} to carry on, or sign out.", box))
        form = QFormLayout()
        form.addRow("&Password", self.password)
        inner.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_out_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        inner.addLayout(buttons)
        inner.addWidget(self.busy_bar)
        inner.addWidget(self.error_label)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 2)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    # -- behaviour --------------------------------------------------------------

    def show_locked(self, reason: str) -> None:
        """Fresh state each time the session locks: empty field, no old error, focus ready to type."""
        self.reason.setText({
            REASON_IDLE: "Locked after a time without input.",
            REASON_ON_REQUEST: "You locked the session.",
        }.get(reason, "The vault closed the session."))
        self.password.clear()
        self.error_label.clear_message()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def unlock(self) -> bool:
        """Start unlocking off the GUI thread; False if nothing was started."""
        if self._runner.busy:
            return False
        password = self.password.text()
        if not password:
            self.error_label.show_message("Enter your password to unlock.")
            return False
        self.error_label.clear_message()
        app, ws = self._app, self._ws
        return self._runner.start(lambda: app.auth.unlock(ws, password), self._succeeded, self._failed)

    def _succeeded(self, _result: object) -> None:
        self.password.clear()
        self.unlocked.emit()

    def _failed(self, error: GvmError) -> None:
        self.password.clear()
        self.error_label.show_error(error)
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_busy(self, busy: bool) -> None:
        self.busy_bar.set_busy(busy)
        for widget in (self.password, self.unlock_button, self.sign_out_button):
            widget.setEnabled(not busy)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def finish_and_forget(self) -> None:
        """Before signing out or quitting: let a running unlock end, and ignore its outcome."""
        self._runner.finish_and_forget()
