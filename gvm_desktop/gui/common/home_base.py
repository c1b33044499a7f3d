"""What every role's home page shares: safe service calls, and wiping on lock.

A home page holds the only copies of vault data on screen. The main window
throws it away (after `wipe()`) whenever the session locks, and builds a new
one from the services after unlocking, so nothing survives a lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QAbstractItemModel, QAbstractProxyModel, QDate, Signal
from PySide6.QtWidgets import QDateEdit, QDialog, QFrame, QLabel, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from gvm_desktop.core.errors import SessionLocked
from gvm_desktop.core.people import bcu_name
from gvm_desktop.gui.common.widgets import ErrorLabel
from gvm_desktop.gui.common.worker import TaskRunner

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace

T = TypeVar("T")


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
    """Base of the role homes: calls services safely and knows how to wipe itself."""

    # The service said the session is locked or stale; the main window switches to the locked page.
    session_lost = Signal()
    # Ctrl+L pressed in one of this page's own windows (a record view, a form); the main window locks.
    lock_requested = Signal()

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.ws = ws
        self.error_label = ErrorLabel(self)
        # One background vault call at a time for the whole page: the session has one connection,
        # so while a task runs the page pauses its controls (set_busy) and asks the vault nothing.
        self.tasks = TaskRunner(self)
        self.tasks.busy_changed.connect(self.set_busy)

    def load(self) -> None:
        """Fetch what the page shows; called once the main window is listening for `session_lost`."""

    def wipe(self) -> None:
        """Leave nothing from the vault in any widget: dialogs, models, fields, labels."""
        close_dialogs(self)
        wipe_item_models(self)
        wipe_texts(self)

    def set_busy(self, busy: bool) -> None:
        """A task started or ended: pages with background work disable what could reach the vault."""

    def run_task(self, fn: Callable[[], T], on_result: Callable[[T], None], errors: ErrorLabel | None = None) -> bool:
        """Run a slow vault call (verify, export, disable) off the GUI thread; a failure is shown like
        call_service's. False if another task is still running (nothing started)."""
        return self.tasks.start(fn, on_result, lambda exc: self.report(exc, errors))

    def finish_work(self) -> None:
        """Wait for a running task, then drop its outcome. Called before the vault closes (lock, sign-out):
        closing a connection while a worker still reads through it is unsafe, and a result must not land
        on a page being wiped. Waits as long as it takes; a verification or export always ends."""
        self.tasks.finish_and_forget(-1)

    def adopt(self, dialog: QWidget) -> None:
        """Route a dialog's lost-session and lock requests to this page (and so to the main window)."""
        lost = getattr(dialog, "session_lost", None)
        if lost is not None:
            lost.connect(self.session_lost)
        lock = getattr(dialog, "lock_requested", None)
        if lock is not None:
            lock.connect(self.lock_requested)

    def report(self, exc: BaseException, errors: ErrorLabel | None = None) -> None:
        """Show a failure from a service call made elsewhere (a model fetching rows, a dialog)."""
        if isinstance(exc, SessionLocked):
            self.session_lost.emit()
        else:
            (errors or self.error_label).show_error(exc)

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
