"""Fuzz `gvm-desktop log verify` outside the test suite: many seeded mutations, counts per outcome.

    .venv/bin/python scripts/fuzz_log_verify.py --count 2000 --seed 1

Builds a small demo vault in a temporary folder, loosens its log as an attacker holding
the data key could (tests/support/log_fuzz.py), then damages a fresh copy of it once per
mutation and runs `log verify` in-process. Exits 1 if any run broke a rule (a traceback,
an exit code other than 0 or 4, "Intact" for a changed log), and prints those runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.support

from tests.support.log_fuzz import Harness, Result, build_demo, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="mutations to try (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same mutations")
    parser.add_argument("--people", type=int, default=20, help="people in the demo vault (default 20)")
    parser.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS",
                        help="a verification running longer than this counts as a failure (default 60)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gvm-fuzz-") as tmp:
        started = time.perf_counter()
        demo = build_demo(Path(tmp) / "demo", args.people)
        harness = Harness(demo, Path(tmp) / "work", args.time_limit)
        entries = len(harness.target.rows)
        print(f"demo vault: {entries} log entries, ready in {time.perf_counter() - started:.1f} s", flush=True)

        def progress(i: int, result: Result) -> None:
            if result.violations:
                print(f"  VIOLATION #{i}: {result.report()}", flush=True)
            elif (i + 1) % 250 == 0:
                print(f"  {i + 1} done", flush=True)

        started = time.perf_counter()
        results = harness.run(args.count, args.seed, progress)
        print(summary(results, time.perf_counter() - started))
    return 1 if any(r.violations for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
