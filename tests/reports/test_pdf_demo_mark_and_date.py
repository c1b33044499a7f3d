"""What the shared page frame adds to every PDF type: the DEMO mark from a demo vault (and only from one), and
the export time as the document's creation date, not ReportLab's invariant 2000-01-01."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pikepdf
import pytest

from gvm_desktop.reports.audit_form import build_audit_form
from gvm_desktop.reports.audit_pack import build_audit_pack
from gvm_desktop.reports.disproportionality_pdf import build_disproportionality_report
from gvm_desktop.reports.monthly_audit_pdf import build_monthly_audit
from gvm_desktop.reports.pdf_base import DEMO_MARK
from gvm_desktop.reports.review_sheet import build_review_sheet
from gvm_desktop.reports.subject_access import build_subject_access
from tests.core.test_disproportionality import sample_report
from tests.reports.pdftools import HEAD, assert_every_page, entry, many_entries
from tests.reports.test_audit_form import ENTRY_HASH
from tests.reports.test_monthly_audit_pdf import _audit
from tests.reports.test_review_sheet import person, sheet
from tests.reports.test_subject_access import _pack

EXPORTED_AT = "2026-11-02T09:00:00Z"
Builder = Callable[[BinaryIO, bool], None]

# Each PDF type the product makes, as its service calls the builder, with `demo` as the vault says.
BUILDERS: dict[str, Builder] = {
    "review sheet": lambda fh, demo: build_review_sheet(
        fh, sheet([person(i) for i in range(1, 60)]), exported_by="demo.auditor", exported_at=EXPORTED_AT,
        log_head=HEAD, vault_label="vault 3fa2c9e1", demo=demo),
    "audit pack": lambda fh, demo: build_audit_pack(
        fh, entries=many_entries(120), title="Access log audit pack", filters_described="BCU CE",
        exported_by="demo.auditor", exported_at=EXPORTED_AT, log_head=HEAD, vault_label="vault 3fa2c9e1", demo=demo),
    "audit form": lambda fh, demo: build_audit_form(
        fh, entry=entry(77), entry_hash_hex=ENTRY_HASH, form_id=42, issued_by="demo.auditor", issued_at=EXPORTED_AT,
        log_head=HEAD, demo=demo),
    "monthly audit": lambda fh, demo: build_monthly_audit(
        fh, _audit(), exported_by="demo.auditor", exported_at=EXPORTED_AT, log_head=HEAD,
        vault_label="vault 3fa2c9e1", demo=demo),
    "disproportionality": lambda fh, demo: build_disproportionality_report(
        fh, sample_report(), exported_by="demo.auditor", exported_at=EXPORTED_AT, log_head=HEAD,
        vault_label="vault 3fa2c9e1", demo=demo),
    "subject access": lambda fh, demo: build_subject_access(
        fh, _pack(), exported_by="demo.auditor", exported_at=EXPORTED_AT, log_head=HEAD,
        vault_label="vault 3fa2c9e1", demo=demo),
}


def _write(path: Path, builder: Builder, demo: bool) -> Path:
    with path.open("wb") as fh:
        builder(fh, demo)
    return path


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_demo_vaults_pdf_says_demo_on_every_page(tmp_path: Path, kind: str) -> None:
    pages = assert_every_page(_write(tmp_path / "demo.pdf", BUILDERS[kind], True))
    assert len(pages) >= 1
    for number, page in enumerate(pages, start=1):
        assert DEMO_MARK in page, f"{kind}: page {number} has no demo mark"
        # On the footer line, between the log head and the page number, not lost in the content.
        footer = next(line for line in page.splitlines() if f"Page {number} of {len(pages)}" in line)
        assert DEMO_MARK in footer, footer


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_real_vaults_pdf_has_no_demo_mark(tmp_path: Path, kind: str) -> None:
    pages = assert_every_page(_write(tmp_path / "real.pdf", BUILDERS[kind], False))
    assert not any("DEMO" in page for page in pages), kind


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_the_creation_date_is_the_export_time(tmp_path: Path, kind: str) -> None:
    with pikepdf.open(_write(tmp_path / "dated.pdf", BUILDERS[kind], False)) as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == "D:20261102090000Z"
        assert str(pdf.docinfo["/ModDate"]) == "D:20261102090000Z"


def test_the_same_export_still_makes_the_same_bytes() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    for out in (first, second):
        BUILDERS["review sheet"](out, True)
    assert first.getvalue() == second.getvalue()
    later = io.BytesIO()
    build_review_sheet(later, sheet([person(1)]), exported_by="demo.auditor", exported_at="2026-11-03T10:30:00Z",
                       log_head=HEAD, vault_label="vault 3fa2c9e1")
    with pikepdf.open(io.BytesIO(later.getvalue())) as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == "D:20261103103000Z"
