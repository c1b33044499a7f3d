"""The benchmark's contract (gvm_desktop/bench/__init__.py): public API only, and the JSON the README promises."""

from __future__ import annotations

import ast
import io
import json
from collections.abc import Callable
from pathlib import Path

import gvm_desktop.bench
from gvm_desktop.app import App
from gvm_desktop.bench.run import run_bench

BENCH = Path(gvm_desktop.bench.__file__).parent
# The baselines' module: the one place SQL runs, on databases the bench made (never a vault).
BASELINES = "plain.py"
SQL_CALLS = {"execute", "executemany", "executescript"}
# The names the README and docs/architecture.md promise that a run without a server builds.
PROMISED = ("unlock_s", "vault_open_s", "first_screen_ms", "search_keystroke_ms_p50", "record_open_ms_p50", "rss_mb",
            "log_append_ms_p50", "log_query_first_page_ms", "log_verify_entries_per_s", "review_pdf_400_s",
            "review_pdf_4000_s")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _ours(module: str) -> bool:
    return module == "gvm_desktop" or module.startswith("gvm_desktop.")


def _breaches(path: Path) -> list[str]:
    """Everything in one bench module that reaches past the public API."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module and _ours(node.module):
            if any(_private(part) for part in node.module.split(".")):
                found.append(f"{where} imports the private module {node.module}")
            found += [f"{where} imports the private name {a.name} from {node.module}"
                      for a in node.names if _private(a.name)]
        elif isinstance(node, ast.Import):
            found += [f"{where} imports the private module {a.name}"
                      for a in node.names if _ours(a.name) and any(_private(p) for p in a.name.split("."))]
        elif isinstance(node, ast.Attribute):
            if _private(node.attr):
                found.append(f"{where} reads the private attribute .{node.attr}")
            if node.attr == "conn":
                found.append(f"{where} touches .conn")
            if node.attr in SQL_CALLS and path.name != BASELINES:
                found.append(f"{where} runs SQL (.{node.attr}) outside {BASELINES}")
    return found


def test_the_bench_uses_public_names_only() -> None:
    modules = sorted(BENCH.glob("*.py"))
    assert {m.name for m in modules} >= {"__init__.py", "run.py", BASELINES}
    assert [b for m in modules for b in _breaches(m)] == []


def test_the_baselines_take_nothing_of_the_product_but_plain_sqlite() -> None:
    tree = ast.parse((BENCH / BASELINES).read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
                 if n.module and _ours(n.module)]
    imported += ["(relative)" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert {m for m in imported if _ours(m) or m == "(relative)"} <= {
        "gvm_desktop.store.database.Connection", "gvm_desktop.store.database.plain_connect"}


def test_the_package_states_its_contract() -> None:
    doc = gvm_desktop.bench.__doc__ or ""
    assert "nothing imports this package but the cli's `bench` command" in " ".join(doc.lower().split())
    assert "public api" in doc.lower() and BASELINES in doc


def test_a_small_run_writes_every_promised_figure(make_app: Callable[..., App], tmp_path: Path) -> None:
    target = tmp_path / "bench.json"
    out = io.StringIO()
    assert run_bench(make_app(), nominals=60, log_entries=400, json_path=target, out=out, evidence_per_person=3,
                     sheet_runs=1) == 0
    report = json.loads(target.read_text())
    assert set(report) == {"machine", "metrics"}
    assert {"python", "platform", "cpus", "gvm_desktop", "sqlite"} <= set(report["machine"])
    metrics = report["metrics"]
    assert [name for name in PROMISED if name not in metrics] == [], out.getvalue()
    for name, m in metrics.items():
        assert set(m) == {"value", "unit", "baseline", "baseline_what", "n"}, name
        assert isinstance(m["value"], int | float) and m["value"] > 0, name
        assert isinstance(m["baseline"], int | float) and m["baseline"] > 0, name
        assert isinstance(m["unit"], str) and m["unit"] and isinstance(m["baseline_what"], str), name
        assert isinstance(m["n"], int) and m["n"] >= 1, name
