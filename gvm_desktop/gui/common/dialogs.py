"""The shape of every form dialog: window-modal, opened with open(), errors inline, Ctrl+L locks.

It opens with the cursor in its first field (typed letters never go to a button), and what
was typed is never thrown away by one stray key: Cancel, Escape or closing the window on a
form that was typed in only warns, inline; doing it again discards.

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
from PySide6.QtGui import QCloseEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

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
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel is not None
        self.cancel_button: QPushButton = cancel
        self.cancel_button.setAutoDefault(False)  # Enter never means Cancel
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.cancel)
        self._typed_at_open: tuple[object, ...] | None = None
        self._discard_warned = False
        layout = QVBoxLayout(self)
        layout.addLayout(self.body, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        add_lock_shortcut(self).triggered.connect(self.lock_requested)

    def submit(self) -> None:
        self.accept()

    # -- opening with the cursor in place, and never losing what was typed ---------------------------------------------

    def _fields(self) -> list[QWidget]:
        """The form's input fields, in the order Tab reaches them."""
        fields: list[QWidget] = []
        widget = self.nextInFocusChain()
        while widget is not None and widget is not self and len(fields) < 200:
            if (isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox))
                    and self.isAncestorOf(widget) and widget not in fields):
                fields.append(widget)
            widget = widget.nextInFocusChain()
        return fields

    def _typed(self) -> tuple[object, ...]:
        out: list[object] = []
        for field in self._fields():
            if isinstance(field, QLineEdit):
                out.append(field.text())
            elif isinstance(field, (QPlainTextEdit, QTextEdit)):
                out.append(field.toPlainText())
            elif isinstance(field, QComboBox):
                out.append(field.currentIndex())
            elif isinstance(field, QAbstractSpinBox):
                out.append(field.text())
        return tuple(out)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._typed_at_open is None:
            first = next((f for f in self._fields() if f.isEnabled() and f.isVisibleTo(self)
                          and not (isinstance(f, QLineEdit) and f.isReadOnly())), None)
            if first is not None:
                first.setFocus(Qt.FocusReason.OtherFocusReason)
            self._typed_at_open = self._typed()

    def typed_in(self) -> bool:
        return self._typed_at_open is not None and self._typed() != self._typed_at_open

    def cancel(self) -> None:
        """Cancel, Escape or the window's close button: a form typed in warns once, inline, before it discards."""
        if self.typed_in() and not self._discard_warned:
            self._discard_warned = True
            self.error_label.show_message("What you typed is not saved: press Cancel or Escape again to discard it, "
                                          "or carry on.")
            return
        self.reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isVisible() and self.typed_in() and not self._discard_warned:
            event.ignore()
            self.cancel()
            return
        super().closeEvent(event)

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
