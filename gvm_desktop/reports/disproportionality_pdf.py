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
from itertools import pairwise
from typing import BinaryIO

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.textlabels import NA_Label
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer

from gvm_desktop.core.disproportionality import (
    GROUPS,
    HAS_NOT_STATED,
    METHOD_NOTE,
    NOT_STATED,
    SMALL_COUNT,
    SUPPRESSED,
    SUPPRESSION_NOTE,
    WITHHELD,
    Dimension,
    DimensionTable,
    DisproportionalityReport,
    GroupRow,
    Movement,
    format_count,
    format_share,
    shown_count,
    shown_movement,
    shown_net,
    shown_rate,
    shown_rri,
    shown_share,
    shown_share_ratio,
    shown_stated_total,
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
                                    log_head: tuple[int, str], vault_label: str, demo: bool = False) -> None:
    """Write the report as a portrait A4 PDF to `out`; every page carries the marking, page number, log head and watermark."""
    title = f"Disproportionality report: {report.bcu_name} BCU, {report.quarter}"
    furniture = PageFurniture(title=title, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                              subtitle=vault_label, demo=demo)
    register_fonts()  # the chart's labels are measured when it is built, before build_pdf registers them
    try:
        story = [*_cover(report, title, exported_by, exported_at, log_head, vault_label), PageBreak(),
                 *_current(report), PageBreak(), *_trend(report), CondPageBreak(BODY_HEIGHT / 3), *_movements(report),
                 *_charts(report)]
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
        _block(HEADING, "How the figures are computed"),
        _block(PROSE, METHOD_NOTE + (" " + SUPPRESSION_NOTE if report.suppressed else "")), Spacer(1, _GAP),
        KeepTogether([_block(HEADING, f"Ethnicity: share of the matrix and of the population, {report.quarter}"),
                      Spacer(1, 4), ethnicity_chart(current.dimension(Dimension.ETHNICITY))]),
    ]


