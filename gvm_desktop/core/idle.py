"""When an idle session must lock: pure logic over an injectable clock."""

from __future__ import annotations

from gvm_desktop.core.clock import Clock
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES


class IdleTimer:
    """Counts time since the last user input on a monotonic clock.

    The GUI calls `touch()` on input and polls `expired()`; it never sleeps,
    so tests drive it with a ManualClock.
    """

    def __init__(self, clock: Clock, minutes: int = IDLE_LOCK_MINUTES.default) -> None:
        self._clock = clock
        self.minutes = IDLE_LOCK_MINUTES.parse(minutes)
        self._last = clock.monotonic()

    def touch(self) -> None:
        self._last = self._clock.monotonic()

    def idle_seconds(self) -> float:
        return self._clock.monotonic() - self._last

    def remaining_seconds(self) -> float:
        return max(0.0, self.minutes * 60 - self.idle_seconds())

    def expired(self) -> bool:
        return self.idle_seconds() >= self.minutes * 60
