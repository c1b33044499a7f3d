"""`governance monthly` from the command line: the three counts, the London roll-up, a signed CSV and a PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from tests.services.test_monthly_audit_counts import _activity

AUDITOR = ("demo.auditor", "granite-meadow-audit-19")
SPOC = ("demo.spoc", "harbour-violet-spoc-42")
Gvm = Callable[..., tuple[int, str, str]]


@pytest.fixture
def gvm(demo_app: App) -> Gvm:
    def run(who: tuple[str, str], *argv: str, more: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--as", who[0], "--password-stdin"],
                    app_factory=lambda folder: demo_app, stdin=io.StringIO(who[1] + "\n" + more), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def _row(out: str, start: str) -> list[str]:
    (line,) = [line.split() for line in out.splitlines() if re.match(rf"\s+{re.escape(start)}\s", line)]
    return line


def test_a_spoc_reads_their_bcus_counts(gvm: Gvm, demo_app: App, tmp_path: Path) -> None:
    _activity(demo_app, tmp_path)
    code, out, err = gvm(SPOC, "governance", "monthly", "--bcu", "CE", "--month", "2026-11")
    assert code == 0, err
    assert out.startswith("System audit of BCU CE, 2026-11: 4 users viewed 10, downloaded 5 and edited 4 records; "
                          "2 distinct records opened\n")
    assert _row(out, "CE") == ["CE", "4", "10", "5", "4"]
    assert _row(out, "demo.officer") == ["demo.officer", "officer", "CE", "8", "0", "3"]
    assert _row(out, "demo.auditor") == ["demo.auditor", "auditor", "CE", "1", "1", "0"]
    code, _out, err = gvm(SPOC, "governance", "monthly", "--london", "--month", "2026-11")
    assert code == 3 and "BCU CE only" in err
    code, _out, err = gvm(SPOC, "governance", "monthly", "--bcu", "CE", "--month", "2026-11", "--csv",
                          str(tmp_path / "ce.csv"))
    assert code == 3 and "export the PDF instead" in err and not (tmp_path / "ce.csv").exists()


def test_an_auditor_exports_london_as_a_signed_csv_and_a_pdf(gvm: Gvm, demo_app: App, tmp_path: Path) -> None:
    _activity(demo_app, tmp_path)
    code, out, err = gvm(AUDITOR, "governance", "monthly", "--london", "--month", "2026-11")
    assert code == 0 and out.startswith("System audit of London (every BCU in the vault), 2026-11: 5 users viewed 12"), err
    assert _row(out, "not known")[-3:] == ["0", "0", "60"]
    assert _row(out, "London") == ["London", "(all", "BCUs)", "5", "12", "5", "64"]
    csv_path, pdf_path = tmp_path / "london.csv", tmp_path / "london.pdf"
    code, out, err = gvm(AUDITOR, "governance", "monthly", "--bcu", "ALL", "--month", "2026-11", "--csv", str(csv_path),
                         "--pdf", str(pdf_path), more="copper-kettle-review-2026\n")  # the PDF's password (issue 15)
    assert code == 0, err
    assert f"Wrote {csv_path}" in out and f"gvm-desktop log verify-export {csv_path}" in out
    assert f"Wrote {pdf_path}: the system audit of London (every BCU in the vault), 2026-11." in out
    checked = io.StringIO()
    assert main(["log", "verify-export", str(csv_path)], stdout=checked) == 0
    assert "Valid: signed by demo.auditor" in checked.getvalue()
    assert pdf_path.read_bytes().startswith(b"%PDF")
    # The old flags still work.
    assert gvm(AUDITOR, "governance", "monthly", "--bcu", "NE", "--month", "2026-11")[0] == 0
    code, _out, err = gvm(AUDITOR, "governance", "monthly", "--month", "2026-11")
    assert code == 2 and "--bcu" in err
