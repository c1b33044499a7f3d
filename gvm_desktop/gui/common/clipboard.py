"""Copying a record reference: into the clipboard, and out again after 30 seconds.

Only references are ever copied (never names); even so the clipboard is shared
with every other application, so what we put there does not stay. Like a
password manager, we clear it only if it still holds what we put there.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication

CLEAR_AFTER_MS = 30_000


class SecureClipboard(QObject):
    def __init__(self, parent: QObject | None = None, *, clear_after_ms: int = CLEAR_AFTER_MS) -> None:
        super().__init__(parent)
        self._text: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(clear_after_ms)
        self._timer.timeout.connect(self.clear)

    def copy(self, text: str) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(text)
        self._text = text
        self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def clear(self) -> None:
        """Take back what we copied (called by the timer and when the page goes)."""
        self._timer.stop()
        clipboard = QGuiApplication.clipboard()
        if self._text is not None and clipboard.text() == self._text:
            clipboard.clear()
        self._text = None
