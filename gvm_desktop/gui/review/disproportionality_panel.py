"""The disproportionality report on screen: share bars, the RRI trend, and the numbers behind them.

The panel only shows a DisproportionalityReport the page got from the services;
it never asks the vault for anything. "Export report (PDF)…" emits
`export_requested` for the page to run the export through the services.
Every number is formatted by the core's helpers, as on the PDF, and every bar
and point says its numbers in a tooltip; the charts' accessible descriptions
carry the same numbers for a screen reader, and the tables hold them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.disproportionality import (
    GROUPS,
    HAS_NOT_STATED,
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
from gvm_desktop.gui.common.palette import current_scheme, readable
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ReadOnlyTable, heading, note

MATRIX_COLOUR = QColor(33, 77, 140)  # the PDF's colours, so a printout and the screen read the same way
REFERENCE_COLOUR = QColor(173, 184, 199)
NO_VALUE = -1.0  # sorts "n/a" below every real figure
GROUP_ORDER = {g: i for groups in GROUPS.values() for i, g in enumerate(groups)} | {NOT_STATED: 98}  # sorts as listed


def _num(value: float | int | None) -> float:
    return NO_VALUE if value is None else float(value)


def _note_of(row: GroupRow) -> str:
    if not row.stated:
        return "Not in shares or rates"
    return f"Fewer than {SMALL_COUNT}: unreliable" if row.small_count else ""


class FiguresModel(RowTableModel[GroupRow]):
    """One dimension's figures for the quarter, a row per group (and Not stated)."""

    columns = (
        Column[GroupRow]("Group", lambda r: r.group + (" (comparison)" if r.is_comparison else ""),
                         lambda r: GROUP_ORDER.get(r.group, 99)),
        Column[GroupRow]("On the matrix", lambda r: format_count(r.matrix_count), lambda r: r.matrix_count, numeric=True),
        Column[GroupRow]("Matrix share", lambda r: format_share(r.matrix_share) if r.stated else "",
                         lambda r: _num(r.matrix_share), numeric=True),
        Column[GroupRow]("Reference population", lambda r: format_count(r.reference_population) if r.stated else "",
                         lambda r: _num(r.reference_population), numeric=True),
        Column[GroupRow]("Reference share", lambda r: format_share(r.reference_share) if r.stated else "",
                         lambda r: _num(r.reference_share), numeric=True),
        Column[GroupRow]("Disproportionality ratio", lambda r: format_ratio(r.share_ratio) if r.stated else "",
                         lambda r: _num(r.share_ratio), numeric=True),
        Column[GroupRow]("Rate per 1,000", lambda r: format_rate(r.rate_per_1000) if r.stated else "",
                         lambda r: _num(r.rate_per_1000), numeric=True),
        Column[GroupRow]("RRI", lambda r: format_ratio(r.rri) if r.stated else "", lambda r: _num(r.rri), numeric=True),
        Column[GroupRow]("Note", _note_of),
    )


class MovementsModel(RowTableModel[Movement]):
    """Additions and removals per quarter for one dimension: a column per group, '+added / -removed'."""

    def show(self, dimension: Dimension, movements: Sequence[Movement]) -> None:
        groups = (*GROUPS[dimension], *((NOT_STATED,) if dimension in HAS_NOT_STATED else ()))
        self.beginResetModel()  # the columns change with the dimension, so the whole table resets
        self.columns = (
            Column[Movement]("Quarter", lambda m: str(m.quarter), lambda m: (m.quarter.year, m.quarter.number)),
            Column[Movement]("Net", lambda m: f"{_net(m, dimension, groups):+,}", lambda m: _net(m, dimension, groups),
                             numeric=True),
            *(Column[Movement](g, _mover(dimension, g), _mover_net(dimension, g), numeric=True) for g in groups),
        )
        self._rows = list(movements)
        self.endResetModel()


def _net(m: Movement, dimension: Dimension, groups: Sequence[str]) -> int:
    return sum(m.added_to(dimension, g) - m.removed_from(dimension, g) for g in groups)


def _mover(dimension: Dimension, group: str) -> Callable[[Movement], str]:
    return lambda m: f"+{m.added_to(dimension, group):,} / -{m.removed_from(dimension, group):,}"


def _mover_net(dimension: Dimension, group: str) -> Callable[[Movement], int]:
    return lambda m: m.added_to(dimension, group) - m.removed_from(dimension, group)


