from __future__ import annotations

import pytest

from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.idle import IdleTimer
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES


def test_idle_timer_expires_after_the_minutes_and_touch_resets_it() -> None:
    clock = ManualClock()
    timer = IdleTimer(clock, 10)
    clock.advance(9 * 60 + 59)
    assert not timer.expired()
    timer.touch()
    clock.advance(9 * 60)
    assert not timer.expired()
    assert timer.remaining_seconds() == 60
    clock.advance(60)
    assert timer.expired()


def test_idle_minutes_default_10_and_at_most_30() -> None:
    assert IDLE_LOCK_MINUTES.default == 10
    assert IDLE_LOCK_MINUTES.parse("30") == 30
    for bad in ("31", "0", "ten", ""):
        with pytest.raises(ValidationError):
            IDLE_LOCK_MINUTES.parse(bad)
    with pytest.raises(ValidationError):
        IdleTimer(ManualClock(), 45)
