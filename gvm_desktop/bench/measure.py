"""Timing helpers and the shape of one figure in `gvm-desktop bench --json` (see README, "Benchmarks")."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable
from typing import Any

from gvm_desktop import __version__

Metric = dict[str, Any]


def samples_ms(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(samples_ms(fn, runs))


def median_s(fn: Callable[[], object], runs: int) -> float:
    return median_ms(fn, runs) / 1000


def metric(value: float, unit: str, baseline: float, what: str, n: int) -> Metric:
    """One figure: the product's value beside the baseline's, from the same run."""
    places = 6 if unit == "s" else 3
    return {"value": round(value, places), "unit": unit, "baseline": round(baseline, places), "baseline_what": what,
            "n": n}


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "gvm_desktop": __version__, "sqlite": sqlite3.sqlite_version,
    }
