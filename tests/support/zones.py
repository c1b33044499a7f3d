"""Running a test in another time zone (POSIX tzset), and putting the workstation's back after."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def workstation_zone(name: str | None = None) -> Iterator[None]:
    """Inside: the process's local zone is `name` (if given; the test may set others with set_zone)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset() is POSIX only")
    previous = os.environ.get("TZ")
    if name is not None:
        set_zone(name)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def set_zone(name: str) -> None:
    os.environ["TZ"] = name
    time.tzset()
