"""The one way a widget calls a service: `SessionOps.run()`, in Anki's manner.

Every service call from the GUI goes through here. The call runs on the session's
single worker thread (one connection, one thread at a time: the workspace's lock
makes that a rule, the single worker makes it the habit), never on the GUI thread,
so a slow export or verification leaves the window responsive. The outcome comes
back on the GUI thread as a typed `Result`; an error is worded once, here (a
refusal's own message, or only the type of an unexpected error: see worker.scrub);
a lost session is reported once, as `session_lost`. A call that changed something
names what (`Change`), and `changed` tells every page that subscribed, so a page
refreshes what it shows of that kind instead of reloading everything.

Calls queue in order (first in, first out). A call whose owner widget is gone by
the time it ends is dropped unseen. `finish_and_forget()` waits for the running call
and drops the queue: the lock and sign-out call it before the vault closes.

A call that ends well says so once (`said`: "Proposal sent for approval"), in the page's
words or, by default, in words picked from what it changed, for the status bar. A slow
call whose service can count its steps is given `reporter()`, and its progress line then
carries a percentage ("Verifying the access log... 40%").
"""

from __future__ import annotations

import contextlib
import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThreadPool, QTimer, Signal, Slot

from gvm_desktop.core.errors import GvmError, SessionLocked, StaleSession
from gvm_desktop.gui.common.worker import Bridge, Job

if TYPE_CHECKING:
    from gvm_desktop.core.clock import Clock
    from gvm_desktop.core.scoring import ScoringPolicy
    from gvm_desktop.gui.common.widgets import ErrorLabel
    from gvm_desktop.services.about import AboutService
    from gvm_desktop.services.accounts import AccountService
    from gvm_desktop.services.audit import AuditService
    from gvm_desktop.services.audit_forms import AuditFormService
    from gvm_desktop.services.auth import AuthService
    from gvm_desktop.services.backup import BackupService
    from gvm_desktop.services.changes import ChangeService
    from gvm_desktop.services.context import Session, Workspace
    from gvm_desktop.services.dsa import DsaService
    from gvm_desktop.services.governance import GovernanceService
    from gvm_desktop.services.importing import ImportService
    from gvm_desktop.services.log_export import LogExportService
    from gvm_desktop.services.log_queries import LogQueryService
    from gvm_desktop.services.matrix import MatrixService
    from gvm_desktop.services.records import RecordService
    from gvm_desktop.services.reports import ReportService
    from gvm_desktop.services.retention import RetentionService
    from gvm_desktop.services.reviews import ReviewService
    from gvm_desktop.services.settings import SettingsService

T = TypeVar("T")

SLOW_AFTER_MS = 400  # a call still running after this shows the progress line


class Change(enum.Enum):
    """What a finished call changed: pages refresh what they show of these kinds only."""

    MATRIX = "matrix rows"
    RECORD = "a record"
    REVIEW = "review items"
    LOG = "the access log"
    ACCOUNTS = "accounts"
    GOVERNANCE = "training and access grants"
    SETTINGS = "settings"
    AGREEMENTS = "data sharing agreements"
    AUDIT_FORMS = "audit forms"


# What the status bar says after a call that changed something, when the page gave no words of its own: the
# first kind here that the call changed (a saved record also changes the matrix, and "Record saved" says more).
_SAID_FOR_CHANGE: tuple[tuple[Change, str], ...] = (
    (Change.RECORD, "Record saved (logged)"),
    (Change.REVIEW, "Review updated (logged)"),
    (Change.ACCOUNTS, "Accounts updated (logged)"),
    (Change.GOVERNANCE, "Training and access grants updated (logged)"),
    (Change.SETTINGS, "Settings saved (logged)"),
    (Change.AGREEMENTS, "Data sharing agreements updated (logged)"),
    (Change.AUDIT_FORMS, "Audit forms updated (logged)"),
    (Change.MATRIX, "Matrix updated (logged)"),
    (Change.LOG, "Access log updated"),
)


def said_for(changes: frozenset[Change], progress: str | None = None) -> str | None:
    """The default line for a call that ended well: from what it changed, else its named slow work, else none."""
    for change, words in _SAID_FOR_CHANGE:
        if change in changes:
            return words
    return f"{progress}: done" if progress else None


