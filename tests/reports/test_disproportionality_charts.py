"""The disproportionality report charts age band and the trend over the quarters as well as ethnicity."""

from __future__ import annotations

from pathlib import Path

from reportlab.graphics.shapes import Line

from gvm_desktop.core.disproportionality import Dimension, suppress_small_numbers
from gvm_desktop.reports.disproportionality_pdf import trend_chart
from gvm_desktop.reports.fonts import register_fonts
from tests.core.test_disproportionality import sample_report
from tests.reports.pdftools import assert_furniture, pages, qpdf_check
from tests.reports.test_disproportionality_pdf import _pdf

CHARTS = "4. Age band and the trend, charted"


def _chart_page(pdf: Path) -> str:
    found = [page for page in pages(pdf) if CHARTS in page]
    assert len(found) == 1
    return found[0][found[0].index(CHARTS):]


def test_the_age_band_chart_and_the_trend_chart_follow_the_tables(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "report.pdf", sample_report())
    qpdf_check(pdf)
    all_pages = pages(pdf)
    for number, page in enumerate(all_pages, start=1):
        assert_furniture(page, number, len(all_pages))
    charts = _chart_page(pdf)
    assert "Age band: share of the matrix and of the population, 2026Q3" in charts
    # Each age band on the axis (all four under 5 people: starred), with the matrix and the reference share.
    for label in ("10-17*", "18-24*", "25-34*", "35+*", "33.3%", "16.7%", "60.0%", "On the matrix",
                  "Reference population"):
        assert label in charts, label
    assert "Ethnicity over the last 3 quarters: disproportionality ratio" in charts
    for label in ("2026Q1", "2026Q2", "2026Q3", "Asian", "Black", "Mixed", "White", "Other", "1.0"):
        assert label in charts, label


def test_the_trend_chart_draws_one_line_per_group_and_leaves_a_gap_for_a_missing_quarter() -> None:
    register_fonts()
    report = sample_report()
    drawn = trend_chart(report, Dimension.ETHNICITY)
    segments = [shape for shape in drawn.contents if isinstance(shape, Line)]
    groups, quarters = 5, len(report.trend)
    assert len(segments) == groups * (quarters - 1) + 1  # the runs between quarters, and the line at 1.0
    # A released report withholds the shares of small groups: their lines have no segment at all.
    released = trend_chart(suppress_small_numbers(report), Dimension.ETHNICITY)
    assert len([s for s in released.contents if isinstance(s, Line)]) < len(segments)


def test_a_released_report_charts_no_suppressed_share(tmp_path: Path) -> None:
    full = _chart_page(_pdf(tmp_path / "full.pdf", sample_report()))
    released = _chart_page(_pdf(tmp_path / "released.pdf", suppress_small_numbers(sample_report())))
    assert "33.3%" in full and "33.3%" not in released  # 18-24: 4 people, fewer than the threshold
    assert "n/a" in released
