"""Issue 14, item 8: the SPOC decides the quarterly review in the window: many at once with one confirmation,
Sign off waiting for the undecided (and saying how many), and a table usable at the window's minimum size."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QSize, Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation, Verdict
from gvm_desktop.gui.review.review_dialogs import AgreeDialog
from gvm_desktop.gui.review.review_panel import ReviewItemsModel, ReviewPanel
from gvm_desktop.gui.shell.home import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.context import Workspace
from tests.gui.conftest import demo_account, settle

Opener = Callable[[Role], MainWindow]
RETAIN_ALL = ("Retained: green band, zero harm score and corroborating intelligence reviewed; custody and age considered; "
              "still active")


def _sign_in(app: App, role: Role) -> Workspace:
    account = demo_account(role)
    return app.auth.sign_in(account.username, account.password)


def _recommend_all(app: App) -> tuple[int, list[str]]:
    """As the officer: a retain for everyone in the quarter's review. Returns (the review, its references in order)."""
    officer = _sign_in(app, Role.OFFICER)
    summary = app.reviews.find(officer)
    assert summary is not None
    refs = [i.ref for i in app.reviews.items(officer, summary.id)]
    for ref in refs:
        app.reviews.recommend(officer, summary.id, ref, Recommendation.RETAIN, RETAIN_ALL)
    app.auth.sign_out(officer)
    return summary.id, refs


def _review_tab(main: MainWindow) -> ReviewPanel:
    home = main.home
    assert isinstance(home, MatrixHome) and home.tabs is not None
    home.tabs.setCurrentWidget(home.review)
    settle()
    assert home.review.loaded, home.review.error_label.text()
    return home.review


def _verdicts(app: App, spoc: Workspace, review_id: int) -> dict[str, Verdict | None]:
    return {i.ref: i.verdict for i in app.reviews.items(spoc, review_id)}


def test_agreeing_with_many_asks_once_listing_them_and_cancel_decides_nothing(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    app = gui_demo_app
    review_id, refs = _recommend_all(app)
    main = open_main(Role.SPOC)
    panel = _review_tab(main)
    spoc = main._ws

    # Three rows by keyboard: the first, then Shift+Down twice.
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    chosen = [i.ref for i in panel.selected_items()]
    assert len(chosen) == 3
    assert panel.agree_button.isEnabled() and panel.agree_button.text().replace("&", "") == "Agree with recommendations…"

    panel.agree_button.setFocus()
    qtbot.keyClick(panel.agree_button, Qt.Key.Key_Space)
    dialog = panel.dialog
    assert isinstance(dialog, AgreeDialog) and dialog.isVisible()
    assert dialog.windowTitle() == "Agree with 3 recommendations"
    listed = [(dialog.model.data(dialog.model.index(r, 0)), dialog.model.data(dialog.model.index(r, 1)))
              for r in range(dialog.model.rowCount())]
    assert listed == [(ref, "Retain") for ref in chosen]
    assert dialog.table.verticalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff  # a long list scrolls

    # Cancel (Escape: nothing was typed, so it closes at once): nobody is decided.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    settle()
    assert not dialog.isVisible()
    assert all(v is None for v in _verdicts(app, spoc, review_id).values())
    assert not panel.notice.isVisible() and [i.ref for i in panel.selected_items()] == chosen

    # Again, and Enter agrees: one call, all three.
    qtbot.keyClick(panel.agree_button, Qt.Key.Key_Space)
    dialog = panel.dialog
    assert isinstance(dialog, AgreeDialog) and dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    settle()
    assert not dialog.isVisible()
    verdicts = _verdicts(app, spoc, review_id)
    assert {r for r, v in verdicts.items() if v is Verdict.AGREE} == set(chosen)
    assert panel.notice.text() == "Agreed with 3 recommendations."

    # Ctrl+A takes everyone, and the confirmation lists them all.
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(panel.selected_items()) == len(refs)
    qtbot.keyClick(panel.agree_button, Qt.Key.Key_Space)
    dialog = panel.dialog
    assert isinstance(dialog, AgreeDialog) and dialog.model.rowCount() == len(refs)
    dialog.reject()


def test_sign_off_waits_for_the_undecided_and_says_how_many(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    app = gui_demo_app
    review_id, refs = _recommend_all(app)
    main = open_main(Role.SPOC)
    panel = _review_tab(main)
    spoc = main._ws
    count = len(refs)
    assert not panel.sign_button.isEnabled()
    assert panel.sign_button.text().replace("&", "") == f"Sign off ({count} undecided)"
    assert "undecided" in panel.sign_button.toolTip()
    assert panel.undecided_list.isVisible() and panel.undecided_title.text().replace("&", "") == \
        f"Still undecided ({count}):"
    assert [panel.undecided_model.row_at(r) for r in range(panel.undecided_model.rowCount())] == refs

    # A click on one goes to their row, even when a filter had hidden it.
    target = refs[-1]
    panel.flagged_only.setChecked(True)
    row = refs.index(target)
    rect = panel.undecided_list.visualRect(panel.undecided_model.index(row, 0))
    qtbot.mouseClick(panel.undecided_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    current = panel.current_item()
    assert current is not None and current.ref == target
    assert main.focusWidget() is panel.table

    # All but one agreed: the button counts down; the last one, and it is offered.
    app.reviews.agree_with(spoc, review_id, refs[:-1])
    panel.load()
    settle()
    assert not panel.sign_button.isEnabled() and panel.sign_button.text().replace("&", "") == "Sign off (1 undecided)"
    assert panel.undecided_model.rowCount() == 1
    panel.undecided_list.setFocus()
    panel.undecided_list.setCurrentIndex(panel.undecided_model.index(0, 0))
    qtbot.keyClick(panel.undecided_list, Qt.Key.Key_Return)  # Enter goes to the row too
    current = panel.current_item()
    assert current is not None and current.ref == target
    qtbot.keyClick(panel.agree_button, Qt.Key.Key_Space)
    dialog = panel.dialog
    assert isinstance(dialog, AgreeDialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    settle()
    assert panel.sign_button.isEnabled() and panel.sign_button.text().replace("&", "") == "Sign off…"
    assert not panel.undecided_list.isVisible() and not panel.undecided_title.isVisible()


def test_the_review_table_is_usable_at_the_windows_minimum_size(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    _recommend_all(gui_demo_app)
    main = open_main(Role.SPOC)
    panel = _review_tab(main)
    main.resize(QSize(1, 1))  # as small as the window goes
    settle()
    qtbot.wait(20)
    table = panel.table
    assert main.width() <= 1040
    viewport = table.viewport().width()
    header = table.horizontalHeader()
    # Every column a decision is made from is on screen without scrolling sideways.
    for column in range(ReviewItemsModel.DECISION_COLUMN + 1):
        assert not header.isSectionHidden(column)
        assert table.columnViewportPosition(column) + table.columnWidth(column) <= viewport, \
            panel.model.headerData(column, Qt.Orientation.Horizontal)
    # No name cut short: the name column is as wide as its widest name.
    name = ReviewItemsModel.NAME_COLUMN
    assert table.columnWidth(name) >= table.sizeHintForColumn(name)
    # The rest can be scrolled to; the rationale, last, reads in full in the box below the table.
    table.selectRow(0)
    assert panel.details.toPlainText().startswith(panel.model.row_at(0).ref)
    assert table.indexAt(QPoint(1, 1)).column() == 0
