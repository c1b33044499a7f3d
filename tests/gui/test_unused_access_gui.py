"""The six-month rule in the desktop application (issue 11, item 4): opening the window is not using the matrix.

The officers' home lists the matrix, and shows its first rows, by itself at every sign-in and
unlock. Those entries are logged (the rows were on screen) but marked as the automatic first view,
so an officer who only signs in loses the grant six months after their last real use; a search
made in the window is use, and keeps it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.governance import AUTOMATIC_VIEW
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account, settle

OFFICER = demo_account(Role.OFFICER)
REFUSAL = r"withdrawn because you have not used it for six months; your BCU's SPOC can restore it\."
# The demo officer was granted access on the clock's first day; 200 days on is past six months from the grant,
# but not from day 100.
DAY_100 = timedelta(days=100)


def _open_window(qtbot: QtBot, app: App) -> tuple[MainWindow, MatrixHome]:
    """Sign in as the officer and open the real main window, as the application does, until its first rows show."""
    window = MainWindow(app, app.auth.sign_in(OFFICER.username, OFFICER.password))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    home = window.home
    assert isinstance(home, MatrixHome)
    qtbot.waitUntil(lambda: home.matrix.model.fetched_pages == (0,), timeout=3000)  # the table painted its rows
    return window, home


def _officers_matrix_entries(app: App) -> list[tuple[str, str]]:
    """(action, detail) of the officer's matrix.list and matrix.rows entries, oldest first (read as the auditor)."""
    acct = demo_account(Role.AUDITOR)
    ws = app.auth.sign_in(acct.username, acct.password)
    try:
        return [(e.entry.action.value, e.entry.detail or "") for e in reversed(app.audit.recent(ws, 500))
                if e.entry.username == OFFICER.username and e.entry.action.value in ("matrix.list", "matrix.rows")]
    finally:
        app.auth.sign_out(ws)


def test_signing_in_to_the_window_and_unlocking_it_is_not_use(qtbot: QtBot, gui_demo_app: App,
                                                              clock: ManualClock) -> None:
    clock.advance(DAY_100)
    window, _home = _open_window(qtbot, gui_demo_app)
    window.session_actions.lock.trigger()  # locked, then unlocked: the home opens again and lists by itself again
    page = window.locked_page
    qtbot.keyClicks(page.password, OFFICER.password)
    page.unlock_button.click()
    qtbot.waitUntil(lambda: window.home is not None, timeout=5000)
    home = window.home
    assert isinstance(home, MatrixHome)
    qtbot.waitUntil(lambda: home.matrix.model.fetched_pages == (0,), timeout=3000)
    QApplication.processEvents()
    window.close()  # signs out, having done nothing

    # Shown, so logged: two lists and their first rows, each marked as the automatic first view.
    entries = _officers_matrix_entries(gui_demo_app)
    assert [a for a, _d in entries].count("matrix.list") == 2 and "matrix.rows" in [a for a, _d in entries]
    assert all(d.startswith(f"{AUTOMATIC_VIEW}: ") for _a, d in entries), entries

    clock.advance(DAY_100)
    with pytest.raises(PermissionDenied, match=REFUSAL):
        gui_demo_app.auth.sign_in(OFFICER.username, OFFICER.password)


def test_a_search_in_the_window_is_use_and_keeps_access(qtbot: QtBot, gui_demo_app: App, clock: ManualClock) -> None:
    clock.advance(DAY_100)
    window, home = _open_window(qtbot, gui_demo_app)
    qtbot.keyClicks(home.matrix.search, "a")
    home.matrix.apply_search()  # what the debounce does after 150 ms
    settle()
    assert home.matrix.model.query == "a"
    window.close()

    # The list the window showed by itself is marked; the search, the officer's own doing, is not.
    lists = [d for a, d in _officers_matrix_entries(gui_demo_app) if a == "matrix.list"]
    assert len(lists) == 2 and lists[0].startswith(f"{AUTOMATIC_VIEW}: ")
    assert "1 word(s)" in lists[1] and not lists[1].startswith(AUTOMATIC_VIEW)

    clock.advance(DAY_100)
    gui_demo_app.auth.sign_out(gui_demo_app.auth.sign_in(OFFICER.username, OFFICER.password))  # still granted
