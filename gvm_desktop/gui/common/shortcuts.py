"""Every keyboard shortcut of the application, in one place so none is bound twice."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

# Spelled out rather than StandardKey: Windows has no standard Quit key.
LOCK = QKeySequence("Ctrl+L")
SIGN_OUT = QKeySequence("Ctrl+Shift+O")
QUIT = QKeySequence("Ctrl+Q")
FIND = QKeySequence("Ctrl+F")
PROPOSE = QKeySequence("Ctrl+N")
STATUS_CHECK = QKeySequence("Ctrl+K")


def add_lock_shortcut(window: QWidget) -> QAction:
    """Ctrl+L inside one of our dialogs. The main window's own Lock action does not fire while a
    dialog is the active window (a modal one even shadows it), and locking must work from anywhere."""
    action = QAction("Lock", window)
    action.setShortcut(LOCK)
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    window.addAction(action)
    return action
