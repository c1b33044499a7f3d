"""The monthly system audit's PDF, read back with qpdf and pdftotext: the counts per BCU and per user, and the furniture."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.core.record_use import LONDON, MonthlyAudit, UseCounts, build_monthly
from gvm_desktop.reports.monthly_audit_pdf import build_monthly_audit
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from tests.reports.pdftools import HEAD, assert_every_page, qpdf_check, text, tool
from tests.services.test_monthly_audit_counts import ACC, MONTH, _activity, sign_in
from tests.services.test_protected_exports import PDF_PASSWORD, decrypted
from tests.support.vault_access import conn_of

AUDITOR_PASSWORD = ACC[Role.AUDITOR].password

COUNTS = {
    ("demo.officer", "officer", "CE"): UseCounts(viewed=8, edited=3),
    ("demo.auditor", "auditor", "CE"): UseCounts(viewed=1, downloaded=1),
    ("demo.auditor", "auditor", "NE"): UseCounts(viewed=1),
    ("demo.admin", "admin", None): UseCounts(edited=60),
}


def _audit(scope: str = LONDON, counts: dict = COUNTS) -> MonthlyAudit:  # type: ignore[type-arg]
    return build_monthly(scope=scope, month="2026-11", counts=counts, bcus_in_vault=["CE", "NE", "SW"],
                         records_opened=2, activity={"demo.officer": {"record.open": 3, "auth.sign_in": 2}}, refusals=1)


def _pdf(path: Path, audit: MonthlyAudit) -> Path:
    write_pdf_atomically(path, lambda fh: build_monthly_audit(
        fh, audit, exported_by="demo.auditor", exported_at="2026-11-02T09:00:00Z", log_head=HEAD,
        vault_label="Demo vault (synthetic)"))
    return path


def _lines(page_text: str) -> list[str]:
    """Each layout line with runs of white space as one space: a table row reads as one phrase."""
    return [" ".join(line.split()) for line in page_text.splitlines()]


def test_the_london_audit_prints_every_count(tmp_path: Path) -> None:
    pages = assert_every_page(_pdf(tmp_path / "london.pdf", _audit()))
    assert len(pages) == 1
    lines = _lines(pages[0])
    for fact in ("Local matrix London: every BCU in the vault", "Month 2026-11 (UTC)", "People who used records 3",
                 "Records viewed 10", "Records downloaded 1", "Records edited 63", "Distinct records opened 2",
                 "Exported at 2026-11-02 09:00:00 UTC", "Vault Demo vault (synthetic)"):
        assert fact in lines, fact
    # Per BCU (users, viewed, downloaded, edited, total), the BCU without activity and the BCU not known included.
    for row in ("CE Central East 2 9 1 3 13", "NE North East 1 1 0 0 1", "SW South West 0 0 0 0 0",
                "not known 1 0 0 60 60", "London (all BCUs) 3 10 1 63 74"):
        assert row in lines, row
    # Per user and BCU of the records (role label, viewed, downloaded, edited, total).
    for row in ("demo.admin Administrator not known 0 0 60 60", "demo.officer Gang-team officer CE Central East 8 0 3 11",
                "demo.auditor Auditor CE Central East 1 1 0 2", "demo.auditor Auditor NE North East 1 0 0 1"):
        assert row in lines, row
    flat = " ".join(pages[0].split())
    assert "Uses are counted under the BCU of the record, whoever used it." in flat
    assert "Monthly system audit: London (every BCU), 2026-11" in flat


def test_a_bcus_audit_has_no_roll_up(tmp_path: Path) -> None:
    lines = _lines(assert_every_page(_pdf(tmp_path / "ce.pdf", _audit("CE")))[0])
    assert "CE Central East 2 9 1 3 13" in lines
    assert not any(line.startswith(("London (all BCUs)", "NE North East", "not known")) for line in lines)
    assert "demo.officer Gang-team officer CE Central East 8 0 3 11" in lines
    assert not any("demo.admin" in line for line in lines)


def test_many_users_run_onto_more_pages_with_the_furniture_on_each(tmp_path: Path) -> None:
    counts = {(f"bench.user{i:03d}", "officer", "CE"): UseCounts(viewed=i, edited=1) for i in range(1, 181)}
    pages = assert_every_page(_pdf(tmp_path / "many.pdf", _audit("CE", counts)))
    assert len(pages) >= 3
    everything = "\n".join(pages)
    for i in range(1, 181):
        assert f"bench.user{i:03d} Gang-team officer CE Central East {i} 0 1 {i + 1}" in _lines(everything), i


def test_nothing_used_says_so(tmp_path: Path) -> None:
    flat = " ".join(assert_every_page(_pdf(tmp_path / "empty.pdf", _audit("CE", {})))[0].split())
    assert "No record was viewed, downloaded or edited in this month." in flat
    assert "CE Central East 0 0 0 0 0" in flat


def test_the_service_writes_a_checked_pdf_of_the_month(demo_app: App, tmp_path: Path) -> None:
    _activity(demo_app, tmp_path)
    auditor = sign_in(demo_app, Role.AUDITOR)
    out = tmp_path / "london.pdf"
    audit = demo_app.governance.export_monthly_pdf(auditor, "ALL", MONTH, out, account_password=AUDITOR_PASSWORD,
                                                   pdf_password=PDF_PASSWORD)
    out = decrypted(out, PDF_PASSWORD)  # it names officers: it leaves encrypted and signed (issue 15)
    qpdf_check(out)
    assert audit.london and audit.total.counts == UseCounts(viewed=12, downloaded=5, edited=64)
    lines = _lines(text(out))
    for row in ("CE Central East 4 10 5 4 19", "NE North East 2 2 0 0 2", "not known 1 0 0 60 60",
                "London (all BCUs) 5 12 5 64 81", "demo.officer Gang-team officer CE Central East 8 0 3 11",
                "demo.partner Partner (preview only) CE Central East 0 3 0 3"):
        assert row in lines, row
    head_seq = conn_of(auditor).execute("SELECT max(seq) FROM access_log WHERE action <> 'audit.summary'").fetchone()[0]
    assert any(line.startswith(f"Access log head {head_seq}:") for line in lines)
    info = subprocess.run([tool("pdfinfo"), str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Encrypted:\s+no$", info, re.MULTILINE)  # counts and staff names only, like the disproportionality report
