"""Lock the session after the idle minutes: watch input application-wide, poll the core's IdleTimer.

The timing itself lives in core/idle.py on the injected clock, so tests move a
ManualClock and call `check_now()` instead of waiting. The QTimer here only
decides how often to look.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

from gvm_desktop.core.clock import Clock
from gvm_desktop.core.idle import IdleTimer
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES

CHECK_INTERVAL_MS = 1000

# What counts as a person being there. Window activation, paint and timer events do not.
_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
})


class IdleWatch(QObject):
    """Emits `expired` once when no input came for the idle minutes; stops itself until restarted."""

    expired = Signal()

    def __init__(self, clock: Clock, parent: QObject | None = None, *, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._clock = clock
        self._idle: IdleTimer | None = None
        self._filtering = False
        self._poll = QTimer(self)
        self._poll.setInterval(interval_ms)
        self._poll.timeout.connect(self.check_now)

    @property
    def active(self) -> bool:
        return self._idle is not None

    @property
    def minutes(self) -> int | None:
        return self._idle.minutes if self._idle else None

    def start(self, minutes: int) -> None:
        """Start counting from now (at sign-in and unlock, with the vault's current setting)."""
        self._idle = IdleTimer(self._clock, minutes)
        app = QCoreApplication.instance()
        if app is not None and not self._filtering:
            app.installEventFilter(self)
            self._filtering = True
        self._poll.start()

    def stop(self) -> None:
        self._idle = None
        self._poll.stop()
        app = QCoreApplication.instance()
        if app is not None and self._filtering:
            app.removeEventFilter(self)
        self._filtering = False

    def set_minutes(self, minutes: int) -> None:
        """The administrator changed the setting: this session follows at once."""
        if self._idle is not None:
            self._idle.minutes = IDLE_LOCK_MINUTES.parse(minutes)
            self._idle.touch()

    def touch(self) -> None:
        if self._idle is not None:
            self._idle.touch()

    def check_now(self) -> bool:
        """Lock if the time is up; True if it was. The poll timer calls this; so can tests."""
        if self._idle is None or not self._idle.expired():
            return False
        self.stop()
        self.expired.emit()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Called for every event in the application: keep it to one set lookup.
        if self._idle is not None and event.type() in _INPUT_EVENTS:
            self._idle.touch()
        return False  # only watching; the event goes on as usual
