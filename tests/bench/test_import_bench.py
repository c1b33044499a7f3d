"""`import_10000_rows_s`: the bench's own workbook is a valid XLSX the import reads, and the figure is measured."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gvm_desktop.app import App
from gvm_desktop.bench.import_rows import HEADERS, MAPPING, import_rows_metric, legacy_rows, write_xlsx
from gvm_desktop.core.import_mapping import parse_mapping, plan
from gvm_desktop.ingest.read import read_table


def test_the_stdlib_workbook_reads_back_as_written(tmp_path: Path) -> None:
    rows = legacy_rows(30)
    path = tmp_path / "legacy.xlsx"
    write_xlsx(path, HEADERS, rows)
    table = read_table(path)
    assert table.kind == "xlsx" and table.headers == HEADERS and len(table.rows) == 30
    assert table.rows[0].cells[1] == rows[0][1] and table.rows[0].cells[3] == rows[0][3]  # the serial date, a number
    assert len({(r[1], r[2], r[3]) for r in rows}) == 30  # nobody twice
    assert plan(parse_mapping(MAPPING), table.headers).warnings == ()


def test_a_small_run_measures_the_import_beside_the_bare_read(make_app: Callable[..., App]) -> None:
    metrics = import_rows_metric(make_app(), 120)
    (name, m), = metrics.items()
    assert name == "import_120_rows_s" and m["unit"] == "s" and m["n"] == 1
    assert m["value"] > m["baseline"] > 0 and "python_calamine" in m["baseline_what"]
