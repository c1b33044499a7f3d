"""A short run of scripts/fuzz_import.py inside the suite: the same generator, a few hundred inputs.

The long run (100,000+ inputs, each block in a child process) is the script's; here a crash in native
code would take the test process down with it, which fails the suite just as visibly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _fuzzer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_import", ROOT / "scripts" / "fuzz_import.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_four_hundred_generated_inputs_give_tables_or_import_file_errors() -> None:
    fuzz = _fuzzer()
    outcomes = fuzz.run_inputs(16_000, 400)
    assert outcomes.failures == []
    assert sum(outcomes.counts.values()) == 400
    # The generator must reach both readers and both outcomes, or the run proves little.
    for outcome in ("csv read", "csv refused", "xlsx read", "xlsx refused"):
        assert outcomes.counts[outcome] > 10, outcomes.counts


def test_the_same_seed_gives_the_same_input() -> None:
    fuzz = _fuzzer()
    assert fuzz.make_input(42) == fuzz.make_input(42)
