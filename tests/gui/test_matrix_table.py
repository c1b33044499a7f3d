"""The matrix table: a sound model, lazy batches, search and sort through the service, keyboard, copy."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.governance import AUTOMATIC_VIEW
from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import COLUMN_LABELS, LIST_COLUMNS
from gvm_desktop.core.text import fold
from gvm_desktop.gui.common.clipboard import CLEAR_AFTER_MS
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.matrix.matrix_model import BAND_COLOURS, BAND_ROLE, BATCH_SIZE, MatrixQueryProxy, MatrixTableModel
from gvm_desktop.gui.matrix.propose_dialog import ProposeDialog
from gvm_desktop.gui.matrix.status_check import StatusCheckDialog
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account, settle
from tests.gui.helpers import load_rows, log_as_auditor

Opener = Callable[[Role], MainWindow]


def _matrix_home(main: MainWindow) -> MatrixHome:
    home = main.home
    assert isinstance(home, MatrixHome)
    return home


def _spy(monkeypatch, target: object, name: str) -> list[dict]:
    """Record every call of a service method (its keyword arguments and ids) and pass it through."""
    calls: list[dict] = []
    real = getattr(target, name)

    def spy(*args, **kwargs):
        calls.append({"args": args, **kwargs})
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, spy)
    return calls


def _names(model: MatrixTableModel) -> list[str]:
    load_rows(model)
    col = model.columns.index("name")
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_matrix_model_and_proxy_pass_qt_model_tester(qtbot: QtBot, open_main: Opener) -> None:
    home = _matrix_home(open_main(Role.OFFICER))
    model, proxy = home.matrix.model, home.matrix.proxy
    reports: list[str] = []
    previous = qInstallMessageHandler(
        lambda _mode, context, message: reports.append(message) if context.category == "qt.modeltest" else None)
    try:
        testers = [QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Warning)
                   for m in (model, proxy)]
        assert model.rowCount() > 0
        assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
            COLUMN_LABELS[c] for c in LIST_COLUMNS]
        proxy.sort(LIST_COLUMNS.index("age"), Qt.SortOrder.DescendingOrder)
        settle()
        proxy.set_search("a")
        settle()
        proxy.set_search("")
        settle()
        model.clear()
        assert model.rowCount() == 0 and model.columnCount() == 0
        answers: list[bool] = []
        model.load(then=answers.append)
        settle()
        assert answers == [True]
        load_rows(model)
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                model.index(row, col).data()
        del testers
    finally:
        qInstallMessageHandler(previous)
    assert reports == []


def test_first_show_fetches_one_batch_and_scrolling_fetches_only_what_is_seen(
    qtbot: QtBot, big_demo_app: App, monkeypatch
) -> None:
    calls = _spy(monkeypatch, big_demo_app.matrix, "rows")
    acct = demo_account(Role.OFFICER)
    main = MainWindow(big_demo_app, big_demo_app.auth.sign_in(acct.username, acct.password))
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    home = _matrix_home(main)
    model = home.matrix.model
    qtbot.waitUntil(lambda: len(calls) >= 1)
    QApplication.processEvents()
    settle()
    assert model.rowCount() > BATCH_SIZE  # more people than one batch...
    assert len(calls) == 1  # ...but one service call on first show
    assert len(calls[0]["args"][2]) == BATCH_SIZE
    assert model.fetched_pages == (0,)

    home.matrix.table.scrollToBottom()
    last_page = (model.rowCount() - 1) // BATCH_SIZE
    qtbot.waitUntil(lambda: last_page in model.fetched_pages)
    settle()
    assert len(calls) == 2 and model.fetched_pages == (0, last_page)
    main.close()


def test_scrolling_fetches_a_page_on_the_worker_and_the_access_log_holds_it(
    qtbot: QtBot, big_demo_app: App, monkeypatch
) -> None:
    threads: list[int] = []
    pages: list[list[str]] = []
    real_rows = big_demo_app.matrix.rows

    def rows_on_a_thread(ws, view, ids):
        threads.append(threading.get_ident())
        found = real_rows(ws, view, ids)
        pages.append([str(r.values["ref"]) for r in found])
        return found

    monkeypatch.setattr(big_demo_app.matrix, "rows", rows_on_a_thread)
    acct = demo_account(Role.OFFICER)
    main = MainWindow(big_demo_app, big_demo_app.auth.sign_in(acct.username, acct.password))
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    settle()
    model = _matrix_home(main).matrix.model
    assert model.fetched_pages == (0,) and len(pages) == 1

    _matrix_home(main).matrix.table.scrollToBottom()
    last_page = (model.rowCount() - 1) // BATCH_SIZE
    assert model.index(model.rowCount() - 1, 0).data() is None  # not there yet: data() asked nothing itself
    settle()
    assert model.fetched_pages == (0, last_page) and len(pages) == 2
    assert threading.get_ident() not in threads and len(threads) == 2  # both fetched off the GUI thread
    last_row = model.index(model.rowCount() - 1, model.columns.index("ref")).data()
    assert last_row == pages[1][-1]  # the page arrived and the view shows it
    main.close()

    scrolled = f"{len(pages[1])} rows {pages[1][0]}..{pages[1][-1]}"
    logged = [e.entry for e in log_as_auditor(big_demo_app, 500) if e.entry.action.value == "matrix.rows"
              and e.entry.username == acct.username]
    assert [e.detail for e in logged][:2] == [scrolled, f"{AUTOMATIC_VIEW}: {len(pages[0])} rows "
                                                        f"{pages[0][0]}..{pages[0][-1]}"]  # newest first


def test_typing_in_search_filters_by_family_name_prefix_with_one_query(
    qtbot: QtBot, open_main: Opener, gui_demo_app: App, monkeypatch
) -> None:
    home = _matrix_home(open_main(Role.OFFICER))
    model = home.matrix.model
    everyone = _names(model)
    target = everyone[-1]
    prefix = target.split()[-1][:4]
    views = _spy(monkeypatch, gui_demo_app.matrix, "view")

    home.matrix.search.setFocus()
    qtbot.keyClicks(home.matrix.search, prefix.lower())
    qtbot.waitUntil(lambda: model.query == prefix.lower(), timeout=2000)
    assert len(views) == 1  # the debounce: one query for the whole word, not one per key
    assert views[0]["query"] == prefix.lower()
    found = _names(model)
    assert target in found and len(found) < len(everyone)
    assert all(any(fold(word).startswith(fold(prefix)) for word in name.split()) for name in found)
    assert home.matrix.summary.text().endswith(("match", "matches"))

    home.matrix.search.clear()
    qtbot.waitUntil(lambda: model.rowCount() == len(everyone), timeout=2000)


def test_clicking_a_header_sorts_through_the_service(qtbot: QtBot, open_main: Opener, gui_demo_app: App,
                                                     monkeypatch) -> None:
    home = _matrix_home(open_main(Role.OFFICER))
    model, table = home.matrix.model, home.matrix.table
    header = table.horizontalHeader()
    views = _spy(monkeypatch, gui_demo_app.matrix, "view")

    def click(column: str) -> None:
        col = model.columns.index(column)
        x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))

    def ages() -> list[int]:
        load_rows(model)
        col = model.columns.index("age")
        return [int(model.index(r, col).data()) for r in range(model.rowCount())]

    for _ in range(2):  # once each way
        click("age")
        settle()
        asked = views[-1]
        assert asked["sort"] == "age"
        assert ages() == sorted(ages(), reverse=asked["descending"])
        assert header.sortIndicatorSection() == model.columns.index("age")
        assert header.sortIndicatorOrder() == (Qt.SortOrder.DescendingOrder if asked["descending"]
                                               else Qt.SortOrder.AscendingOrder)
    assert views[-1]["descending"] != views[-2]["descending"]
    assert len(set(ages())) > 1  # the order was really tested

    click("harm_band")  # a band sorts by its score, in the service
    settle()
    assert views[-1]["sort"] == "harm_score"
    assert header.sortIndicatorSection() == model.columns.index("harm_band")
    count = len(views)
    click("classification")  # not sortable: nothing asked, the indicator stays where the order is
    settle()
    assert len(views) == count
    assert header.sortIndicatorSection() == model.columns.index("harm_band")


def test_bands_are_coloured_and_spelled_out(qtbot: QtBot, open_main: Opener) -> None:
    home = _matrix_home(open_main(Role.OFFICER))
    model = home.matrix.model
    col = model.columns.index("harm_band")
    assert model.rowCount() > 0
    load_rows(model)
    for row in range(model.rowCount()):
        index = model.index(row, col)
        assert index.data() in BAND_COLOURS
        assert index.data(Qt.ItemDataRole.BackgroundRole) == BAND_COLOURS[index.data()]
        assert index.data(BAND_ROLE) == index.data()
    assert "classification" in model.columns


def test_keyboard_find_open_propose_status_check(qtbot: QtBot, open_main: Opener) -> None:
    main = open_main(Role.OFFICER)
    home = _matrix_home(main)
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)

    qtbot.keyClick(main.focusWidget() or main, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert home.matrix.search.hasFocus()

    table = home.matrix.table
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    dialog = home.opener.justify_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.subject.text() == f"Why are you opening record {home.matrix.model.ref_at(0)}?"
    dialog.reject()

    qtbot.keyClick(table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(home.dialog, ProposeDialog) and home.dialog.isVisible()
    home.dialog.reject()
    home.matrix.search.setFocus()  # Ctrl+K is "delete to end of line" in a line edit on Linux: ours wins
    qtbot.keyClicks(home.matrix.search, "ab")
    qtbot.keyClick(home.matrix.search, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(home.dialog, StatusCheckDialog) and home.dialog.isVisible()
    assert home.matrix.search.text() == "ab"
    home.dialog.reject()


def test_ctrl_c_copies_a_reference_never_a_name_and_it_is_cleared(qtbot: QtBot, open_main: Opener) -> None:
    home = _matrix_home(open_main(Role.OFFICER))
    table, model = home.matrix.table, home.matrix.model
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    table.setFocus()
    table.setCurrentIndex(home.matrix.proxy.index(0, model.columns.index("name")))
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == model.ref_at(0)
    assert home.matrix.clipboard is not None and home.matrix.clipboard.pending
    assert home.matrix.clipboard._timer.interval() == CLEAR_AFTER_MS == 30_000
    home.matrix.clipboard._timer.timeout.emit()  # 30 seconds later
    assert clipboard.text() == ""


def test_proxy_is_an_identity_proxy_that_requeries(open_main: Opener) -> None:
    home = _matrix_home(open_main(Role.OFFICER))
    assert isinstance(home.matrix.proxy, MatrixQueryProxy)
    assert home.matrix.table.model() is home.matrix.proxy


def test_two_searches_asked_before_either_answers_leave_the_newer_one_on_screen(open_main: Opener) -> None:
    """A slow search, or a sort click during one: the older answer arrives first and must not win."""
    model = _matrix_home(open_main(Role.OFFICER)).matrix.model
    everyone = _names(model)
    prefix = everyone[-1].split()[-1][:3].lower()
    model.load(query="zzzz-nobody")
    model.load(query=prefix)
    settle()
    assert model.query == prefix and model.rowCount() > 0
