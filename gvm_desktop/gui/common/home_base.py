"""What every role's home page shares: the session's operations, and wiping on lock.

A home page holds the only copies of vault data on screen. The main window
throws it away (after `wipe()`) whenever the session locks, and builds a new
one (with a new SessionOps) after unlocking, so nothing survives a lock.
Every service call goes through `self.ops.run()` (gui/common/operations.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, QAbstractProxyModel, QDate, Signal
from PySide6.QtWidgets import QDateEdit, QDialog, QFrame, QLabel, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from gvm_desktop.core.people import bcu_name
from gvm_desktop.gui.common.widgets import ErrorLabel

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps


def bcu_text(bcu: str | None) -> str:
    return f"{bcu_name(bcu)} ({bcu})" if bcu else "All BCUs"


def wipe_item_models(root: QWidget) -> None:
    """Empty every item model under `root` (proxies follow their source's reset).

    Our own models must have clear(); Qt's private ones (a calendar popup's month)
    hold nothing from the vault and go with their widget.
    """
    for model in root.findChildren(QAbstractItemModel):
        if isinstance(model, QAbstractProxyModel):
            continue
        clear = getattr(model, "clear", None)
        if clear is None:
            if type(model).__module__.startswith("gvm_desktop"):
                raise TypeError(f"{type(model).__name__} cannot be wiped on lock; give it a clear() method")
            continue
        clear()


def wipe_texts(root: QWidget) -> None:
    """Blank every field and label under `root`: a hidden widget still holds its text until deleted."""
    for label in root.findChildren(QLabel):
        label.clear()
    for line in root.findChildren(QLineEdit):
        line.clear()
    for box in root.findChildren(QPlainTextEdit):
        box.clear()
    for rich in root.findChildren(QTextEdit):
        rich.clear()
    for when in root.findChildren(QDateEdit):  # a date of birth is personal data too
        when.setMinimumDate(QDate(1900, 1, 1))
        when.setDate(when.minimumDate())


def close_dialogs(root: QWidget) -> None:
    """Hide every dialog (record views, forms) opened from under `root`, blanking it first.

    Dialogs are opened with open()/show(), never exec(), so no nested event loop is
    left running when the session locks.
    """
    for dialog in root.findChildren(QDialog):
        own = getattr(dialog, "wipe", None)
        if callable(own):
            own()  # a record view also drops the record it holds, not only what it shows
        dialog.setWindowTitle("")
        wipe_texts(dialog)
        dialog.hide()


class HomePage(QWidget):
    """Base of the role homes: holds the session's operations and knows how to wipe itself."""

    # Ctrl+L pressed in one of this page's own windows (a record view, a form); the main window locks.
    lock_requested = Signal()

    def __init__(self, ops: SessionOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.error_label = ErrorLabel(self)
        # While a call known to be slow runs (verify, export, sign-off, disable: it was given a progress
        # line), the page pauses the controls that would queue more work behind it.
        ops.progress_changed.connect(self._progress_changed)

    def load(self) -> None:
        """Ask for what the page shows; called once the main window is listening to the session's operations."""

    def wipe(self) -> None:
        """Leave nothing from the vault in any widget: dialogs, models, fields, labels."""
        close_dialogs(self)
        wipe_item_models(self)
        wipe_texts(self)

    def _progress_changed(self, line: str) -> None:
        self.set_busy(bool(line) and self.ops.named_progress is not None)

    def set_busy(self, busy: bool) -> None:
        """A slow call started or ended: pages with slow work disable what would queue behind it."""

    def adopt(self, dialog: QWidget) -> None:
        """Route a dialog's Ctrl+L to this page (and so to the main window, which locks)."""
        lock = getattr(dialog, "lock_requested", None)
        if lock is not None:
            lock.connect(self.lock_requested)


def panel(parent: QWidget) -> QFrame:
    """A bordered box that groups one topic on a page."""
    frame = QFrame(parent)
    frame.setObjectName("panel")
    return frame
