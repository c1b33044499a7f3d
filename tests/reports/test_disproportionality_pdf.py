"""The disproportionality report PDF, read back with qpdf and pdftotext: the hand-computed numbers and the furniture."""

from __future__ import annotations

import io
from pathlib import Path

from gvm_desktop.core.disproportionality import (
    DisproportionalityReport,
    QuarterCounts,
    build_report,
    parse_reference_csv,
)
from gvm_desktop.core.review import Quarter
from gvm_desktop.reports.disproportionality_pdf import build_disproportionality_report
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from tests.core.test_disproportionality import COUNTED_ON, sample_report
from tests.reports.pdftools import HEAD, assert_every_page, assert_furniture, page_count, pages, qpdf_check, text


def _pdf(path: Path, report: DisproportionalityReport) -> Path:
    write_pdf_atomically(path, lambda fh: build_disproportionality_report(
        fh, report, exported_by="demo.auditor", exported_at="2026-11-02T09:00:00Z", log_head=HEAD,
        vault_label="Demo vault (synthetic)"))
    return path


def _lines(page_text: str) -> list[str]:
    """Each layout line with runs of white space as one space: a table row reads as one phrase."""
    return [" ".join(line.split()) for line in page_text.splitlines()]


def test_the_report_is_a_valid_pdf_with_the_furniture_on_every_page(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "report.pdf", sample_report())
    qpdf_check(pdf)
    total = page_count(pdf)
    assert total == 4  # cover, the quarter's tables, the trend, the rest of additions and removals
    for number, page in enumerate(pages(pdf), start=1):
        assert_furniture(page, number, total)
        assert "Disproportionality report: Central East BCU, 2026Q3" in page


def test_the_cover_names_the_bcu_quarter_reference_and_method(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "report.pdf", sample_report())
    cover = text(pdf, page=1)
    lines = _lines(cover)
    for fact in ("BCU Central East (CE)", "Quarter 2026Q3", "Matrix counted on 2026-09-30", "People on the matrix 12",
                 "Reference population Synthetic census (test)", "Reference figures as of 2021-03-21",
                 "Trend quarters 2026Q1 to 2026Q3 (3)", "Exported at 2026-11-02 09:00:00 UTC", "Vault Demo vault (synthetic)"):
        assert fact in lines, fact
    flat = " ".join(cover.split())
    assert "Comparison groups Ethnicity: White; Age band: 35+; Gender: Female; Disability: none" in flat
    for phrase in ("Disproportionality ratio: matrix share divided by reference share",
                   "Relative rate index (RRI): the group's rate divided by the comparison group's rate",
                   "The comparison group is White for ethnicity", "Groups with fewer than 5 people on the matrix are marked *",
                   "shown as n/a"):
        assert phrase in flat, phrase
    # The bar chart: its labels, legend and the shares on the bars (Black 50.0% on the matrix, 15.0% of the population).
    for label in ("Asian*", "Black", "Mixed*", "White*", "Other*", "On the matrix", "Reference population", "60%"):
        assert label in cover, label
    for share in ("50.0%", "15.0%", "20.0%", "10.0%", "5.0%", "0.0%"):
        assert share in cover, share
    assert cover.count("50.0%") == 2  # Black on the matrix, White in the population


