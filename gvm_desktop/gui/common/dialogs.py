"""The shape of every form dialog: window-modal, opened with open(), errors inline, Ctrl+L locks.

One base so every form behaves alike. OK runs the service call; a broken rule or
a refusal is shown in the dialog, which stays open with what was typed; a lost
session closes it and tells the page. The services write in one transaction,
so a failed call has saved nothing. Dialogs are never run with exec(): a nested
event loop must not be left spinning under a lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.errors import SessionLocked
from gvm_desktop.gui.common.shortcuts import add_lock_shortcut
from gvm_desktop.gui.common.widgets import ErrorLabel, note

T = TypeVar("T")


class FormDialog(QDialog):
    """Subclasses fill `body` and override `submit()`; `attempt()` runs a service call safely."""

    session_lost = Signal()
    lock_requested = Signal()

    def __init__(self, title: str, parent: QWidget | None, *, ok_text: str = "OK") -> None:
        super().__init__(parent)
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

    def attempt(self, fn: Callable[[], T]) -> tuple[bool, T | None]:
        """(True, result) if the call succeeded; otherwise the error is on screen (or the session is gone)."""
        try:
            result = fn()
        except SessionLocked:
            self.reject()
            self.session_lost.emit()
            return False, None
        except Exception as exc:  # every failure is shown, worded by error_text (never a traceback)
            self.error_label.show_error(exc)
            return False, None
        self.error_label.clear_message()
        return True, result


class NoteDialog(FormDialog):
    """A decision or reason in words (approve, reject, propose removal): at least `minimum` characters."""

    def __init__(self, title: str, prompt: str, action: Callable[[str], object], parent: QWidget | None, *,
                 ok_text: str, minimum: int = 20) -> None:
        super().__init__(title, parent, ok_text=ok_text)
        self._action = action
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

    def submit(self) -> None:
        done, _ = self.attempt(lambda: self._action(self.text.toPlainText()))
        if done:
            self.accept()
