"""Run slow calls (Argon2id sign-in, unlock) off the GUI thread and hand the outcome back on it.

Only where no session's operations exist: the sign-in window (no workspace yet) and the
locked page (its vault is closed). Pages call services through SessionOps
(gui/common/operations.py), which scrubs errors the same way, with `scrub` below.

A `TaskRunner` belongs to one window. It runs one callable at a time on its own
one-thread pool, so a window can never have two vault operations racing on the
same workspace. The outcome comes back through a queued signal, so the
callbacks always run on the GUI thread, where touching widgets is allowed.

Errors are scrubbed before they cross threads: a traceback keeps the worker's
frames (and the password in them) alive, and the text of an unexpected
exception may hold data, so only a GvmError's own message, or the exception's
type name, is ever delivered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from gvm_desktop.core.errors import GvmError


class UnexpectedError(GvmError):
    """Stands in for an exception the application did not expect; says only its type."""

    code = "unexpected"

    def __init__(self, type_name: str) -> None:
        super().__init__(f"Unexpected error ({type_name})")


def scrub(exc: BaseException) -> GvmError:
    """The error as it may be shown: a GvmError without its traceback, or an UnexpectedError."""
    if isinstance(exc, GvmError):
        # Drop the frames (and any chained exception) so the worker's locals can be freed.
        exc.__traceback__ = None
        exc.__context__ = None
        exc.__cause__ = None
        return exc
    return UnexpectedError(type(exc).__name__)


def error_text(exc: BaseException) -> str:
    """What a person is shown for any exception: never str() of an unexpected one."""
    return scrub(exc).message


class Bridge(QObject):
    """Lives on the GUI thread; the worker emits through it, Qt queues the call across."""

    done = Signal(int, object, object)  # task id, result, error
    step = Signal(int)  # the running call's progress, in whole per cent (SessionOps.reporter)


class Job(QRunnable):
    def __init__(self, task_id: int, fn: Callable[[], Any], bridge: Bridge) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task_id = task_id
        self._fn = fn
        self._bridge = bridge

    def run(self) -> None:  # runs on the pool's thread
        result: Any = None
        error: GvmError | None = None
        try:
            result = self._fn()
        except BaseException as exc:  # everything must come back as a message
            error = scrub(exc)
        del self._fn  # release captured arguments (passwords) now
        # RuntimeError: the owning window was destroyed meanwhile; nobody is waiting.
        with contextlib.suppress(RuntimeError):
            self._bridge.done.emit(self._task_id, result, error)


class TaskRunner(QObject):
    """Runs one callable at a time off the GUI thread; `busy_changed` drives busy indicators."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._bridge = Bridge(self)
        self._bridge.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._next_id = 0
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[GvmError], None]]] = {}

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def start(
        self,
        fn: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[GvmError], None],
    ) -> bool:
        """Run `fn()` on the worker; returns False (and runs nothing) if a task is already running."""
        if self.busy:
            return False
        self._next_id += 1
        self._callbacks[self._next_id] = (on_result, on_error)
        self.busy_changed.emit(True)
        self._pool.start(Job(self._next_id, fn, self._bridge))
        return True

    def finish_and_forget(self, msecs: int = 30_000) -> bool:
        """Block until the running task ends, then drop its callbacks.

        Used before signing out or quitting: the task's outcome (say, a finished
        unlock) must not land on a window that is going away.
        """
        finished = self._pool.waitForDone(msecs)
        if self._callbacks:
            self._callbacks.clear()
            self.busy_changed.emit(False)
        return finished

    @Slot(int, object, object)
    def _deliver(self, task_id: int, result: Any, error: GvmError | None) -> None:
        callbacks = self._callbacks.pop(task_id, None)
        if callbacks is None:
            return  # forgotten by finish_and_forget()
        self.busy_changed.emit(False)
        on_result, on_error = callbacks
        if error is None:
            on_result(result)
        else:
            on_error(error)
