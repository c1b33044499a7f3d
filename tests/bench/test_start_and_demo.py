"""The start-up and demo-build figures of `gvm-desktop bench`, and the demo build's progress they rest on."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from gvm_desktop.app import App, progress_line
from gvm_desktop.bench.cold_start import cold_start, demo_create_metric


def test_the_demo_build_reports_its_progress_to_the_end(make_app: Callable[..., App], tmp_path: Path) -> None:
    app = make_app(tmp_path / "demo")
    steps: list[tuple[int, int]] = []
    app.auth.sign_out(app.create_demo(40, progress=lambda done, total: steps.append((done, total))).workspace)
    done = [d for d, _ in steps]
    assert {t for _, t in steps} == {1000}
    assert done[0] == 0 and done[-1] == 1000
    assert done == sorted(done)  # never backwards
    assert len(set(done)) > 8  # the people's part moves too, not only the accounts


def test_a_terminal_line_rewrites_itself_and_ends_at_a_hundred() -> None:
    stream = io.StringIO()
    report = progress_line(stream, "Creating a demo vault")
    for done in (0, 1, 1, 500, 999, 1000):
        report(done, 1000)
    assert stream.getvalue() == ("\rCreating a demo vault... 0%\rCreating a demo vault... 50%"
                                 "\rCreating a demo vault... 99%\rCreating a demo vault... 100%\n")


def test_the_demo_figure_has_its_baseline(make_app: Callable[..., App]) -> None:
    m = demo_create_metric(make_app(), people=30)
    assert m["unit"] == "s" and m["value"] > 0 and m["baseline"] > 0 and m["n"] == 1
    assert "30 people" in m["baseline_what"]


def test_the_cold_start_probe_times_both_windows(make_app: Callable[..., App], tmp_path: Path) -> None:
    app = make_app(tmp_path / "vault")
    app.auth.sign_out(app.init_vault("admin.one", "Admin One", "correct-horse-battery-staple-9", bind=False).workspace)
    app_ms, bare_ms = cold_start(app.paths.folder, runs=1)
    assert len(app_ms) == len(bare_ms) == 1
    assert app_ms[0] > 0 and bare_ms[0] > 0
