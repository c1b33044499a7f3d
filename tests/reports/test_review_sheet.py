"""The quarterly review sheet, read back page by page with qpdf and pdftotext. All people here are invented."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gvm_desktop.core.review import MAX_RATIONALE, FocusFlag, Recommendation, ReviewSheet, SheetPerson, Verdict
from gvm_desktop.reports import text as report_text
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from gvm_desktop.reports.review_sheet import build_review_sheet
from tests.reports.pdftools import (
    HEAD,
    HEAD_LINE,
    WATERMARK,
    assert_every_page,
    embedded_fonts,
    numbered_words,
    text,
    words_missing,
)

# The header's first line as pdftotext -layout reads it (the narrow columns wrap their titles below it).
HEADER = re.compile(r"^Ref\s+Name\s+Age\s+Harm\s+Victim\s+Focus flags\s+Officer's recommendation, by, rationale\s+"
                    r"SPOC verdict\s+Outcome$", re.MULTILINE)
REF_AT_LINE_START = re.compile(r"^(SYN-\d{5})(?: \(cont\.\))?\s", re.MULTILINE)
LONG_RATIONALE = numbered_words(300, prefix="r")  # 300 distinct words, 1,499 characters
SIGNED_AT = "2026-10-20T16:30:05Z"


def person(i: int, **changes: object) -> SheetPerson:
    """A synthetic person: retained with the SPOC's agreement unless told otherwise."""
    base = SheetPerson(
        ref=f"SYN-{i:05d}", name=f"Synthetic Testperson {i}", age=16 + i % 30, harm_band=("Red", "Amber", "Green")[i % 3],
        harm_score=(i * 37) % 400, victim_band=("Red", "Amber", "Green", "None")[i % 4], flags=(),
        recommendation=Recommendation.RETAIN, rationale=f"Synthetic rationale Q{i}Z: still active on the matrix.",
        recommended_by=f"demo.officer{i % 5}", verdict=Verdict.AGREE, override_reason="", outcome=Recommendation.RETAIN)
    return replace(base, **changes)  # type: ignore[arg-type]


ODD_PEOPLE = (
    person(1, name="Synthetic סינתטי Testperson سمير", flags=(FocusFlag.UNDER_18, FocusFlag.GREEN_BAND), age=16,
           rationale=LONG_RATIONALE),
    person(2, name="合成 Testperson 😀", recommendation=Recommendation.REMOVE, verdict=Verdict.OVERRIDE,
           override_reason="Synthetic override: retained because the synthetic custody release date is next month.",
           outcome=Recommendation.RETAIN, flags=(FocusFlag.IN_CUSTODY,)),
    person(3, name="Synthetic \"Quote\" O'Testname'); DROP TABLE people;--", recommendation=Recommendation.RESCORE,
           outcome=Recommendation.RESCORE, flags=(FocusFlag.NEVER_SCORED, FocusFlag.ZERO_HARM,
                                                  FocusFlag.NO_CORROBORATION)),
)


def sheet(people: Sequence[SheetPerson], *, signed: bool = True, **changes: object) -> ReviewSheet:
    bands = {"Red": 0, "Amber": 0, "Green": 0}
    for p in people:
        bands[p.harm_band] = bands.get(p.harm_band, 0) + 1
    flags: dict[FocusFlag, int] = {}
    for p in people:
        for f in p.flags:
            flags[f] = flags.get(f, 0) + 1
    base = ReviewSheet(
        review_id=42, bcu="CE", bcu_name="Central East", quarter="2026Q3", opened_at="2026-10-01T08:00:00Z",
        signed_at=SIGNED_AT if signed else None, signed_by_name="Synthetic Spoc" if signed else None,
        signed_by_username="demo.spoc" if signed else None, counts_by_band=bands, flag_counts=flags,
        added_since_last=(("NEW-90001", "Synthetic Newcomer One"), ("NEW-90002", "Synthetic Newcomer Two")),
        removed_since_last=(("OLD-80001", "Synthetic Leaver"),), people=tuple(people),
        # An earlier signed review to compare with, its quarter not named: the lists print their counts alone.
        previous_review=41)
    return replace(base, **changes)  # type: ignore[arg-type]


def _sheet_pdf(path: Path, review: ReviewSheet) -> Path:
    write_pdf_atomically(path, lambda fh: build_review_sheet(
        fh, review, exported_by="demo.auditor", exported_at="2026-11-02T09:00:00Z", log_head=HEAD,
        vault_label="vault 3fa2c9e1"))
    return path


def _flat(page_text: str) -> str:
    return " ".join(page_text.split())


