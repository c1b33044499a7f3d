"""Issue 16: the administrator's Backup box: the last backup in local time, the reminder at the top of the home when
one is due, and "Back up now…" writing a new file on the worker (never over an existing one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account, settle
from tests.gui.keyboard import press

Opener = Callable[[Role], MainWindow]
ALT = Qt.KeyboardModifier.AltModifier


def admin_home(window: MainWindow) -> AdminHome:
    home = window.home
    assert isinstance(home, AdminHome)
    return home


def test_the_admin_backs_up_and_the_panel_says_where_and_what(open_main: Opener, gui_demo_app: App,
                                                               tmp_path: Path) -> None:
    window = open_main(Role.ADMIN)
    home = admin_home(window)
    panel = home.backup
    assert panel.last.text() == "Last backup: never."
    # Never backed up: said at the top of the home at sign-in, a line (not a box to dismiss).
    assert home.backup_reminder.isVisible() and "never been backed up" in home.backup_reminder.text()

    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)
    press(Qt.Key.Key_B, ALT)  # Back up now…
    chooser = panel.dialog
    assert isinstance(chooser, QFileDialog) and chooser.isVisible()
    assert chooser.defaultSuffix() == "gvmbackup"
    chooser.reject()  # no file dialog is driven in tests: the path it would give is handed on below
    settle()

    out = tmp_path / "vault.gvmbackup"
    panel.back_up_to(out)
    settle()
    assert panel.error_label.isHidden(), panel.error_label.text()
    assert out.is_file() and panel.made is not None and panel.made.size == out.stat().st_size
    assert str(out) in panel.result.text() and panel.made.manifest.head in panel.result.text()
    assert panel.last.text().startswith("Last backup: ") and "never" not in panel.last.text()
    assert home.backup_reminder.isHidden() and panel.reminder.isHidden()
    assert "backed up" in window.last_action_label.text()
    account = demo_account(Role.ADMIN)
    ws = gui_demo_app.auth.sign_in(account.username, account.password)
    last = gui_demo_app.backup.last_backup(ws)
    assert last is not None and last.backup_id == panel.made.manifest.backup_id

    # The same name again: the service refuses to overwrite, and its words are shown; the file is untouched.
    before = out.read_bytes()
    panel.back_up_to(out)
    settle()
    assert panel.error_label.isVisible() and "already exists" in panel.error_label.text()
    assert out.read_bytes() == before and panel.button.isEnabled()


def test_the_reminder_shows_when_a_backup_is_due(open_main: Opener, gui_demo_app: App, clock: ManualClock,
                                                tmp_path: Path) -> None:
    account = demo_account(Role.ADMIN)
    ws = gui_demo_app.auth.sign_in(account.username, account.password)
    gui_demo_app.backup.backup(ws, tmp_path / "first.gvmbackup")
    gui_demo_app.auth.sign_out(ws)
    home = admin_home(open_main(Role.ADMIN))
    assert home.backup_reminder.isHidden() and "never" not in home.backup.last.text()

    clock.advance(timedelta(days=8))
    home.load()
    settle()
    assert home.backup_reminder.isVisible() and "No backup for 8 days" in home.backup_reminder.text()
    assert home.backup.reminder.isHidden()  # said once, at the top


def test_the_vault_menu_backs_up_and_only_the_admin_has_it(open_main: Opener) -> None:
    window = open_main(Role.ADMIN)
    home = admin_home(window)
    assert window.role_action is not None and window.role_action.text() == "&Back up…"
    window.role_action.trigger()
    settle()
    assert isinstance(home.backup.dialog, QFileDialog) and home.backup.dialog.isVisible()
    home.backup.dialog.reject()
    settle()
    for role in (Role.OFFICER, Role.AUDITOR, Role.PARTNER):
        other = open_main(role)
        assert other.role_action is None
        assert not any("Back up" in b.text() for b in other.findChildren(type(home.backup.button))
                       if b.isVisibleTo(other))
    QApplication.processEvents()
