"""The disproportionality panel: the charts' series hold the report's numbers, and the dimension box switches them."""

from __future__ import annotations

import os
from fractions import Fraction

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.core.disproportionality import Dimension
from gvm_desktop.gui.review.disproportionality_panel import DisproportionalityPanel
from tests.core.test_disproportionality import sample_report
from tests.gui.conftest import model_texts


def _panel(qtbot: QtBot) -> DisproportionalityPanel:
    panel = DisproportionalityPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 850)
    panel.set_report(sample_report())
    return panel


def _bars(panel: DisproportionalityPanel) -> tuple[list[float], list[float], list[str]]:
    matrix = [panel.matrix_set.at(i) for i in range(panel.matrix_set.count())]
    reference = [panel.reference_set.at(i) for i in range(panel.reference_set.count())]
    return matrix, reference, panel.category_axis.categories()


def _points(panel: DisproportionalityPanel, group: str) -> list[tuple[float, float]]:
    return [(p.x(), p.y()) for p in panel.rri_series[group].points()]


def _row(panel: DisproportionalityPanel, group: str) -> list[str]:
    model = panel.figures
    for row in range(model.rowCount()):
        texts = [model.data(model.index(row, col)) for col in range(model.columnCount())]
        if texts[0].split(" (")[0] == group:
            return texts
    raise AssertionError(group)


def test_the_offscreen_platform_is_in_use() -> None:
    assert os.environ.get("QT_QPA_PLATFORM") == "offscreen"  # set by tests/conftest.py before Qt starts


