"""The disproportionality report on paper: a BCU's matrix against its reference population.

A cover says whose matrix, which quarter, which reference population and how
every figure is computed, with a bar chart of the ethnicity shares; then one
table per dimension for the quarter, the trend over the quarters, and the
additions and removals per group. Every number comes from the core's
DisproportionalityReport and is formatted by the core's helpers, so the paper
and the screen can never disagree about a rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import BinaryIO

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.textlabels import NA_Label
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer

from gvm_desktop.core.disproportionality import (
    GROUPS,
    HAS_NOT_STATED,
    METHOD_NOTE,
    NOT_STATED,
    SMALL_COUNT,
    Dimension,
    DimensionTable,
    DisproportionalityReport,
    GroupRow,
    Movement,
    format_count,
    format_rate,
    format_ratio,
    format_share,
)
from gvm_desktop.reports.fonts import BOLD, REGULAR, register_fonts
from gvm_desktop.reports.grid import Grid, Row
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf, utc_seconds
from gvm_desktop.reports.text import forget

PAGE = A4
BODY_WIDTH, BODY_HEIGHT = body_size(PAGE)
LABEL_WIDTH = 150

TITLE = Grid(widths=(BODY_WIDTH,), size=15, leading=19, pad_x=0, pad_y=1, fonts=(BOLD,))
HEADING = Grid(widths=(BODY_WIDTH,), size=11, leading=14, pad_x=0, pad_y=2, fonts=(BOLD,))
SUBHEADING = Grid(widths=(BODY_WIDTH,), size=9.5, leading=12, pad_x=0, pad_y=2, fonts=(BOLD,))
PROSE = Grid(widths=(BODY_WIDTH,), size=8.5, leading=11, pad_x=0, pad_y=1)
FACTS = Grid(widths=(LABEL_WIDTH, BODY_WIDTH - LABEL_WIDTH), size=9, leading=11.5, pad_x=4, pad_y=2.6, fonts=(BOLD,))

_FIGURE_HEADERS = ("Group", "On the matrix", "Matrix share", "Reference population", "Reference share",
                   "Disproportionality ratio", "Rate per 1,000", "Relative rate index")
_FIGURE_WIDTHS = (100.0, 50.0, 50.0, 60.0, 54.0, 90.0, 54.0)  # each header word on one line
FIGURES = Grid(widths=(*_FIGURE_WIDTHS, BODY_WIDTH - sum(_FIGURE_WIDTHS)), size=8, leading=9.8, pad_x=3, pad_y=2.4,
               fonts=(BOLD,))

MATRIX_COLOUR = colors.Color(0.13, 0.30, 0.55)
REFERENCE_COLOUR = colors.Color(0.68, 0.72, 0.78)
_GAP = 10


def build_disproportionality_report(out: BinaryIO, report: DisproportionalityReport, *, exported_by: str, exported_at: str,
                                    log_head: tuple[int, str], vault_label: str) -> None:
    """Write the report as a portrait A4 PDF to `out`; every page carries the marking, page number, log head and watermark."""
    title = f"Disproportionality report: {report.bcu_name} BCU, {report.quarter}"
    furniture = PageFurniture(title=title, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                              subtitle=vault_label)
    register_fonts()  # the chart's labels are measured when it is built, before build_pdf registers them
    try:
        story = [*_cover(report, title, exported_by, exported_at, log_head, vault_label), PageBreak(),
                 *_current(report), PageBreak(), *_trend(report), CondPageBreak(BODY_HEIGHT / 3), *_movements(report)]
        build_pdf(out, furniture, story, pagesize=PAGE)
    finally:
        forget()


def _block(grid: Grid, text: str) -> Flowable:
    return grid.flowable(None, grid.block_rows(text), stripes=False, rules="none")


# -- the cover ------------------------------------------------------------------------------------------------------


def _cover(report: DisproportionalityReport, title: str, exported_by: str, exported_at: str, log_head: tuple[int, str],
           vault_label: str) -> list[Flowable]:
    current = report.current
    quarters = [str(q) for q, _t in report.trend]
    comparisons = "; ".join(f"{t.label}: {t.comparison_group or 'none (no reference population)'}"
                            for t in current.dimensions)
    facts = (
        ("BCU", f"{report.bcu_name} ({report.bcu})"),
        ("Quarter", str(report.quarter)),
        ("Matrix counted on", report.counted_on.isoformat()),
        ("People on the matrix", format_count(current.matrix_total)),
        ("Reference population", report.reference_source or "source not recorded"),
        ("Reference figures as of", report.reference_as_of or "date not recorded"),
        ("Comparison groups", comparisons),
        ("Trend quarters", f"{quarters[0]} to {quarters[-1]} ({len(quarters)})" if len(quarters) > 1 else quarters[0]),
        ("Exported by", exported_by),
        ("Exported at", utc_seconds(exported_at)),
        ("Vault", vault_label),
        ("Access-log head at export", f"{log_head[0]}:{log_head[1]}"),
    )
    facts_table = FACTS.flowable(None, [row for f in facts for row in FACTS.field_rows(*f)], stripes=False)
    return [
        _block(TITLE, title), Spacer(1, 6), facts_table, Spacer(1, _GAP),
        _block(HEADING, "How the figures are computed"), _block(PROSE, METHOD_NOTE), Spacer(1, _GAP),
        KeepTogether([_block(HEADING, f"Ethnicity: share of the matrix and of the population, {report.quarter}"),
                      Spacer(1, 4), ethnicity_chart(current.dimension(Dimension.ETHNICITY))]),
    ]


def ethnicity_chart(table: DimensionTable, *, width: float = BODY_WIDTH, height: float = 250) -> Drawing:
    """Grouped bars per ethnic group: the matrix share beside the reference share, in per cent."""
    rows = table.stated_rows
    matrix = [None if r.matrix_share is None else round(r.matrix_share * 100, 1) for r in rows]
    reference = [None if r.reference_share is None else round(r.reference_share * 100, 1) for r in rows]
    top = max([v for v in (*matrix, *reference) if v is not None] or [10.0])
    step = 10 if top > 30 else 5
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    # The legend and the footnote go under the chart, so the bars get the page's width and their labels room.
    chart.x, chart.y, chart.width, chart.height = 42, 58, width - 60, height - 70
    chart.data = [matrix, reference]
    chart.categoryAxis.categoryNames = [r.group + ("*" if r.small_count else "") for r in rows]
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.dy = -4
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * math.ceil(top / step + 0.15)  # room above the tallest bar for its label
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.Color(0.88, 0.88, 0.9)
    chart.bars[0].fillColor = MATRIX_COLOUR
    chart.bars[1].fillColor = REFERENCE_COLOUR
    chart.bars.strokeColor = None
    chart.groupSpacing = 24
    chart.barSpacing = 3
    chart.barLabelFormat = "%.1f%%"
    chart.barLabels.fontName = REGULAR
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    chart.naLabel = NA_Label()  # a share that would divide by zero: say so where its bar would be
    chart.naLabel.text = "n/a"
    chart.naLabel.fontName = REGULAR
    chart.naLabel.fontSize = 7
    chart.naLabel.nudge = 6
    drawing.add(chart)

    legend = Legend()
    legend.x, legend.y = chart.x, 30
    legend.fontName, legend.fontSize = REGULAR, 8
    legend.alignment = "right"
    legend.columnMaximum, legend.deltax, legend.dxTextSpace = 1, 130, 6
    legend.strokeColor = None
    legend.colorNamePairs = [(MATRIX_COLOUR, "On the matrix"), (REFERENCE_COLOUR, "Reference population")]
    drawing.add(legend)
    drawing.add(String(chart.x, 8, f"Shares of people with a stated ethnicity ({format_count(table.stated_total)} on "
                                    f"the matrix; {format_count(table.not_stated)} not stated). * fewer than {SMALL_COUNT}.",
                       fontName=REGULAR, fontSize=7.5))
    return drawing


# -- the quarter's figures ------------------------------------------------------------------------------------------


def _current(report: DisproportionalityReport) -> list[Flowable]:
    story: list[Flowable] = [_block(HEADING, f"1. Figures for {report.quarter} (matrix counted on "
                                             f"{report.counted_on.isoformat()})"), Spacer(1, 4)]
    for table in report.current.dimensions:
        story.append(KeepTogether([_block(SUBHEADING, table.label), figures_table(table),
                                   _block(PROSE, _table_note(table)), Spacer(1, _GAP)]))
    return story


def figures_table(table: DimensionTable) -> Flowable:
    header = FIGURES.header(_FIGURE_HEADERS)
    rows = [_figure_row(r) for r in table.rows]
    total_ref = format_count(table.reference_total)
    rows.append(FIGURES.row(("All stated", format_count(table.stated_total), "100.0%" if table.stated_total else "n/a",
                             total_ref, "100.0%" if table.reference_total else "n/a", "", "", ""),
                            bold_cells=(0,), empty=""))
    return FIGURES.flowable(header, rows)


def _figure_row(r: GroupRow) -> Row:
    if not r.stated:
        return FIGURES.row((NOT_STATED, format_count(r.matrix_count), "left out", "", "", "", "", ""), empty="")
    name = r.group + ("\n(comparison)" if r.is_comparison else "")
    count = format_count(r.matrix_count) + (" *" if r.small_count else "")
    return FIGURES.row((name, count, format_share(r.matrix_share), format_count(r.reference_population),
                        format_share(r.reference_share), format_ratio(r.share_ratio), format_rate(r.rate_per_1000),
                        format_ratio(r.rri)))


def _table_note(table: DimensionTable) -> str:
    parts = []
    if table.comparison_group is None:
        parts.append(f"No reference population was given for {table.label.lower()}: only the matrix counts and "
                     "shares can be shown.")
    else:
        parts.append(f"RRI against {table.comparison_group}.")
    if any(r.small_count for r in table.stated_rows):
        parts.append(f"* Fewer than {SMALL_COUNT} people on the matrix: the group's rates and ratios are unreliable.")
    if table.dimension is not Dimension.AGE_BAND:
        parts.append(f"{NOT_STATED}: {format_count(table.not_stated)}, left out of every share, rate and ratio.")
    return " ".join(parts)


# -- over time --------------------------------------------------------------------------------------------------------


def _over_time_grid(groups: Sequence[str]) -> Grid:
    quarter_w, total_w = 52.0, 54.0
    each = (BODY_WIDTH - quarter_w - total_w) / len(groups)
    return Grid(widths=(quarter_w, total_w, *([each] * len(groups))), size=7.5, leading=9.2, pad_x=3, pad_y=2.2,
                fonts=(BOLD,))


def _trend(report: DisproportionalityReport) -> list[Flowable]:
    story: list[Flowable] = [
        _block(HEADING, "2. Trend over quarters"),
        _block(PROSE, "Each cell: people on the matrix at the end of the quarter, their share of those with a stated "
                      "value, and the relative rate index, all against the same reference population."),
        Spacer(1, 4),
    ]
    for dimension in Dimension:
        groups = GROUPS[dimension]
        grid = _over_time_grid(groups)
        rows = []
        for quarter, table in report.trend:
            t = table.dimension(dimension)
            cells = [_trend_cell(t.row(g)) for g in groups]
            rows.append(grid.row((str(quarter), format_count(t.stated_total), *cells)))
        header = grid.header(("Quarter", "Stated", *groups))
        story.append(KeepTogether([_block(SUBHEADING, dimension.label), grid.flowable(header, rows), Spacer(1, _GAP)]))
    return story


def _trend_cell(r: GroupRow) -> str:
    star = " *" if r.small_count else ""
    return f"{format_count(r.matrix_count)}{star} ({format_share(r.matrix_share)})\nRRI {format_ratio(r.rri)}"


def _movements(report: DisproportionalityReport) -> list[Flowable]:
    story: list[Flowable] = [
        _block(HEADING, "3. Additions and removals by group"),
        _block(PROSE, "Each cell: people added to the matrix in the quarter / people removed from it."),
        Spacer(1, 4),
    ]
    for dimension in Dimension:
        groups = (*GROUPS[dimension], *((NOT_STATED,) if dimension in HAS_NOT_STATED else ()))
        grid = _over_time_grid(groups)
        rows = [grid.row((str(m.quarter), _net(m, dimension, groups), *(_move_cell(m, dimension, g) for g in groups)))
                for m in report.movements]
        header = grid.header(("Quarter", "Net", *groups))
        story.append(KeepTogether([_block(SUBHEADING, dimension.label), grid.flowable(header, rows), Spacer(1, _GAP)]))
    return story


def _move_cell(m: Movement, dimension: Dimension, group: str) -> str:
    return f"+{m.added_to(dimension, group):,} / -{m.removed_from(dimension, group):,}"


def _net(m: Movement, dimension: Dimension, groups: Sequence[str]) -> str:
    net = sum(m.added_to(dimension, g) - m.removed_from(dimension, g) for g in groups)
    return f"{net:+,}"