def test_the_tables_show_the_hand_computed_numbers(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "report.pdf", sample_report())
    lines = _lines(text(pdf, page=2))
    # Group, on the matrix, matrix share, reference population, reference share, ratio, rate per 1,000, RRI.
    for row in ("Asian 2* 20.0% 800 20.0% 1.00 2.50 2.50",
                "Black 5 50.0% 600 15.0% 3.33 8.33 8.33",
                "Mixed 1* 10.0% 200 5.0% 2.00 5.00 5.00",
                "White 2* 20.0% 2,000 50.0% 0.40 1.00 1.00",
                "Other 0* 0.0% 400 10.0% 0.00 0.00 0.00",
                "10-17 3* 25.0% 400 10.0% 2.50 7.50 9.00",
                "18-24 4* 33.3% 400 10.0% 3.33 10.00 12.00",
                "25-34 3* 25.0% 800 20.0% 1.25 3.75 4.50",
                "35+ 2* 16.7% 2,400 60.0% 0.28 0.83 1.00",
                "Female 1* 9.1% 2,100 52.5% 0.17 0.48 1.00",
                "Male 10 90.9% 1,900 47.5% 1.91 5.26 11.05",
                "Non-binary or other 0* 0.0% 0 0.0% n/a n/a n/a",
                "Disabled 3* 30.0% n/a n/a n/a n/a n/a",
                "Not disabled 7 70.0% n/a n/a n/a n/a n/a",
                "Not stated 2 left out",
                "All stated 10 100.0% 4,000 100.0%"):
        assert row in lines, row
    flat = " ".join(lines)
    assert "RRI against White." in flat and "RRI against 35+." in flat and "RRI against Female." in flat
    assert "No reference population was given for disability" in flat


def test_the_trend_and_the_additions_and_removals_are_printed(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "report.pdf", sample_report())
    trend = _lines(text(pdf, page=3))
    assert "2. Trend over quarters" in trend
    # Black's RRI: 10/3 in Q1, 40/9 in Q2, 25/3 in Q3 (see the core test's hand computation).
    assert "2026Q1 10 2 * (20.0%) 4 * (40.0%) 0 * (0.0%) 4 * (40.0%) 0 * (0.0%)" in trend
    assert "RRI 1.25 RRI 3.33 RRI 0.00 RRI 1.00 RRI 0.00" in trend
    assert "RRI 1.67 RRI 4.44 RRI 3.33 RRI 1.00 RRI 0.00" in trend
    assert "2026Q3 10 2 * (20.0%) 5 (50.0%) 1 * (10.0%) 2 * (20.0%) 0 * (0.0%)" in trend
    assert "3. Additions and removals by group" in trend
    assert "2026Q2 +0 +0 / -0 +0 / -0 +1 / -0 +0 / -1 +0 / -0 +0 / -0" in trend  # Mixed added one, White lost one
    assert "2026Q3 +0 +0 / -0 +1 / -0 +0 / -0 +0 / -1 +0 / -0 +0 / -0" in trend
    everything = " ".join(_lines(text(pdf)))
    assert "2026Q2 +0 +0 / -0 +1 / -1 +0 / -0 +0 / -0" in everything  # gender: a man added and a man removed


def test_a_report_without_reference_figures_or_people_prints_n_a_not_a_crash(tmp_path: Path) -> None:
    disability_only = parse_reference_csv("borough,dimension,group,population\n"
                                          "Hackney,disability,Disabled,1\nHackney,disability,Not disabled,0\n"
                                          "Tower Hamlets,disability,Disabled,0\nTower Hamlets,disability,Not disabled,0\n")
    report = build_report(bcu="CE", reference=disability_only, counted_on=COUNTED_ON,
                          quarters=[QuarterCounts(Quarter(2026, 3), {})])
    pdf = _pdf(tmp_path / "empty.pdf", report)
    assert_every_page(pdf)
    cover = text(pdf, page=1)
    assert "People on the matrix" in cover and cover.count("n/a") >= 5  # the chart's bars say n/a
    assert "Reference population source not recorded" in _lines(cover)
    lines = _lines(text(pdf, page=2))
    assert "Asian 0* n/a n/a n/a n/a n/a n/a" in lines
    assert "Disabled 0* n/a 1 100.0% n/a 0.00 n/a" in lines  # comparison Disabled has rate 0: every RRI n/a


def test_the_same_report_makes_the_same_bytes() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    for out in (first, second):
        build_disproportionality_report(out, sample_report(), exported_by="demo.auditor", exported_at="2026-11-02T09:00:00Z",
                                        log_head=HEAD, vault_label="Demo vault (synthetic)")
    assert first.getvalue() == second.getvalue()
    assert first.getvalue().startswith(b"%PDF-")
