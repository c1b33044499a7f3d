"""Layout: the name column takes a wide window's room, short labels are never clipped, notices move no buttons."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QLabel, QTableView
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.audit.home_auditor import AuditorHome
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.helpers import load_rows, settle

Opener = Callable[[Role], MainWindow]
SCALE_ENV = "GVM_TEST_SCALE"  # set in the child run at another scale factor


def spare_width(table: QTableView) -> int:
    header = table.horizontalHeader()
    used = sum(header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i))
    return table.viewport().width() - used


def test_the_matrix_name_column_takes_the_spare_width_and_names_are_whole(qtbot: QtBot, open_main: Opener) -> None:
    window = open_main(Role.OFFICER)
    window.resize(1700, 800)
    home = window.home
    assert isinstance(home, MatrixHome)
    table, model = home.matrix.table, home.matrix.model
    load_rows(model)
    qtbot.wait(20)
    name = model.columns.index("name")
    assert spare_width(table) <= 0, "empty space beside the columns"
    width = table.columnWidth(name)
    metrics = table.fontMetrics()
    longest = max(metrics.horizontalAdvance(str(table.model().index(r, name).data())) for r in range(model.rowCount()))
    assert width >= longest + 8, "a name is elided in a window wide enough for it"
    window.resize(2000, 800)  # wider still: the name column follows, the others keep their widths
    qtbot.wait(20)
    others = [table.columnWidth(i) for i in range(len(model.columns)) if i != name]
    assert table.columnWidth(name) > width and spare_width(table) <= 0
    window.resize(1700, 800)
    qtbot.wait(20)
    assert [table.columnWidth(i) for i in range(len(model.columns)) if i != name] == others


def test_the_accounts_display_name_stretches(qtbot: QtBot, open_main: Opener) -> None:
    window = open_main(Role.ADMIN)
    window.resize(1500, 800)
    qtbot.wait(20)
    home = window.home
    assert isinstance(home, AdminHome)
    tables = [t for t in home.findChildren(QTableView) if t.objectName() == "accountsTable" and t.isVisibleTo(window)]
    for table in tables:
        header = table.horizontalHeader()
        titles = [table.model().headerData(i, header.orientation()) for i in range(header.count())]
        display = titles.index("Display name")
        assert spare_width(table) <= 0
        assert table.columnWidth(display) == max(table.columnWidth(i) for i in range(header.count()))


def _flags_labels_fit() -> None:
    """Each short label of the auditor's date rows is as wide as its text drawn at this scale, with a pixel or two
    to spare: a label laid out at exactly its rounded width drew "To" as "Tc" at 150%."""
    window = QApplication.activeWindow() or next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    assert isinstance(window, MainWindow)
    home = window.home
    assert isinstance(home, AuditorHome)
    home.tabs.setCurrentWidget(home.flags_panel)
    settle()
    checked = 0
    for panel in (home.flags_panel, home.log_panel.filters):
        for label in panel.findChildren(QLabel):
            if label.buddy() is None or not label.isVisibleTo(window):
                continue
            text = label.text().replace("&", "")
            drawn = math.ceil(QFontMetricsF(label.font()).horizontalAdvance(text))
            assert label.width() >= label.sizeHint().width(), text
            assert label.width() >= drawn + 2, f"{text!r}: {label.width()} px for {drawn} px of text"
            checked += 1
    assert checked >= 2


def test_flags_date_labels_are_not_clipped(qtbot: QtBot, open_main: Opener) -> None:
    window = open_main(Role.AUDITOR)
    window.resize(900, 600)  # narrow: the row is squeezed, the labels keep their room
    qtbot.wait(20)
    if os.environ.get(SCALE_ENV):
        assert window.devicePixelRatio() == float(os.environ[SCALE_ENV])
    _flags_labels_fit()


def test_flags_date_labels_are_not_clipped_at_150_percent() -> None:
    """The same check in a child run with QT_SCALE_FACTOR=1.5 (a scale is fixed when the application starts)."""
    if os.environ.get(SCALE_ENV):
        return
    env = {**os.environ, "QT_SCALE_FACTOR": "1.5", SCALE_ENV: "1.5", "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          f"{Path(__file__)}::test_flags_date_labels_are_not_clipped"],
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:]


def test_an_error_moves_no_button(qtbot: QtBot, open_main: Opener) -> None:
    window = open_main(Role.AUDITOR)
    home = window.home
    assert isinstance(home, AuditorHome)
    panel = home.forms_panel
    home.tabs.setCurrentWidget(panel)
    settle()
    buttons = (panel.answer_button, panel.refresh_button)
    before = [b.geometry() for b in buttons]
    panel.error_label.show_message("Synthetic error: the forms could not be read.")
    qtbot.wait(20)
    assert panel.error_label.isVisible()
    assert [b.geometry() for b in buttons] == before
    panel.error_label.clear_message()
    qtbot.wait(20)
    assert [b.geometry() for b in buttons] == before

    flags = home.flags_panel
    home.tabs.setCurrentWidget(flags)
    qtbot.wait(20)
    table_top = flags.table.geometry().top()
    flags.error_label.show_message("Synthetic error: the flags could not be read.")
    qtbot.wait(20)
    assert flags.table.geometry().top() == table_top
