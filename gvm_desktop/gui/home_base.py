"""What every role's home page shares: safe service calls, and wiping on lock.

A home page holds the only copies of vault data on screen. The main window
throws it away (after `wipe()`) whenever the session locks, and builds a new
one from the services after unlocking, so nothing survives a lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QAbstractItemModel, QAbstractProxyModel, Signal
from PySide6.QtWidgets import QFrame, QWidget

from gvm_desktop.core.errors import SessionLocked
from gvm_desktop.core.people import bcu_name
from gvm_desktop.gui.widgets import ErrorLabel

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace

T = TypeVar("T")


def bcu_text(bcu: str | None) -> str:
    return f"{bcu_name(bcu)} ({bcu})" if bcu else "All BCUs"


def wipe_item_models(root: QWidget) -> None:
    """Empty every item model under `root` (proxies follow their source's reset)."""
    for model in root.findChildren(QAbstractItemModel):
        if isinstance(model, QAbstractProxyModel):
            continue
        clear = getattr(model, "clear", None)
        if clear is None:
            raise TypeError(f"{type(model).__name__} cannot be wiped on lock; give it a clear() method")
        clear()


class HomePage(QWidget):
    """Base of the role homes: calls services safely and knows how to wipe itself."""

    # The service said the session is locked or stale; the main window switches to the locked page.
    session_lost = Signal()

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.ws = ws
        self.error_label = ErrorLabel(self)

    def load(self) -> None:
        """Fetch what the page shows; called once the main window is listening for `session_lost`."""

    def wipe(self) -> None:
        wipe_item_models(self)

    def call_service(self, fn: Callable[[], T], errors: ErrorLabel | None = None) -> T | None:
        """Run a service call; a refusal or failure becomes text on the page, never a crash."""
        target = errors or self.error_label
        try:
            result = fn()
        except SessionLocked:
            self.session_lost.emit()
            return None
        except Exception as exc:  # every failure is shown, worded by error_text
            target.show_error(exc)
            return None
        target.clear_message()
        return result


def panel(parent: QWidget) -> QFrame:
    """A bordered box that groups one topic on a page."""
    frame = QFrame(parent)
    frame.setObjectName("panel")
    return frame
