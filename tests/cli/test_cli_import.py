"""`gvm-desktop import FILE --mapping MAP.toml [--dry-run] [--report OUT.csv] --as SPOC`."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.cli.importing import SHOWN_ROWS
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.services.test_import_messy import HEADERS, held_person, messy_rows, person, write_messy

ACC = {a.role: a for a in DEMO_ACCOUNTS}
SPOC, OFFICER = ACC[Role.SPOC], ACC[Role.OFFICER]
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
XLSX, TOML = SAMPLES / "legacy-matrix.xlsx", SAMPLES / "legacy-matrix.toml"

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(demo_app: App, make_app: Callable[..., App]) -> Run:
    def _run(*argv: str, stdin: str = f"{SPOC.password}\n") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--password-stdin"],
                    app_factory=lambda folder: make_app(folder), stdin=io.StringIO(stdin), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return _run


def test_the_sample_dry_run_then_commit(run: Run, tmp_path: Path) -> None:
    report = tmp_path / "dry.csv"
    code, out, err = run("import", str(XLSX), "--mapping", str(TOML), "--dry-run", "--report", str(report),
                         "--as", SPOC.username)
    assert code == 0 and err == "", err
    first = out.splitlines()[0]
    assert first.startswith("Dry run of legacy-matrix.xlsx (xlsx, sha256 ")
    assert first.endswith("40 rows: 40 would be added, 0 refused, 0 duplicates, 0 empty rows skipped. Nothing was "
                          "changed.")
    sha = first.split("sha256 ")[1].split(")")[0]
    assert list(csv.reader(report.open(encoding="utf-8")))[1] == ["2", "add", "", "would be added as a proposal", ""]
    code, out, err = run("import", str(XLSX), "--mapping", str(TOML), "--sha256", sha, "--as", SPOC.username)
    assert code == 0 and err == "", err
    lines = out.splitlines()
    assert lines[0] == f"Imported legacy-matrix.xlsx (sha256 {sha}): 40 rows: 40 added, 0 refused, 0 duplicates, " \
                       "0 empty rows skipped."
    assert lines[1].startswith("40 people proposed, N-")


def test_a_messy_file_lists_each_refused_row_and_a_commit_exits_1(run: Run, demo_app: App, tmp_path: Path) -> None:
    spoc = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    path = write_messy(tmp_path / "messy.xlsx", messy_rows(held_person(spoc)))
    demo_app.auth.sign_out(spoc)
    mapping = tmp_path / "map.toml"
    mapping.write_text(TOML.read_text(encoding="utf-8").replace('gangs = "Gang"', 'gangs = "Gang"\nbcu = "BCU"'),
                       encoding="utf-8")
    code, out, err = run("import", str(path), "--mapping", str(mapping), "--dry-run", "--as", SPOC.username)
    assert code == 0 and err == ""
    assert "14 rows: 4 would be added, 7 refused, 2 duplicates, 1 empty rows skipped." in out
    assert "Row 3, column SDE (G): refused: the cell is not a known ethnicity code" in out
    assert "Row 10: duplicate: same person as row 2" in out
    code, out, err = run("import", str(path), "--mapping", str(mapping), "--report", str(tmp_path / "r.csv"),
                         "--as", SPOC.username)
    assert code == 1
    assert err == "gvm-desktop: 9 rows cannot be imported; nothing was imported; run a dry run for the report.\n"
    assert "Row 13, column BCU (M): refused:" in out and (tmp_path / "r.csv").exists()


def test_many_refused_rows_are_cut_at_a_terminal_page(run: Run, tmp_path: Path) -> None:
    rows: list[dict[str, object] | None] = [person(f"Tallow{i:03d}", SDE="W7") for i in range(SHOWN_ROWS + 7)]
    path = write_messy(tmp_path / "many.xlsx", rows)
    code, out, _err = run("import", str(path), "--mapping", str(TOML), "--dry-run", "--as", SPOC.username)
    assert code == 0 and out.count("refused: the cell is not a known ethnicity code") == SHOWN_ROWS
    assert out.rstrip().endswith("... and 7 more (see --report)")
    assert len(HEADERS) > 20  # the BCU column is there but not mapped here: a warning, not a refusal
    assert "Warning: Column 'BCU' is neither mapped nor ignored" in out


def test_errors_are_one_line_with_the_contract_codes(run: Run, tmp_path: Path) -> None:
    code, out, err = run("import", str(XLSX), "--mapping", str(TOML), "--dry-run", "--as", OFFICER.username,
                         stdin=f"{OFFICER.password}\n")
    assert code == 3 and out == "" and err.count("\n") == 1
    broken = tmp_path / "broken.toml"
    broken.write_text('[colums]\ngiven_name = "Forename"\n', encoding="utf-8")
    code, out, err = run("import", str(XLSX), "--mapping", str(broken), "--dry-run", "--as", SPOC.username, stdin="")
    assert code == 1 and err == ("gvm-desktop: broken.toml: [colums]: unknown table; the tables are columns, dates, "
                                 "evidence, ignore, import, source, values\n")
    not_a_sheet = tmp_path / "people.xlsx"
    shutil.copy(TOML, not_a_sheet)
    code, out, err = run("import", str(not_a_sheet), "--mapping", str(TOML), "--dry-run", "--as", SPOC.username)
    assert code == 1 and err.startswith("gvm-desktop: ") and err.count("\n") == 1 and "Traceback" not in err
    code, out, err = run("import", str(XLSX), "--dry-run", "--as", SPOC.username)
    assert code == 2 and "--mapping" in err
