"""The review sheet as a Detective Superintendent reads it: both scores on every row, bands in colour, the
decisions to answer for on the cover, the order of risk, 9-point type. All people here are invented."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from gvm_desktop.core.review import Recommendation, ReviewSheet, SheetPerson, Verdict
from gvm_desktop.core.review_views import risk_order
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from gvm_desktop.reports.review_sheet import BAND_FILLS, build_review_sheet
from tests.reports.pdftools import HEAD, assert_every_page, text, tool
from tests.reports.test_review_sheet import HEADER, REF_AT_LINE_START, person, sheet

CLASSIFICATIONS = ("offender", "victim", "offender and victim", "no scored events")


def row(i: int, **changes: object) -> SheetPerson:
    """A synthetic person with the victim side filled in: every fourth a victim with no harm score."""
    base = person(i)
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    fields.update(victim_score=(i * 11) % 70, classification=CLASSIFICATIONS[i % 4],
                  victim_band=("Green", "Amber", "Red", "Green")[i % 4])
    if i % 4 == 1:  # a victim: zero harm, the victim score is what matters
        fields.update(harm_score=0, harm_band="Green")
    fields.update(changes)
    return SheetPerson(**fields)  # type: ignore[arg-type]


def compared(people: Sequence[SheetPerson], *, previous: int | None, **changes: object) -> ReviewSheet:
    return sheet(people, **changes, previous_review=previous, previous_quarter="2026Q2" if previous else None)


def _pdf(path: Path, review: ReviewSheet) -> Path:
    write_pdf_atomically(path, lambda fh: build_review_sheet(
        fh, review, exported_by="demo.auditor", exported_at="2026-11-02T09:00:00Z", log_head=HEAD,
        vault_label="vault 3fa2c9e1"))
    return path


def _straight(pdf: Path, *, layout: bool = True) -> list[str]:
    """Each page's text without the diagonal watermark, which pdftotext may put between a row's cells."""
    args = [tool("pdftotext"), "-enc", "UTF-8", "-nodiag", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout.split("\f")[:-1]


def _flat(page_text: str) -> str:
    return " ".join(page_text.split())


def test_every_row_prints_classification_harm_score_and_band_and_victim_score_and_band(tmp_path: Path) -> None:
    people = sorted((row(i) for i in range(1, 41)), key=risk_order)
    pdf = _pdf(tmp_path / "sheet.pdf", compared(people, previous=7))
    assert_every_page(pdf)
    rows = "\n".join(_straight(pdf)[1:])
    for p in people:
        # The row's first line: ref, name, age, harm band, victim band; the next: classification, harm score,
        # victim score (the name wraps, so the second line is found after the ref's line).
        first = re.search(rf"^{p.ref}\s+.*?\s{p.age}\s+{p.harm_band}\s+{p.victim_band}\s", rows, re.MULTILINE)
        assert first, p.ref
        following = rows[first.end():first.end() + 600]
        assert re.search(rf"\s{p.harm_score}\s+{p.victim_score}\s", following), p.ref
        assert p.classification and p.classification[:1].upper() + p.classification[1:] in _flat(following), p.ref


def test_a_row_without_the_victim_side_says_not_recorded_never_a_number(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "old.pdf", sheet([person(1), person(2)]))
    flat = _flat(text(pdf, layout=False))
    assert flat.count("classification not recorded") == 2
    assert flat.count("not recorded") >= 4  # the classification and the victim score, on each row


def test_rows_run_by_band_then_score_highest_risk_first() -> None:
    people = [row(i) for i in range(1, 30)] + [row(40, harm_band="Unbanded", harm_score=999)]
    ordered = sorted(people, key=risk_order)
    ranks = {"Red": 0, "Amber": 1, "Green": 2}
    keys = [(ranks.get(p.harm_band, 3), -p.harm_score) for p in ordered]
    assert keys == sorted(keys)
    assert ordered[0].harm_band == "Red" and ordered[-1].harm_band == "Unbanded"
    # Same band and harm score: the higher victim-risk score first.
    tied = sorted([row(2, harm_band="Red", harm_score=50, victim_score=3),
                   row(3, harm_band="Red", harm_score=50, victim_score=60)], key=risk_order)
    assert [p.victim_score for p in tied] == [60, 3]


def test_the_header_repeats_on_page_two_of_the_table_and_every_later_page(tmp_path: Path) -> None:
    people = sorted((row(i) for i in range(1, 120)), key=risk_order)
    all_pages = assert_every_page(_pdf(tmp_path / "long.pdf", compared(people, previous=7)))
    table_pages = [page for page in all_pages[1:] if REF_AT_LINE_START.search(page)]
    assert len(table_pages) >= 3
    for page in table_pages:
        assert len(HEADER.findall(page)) == 1
        assert "Classification" in page and "Victim" in page


def _font_sizes(pdf: Path) -> set[float]:
    sizes: set[float] = set()
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == pikepdf.Operator("Tf"):
                    sizes.add(float(operands[1]))
    return sizes


def test_no_type_on_the_sheet_is_smaller_than_nine_points(tmp_path: Path) -> None:
    people = sorted((row(i) for i in range(1, 30)), key=risk_order)
    sizes = _font_sizes(_pdf(tmp_path / "sheet.pdf", compared(people, previous=7)))
    assert sizes and min(sizes) >= 9, sorted(sizes)


def test_bands_are_printed_in_colour_as_well_as_in_words(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "sheet.pdf", compared(sorted((row(i) for i in range(1, 13)), key=risk_order), previous=7))
    first_table_page = next(n for n, page in enumerate(assert_every_page(pdf)) if HEADER.search(page))
    with pikepdf.open(pdf) as doc:
        fills = {tuple(round(float(v), 3) for v in operands)
                 for operands, operator in pikepdf.parse_content_stream(doc.pages[first_table_page])
                 if operator == pikepdf.Operator("rg")}
    for band, tint in BAND_FILLS.items():
        assert (round(tint.red, 3), round(tint.green, 3), round(tint.blue, 3)) in fills, band
    words = text(pdf, page=first_table_page + 1)
    assert all(band in words for band in BAND_FILLS)


def test_the_cover_lists_removals_rescores_and_overrides_with_their_reasons(tmp_path: Path) -> None:
    people = [row(i) for i in range(1, 12)]
    people[2] = dataclasses.replace(people[2], recommendation=Recommendation.REMOVE, outcome=Recommendation.REMOVE,
                                    rationale="Synthetic removal R1Z: no scored events for two years.")
    people[4] = dataclasses.replace(people[4], recommendation=Recommendation.RESCORE, outcome=Recommendation.RESCORE,
                                    rationale="Synthetic rescore R2Z: new evidence this quarter.")
    people[6] = dataclasses.replace(people[6], recommendation=Recommendation.REMOVE, verdict=Verdict.OVERRIDE,
                                    outcome=Recommendation.RETAIN,
                                    override_reason="Synthetic override R3Z: two sources this quarter.")
    pdf = _pdf(tmp_path / "sheet.pdf", compared(sorted(people, key=risk_order), previous=7))
    all_pages = assert_every_page(pdf)
    cover_count = next(n for n, page in enumerate(all_pages) if HEADER.search(page))
    cover = _flat(" ".join(_straight(pdf, layout=False)[:cover_count]))
    assert "Listed with their reasons below: 3." in cover
    assert "Removals (1), rescores (1) and SPOC overrides (1), with their reasons" in cover
    for decision, p, reason in (("Remove", people[2], "Synthetic removal R1Z: no scored events for two years."),
                                ("Rescore", people[4], "Synthetic rescore R2Z: new evidence this quarter."),
                                ("Retain (SPOC override of remove)", people[6],
                                 "SPOC: Synthetic override R3Z: two sources this quarter.")):
        for piece in (decision, p.ref, p.name, reason):
            assert piece in cover, piece
    # Removals first, then rescores, then the other overrides.
    assert cover.index(people[2].ref) < cover.index(people[4].ref) < cover.index(people[6].ref)


def test_a_sheet_with_nothing_to_list_says_so_on_the_cover(tmp_path: Path) -> None:
    cover = _flat(text(_pdf(tmp_path / "sheet.pdf", compared([row(1), row(2)], previous=7)), page=1))
    assert "To list with reasons: none." in cover and "Removals (" not in cover


def test_with_no_earlier_signed_review_there_is_none_to_compare_with(tmp_path: Path) -> None:
    first = compared([row(1), row(2)], previous=None, added_since_last=(), removed_since_last=())
    cover = _flat(text(_pdf(tmp_path / "first.pdf", first), page=1))
    assert "Added to the matrix since the last review: none to compare with" in cover
    assert "Removed from the matrix since the last review: none to compare with" in cover
    assert "There is no earlier signed review of CE to compare this one with." in cover
    assert "since the last review: 0" not in cover
    later = _flat(text(_pdf(tmp_path / "later.pdf", compared([row(1), row(2)], previous=7, added_since_last=())),
                       page=1))
    assert "Added to the matrix since the last review: 0" in later
    assert "Added to the matrix since the last review: 0 (compared with signed review #7, 2026Q2)" in later