def test_the_share_bars_hold_the_matrix_and_reference_shares(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert panel.dimension is Dimension.ETHNICITY
    matrix, reference, categories = _bars(panel)
    assert categories == ["Asian*", "Black", "Mixed*", "White*", "Other*"]  # * fewer than 5 on the matrix
    assert matrix == [20.0, 50.0, 10.0, 20.0, 0.0]
    assert reference == [20.0, 15.0, 5.0, 50.0, 10.0]
    assert panel.share_chart.title() == "Ethnicity: share of the matrix and of the population, 2026Q3"
    assert panel.share_axis.min() == 0 and panel.share_axis.max() == 60


def test_the_rri_trend_holds_each_group_quarter_by_quarter(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert list(panel.rri_series) == ["Asian", "Black", "Mixed", "White", "Other"]
    # Black: 10/3, 40/9, 25/3 (the core test's hand computation); White, the comparison group, is 1 throughout.
    assert _points(panel, "Black") == [(0, float(Fraction(10, 3))), (1, float(Fraction(40, 9))), (2, float(Fraction(25, 3)))]
    assert _points(panel, "White") == [(0, 1.0), (1, 1.0), (2, 1.0)]
    assert panel.quarter_axis.categoriesLabels() == ["2026Q1", "2026Q2", "2026Q3"]
    assert panel.trend_chart.title() == "Relative rate index against White, by quarter"
    assert panel.rri_axis.max() >= 25 / 3


def test_switching_the_dimension_redraws_the_charts_and_tables(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.dimension_box.setFocus()
    panel.set_dimension(Dimension.GENDER)
    assert panel.dimension_box.currentText() == "Gender"
    matrix, reference, categories = _bars(panel)
    assert categories == ["Female*", "Male", "Non-binary or other*"]
    assert matrix == [9.1, 90.9, 0.0]  # 1/11 and 10/11, to one decimal place
    assert reference == [52.5, 47.5, 0.0]
    assert panel.share_axis.max() == 100
    assert _points(panel, "Male") == [(i, float(Fraction(210, 19))) for i in range(3)]
    assert _points(panel, "Non-binary or other") == []  # 0/0 every quarter: no point, and the legend says n/a
    assert panel.rri_series["Non-binary or other"].name() == "Non-binary or other (n/a)"
    assert panel.trend_chart.title() == "Relative rate index against Female, by quarter"
    assert _row(panel, "Male") == ["Male", "10", "90.9%", "1,900", "47.5%", "1.91", "5.26", "11.05", ""]
    assert _row(panel, "Non-binary or other")[5:8] == ["n/a", "n/a", "n/a"]
    assert "Comparison group: Female. Not stated: 1" in panel.footnote.text()

    # By keyboard too: the box is labelled and takes arrow keys.
    qtbot.keyClick(panel.dimension_box, Qt.Key.Key_Down)
    assert panel.dimension is Dimension.DISABILITY
    matrix, reference, categories = _bars(panel)
    assert (matrix, reference, categories) == ([30.0, 70.0], [0.0, 0.0], ["Disabled*", "Not disabled"])
    assert all(_points(panel, g) == [] for g in ("Disabled", "Not disabled"))
    assert panel.trend_chart.title() == "No reference population for disability: no relative rate index"
    assert _row(panel, "Disabled") == ["Disabled", "3", "30.0%", "n/a", "n/a", "n/a", "n/a", "n/a", "Fewer than 5: unreliable"]

    panel.set_dimension("age_band")
    _matrix, reference, categories = _bars(panel)
    assert categories == ["10-17*", "18-24*", "25-34*", "35+*"] and reference == [10.0, 10.0, 20.0, 60.0]
    assert _points(panel, "18-24")[-1] == (2, 12.0)
    assert _row(panel, "35+")[0] == "35+ (comparison)"


def test_the_tables_hold_every_number_and_the_movements(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert _row(panel, "Black") == ["Black", "5", "50.0%", "600", "15.0%", "3.33", "8.33", "8.33", ""]
    assert _row(panel, "White") == ["White (comparison)", "2", "20.0%", "2,000", "50.0%", "0.40", "1.00", "1.00",
                                    "Fewer than 5: unreliable"]
    assert _row(panel, "Not stated")[:3] == ["Not stated", "2", ""]
    movements = panel.movements
    headers = [movements.headerData(c, Qt.Orientation.Horizontal) for c in range(movements.columnCount())]
    assert headers == ["Quarter", "Net", "Asian", "Black", "Mixed", "White", "Other", "Not stated"]
    assert model_texts(movements)[8:16] == ["2026Q2", "+0", "+0 / -0", "+0 / -0", "+1 / -0", "+0 / -1", "+0 / -0", "+0 / -0"]
    panel.set_dimension(Dimension.AGE_BAND)
    headers = [movements.headerData(c, Qt.Orientation.Horizontal) for c in range(movements.columnCount())]
    assert headers == ["Quarter", "Net", "10-17", "18-24", "25-34", "35+"]  # a date of birth is always stated
    assert model_texts(movements)[-6:] == ["2026Q3", "+0", "+1 / -0", "+0 / -0", "+0 / -0", "+0 / -1"]


def test_the_numbers_are_in_tooltips_and_accessible_descriptions(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    black = panel.report.current.dimension("ethnicity").row("Black") if panel.report else None
    assert black is not None
    assert panel.share_tooltip(black) == ("Black: 5 on the matrix (50.0%); reference 600 (15.0%); "
                                          "disproportionality ratio 3.33; RRI 8.33.")
    assert panel.point_tooltip("Mixed", 1) == "Mixed, 2026Q2: RRI 3.33; 1 on the matrix (10.0%). Fewer than 5 people: unreliable."
    assert "Black: 5 on the matrix (50.0%)" in panel.share_view.accessibleDescription()
    assert "Black: 2026Q1 3.33, 2026Q2 4.44, 2026Q3 8.33." in panel.trend_view.accessibleDescription()
    assert panel.share_view.accessibleName() and panel.trend_view.accessibleName()
    assert panel.dimension_box.accessibleName() == "Dimension shown"


def test_export_asks_the_page_and_clear_forgets_the_report(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.show()
    qtbot.waitExposed(panel)
    with qtbot.waitSignal(panel.export_requested, timeout=1000):
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    panel.clear()
    assert panel.report is None
    assert _bars(panel) == ([], [], [])
    assert panel.rri_series == {} and panel.trend_chart.series() == []
    assert panel.figures.rowCount() == 0 and panel.movements.rowCount() == 0
    assert not panel.export_button.isEnabled() and not panel.share_view.isVisible()
    assert panel.summary.text() == "No report loaded."
