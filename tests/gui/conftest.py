"""GUI fixtures: a demo vault (cheap Argon2id, ManualClock), the shell, and helpers to look at screens."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.policy import Role
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.gui.main import Shell
from gvm_desktop.gui.main_window import MainWindow
from gvm_desktop.services.vaults import DEMO_ACCOUNTS, DemoAccount

DEMO_NOMINALS = 60


def demo_account(role: Role) -> DemoAccount:
    return next(a for a in DEMO_ACCOUNTS if a.role is role)


@pytest.fixture
def gui_demo_app(make_app: Callable[..., App]) -> App:
    """A demo vault of 60 synthetic people, nobody signed in.

    Built here rather than with the shared `demo_app`, so the people in it are exactly
    those `demo_people_text` regenerates (same count, seed and clock).
    """
    app = make_app()
    created = app.create_demo(DEMO_NOMINALS)
    app.auth.sign_out(created.workspace)
    return app


@pytest.fixture
def demo_people_text(clock: ManualClock) -> list[str]:
    """Exactly what create_demo put in the vault: names and addresses that must never leak on screen."""
    people = generate_nominals(DEMO_NOMINALS, seed=2026, today=clock.now().date())
    texts = {p.full_name for p in people} | {p.family_name for p in people} | {p.address for p in people}
    return sorted(texts)


@pytest.fixture
def shell(qtbot: QtBot, gui_demo_app: App) -> Iterator[Shell]:
    shell = Shell(gui_demo_app, demo=True)
    yield shell
    shell.shut_down()


@pytest.fixture
def open_main(qtbot: QtBot, gui_demo_app: App) -> Iterator[Callable[[Role], MainWindow]]:
    """Sign in (through the service, not the window) and open the main window for a demo role."""
    windows: list[MainWindow] = []

    def opener(role: Role) -> MainWindow:
        acct = demo_account(role)
        ws = gui_demo_app.auth.sign_in(acct.username, acct.password)
        window = MainWindow(gui_demo_app, ws)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield opener
    for window in windows:
        window.close()  # signs out


def sign_in_by_typing(qtbot: QtBot, shell: Shell, username: str, password: str) -> None:
    window = shell.signin_window
    assert window is not None
    qtbot.keyClicks(window.username, username)
    qtbot.keyClicks(window.password, password)
    qtbot.keyClick(window.password, Qt.Key.Key_Return)


def all_texts(root: QWidget) -> list[str]:
    """Every text a person could read under `root`: labels, fields, buttons, window title, item models."""
    texts = [root.windowTitle()]
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            texts.append(widget.text())
    for model in root.findChildren(QAbstractItemModel):
        texts.extend(model_texts(model))
    return texts


def model_texts(model: QAbstractItemModel) -> list[str]:
    out = []
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            value = model.data(model.index(row, col))
            if value is not None:
                out.append(str(value))
    return out


def leaked(texts: list[str], secrets: list[str]) -> list[str]:
    return [s for s in secrets if any(s in t for t in texts)]
