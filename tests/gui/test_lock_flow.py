"""The session on screen: sign in by typing, lock (shortcut, idle, lost session), unlock, sign out.

A lock deletes the home and its dialogs (deleteLater, so whenever the event loop next runs): a
widget looked at after a lock is checked with shiboken6.isValid first, and every wait is for a
condition, never a fixed time.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QAbstractItemModel, QObject, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.core.text import isolate
from gvm_desktop.gui.shell.home import AdminHome, AuditorHome, MatrixHome
from gvm_desktop.gui.shell.main import Shell
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.auth import WRONG_CREDENTIALS
from tests.gui.conftest import all_texts, demo_account, leaked, settle, sign_in_by_typing
from tests.gui.helpers import protect_and_send

OFFICER = demo_account(Role.OFFICER)


def _signed_in_officer(qtbot: QtBot, shell: Shell) -> MainWindow:
    shell.start()
    assert shell.signin_window is not None
    qtbot.waitExposed(shell.signin_window)
    sign_in_by_typing(qtbot, shell, OFFICER.username, OFFICER.password)
    qtbot.waitUntil(lambda: shell.main_window is not None, timeout=5000)
    main = shell.main_window
    assert main is not None
    qtbot.waitExposed(main)
    settle()  # the home has read its counts and the table its first page
    return main


def _gone_or_hidden(widget: QWidget) -> bool:
    """Deleted by the lock already, or still there but hidden: either way nothing of it is on screen."""
    return not shiboken6.isValid(widget) or not widget.isVisible()


def _press_ctrl_l(qtbot: QtBot, main: MainWindow) -> None:
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main, timeout=2000)
    qtbot.keyClick(main.focusWidget() or main, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)


def test_officer_signs_in_by_typing_and_ctrl_l_wipes_everything(
    qtbot: QtBot, shell: Shell, gui_demo_app: App, demo_people_text: list[str]
) -> None:
    main = _signed_in_officer(qtbot, shell)
    ws = main._ws
    assert not ws.locked

    # The home shows who is signed in and the counts of their BCU, nothing more.
    home = main.home
    assert isinstance(home, MatrixHome)
    assert main.header.name_label.text() == OFFICER.display_name
    assert Role.OFFICER.label in main.header.details_label.text()
    assert "Central East (CE)" in main.header.details_label.text()
    counts = {k: label.text() for k, label in home.count_labels.items()}
    overview = gui_demo_app.matrix.overview(ws)
    assert counts == {
        "proposed": str(overview.by_status["proposed"]), "active": str(overview.by_status["active"]),
        "removed": str(overview.by_status["removed"]), "total": str(overview.total),
    }
    assert overview.total > 0
    assert main.demo_banner is not None and main.demo_banner.isVisible()
    # The officer's matrix shows the names of their own BCU (and only that BCU's people).
    shown = leaked(all_texts(main), demo_people_text)
    assert shown and home.matrix.model.rowCount() > 0

    assert main.session_actions.lock.shortcut().toString() == "Ctrl+L"
    _press_ctrl_l(qtbot, main)

    assert ws.locked
    assert main.is_locked and main.home is None
    assert main.stack.currentWidget() is main.locked_page
    assert main.locked_page.title.text() == f"Locked — {isolate(OFFICER.display_name)}"  # its own direction
    models = main.findChildren(QAbstractItemModel)
    assert all(m.rowCount() == 0 for m in models)
    qtbot.waitUntil(lambda: not shiboken6.isValid(home))  # the home widgets are really deleted
    assert all(m.rowCount() == 0 for m in main.findChildren(QAbstractItemModel))
    assert leaked(all_texts(main), demo_people_text) == []
    assert not main.session_actions.lock.isEnabled()


def test_unlock_wrong_password_stays_locked_right_password_restores_home(
    qtbot: QtBot, shell: Shell, gui_demo_app: App
) -> None:
    main = _signed_in_officer(qtbot, shell)
    ws = main._ws
    main.session_actions.lock.trigger()
    page = main.locked_page
    assert ws.locked and page.isVisible()

    qtbot.keyClicks(page.password, "not-the-password")
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.error_label.isVisible(), timeout=5000)
    assert page.error_label.text() == WRONG_CREDENTIALS
    assert "Traceback" not in page.error_label.text()
    assert ws.locked and main.home is None
    assert page.password.text() == ""

    qtbot.keyClicks(page.password, OFFICER.password)
    page.unlock_button.click()
    assert page.busy_bar.isVisible() or main.home is not None  # busy while Argon2id runs
    qtbot.waitUntil(lambda: main.home is not None, timeout=5000)
    settle()
    assert not ws.locked
    assert isinstance(main.home, MatrixHome)
    assert main.home.count_labels["total"].text() == str(gui_demo_app.matrix.overview(ws).total)
    assert main.idle_watch.active
    assert main.session_actions.lock.isEnabled()


def test_idle_lock_after_the_idle_minutes(qtbot: QtBot, shell: Shell, clock: ManualClock) -> None:
    main = _signed_in_officer(qtbot, shell)
    ws = main._ws
    assert main.idle_watch.minutes == 10  # the vault's default, read at sign-in

    clock.advance(9 * 60)
    assert not main.idle_watch.check_now()
    qtbot.keyClick(main.home, Qt.Key.Key_Shift)  # input resets the count (through the app-wide filter)
    clock.advance(9 * 60)
    assert not main.idle_watch.check_now()
    assert not ws.locked

    clock.advance(11 * 60)
    assert main.idle_watch.check_now()
    assert ws.locked and main.is_locked
    assert all(m.rowCount() == 0 for m in main.findChildren(QAbstractItemModel))
    assert "without input" in main.locked_page.reason.text()


def test_service_saying_locked_switches_to_locked_page(qtbot: QtBot, open_main, gui_demo_app: App) -> None:
    main = open_main(Role.SPOC)
    ws = main._ws
    gui_demo_app.auth.lock(ws)  # the vault closed behind the window's back
    home = main.home
    assert isinstance(home, MatrixHome)
    home.refresh_button.click()  # the service raises SessionLocked; the page must not crash
    qtbot.waitUntil(lambda: main.is_locked, timeout=2000)
    assert main.stack.currentWidget() is main.locked_page
    assert not main.idle_watch.active


def test_sign_out_from_locked_page_returns_to_sign_in(qtbot: QtBot, shell: Shell) -> None:
    main = _signed_in_officer(qtbot, shell)
    ws = main._ws
    main.session_actions.lock.trigger()
    with qtbot.assertNotEmitted(shell.finished):
        main.locked_page.sign_out_button.click()
    assert ws.locked and main.finished
    assert shell.main_window is None
    assert shell.signin_window is not None and shell.signin_window.isVisible()
    assert shell.signin_window.username.text() == "" and shell.signin_window.password.text() == ""


def test_quit_signs_out_and_ends_the_app(qtbot: QtBot, shell: Shell) -> None:
    main = _signed_in_officer(qtbot, shell)
    ws = main._ws
    assert main.session_actions.quit.shortcut().toString() == "Ctrl+Q"
    with qtbot.waitSignal(shell.finished, timeout=2000):
        main.session_actions.quit.trigger()
    assert ws.locked  # signed out: the vault is closed


# -- the auditor's workspace and the governance screens ----------------------------------------------------

AUDIT_REASON = "Checking the address before the weekly briefing"
TYPED_ANSWER = "Typed answer that must not outlive the lock"


def _officer_opens_a_record(app: App) -> str:
    ws = app.auth.sign_in(OFFICER.username, OFFICER.password)
    try:
        view = app.matrix.view(ws)
        ref = str(app.matrix.rows(ws, view, view.ids[:1])[0].values["ref"])
        app.records.open(ws, ref, Justification.make("quarterly_review", AUDIT_REASON))
    finally:
        app.auth.sign_out(ws)
    return ref


def test_ctrl_l_wipes_the_auditor_workspace_and_its_dialogs(
        qtbot: QtBot, open_main, gui_demo_app: App, tmp_path: Path) -> None:
    ref = _officer_opens_a_record(gui_demo_app)
    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    panel = home.log_panel
    panel.filters.record_ref.setText(ref)
    panel.filters.apply()
    settle()
    panel.select_row(0)
    protect_and_send(qtbot, panel.issue_form_to(panel.selected_entry().seq, tmp_path / "form.pdf"),  # type: ignore[union-attr]
                     Role.AUDITOR)
    home.tabs.setCurrentWidget(home.flags_panel)
    home.flags_panel.find_flags()
    home.tabs.setCurrentWidget(home.monthly_panel)
    home.monthly_panel.show_audit()
    home.tabs.setCurrentWidget(home.forms_panel)
    settle()
    home.forms_panel.select_form(1)
    answer = home.forms_panel.record_answer()
    assert answer is not None
    answer.text.setPlainText(TYPED_ANSWER)
    verify_models = [home.log_model, home.flags_panel.model, home.forms_panel.model, home.monthly_panel.actions_model,
                     home.monthly_panel.users_model]
    assert [m.rowCount() > 0 for m in verify_models] == [True] * 5
    assert any(AUDIT_REASON in t for t in all_texts(main)) and any(TYPED_ANSWER in t for t in all_texts(main))
    file_dialog = panel.export_csv()

    _activate_and_press_ctrl_l(qtbot, file_dialog)  # from inside the file dialog: it carries the lock shortcut
    qtbot.waitUntil(lambda: main.is_locked, timeout=2000)

    assert main._ws.locked
    assert all(m.rowCount() == 0 for m in verify_models)
    # A dialog may already be deleted by the lock (deleteLater runs when it runs): gone either way.
    assert all(_gone_or_hidden(d) for d in (answer, file_dialog))
    # The file dialog's own listing of folders holds nothing from the vault; it goes with the page.
    assert all(m.rowCount() == 0 for m in main.findChildren(QAbstractItemModel) if not _in_file_dialog(m))
    assert not any(AUDIT_REASON in t or TYPED_ANSWER in t or ref in t for t in all_texts(main))
    qtbot.waitUntil(lambda: not shiboken6.isValid(home))
    assert all(m.rowCount() == 0 for m in main.findChildren(QAbstractItemModel))


def _in_file_dialog(obj: QObject | None) -> bool:
    while obj is not None:
        if isinstance(obj, QFileDialog):
            return True
        obj = obj.parent()
    return False


def _activate_and_press_ctrl_l(qtbot: QtBot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)


def test_lock_while_verifying_waits_for_the_check_then_closes(qtbot: QtBot, open_main) -> None:
    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    ops = main.ops
    assert ops is not None
    assert home.verify_bar.verify() and ops.busy
    main.session_actions.lock.trigger()  # the worker still holds the connection: the lock waits for it
    assert main._ws.locked and main.is_locked
    assert not ops.busy and home.verify_bar.result is None  # the outcome was dropped, not shown
    QApplication.processEvents()  # a late delivery would land here
    assert not shiboken6.isValid(home) or home.verify_bar.result is None


@pytest.mark.parametrize("role", [Role.SPOC, Role.ADMIN])
def test_ctrl_l_wipes_the_governance_screens(qtbot: QtBot, open_main, clock: ManualClock, role: Role) -> None:
    clock.advance(timedelta(days=200))  # so there are inactive accounts to list
    main = open_main(role)
    home = main.home
    if isinstance(home, MatrixHome):
        assert home.tabs is not None and home.team is not None
        home.tabs.setCurrentWidget(home.team)
        settle()
        home.team.select_username(OFFICER.username)
        dialog = home.team.record_training()
        models = [home.team.model, home.team.inactive.model]
    else:
        assert isinstance(home, AdminHome)
        home.tabs.setCurrentIndex(1)
        settle()
        home.inactive.select_usernames([OFFICER.username])
        dialog = home.inactive.ask_disable()
        models = [home.inactive.model, home.accounts_model]
    assert dialog is not None and dialog.isVisible()
    assert all(m.rowCount() > 0 for m in models)

    _activate_and_press_ctrl_l(qtbot, dialog)
    qtbot.waitUntil(lambda: main.is_locked, timeout=2000)
    assert main._ws.locked and _gone_or_hidden(dialog)
    assert all(not shiboken6.isValid(m) or m.rowCount() == 0 for m in models)
    assert all(m.rowCount() == 0 for m in main.findChildren(QAbstractItemModel))
    assert [t for t in all_texts(main) if OFFICER.display_name in t] == []
