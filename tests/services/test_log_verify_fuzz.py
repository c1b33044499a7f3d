"""`log verify` on randomly damaged logs: exit 0 or 4, never a traceback, never "Intact" for a change.

A few hundred seeded mutations (tests/support/log_fuzz.py), each on a fresh copy of a
demo vault whose log an attacker holding the data key has loosened. More of them, with
counts per outcome: scripts/fuzz_log_verify.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.log_fuzz import Harness, summary, timed_run

MUTATIONS = 300
SEED = 20261129


def test_log_verify_survives_random_damage(_demo_template: Path, tmp_path: Path) -> None:
    harness = Harness(_demo_template, tmp_path)
    results, seconds = timed_run(harness, MUTATIONS, SEED)
    report = summary(results, seconds)
    assert not [r for r in results if r.violations], report
    # The harness must actually damage logs, not just have SQLite refuse its edits.
    assert sum(r.outcome == "exit 4" for r in results) > MUTATIONS // 2, report
