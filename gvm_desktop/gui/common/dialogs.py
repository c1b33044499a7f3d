"""The shape of every form dialog: window-modal, opened with open(), errors inline, Ctrl+L locks.

One base so every form behaves alike. OK sends the form's service call through the
session's operations (`send()`): it runs on the session's worker while OK waits; a
broken rule or a refusal is shown in the dialog, which stays open with what was
typed; a lost session locks the window, which wipes and hides the dialog. The
services write in one transaction, so a failed call has saved nothing. Dialogs are
never run with exec(): a nested event loop must not be left spinning under a lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.gui.common.shortcuts import add_lock_shortcut
from gvm_desktop.gui.common.widgets import ErrorLabel, note

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.gui.common.operations import Call, Change, Result, Services, SessionOps
    from gvm_desktop.services.context import Workspace

T = TypeVar("T")


class FormDialog(QDialog):
    """Subclasses fill `body` and override `submit()`, which checks what it can and then calls `send()`."""

    lock_requested = Signal()

    def __init__(self, title: str, parent: QWidget | None, *, ok_text: str = "OK",
                 ops: SessionOps | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.body = QVBoxLayout()
        self.error_label = ErrorLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert ok is not None
        self.ok_button: QPushButton = ok
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.body, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        add_lock_shortcut(self).triggered.connect(self.lock_requested)

    def submit(self) -> None:
        self.accept()

    def send(self, call: Call[T], *, done: Callable[[T], None] | None = None,
             failed: Callable[[GvmError], None] | None = None, changes: frozenset[Change] | set[Change] = frozenset(),
             progress: str | None = None) -> None:
        """Run the form's service call on the session's worker; OK waits meanwhile.

        Success runs `done` (by default: close the form); a failure is shown in the form (or handed
        to `failed`), which stays open with everything typed. `call` runs off the GUI thread, so it
        must hold plain values read from the fields beforehand, never the fields themselves.
        """
        assert self.ops is not None, "a form that calls a service is given the session's operations"
        self._sending(True)
        self.ops.run(call, done=done or self._accept_value, failed=failed, errors=self.error_label,
                     changes=changes, progress=progress, owner=self, finished=self._sent)

    def _accept_value(self, _value: object) -> None:
        self.accept()

    def _sent(self, _result: Result[Any]) -> None:
        self._sending(False)

    def _sending(self, sending: bool) -> None:
        """OK is paused while the call runs: one press, one call."""
        self.ok_button.setEnabled(not sending)


NoteCall = Callable[["Services", "Workspace", str], object]


class NoteDialog(FormDialog):
    """A decision or reason in words (approve, reject, propose removal): at least `minimum` characters.

    `action(services, ws, text)` is the service call OK sends, announcing `changes` when it succeeds.
    """

    def __init__(self, title: str, prompt: str, action: NoteCall, ops: SessionOps, parent: QWidget | None, *,
                 ok_text: str, minimum: int = 20, changes: frozenset[Change] | set[Change] = frozenset()) -> None:
        super().__init__(title, parent, ok_text=ok_text, ops=ops)
        self._action = action
        self._changes = changes
        self._minimum = minimum
        label = QLabel(prompt, self)
        label.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName(title)
        self.text.setTabChangesFocus(True)  # Tab leaves the box: the form stays keyboard-only
        label.setBuddy(self.text)
        self.counter = note("", self)
        self.body.addWidget(label)
        self.body.addWidget(self.text, 1)
        self.body.addWidget(self.counter)
        self.text.textChanged.connect(self._check)
        self.resize(520, 300)
        self._check()

    def _check(self) -> None:
        length = len(self.text.toPlainText().strip())
        self.counter.setText(f"{length} characters (at least {self._minimum}).")
        self.ok_button.setEnabled(length >= self._minimum)

    def _sending(self, sending: bool) -> None:
        if sending:
            self.ok_button.setEnabled(False)
        else:
            self._check()

    def submit(self) -> None:
        text, action = self.text.toPlainText(), self._action
        self.send(lambda s, ws: action(s, ws, text), changes=self._changes)