class DisproportionalityPanel(QWidget):
    """set_report(report) shows it; the dimension box picks which dimension the charts and tables show."""

    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: DisproportionalityReport | None = None
        self.summary = note("", self)
        self.dimension_box = QComboBox(self)
        for dimension in Dimension:
            self.dimension_box.addItem(dimension.label, dimension.value)
        self.dimension_box.setAccessibleName("Dimension shown")
        self.dimension_box.setToolTip("Which characteristic the charts and tables break the matrix down by")
        self.export_button = QPushButton("E&xport report (PDF)…", self)
        self.export_button.setToolTip("The whole report (every dimension, the trend and the additions and removals) "
                                      "as an OFFICIAL-SENSITIVE PDF")

        self.share_chart = QChart()
        self.share_chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.share_view = self._chart_view(self.share_chart, "Share of the matrix and of the population")
        self.matrix_set = QBarSet("On the matrix")
        self.reference_set = QBarSet("Reference population")
        for bar_set in (self.matrix_set, self.reference_set):
            font = bar_set.labelFont()
            font.setPointSizeF(font.pointSizeF() * 0.85)  # two labels side by side over narrow bars must not touch
            bar_set.setLabelFont(font)
        self.share_series = QBarSeries()
        self.share_series.append(self.matrix_set)
        self.share_series.append(self.reference_set)
        self.share_series.setLabelsVisible(True)
        self.share_series.setLabelsFormat("@value%")
        self.share_series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        self.share_chart.addSeries(self.share_series)
        self.category_axis = QBarCategoryAxis()
        self.category_axis.setTruncateLabels(False)  # "Non-binary or other" must be read whole, not as "Non-binary or ..."
        self.share_axis = QValueAxis()
        self.share_axis.setLabelFormat("%d%%")
        self.share_chart.addAxis(self.category_axis, Qt.AlignmentFlag.AlignBottom)
        self.share_chart.addAxis(self.share_axis, Qt.AlignmentFlag.AlignLeft)
        self.share_series.attachAxis(self.category_axis)
        self.share_series.attachAxis(self.share_axis)
        self.matrix_set.hovered.connect(lambda on, i: self._bar_tip(on, i))
        self.reference_set.hovered.connect(lambda on, i: self._bar_tip(on, i))

        self.trend_chart = QChart()
        self.trend_chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.trend_view = self._chart_view(self.trend_chart, "Relative rate index by quarter")
        self.rri_series: dict[str, QLineSeries] = {}
        self.quarter_axis = QCategoryAxis()
        self.quarter_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionCenter)
        self.rri_axis = QValueAxis()
        self.rri_axis.setLabelFormat("%.1f")
        self.trend_chart.addAxis(self.quarter_axis, Qt.AlignmentFlag.AlignBottom)
        self.trend_chart.addAxis(self.rri_axis, Qt.AlignmentFlag.AlignLeft)
        self._follow_palette()

        self.figures = FiguresModel(self)
        self.figures_table = ReadOnlyTable(sorted_view_model(self.figures, self), self)
        self.figures_table.setAccessibleName("Figures for the quarter")
        self.movements = MovementsModel(self)
        self.movements_table = ReadOnlyTable(sorted_view_model(self.movements, self), self)
        self.movements_table.setAccessibleName("Additions and removals by quarter")
        self.movements_table.horizontalHeader().setStretchLastSection(False)  # keep each group's figures by its heading
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.figures_table, "&Figures")
        self.tabs.addTab(self.movements_table, "&Additions and removals")
        self.footnote = note("", self)
        self._lay_out()

        self.dimension_box.currentIndexChanged.connect(lambda _i: self._show_dimension())
        self.export_button.clicked.connect(self.export_requested)
        self.set_report(None)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()

    def _follow_palette(self) -> None:
        """Charts in the light or dark theme of the palette; the bars keep the PDF's hues, lightened on dark."""
        scheme = current_scheme()
        theme = QChart.ChartTheme.ChartThemeDark if scheme.dark else QChart.ChartTheme.ChartThemeLight
        for chart in (self.share_chart, self.trend_chart):
            if chart.theme() != theme:
                chart.setTheme(theme)  # resets the series' colours, so they are set again below
        background = self.share_chart.backgroundBrush().color()
        for bar_set, colour in ((self.matrix_set, MATRIX_COLOUR), (self.reference_set, REFERENCE_COLOUR)):
            bar_set.setColor(colour.lighter(190) if scheme.dark and colour == MATRIX_COLOUR else colour)
            bar_set.setBorderColor(bar_set.color())
            # The labels sit above the bars, on the chart's own background (the theme's is meant for inside a bar).
            bar_set.setLabelColor(readable(scheme.base_text, background))

    def _chart_view(self, chart: QChart, name: str) -> QChartView:
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)  # figures, not a show: draw them at once
        chart.setMargins(QMargins(4, 4, 4, 4))
        view = QChartView(chart, self)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setMinimumHeight(300)
        view.setAccessibleName(name)
        return view

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(heading("Disproportionality", self, level=2))
        layout.addWidget(self.summary)
        row = QHBoxLayout()
        label = QLabel("D&imension:", self)
        label.setBuddy(self.dimension_box)
        row.addWidget(label)
        row.addWidget(self.dimension_box)
        row.addStretch(1)
        row.addWidget(self.export_button)
        layout.addLayout(row)
        charts = QHBoxLayout()
        charts.addWidget(self.share_view, 1)
        charts.addWidget(self.trend_view, 1)
        layout.addLayout(charts, 3)
        layout.addWidget(self.tabs, 2)
        layout.addWidget(self.footnote)

    # -- showing -------------------------------------------------------------------------------------------------------

    @property
    def dimension(self) -> Dimension:
        """The chosen dimension; ethnicity when the box is empty (a locking home empties every combo box it holds)."""
        data = self.dimension_box.currentData()
        return Dimension(data) if data else Dimension.ETHNICITY

    def set_dimension(self, dimension: Dimension | str) -> None:
        self.dimension_box.setCurrentIndex(self.dimension_box.findData(Dimension(dimension).value))

    def set_report(self, report: DisproportionalityReport | None) -> None:
        """Show `report` (None: show nothing, e.g. before the services have answered)."""
        self.report = report
        for widget in (self.export_button, self.dimension_box):
            widget.setEnabled(report is not None)
        for part in (self.share_view, self.trend_view, self.tabs, self.footnote):
            part.setVisible(report is not None)  # empty axes and tables would only look like a report of nothing
        if report is None:
            self.summary.setText("No report loaded.")
        else:
            source = report.reference_source or "a reference population whose source was not recorded"
            as_of = f" ({report.reference_as_of})" if report.reference_as_of else ""
            self.summary.setText(
                f"{report.bcu_name} BCU ({report.bcu}), {report.quarter}: {format_count(report.current.matrix_total)} "
                f"people on the matrix on {report.counted_on.isoformat()}, against {source}{as_of}.")
        self._show_dimension()

    def clear(self) -> None:
        """Forget the report and everything drawn from it (the page calls this when the session locks)."""
        self.set_report(None)

    def _show_dimension(self) -> None:
        report = self.report
        table = report.current.dimension(self.dimension) if report else None
        self._show_shares(table)
        self._show_trend(report)
        self.figures.set_rows(table.rows if table else ())
        self.movements.show(self.dimension, report.movements if report else ())
        self.figures_table.resizeColumnsToContents()
        self.movements_table.resizeColumnsToContents()
        self.footnote.setText(self._footnote(table))

    def _show_shares(self, table: DimensionTable | None) -> None:
        rows = table.stated_rows if table else ()
        for bar_set, shares in ((self.matrix_set, [r.matrix_share for r in rows]),
                                (self.reference_set, [r.reference_share for r in rows])):
            bar_set.remove(0, bar_set.count())
            # A share that is n/a draws no bar; its tooltip and the table say n/a.
            bar_set.append([0.0 if s is None else round(s * 100, 1) for s in shares])
        self.category_axis.clear()
        self.category_axis.append([r.group + ("*" if r.small_count else "") for r in rows])
        top = max([r.matrix_share or 0 for r in rows] + [r.reference_share or 0 for r in rows] + [0.1]) * 100
        step = 10 if top > 30 else 5
        ceiling = step * math.ceil((top + 0.8 * step) / step)  # room above the tallest bar for its label
        self.share_axis.setRange(0, min(ceiling, 110 if top > 95 else 100))
        self.share_axis.setTickCount(round(self.share_axis.max() / step) + 1)
        if table is None:
            self.share_chart.setTitle("")
            self.share_view.setAccessibleDescription("")
            return
        quarter = self.report.quarter if self.report else ""
        self.share_chart.setTitle(f"{table.label}: share of the matrix and of the population, {quarter}")
        self.share_view.setAccessibleDescription(" ".join(self.share_tooltip(r) for r in rows))

    def _show_trend(self, report: DisproportionalityReport | None) -> None:
        self.trend_chart.removeAllSeries()
        self.rri_series = {}
        for label in self.quarter_axis.categoriesLabels():
            self.quarter_axis.remove(label)
        if report is None:
            self.trend_chart.setTitle("")
            self.trend_view.setAccessibleDescription("")
            return
        quarters = [q for q, _t in report.trend]
        self.quarter_axis.setStartValue(-0.5)
        for index, quarter in enumerate(quarters):
            self.quarter_axis.append(str(quarter), index + 0.5)  # each label centred over its point
        self.quarter_axis.setRange(-0.5, len(quarters) - 0.5)
        comparison = report.current.dimension(self.dimension).comparison_group
        top = 1.0
        for group, points in report.series(self.dimension).items():
            series = QLineSeries()
            series.setPointsVisible(True)
            for index, (_quarter, rri) in enumerate(points):
                if rri is not None:  # an n/a quarter leaves a gap in the points; the line joins its neighbours
                    series.append(index, rri)
                    top = max(top, rri)
            series.setName(group if series.count() else f"{group} (n/a)")
            self.trend_chart.addSeries(series)
            series.attachAxis(self.quarter_axis)
            series.attachAxis(self.rri_axis)
            series.hovered.connect(lambda point, on, g=group: self._point_tip(g, point, on))
            self.rri_series[group] = series
        self.rri_axis.setRange(0, top * 1.1)
        self.rri_axis.applyNiceNumbers()
        if comparison is None:
            self.trend_chart.setTitle(f"No reference population for {self.dimension.label.lower()}: no relative rate index")
        else:
            self.trend_chart.setTitle(f"Relative rate index against {comparison}, by quarter")
        self.trend_view.setAccessibleDescription(self._trend_description(report))

    def _footnote(self, table: DimensionTable | None) -> str:
        if table is None:
            return ""
        parts = [f"Comparison group: {table.comparison_group}." if table.comparison_group
                 else f"No reference population was given for {table.label.lower()}."]
        if table.dimension in HAS_NOT_STATED:
            parts.append(f"{NOT_STATED}: {format_count(table.not_stated)}, left out of every share, rate and ratio.")
        parts.append(f"* fewer than {SMALL_COUNT} people on the matrix: the group's rates and ratios are unreliable. "
                     "n/a: the figure would divide by zero.")
        return " ".join(parts)

    # -- the numbers in words ------------------------------------------------------------------------------------------

    def share_tooltip(self, row: GroupRow) -> str:
        text = (f"{row.group}: {format_count(row.matrix_count)} on the matrix ({format_share(row.matrix_share)}); "
                f"reference {format_count(row.reference_population)} ({format_share(row.reference_share)}); "
                f"disproportionality ratio {format_ratio(row.share_ratio)}; RRI {format_ratio(row.rri)}.")
        return text + (f" Fewer than {SMALL_COUNT} people: unreliable." if row.small_count else "")

    def point_tooltip(self, group: str, index: int) -> str:
        if self.report is None or not 0 <= index < len(self.report.trend):
            return ""
        quarter, table = self.report.trend[index]
        row = table.dimension(self.dimension).row(group)
        small = f" Fewer than {SMALL_COUNT} people: unreliable." if row.small_count else ""
        return (f"{group}, {quarter}: RRI {format_ratio(row.rri)}; {format_count(row.matrix_count)} on the matrix "
                f"({format_share(row.matrix_share)}).{small}")

    def _trend_description(self, report: DisproportionalityReport) -> str:
        return " ".join(f"{group}: " + ", ".join(f"{q} {format_ratio(v)}" for q, v in points) + "."
                        for group, points in report.series(self.dimension).items())

    def _bar_tip(self, on: bool, index: int) -> None:
        rows = self.report.current.dimension(self.dimension).stated_rows if self.report else ()
        if on and 0 <= index < len(rows):
            QToolTip.showText(QCursor.pos(), self.share_tooltip(rows[index]), self.share_view)
        else:
            QToolTip.hideText()

    def _point_tip(self, group: str, point: QPointF, on: bool) -> None:
        if on:
            QToolTip.showText(QCursor.pos(), self.point_tooltip(group, round(point.x())), self.trend_view)
        else:
            QToolTip.hideText()
