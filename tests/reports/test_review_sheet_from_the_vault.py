"""The review sheet as the services feed it from a demo vault: the victim side, the order of risk, the DEMO mark,
the export time as its date, and the first signed review saying there was nothing to compare with."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.review import SheetPerson
from gvm_desktop.reports.pdf_base import DEMO_MARK, pdf_date
from tests.reports.pdftools import page_count, qpdf_check, tool
from tests.services.test_reviews import OFFICER, SPOC, decide_all, sign_in
from tests.support.vault_access import conn_of, read_bcu

RANK = {"Red": 0, "Amber": 1, "Green": 2}


def _signed_review(app: App) -> tuple[int, str]:
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    removed = app.reviews.items(officer, review.id)[0].ref
    decide_all(app, officer, spoc, review.id, remove={removed})
    app.reviews.sign(spoc, review.id, SPOC.password)
    return review.id, removed


def _export(app: App, review_id: int, out: Path) -> Path:
    spoc = sign_in(app, SPOC)
    app.reports.export_review(spoc, review_id, out, account_password=SPOC.password, pdf_password=None,
                              unencrypted=True)
    return out


def test_the_sheet_carries_the_victim_side_in_order_of_risk(demo_app: App) -> None:
    review_id, removed = _signed_review(demo_app)
    spoc = sign_in(demo_app, SPOC)
    with spoc.operation(None, Action.REVIEW_READ, writes=False) as op:
        sheet = demo_app.reviews.sheet_in(op.store, demo_app.reviews.review_row(op, review_id))
    # The people still on the matrix, as last scored (the review opened on the same day, and the demo's
    # events have not changed since): the sheet's victim side must be theirs.
    live = {ref: (victim, classification) for ref, victim, classification in conn_of(spoc).execute(
        "SELECT ref, victim_score, classification FROM nominals")}
    people = sheet.people
    assert people and all(isinstance(p, SheetPerson) for p in people)
    keys = [(RANK.get(p.harm_band, 3), -p.harm_score) for p in people]
    assert keys == sorted(keys), "highest harm band first, then the highest harm score"
    kept = [p for p in people if p.ref != removed]
    assert all(isinstance(p, SheetPerson) and p.classification and p.victim_score is not None for p in kept)
    for p in kept:
        assert isinstance(p, SheetPerson)
        assert (p.victim_score, p.classification) == live[p.ref], p.ref
        assert (p.classification in ("victim", "no scored events")) == (p.harm_score == 0), p.ref
    gone = next(p for p in people if p.ref == removed)
    # Left the matrix: the victim side is the one the review stored when it opened (schema version 12), never guessed.
    stored = read_bcu(demo_app, "CE", "SELECT victim_score, classification FROM review_items WHERE review_id = ? "
                      "AND ref = ?", (review_id, removed))
    assert stored == [(gone.victim_score, gone.classification)] and gone.victim_score is not None


def test_the_exported_sheet_from_a_demo_vault(demo_app: App, tmp_path: Path) -> None:
    review_id, removed = _signed_review(demo_app)
    exported_at = demo_app.env.clock.now()  # a ManualClock: the export happens at this very time
    pdf = _export(demo_app, review_id, tmp_path / "sheet.pdf")
    qpdf_check(pdf)
    sig = subprocess.run([tool("pdfsig"), str(pdf)], capture_output=True, text=True, timeout=120).stdout
    assert "Signature is Valid" in sig and "Total document signed" in sig
    pages = assert_every_page_of_an_export(pdf)
    assert all(DEMO_MARK in page for page in pages)
    flat = " ".join(" ".join(pages).split())
    assert "Added to the matrix since the last review: none to compare with" in flat
    assert "There is no earlier signed review of CE to compare this one with." in flat
    assert "Removals (1), rescores (0) and SPOC overrides (0), with their reasons" in flat
    assert re.search(rf"Remove\s+{removed}\s", flat)
    with pikepdf.open(pdf) as doc:
        created = str(doc.docinfo["/CreationDate"])
    assert created == pdf_date(to_iso(exported_at)) and not created.startswith("D:2000")


def assert_every_page_of_an_export(pdf: Path) -> list[str]:
    """The pages' layout text: an export's watermark names the exporting SPOC, not the test helpers' auditor."""
    out = subprocess.run([tool("pdftotext"), "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                         text=True, check=True, timeout=300).stdout
    pages = out.split("\f")[:-1]
    assert len(pages) == page_count(pdf)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    return pages
