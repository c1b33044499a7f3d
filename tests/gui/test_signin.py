"""The sign-in window: messages people can act on, the demo accounts, no vault, work off the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import LOCKOUT_THRESHOLD
from gvm_desktop.gui.common.widgets import DEMO_TEXT
from gvm_desktop.gui.shell.main import Shell
from gvm_desktop.gui.shell.signin import EMPTY_FIELDS, TITLE, SignInWindow
from gvm_desktop.services.auth import WRONG_CREDENTIALS
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.gui.conftest import demo_account, sign_in_by_typing

OFFICER = demo_account(Role.OFFICER)


def _window(qtbot: QtBot, app: App, *, demo: bool) -> SignInWindow:
    window = SignInWindow(app, demo=demo)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _attempt(qtbot: QtBot, shell: Shell, username: str, password: str) -> str:
    window = shell.signin_window
    assert window is not None
    window.username.clear()
    sign_in_by_typing(qtbot, shell, username, password)
    qtbot.waitUntil(lambda: not window.busy and window.error_label.isVisible(), timeout=5000)
    return window.error_label.text()


def test_wrong_password_and_unknown_user_give_the_same_message(qtbot: QtBot, shell: Shell) -> None:
    window = shell.start()
    assert window.windowTitle() == TITLE
    assert window.password.echoMode() == window.password.EchoMode.Password

    wrong_pw = _attempt(qtbot, shell, OFFICER.username, "definitely-not-it")
    unknown = _attempt(qtbot, shell, "nobody.here", "definitely-not-it")
    assert wrong_pw == unknown == WRONG_CREDENTIALS
    assert "Traceback" not in wrong_pw
    assert shell.main_window is None
    assert window.password.text() == ""  # a failed password is not left in the field
    assert window.sign_in_button.isEnabled() and window.username.isEnabled()


def test_locked_account_has_its_own_message(qtbot: QtBot, shell: Shell) -> None:
    shell.start()
    messages = [_attempt(qtbot, shell, OFFICER.username, f"wrong-{i}") for i in range(LOCKOUT_THRESHOLD)]
    assert messages[0] == WRONG_CREDENTIALS
    assert "locked" in messages[-1] and messages[-1] != WRONG_CREDENTIALS
    # The right password does not open a locked account either.
    assert "locked" in _attempt(qtbot, shell, OFFICER.username, OFFICER.password)
    assert shell.main_window is None


def test_empty_fields_ask_for_input_without_calling_the_service(qtbot: QtBot, gui_demo_app: App) -> None:
    window = _window(qtbot, gui_demo_app, demo=False)
    qtbot.keyClick(window.username, Qt.Key.Key_Return)
    assert window.error_label.text() == EMPTY_FIELDS
    assert not window.busy


def test_demo_window_shows_banner_and_accounts_and_choosing_one_fills_the_form(
    qtbot: QtBot, gui_demo_app: App
) -> None:
    window = _window(qtbot, gui_demo_app, demo=True)
    assert window.demo_banner is not None and window.demo_banner.isVisible()
    assert window.demo_banner.text() == DEMO_TEXT
    table = window.demo_accounts
    assert table is not None and table.isVisible()
    rows = [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]
    assert rows == [(a.username, a.role.label, a.password) for a in DEMO_ACCOUNTS]

    spoc_row = next(i for i, a in enumerate(DEMO_ACCOUNTS) if a.role is Role.SPOC)
    table.setCurrentCell(spoc_row, 0)
    assert window.username.text() == DEMO_ACCOUNTS[spoc_row].username
    assert window.password.text() == DEMO_ACCOUNTS[spoc_row].password


def test_real_vault_window_has_no_demo_parts(qtbot: QtBot, gui_demo_app: App) -> None:
    window = _window(qtbot, gui_demo_app, demo=False)
    assert window.demo_banner is None and window.demo_accounts is None
    assert not window.no_vault_label.isVisible()


def test_missing_vault_says_where_and_how_to_create_one(qtbot: QtBot, make_app: Callable[..., App]) -> None:
    app = make_app()
    window = _window(qtbot, app, demo=False)
    assert window.no_vault_label.isVisible()
    assert str(app.vault_dir) in window.no_vault_label.text()
    assert "gvm-desktop init --admin NAME" in window.no_vault_label.text()
    assert not window.sign_in_button.isEnabled()
    assert not window.sign_in()


def test_sign_in_runs_off_the_gui_thread_with_the_form_disabled(
    qtbot: QtBot, gui_demo_app: App, monkeypatch
) -> None:
    release = threading.Event()
    threads: list[threading.Thread] = []
    real_sign_in = gui_demo_app.auth.sign_in

    def slow_sign_in(username: str, password: str):
        threads.append(threading.current_thread())
        release.wait(5)
        return real_sign_in(username, password)

    monkeypatch.setattr(gui_demo_app.auth, "sign_in", slow_sign_in)
    window = _window(qtbot, gui_demo_app, demo=True)
    window.username.setText(OFFICER.username)
    window.password.setText(OFFICER.password)
    with qtbot.waitSignal(window.signed_in, timeout=5000) as signal:
        assert window.sign_in()
        qtbot.waitUntil(lambda: bool(threads))
        assert window.busy_bar.isVisible()
        assert window.busy_bar.maximum() == 0  # indeterminate
        assert not window.username.isEnabled() and not window.password.isEnabled()
        assert not window.sign_in_button.isEnabled()
        assert not window.sign_in()  # a second press while busy starts nothing
        release.set()
    ws = signal.args[0]
    assert threads[0] is not threading.main_thread()
    assert ws.session.username == OFFICER.username
    assert not window.busy_bar.isVisible() and window.password.text() == ""
    gui_demo_app.auth.sign_out(ws)


def test_unexpected_error_shows_its_type_only(qtbot: QtBot, gui_demo_app: App, monkeypatch) -> None:
    def broken(username: str, password: str):
        raise ValueError("Quillmere lives at 12 Placeholder Road")

    monkeypatch.setattr(gui_demo_app.auth, "sign_in", broken)
    window = _window(qtbot, gui_demo_app, demo=False)
    window.username.setText("someone")
    window.password.setText("something")
    window.sign_in()
    qtbot.waitUntil(lambda: window.error_label.isVisible(), timeout=5000)
    assert window.error_label.text() == "Unexpected error (ValueError)"


def test_vault_error_message_is_shown_as_it_is(qtbot: QtBot, gui_demo_app: App, monkeypatch) -> None:
    def corrupt(username: str, password: str):
        raise GvmError("The vault database is damaged: its first page is all zeros.")

    monkeypatch.setattr(gui_demo_app.auth, "sign_in", corrupt)
    window = _window(qtbot, gui_demo_app, demo=False)
    window.username.setText("someone")
    window.password.setText("something")
    window.sign_in()
    qtbot.waitUntil(lambda: window.error_label.isVisible(), timeout=5000)
    assert window.error_label.text() == "The vault database is damaged: its first page is all zeros."