def percent(done: int, total: int) -> int:
    """Whole per cent of `total`, never above 100 (a count that grew while it was walked) nor below 0."""
    return max(0, min(100, done * 100 // total)) if total > 0 else 0


class Services(Protocol):
    """The services a page may call (the App satisfies this); nothing that creates or opens vaults."""

    @property
    def auth(self) -> AuthService: ...
    @property
    def accounts(self) -> AccountService: ...
    @property
    def settings(self) -> SettingsService: ...
    @property
    def matrix(self) -> MatrixService: ...
    @property
    def audit(self) -> AuditService: ...
    @property
    def records(self) -> RecordService: ...
    @property
    def changes(self) -> ChangeService: ...
    @property
    def dsa(self) -> DsaService: ...
    @property
    def retention(self) -> RetentionService: ...
    @property
    def governance(self) -> GovernanceService: ...
    @property
    def reviews(self) -> ReviewService: ...
    @property
    def reports(self) -> ReportService: ...
    @property
    def log(self) -> LogQueryService: ...
    @property
    def exports(self) -> LogExportService: ...
    @property
    def forms(self) -> AuditFormService: ...
    @property
    def about(self) -> AboutService: ...
    @property
    def importing(self) -> ImportService: ...
    @property
    def backup(self) -> BackupService: ...


Call = Callable[["Services", "Workspace"], T]


@dataclass(frozen=True)
class Result(Generic[T]):
    """A call's outcome: `value` when `ok`, otherwise `error` (already scrubbed, fit to show)."""

    value: T | None = None
    error: GvmError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Pending:
    call: Callable[[], Any]
    done: Callable[[Any], None] | None
    failed: Callable[[GvmError], None] | None
    errors: ErrorLabel | None
    changes: frozenset[Change]
    progress: str | None
    owner: QObject | None
    finished: Callable[[Result[Any]], None] | None = None
    said: str | None = None
    task_id: int = 0


class SessionOps(QObject):
    """The session's single worker and the one way to call a service from a widget."""

    busy_changed = Signal(bool)
    # A short line for the status bar while a slow call runs ('' when it ends).
    progress_changed = Signal(str)
    # The kinds of data a successful call changed.
    changed = Signal(object)  # frozenset[Change]
    # The session is locked or stale: the main window switches to its locked page.
    session_lost = Signal()
    # A call ended well: what it did, in a few plain words, for the status bar (the window adds the time).
    said = Signal(str)

    def __init__(self, services: Services, ws: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._ws = ws
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._bridge = Bridge(self)
        self._bridge.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._bridge.step.connect(self._step, Qt.ConnectionType.QueuedConnection)
        self._queue: deque[_Pending] = deque()
        self._running: _Pending | None = None
        self._next_id = 0
        self._slow = QTimer(self)
        self._slow.setSingleShot(True)
        self._slow.timeout.connect(self._show_progress)

    # -- what a page may know of the session -------------------------------------------------

    @property
    def session(self) -> Session:
        """Who is signed in (role, BCU, names): no connection, no key."""
        return self._ws.session

    @property
    def busy(self) -> bool:
        return self._running is not None or bool(self._queue)

    @property
    def named_progress(self) -> str | None:
        """The `progress` the running call was given (it is known to be slow), or None.

        A page pauses its controls for such work only: a call merely running late shows
        "Working..." in the status bar, but must not take the focus from a field being typed in.
        """
        return self._running.progress if self._running is not None else None

    @property
    def clock(self) -> Clock:
        """The session's clock (a ManualClock in tests): what a form calls today, and the newest date it offers."""
        return self._ws.env.clock

    @property
    def policy(self) -> ScoringPolicy:
        """The scoring policy the services apply, for a form's hints as it is filled in (the service checks again)."""
        return self._services.changes.policy

    # -- calling -------------------------------------------------------------------------------

    def run(self, call: Call[T], *, done: Callable[[T], None] | None = None,
            failed: Callable[[GvmError], None] | None = None, errors: ErrorLabel | None = None,
            changes: frozenset[Change] | set[Change] = frozenset(), progress: str | None = None,
            owner: QObject | None = None, finished: Callable[[Result[T]], None] | None = None,
            said: str | None = None) -> None:
        """Queue `call(services, ws)` on the worker.

        On success `done(value)` runs on the GUI thread, `errors` (if given) is cleared, and
        `changed` is emitted with `changes`. On failure the error is shown in `errors` (or passed
        to `failed`, which then words it itself), and a lost session emits `session_lost`.
        `finished` gets the typed Result either way. `progress` names a call known to be slow;
        any call still running after SLOW_AFTER_MS shows a progress line. `said` is what the status bar
        says once it has ended well (by default, words for what it changed: see said_for).
        """
        services, ws = self._services, self._ws
        pending = _Pending(lambda: call(services, ws), done, failed, errors, frozenset(changes), progress, owner,
                           finished, said)
        self._queue.append(pending)
        if self._running is None:
            self.busy_changed.emit(True)
            self._start_next()

    def reporter(self) -> Callable[[int, int], None]:
        """A `progress(done, total)` callback to hand a service from inside a call: the running call's line
        then shows a percentage. Safe on the worker thread; it sends only a change of whole per cent."""
        bridge = self._bridge
        last = [-1]

        def report(done: int, total: int) -> None:
            now = percent(done, total)
            if now != last[0]:
                last[0] = now
                with contextlib.suppress(RuntimeError):  # the session's operations went away meanwhile
                    bridge.step.emit(now)

        return report

    def finish_and_forget(self, msecs: int = -1) -> bool:
        """Drop the queue, wait for the running call, drop its outcome (before the vault closes)."""
        self._queue.clear()
        finished = self._pool.waitForDone(msecs)
        if self._running is not None:
            self._running = None
            self._end_progress()
            self.busy_changed.emit(False)
        return finished

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """Block until the queue is empty and every outcome delivered (tests and the lock use it)."""
        deadline = time.monotonic() + msecs / 1000
        while self.busy:
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents()  # the event loop delivers the queued outcomes
            if self.busy:
                # Not the pool's waitForDone(): that removes its threads, and the next call would get a new one.
                time.sleep(0.002)
        return True

    # -- the worker ----------------------------------------------------------------------------

    def _start_next(self) -> None:
        while self._queue:
            pending = self._queue.popleft()
            if pending.owner is not None and not shiboken6.isValid(pending.owner):
                continue  # its widget went away while it waited
            self._next_id += 1
            pending.task_id = self._next_id
            self._running = pending
            if pending.progress:
                self.progress_changed.emit(pending.progress + "...")
            else:
                self._slow.start(SLOW_AFTER_MS)
            self._pool.start(Job(pending.task_id, pending.call, self._bridge))
            return
        self._running = None
        self.busy_changed.emit(False)

    def _show_progress(self) -> None:
        if self._running is not None:
            self.progress_changed.emit("Working...")

    @Slot(int)
    def _step(self, now: int) -> None:
        # Steps are queued on the same bridge as outcomes, so a call's steps all arrive before its outcome.
        running = self._running
        if running is not None:
            self._slow.stop()
            self.progress_changed.emit(f"{running.progress or 'Working'}... {now}%")

    def _end_progress(self) -> None:
        self._slow.stop()
        self.progress_changed.emit("")

    @Slot(int, object, object)
    def _deliver(self, task_id: int, value: Any, error: GvmError | None) -> None:
        pending = self._running
        if pending is None or pending.task_id != task_id:
            return  # forgotten by finish_and_forget()
        self._running = None
        self._end_progress()
        try:
            self._settle(pending, value, error)
        except Exception as exc:
            # A page's own callback failed (a bug): said on its error line, worded like any failure, rather
            # than only on stderr while the page waits for an answer that has already come.
            if pending.errors is None:
                raise
            pending.errors.show_error(exc)
        finally:
            if self._running is None:  # a callback may have chained a call, which run() has started already
                self._start_next()

    def _settle(self, pending: _Pending, value: Any, error: GvmError | None) -> None:
        alive = pending.owner is None or shiboken6.isValid(pending.owner)
        if error is not None and isinstance(error, SessionLocked | StaleSession):
            self.session_lost.emit()
            return
        if not alive:
            if error is None and pending.changes:
                self.changed.emit(pending.changes)  # others still show what the call changed
            return
        if pending.finished is not None:
            pending.finished(Result(value, error))
        if error is None:
            if pending.errors is not None:
                pending.errors.clear_message()
            if pending.done is not None:
                pending.done(value)
            if pending.changes:
                self.changed.emit(pending.changes)
            words = pending.said or said_for(pending.changes, pending.progress)
            if words:
                self.said.emit(words)
        elif pending.failed is not None:
            pending.failed(error)
        elif pending.errors is not None:
            pending.errors.show_error(error)