def ethnicity_chart(table: DimensionTable, *, width: float = BODY_WIDTH, height: float = 250,
                    what: str = "ethnicity") -> Drawing:
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
    not_stated = SUPPRESSED if table.total_suppressed else format_count(table.not_stated)
    drawing.add(String(chart.x, 8, f"Shares of people with a stated {what} ({shown_stated_total(table)} on "
                                    f"the matrix; {not_stated} not stated). * fewer than {SMALL_COUNT}.",
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
    rows.append(FIGURES.row(("All stated", shown_stated_total(table),
                             WITHHELD if table.total_suppressed else "100.0%" if table.stated_total else "n/a",
                             total_ref, "100.0%" if table.reference_total else "n/a", "", "", ""),
                            bold_cells=(0,), empty=""))
    return FIGURES.flowable(header, rows)


def _figure_row(r: GroupRow) -> Row:
    if not r.stated:
        return FIGURES.row((NOT_STATED, shown_count(r), "left out", "", "", "", "", ""), empty="")
    name = r.group + ("\n(comparison)" if r.is_comparison else "")
    count = shown_count(r) + (" *" if r.small_count and not r.suppressed else "")
    return FIGURES.row((name, count, shown_share(r), format_count(r.reference_population),
                        format_share(r.reference_share), shown_share_ratio(r), shown_rate(r), shown_rri(r)))


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
        not_stated = SUPPRESSED if table.total_suppressed else format_count(table.not_stated)
        parts.append(f"{NOT_STATED}: {not_stated}, left out of every share, rate and ratio.")
    if any(r.suppressed for r in table.rows):
        parts.append(f"{SUPPRESSED}: suppressed (small numbers); '{WITHHELD}': a figure that would reveal one.")
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
            rows.append(grid.row((str(quarter), shown_stated_total(t), *cells)))
        header = grid.header(("Quarter", "Stated", *groups))
        story.append(KeepTogether([_block(SUBHEADING, dimension.label), grid.flowable(header, rows), Spacer(1, _GAP)]))
    return story


def _trend_cell(r: GroupRow) -> str:
    star = " *" if r.small_count and not r.suppressed else ""
    return f"{shown_count(r)}{star} ({shown_share(r)})\nRRI {shown_rri(r)}"


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
    return shown_movement(m, dimension, group)


def _net(m: Movement, dimension: Dimension, groups: Sequence[str]) -> str:
    return shown_net(m, dimension)


# -- the charts beside the tables: age band, and the trend over the quarters ------------------------------------------

# Told apart by shade and by dash as well as by hue, so a greyscale copy still reads.
_SERIES = ((colors.Color(0.13, 0.30, 0.55), None), (colors.Color(0.80, 0.40, 0.05), (4, 2)),
           (colors.Color(0.20, 0.55, 0.25), (1, 2)), (colors.Color(0.55, 0.15, 0.45), (6, 2, 1, 2)),
           (colors.Color(0.35, 0.35, 0.35), (2, 2)), (colors.Color(0.10, 0.60, 0.65), (8, 3)))


def _charts(report: DisproportionalityReport) -> list[Flowable]:
    quarters = len(report.trend)
    return [
        CondPageBreak(BODY_HEIGHT / 2),
        _block(HEADING, "4. Age band and the trend, charted"),
        KeepTogether([_block(SUBHEADING, f"Age band: share of the matrix and of the population, {report.quarter}"),
                      Spacer(1, 4),
                      ethnicity_chart(report.current.dimension(Dimension.AGE_BAND), height=200, what="age band")]),
        Spacer(1, _GAP),
        KeepTogether([_block(SUBHEADING, f"Ethnicity over the last {quarters} quarter{'s' if quarters != 1 else ''}: "
                                         "disproportionality ratio (matrix share / reference share)"),
                      Spacer(1, 4), trend_chart(report, Dimension.ETHNICITY)]),
    ]


def trend_chart(report: DisproportionalityReport, dimension: Dimension, *, width: float = BODY_WIDTH,
                height: float = 210) -> Drawing:
    """One line per group across the trend's quarters, with the line of 1.0 (a share in proportion) drawn in.

    A quarter whose ratio is not available (no reference figure, or withheld for small numbers in a report
    for release) leaves a gap in that group's line: it is never drawn as a zero.
    """
    series = report.series(dimension, "share_ratio")
    groups = [g for g in GROUPS[dimension] if g in series]
    quarters = [str(q) for q, _t in report.trend]
    data = [[None if v is None else round(v, 2) for _q, v in series[g]] for g in groups]
    top = max([v for line in data for v in line if v is not None] or [2.0])
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 42, 58, width - 60, height - 70
    chart.data = data or [[None] * len(quarters)]
    chart.categoryAxis.categoryNames = quarters
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = REGULAR, 8
    chart.categoryAxis.labels.dy = -4
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(2.0, math.ceil(top * 1.15 * 2) / 2)
    chart.valueAxis.valueStep = 0.5 if chart.valueAxis.valueMax <= 4 else 1.0
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = REGULAR, 7.5
    chart.valueAxis.labelTextFormat = "%.1f"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.Color(0.88, 0.88, 0.9)
    # The chart draws the axes and a marker per figure; the lines are drawn here, run by run, because
    # ReportLab would join across a missing quarter (and refuses a line of one point).
    chart.joinedLines = 0
    for index in range(len(groups)):
        chart.lines[index].strokeColor = _SERIES[index % len(_SERIES)][0]
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3.5)
    drawing.add(chart)
    step = chart.width / max(1, len(quarters))
    for index, values in enumerate(data):
        colour, dash = _SERIES[index % len(_SERIES)]
        points = [(chart.x + (i + 0.5) * step, chart.y + chart.height * v / chart.valueAxis.valueMax)
                  if v is not None else None for i, v in enumerate(values)]
        for start, end in pairwise(points):
            if start is not None and end is not None:
                drawing.add(Line(*start, *end, strokeColor=colour, strokeWidth=1.6, strokeDashArray=dash))
    # 1.0: the group is on the matrix in the same proportion as in the population.
    level = chart.y + chart.height * 1.0 / chart.valueAxis.valueMax
    drawing.add(Line(chart.x, level, chart.x + chart.width, level, strokeColor=colors.Color(0.2, 0.2, 0.2),
                     strokeWidth=0.8, strokeDashArray=(3, 3)))
    legend = Legend()
    legend.x, legend.y = chart.x, 30
    legend.fontName, legend.fontSize = REGULAR, 8
    legend.alignment = "right"
    legend.columnMaximum, legend.deltax, legend.dxTextSpace = 1, 82, 6
    legend.strokeColor = None
    legend.colorNamePairs = [(_SERIES[i % len(_SERIES)][0], g) for i, g in enumerate(groups)]
    drawing.add(legend)
    drawing.add(String(chart.x, 8, "Dashed at 1.0: in proportion to the population. A gap: no figure that quarter "
                                   "(no reference, or withheld: small numbers).",
                       fontName=REGULAR, fontSize=7.5))
    return drawing
