"""The quarterly review and its reports from the command line, passwords in the contract's order."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.people import BCUS
from tests.reports.pdftools import tool
from tests.services.test_reviews import COVERS_EVERY_FLAG

SPOC = ("demo.spoc", "harbour-violet-spoc-42")
OFFICER = ("demo.officer", "lantern-quarry-officer-7")
ADMIN = ("demo.admin", "compass-thistle-admin-88")
PDF_PASSWORD = "walnut-lantern-sheet-31"

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def gvm(demo_app: App) -> Run:
    def run(who: tuple[str, str], *argv: str, more: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--as", who[0], "--password-stdin"],
                    app_factory=lambda folder: demo_app, stdin=io.StringIO(who[1] + "\n" + more), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def test_decide_sign_and_export_the_sheet(gvm: Run, tmp_path: Path) -> None:
    code, out, err = gvm(OFFICER, "review", "show")
    assert code == 0, err
    refs = [line.split("\t")[0] for line in out.splitlines()]
    assert refs
    code, _out, err = gvm(SPOC, "review", "sign")
    assert code == 1 and f"{len(refs)} people are still undecided" in err
    for ref in refs:
        assert gvm(OFFICER, "review", "recommend", ref, "retain", "--rationale", COVERS_EVERY_FLAG)[0] == 0
        assert gvm(SPOC, "review", "decide", ref, "agree")[0] == 0
    # Everyone was given the same rationale: sign-off asks for the SPOC's word that they read the warning.
    code, out, err = gvm(SPOC, "review", "sign", "--accept-reused-rationale")
    assert code == 0 and "Signed. 0 people were removed." in out, err
    target = tmp_path / "sheet.pdf"
    code, out, err = gvm(SPOC, "review", "export-pdf", "--bcu", "CE", "--quarter", "2026Q4", "--out", str(target),
                         more=f"{PDF_PASSWORD}\n")
    assert code == 0 and "AES-256 encrypted" in out, err
    sig = subprocess.run([tool("pdfsig"), "-upw", PDF_PASSWORD, str(target)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in sig.stdout
    # Another BCU, a quarter with no review, a folder that is not there: one clear line each, nothing written.
    other = next(b for b in sorted(BCUS) if b != "CE")
    code, _out, err = gvm(SPOC, "review", "export-pdf", "--bcu", other, "--quarter", "2026Q4", "--out",
                          str(tmp_path / "x.pdf"), more=f"{PDF_PASSWORD}\n")
    assert code == 3 and "limited to BCU CE" in err
    code, _out, err = gvm(SPOC, "review", "export-pdf", "--bcu", "CE", "--quarter", "2025Q1", "--out",
                          str(tmp_path / "y.pdf"), more=f"{PDF_PASSWORD}\n")
    assert code == 1 and "no review of 2025Q1" in err
    code, _out, err = gvm(SPOC, "review", "export-pdf", "--bcu", "CE", "--quarter", "2026Q4", "--out",
                          str(tmp_path / "no" / "z.pdf"), more=f"{PDF_PASSWORD}\n")
    assert code != 0 and "Cannot write" in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf" or p.name.startswith(".")) == ["sheet.pdf"]


def test_reference_and_disproportionality(gvm: Run, tmp_path: Path) -> None:
    boroughs = BCUS["CE"][1]
    lines = ["borough,dimension,group,population"]
    for borough in boroughs:
        for group, n in (("Asian", 40000), ("Black", 30000), ("Mixed", 10000), ("White", 110000), ("Other", 10000)):
            lines.append(f"{borough},ethnicity,{group},{n}")
    csv = tmp_path / "reference.csv"
    csv.write_text("\n".join(lines) + "\n")
    code, out, err = gvm(ADMIN, "report", "reference", str(csv), "--source", "Synthetic census 2021")
    assert code == 0 and f"Loaded {len(lines) - 1}" in out, err
    code, out, err = gvm(SPOC, "report", "disproportionality")
    assert code == 0 and "White" in out and "RRI" in out, err
    pdf = tmp_path / "disp.pdf"
    assert gvm(SPOC, "report", "disproportionality", "--out", str(pdf), more=PDF_PASSWORD + "\n")[0] == 0
    assert pdf.read_bytes()[:4] == b"%PDF"
    bad = tmp_path / "bad.csv"
    bad.write_text("borough,dimension,group,population\nAtlantis,ethnicity,White,12\n")
    code, _out, err = gvm(ADMIN, "report", "reference", str(bad))
    assert code == 1 and "Atlantis" in err
    assert gvm(OFFICER, "report", "disproportionality")[0] == 3