def test_signed_sheet_has_cover_people_and_signature(tmp_path: Path) -> None:
    people = [*ODD_PEOPLE, *(person(i) for i in range(4, 13))]
    pdf = _sheet_pdf(tmp_path / "sheet.pdf", sheet(people))
    all_pages = assert_every_page(pdf)
    assert len(all_pages) >= 2
    cover = all_pages[0]
    flat_cover = _flat(cover)
    for fact in ("Quarterly matrix review — Central East (CE), 2026Q3", "Review #42", "BCU Central East (CE)",
                 "Quarter 2026Q3 (1 July to 30 September 2026)", "Opened at 2026-10-01 08:00:00 UTC",
                 "Status Signed at 2026-10-20 16:30:05 UTC by Synthetic Spoc (demo.spoc)", "People on this sheet 12",
                 "Outcomes: retain 11, remove 0, rescore 1. SPOC agreed 11, overrode 1.",
                 "Exported by demo.auditor at 2026-11-02 09:00:00 UTC", "Vault vault 3fa2c9e1",
                 f"{HEAD[0]}:{HEAD[1]}", "Added to the matrix since the last review: 2",
                 "Removed from the matrix since the last review: 1"):
        assert fact in flat_cover, fact
    # pdftotext can place the diagonal watermark's text between a ref and its name (or push the name a line down)
    unmarked = cover.replace(WATERMARK, "")
    for ref, name in (*sheet(people).added_since_last, *sheet(people).removed_since_last):
        assert re.search(rf"^{ref}\s+{name}$", unmarked, re.MULTILINE), ref
    assert "NOT SIGNED" not in flat_cover
    assert not HEADER.search(cover) and not REF_AT_LINE_START.search(cover), "the people table starts on its own page"
    whole = text(pdf)
    assert {r for r in REF_AT_LINE_START.findall(whole)} == {p.ref for p in people}
    # Wrapped cells are read without -layout: pdftotext then keeps each cell's lines together.
    cells = _flat(text(pdf, layout=False))
    for piece in ("Retain (by demo.officer1)", "Remove (by demo.officer2)", "Rescore (by demo.officer3)",
                  "Overridden Synthetic override: retained because the synthetic custody release date is next month.",
                  "Synthetic rationale Q7Z: still active on the matrix.", "Under 18", "In custody",
                  "No corroborating intelligence in window"):
        assert piece in cells, piece
    flat = _flat(whole)
    for piece in ("SPOC signature", "Signed by Synthetic Spoc (demo.spoc)", "Signed at 2026-10-20 16:30:05 UTC",
                  "digital signature (PAdES)", "certificate authority",
                  "Any change to the document after signing invalidates the signature"):
        assert piece in flat, piece
    assert re.search(r"^SYN-00002\s.*\sOverridden\s+Retain$", whole, re.MULTILINE)
    assert re.search(r"^SYN-00005\s.*\sAgreed\s+Retain$", whole, re.MULTILINE)


def test_cover_counts_bands_flags_and_total(tmp_path: Path) -> None:
    people = [*ODD_PEOPLE, *(person(i) for i in range(4, 24))]
    review = sheet(people, counts_by_band={"Red": 9, "Amber": 7, "Green": 6, "Unbanded": 1})
    cover = text(_sheet_pdf(tmp_path / "counts.pdf", review), page=1)
    for label, count in (("Red", 9), ("Amber", 7), ("Green", 6), ("Unbanded", 1), ("Total", 23)):
        assert re.search(rf"^{label}\s+{count}\s", cover, re.MULTILINE), label
    # Every flag is listed, those nobody carries with 0, beside the band table on the same lines.
    for label, count in (("Green band", 1), ("Zero harm score", 1), ("Never scored", 1), ("Under 18", 1),
                         ("No corroborating intelligence in window", 1), ("In custody", 1)):
        assert re.search(rf"\s{label}\s+{count}$", cover, re.MULTILINE), label
    none_flagged = text(_sheet_pdf(tmp_path / "no-flags.pdf", sheet([person(4)])), page=1)
    assert re.search(r"\sIn custody\s+0$", none_flagged, re.MULTILINE)
    assert re.search(r"^Green\s+0\s", none_flagged, re.MULTILINE)


def test_long_rationale_and_unusual_names_print_in_full(tmp_path: Path) -> None:
    assert len(LONG_RATIONALE) >= 1499
    pdf = _sheet_pdf(tmp_path / "odd.pdf", sheet(ODD_PEOPLE))
    assert_every_page(pdf)
    extracted = text(pdf, layout=False)
    assert words_missing(LONG_RATIONALE.split(), extracted) == []
    flat = _flat(extracted)
    # poppler re-orders right-to-left text when extracting, so the name is checked piece by piece
    for piece in ("Synthetic", "סינתטי", "سمير", "Testperson 😀", "Synthetic \"Quote\" O'Testname'); DROP TABLE people;--"):
        assert piece in flat, piece
    assert "合成 Testperson 😀" in flat  # DejaVu has no CJK: those two are drawn with the fallback font
    assert WATERMARK in extracted


def test_cjk_and_joined_arabic_names_print_in_a_font_that_has_them(tmp_path: Path) -> None:
    names = ("合田 陽子 Testperson", "김민준 Testperson", "さくら Testperson", "كمال السلام مُحَمَّد", "پژوهش گلستان",
             "ٹیکہ ہے")
    people = [person(10 + i, name=name) for i, name in enumerate(names)]
    pdf = _sheet_pdf(tmp_path / "scripts.pdf", sheet(people))
    assert_every_page(pdf)
    flat = _flat(text(pdf, layout=False))
    # poppler puts right-to-left lines back into reading order, so each name, lam-alef and vowel marks
    # included, comes back exactly as typed: the shapes printed map back to their letters
    for name in names:
        assert name in flat, name
    assert {"DejaVuSans", "DejaVuSans-Bold", "NotoSansArabic-Regular", "DroidSansFallback"} <= embedded_fonts(pdf)
    latin_only = _sheet_pdf(tmp_path / "latin.pdf", sheet([person(1), person(2)]))
    assert embedded_fonts(latin_only) == {"DejaVuSans", "DejaVuSans-Bold"}  # the others only when text needs them


def test_400_people_repeat_the_header_on_every_table_page(tmp_path: Path) -> None:
    people = [person(i, rationale=f"Synthetic rationale Q{i}Z. " + "Still active on the synthetic matrix. " * (i % 6))
              for i in range(400)]
    pdf = _sheet_pdf(tmp_path / "400.pdf", sheet(people))
    all_pages = assert_every_page(pdf)
    assert len(all_pages) > 10
    seen: list[str] = []
    for n, page in enumerate(all_pages[1:], start=2):
        refs = REF_AT_LINE_START.findall(page)
        if refs:
            assert len(HEADER.findall(page)) == 1, f"page {n} has no table header"
        elif n < len(all_pages):
            raise AssertionError(f"page {n} lists nobody")
        seen += refs
    assert seen == [p.ref for p in people], "every person once, in the sheet's order"
    assert "People reviewed: 400" in all_pages[1]
    flat = _flat(text(pdf, layout=False))
    assert all(f"Q{i}Z" in flat for i in range(400))


def test_a_rationale_taller_than_a_page_continues_on_the_next(tmp_path: Path) -> None:
    huge = numbered_words(MAX_RATIONALE // 6, prefix="h")  # the longest rationale the review accepts
    assert len(huge) < MAX_RATIONALE
    pdf = _sheet_pdf(tmp_path / "huge.pdf", sheet([person(1), person(2, rationale=huge), person(3)]))
    all_pages = assert_every_page(pdf)
    assert words_missing(huge.split(), text(pdf, layout=False)) == []
    # The continued row names the person again, with "(cont.)" on the line below the ref.
    continued = [page for page in all_pages if re.search(r"^SYN-00002\s+h\d{4}.*\n\(cont\.\)", page, re.MULTILINE)]
    assert continued and all(HEADER.search(page) for page in continued)
    assert len(all_pages) >= 3  # the cover, then at least two pages for the one row


def test_an_unsigned_draft_says_so_on_the_cover_every_page_and_the_signature_block(tmp_path: Path) -> None:
    pdf = _sheet_pdf(tmp_path / "draft.pdf", sheet([person(i) for i in range(1, 40)], signed=False))
    all_pages = assert_every_page(pdf)
    assert "Status NOT SIGNED — draft" in _flat(all_pages[0])
    assert all("DRAFT, NOT SIGNED" in page for page in all_pages)
    last = _flat(all_pages[-1])
    assert "SPOC signature Signed by Not signed Signed at Not signed" in last
    assert "PAdES" not in _flat(text(pdf))


def test_an_empty_sheet_still_makes_a_sheet(tmp_path: Path) -> None:
    review = sheet([], added_since_last=(), removed_since_last=(), counts_by_band={}, flag_counts={})
    pdf = _sheet_pdf(tmp_path / "empty.pdf", review)
    all_pages = assert_every_page(pdf)
    flat_cover = _flat(all_pages[0])
    assert "Added to the matrix since the last review: 0 none" in flat_cover
    assert "Removed from the matrix since the last review: 0 none" in flat_cover
    assert "Total 0" in flat_cover
    flat = _flat(text(pdf))
    assert "People reviewed: 0" in flat and "No people on this sheet." in flat and "SPOC signature" in flat
    assert HEAD_LINE in flat


def test_no_printed_text_is_kept_in_memory_after_the_build(tmp_path: Path) -> None:
    _sheet_pdf(tmp_path / "sheet.pdf", sheet(ODD_PEOPLE))
    assert report_text._wrap.cache_info().currsize == 0
