"""GUI fixtures: a demo vault (cheap Argon2id, ManualClock), the shell, and helpers to look at screens."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDateEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App, build_app
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.policy import Role
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.gui.main import Shell
from gvm_desktop.gui.main_window import MainWindow
from gvm_desktop.services.vaults import DEMO_ACCOUNTS, DemoAccount
from gvm_desktop.store.keyslots import TEST_KDF
from tests.support.memory_keyring import MemoryKeyring

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
    """Every text a person could read under `root`: labels, fields, text boxes, dates, buttons,
    window titles (of dialogs too), item models."""
    texts = [root.windowTitle()]
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QDateEdit):
            texts.append(widget.date().toString("yyyy-MM-dd"))
        if widget.isWindow():
            texts.append(widget.windowTitle())
    for model in root.findChildren(QAbstractItemModel):
        texts.extend(model_texts(model))
    return texts


def screen_texts() -> list[str]:
    """Every text in every top-level window of the application (record views, dialogs included)."""
    texts: list[str] = []
    for window in QApplication.topLevelWidgets():
        if shiboken6.isValid(window):
            texts.extend(all_texts(window))
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


BIG_DEMO_NOMINALS = 2000  # ~170 people in the demo BCU: more than one batch of rows


@pytest.fixture(scope="session")
def _big_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per run (about a second); each test gets its own copy."""
    folder = tmp_path_factory.mktemp("big-demo-template") / "vault"
    app = build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                    workstation="ws-test-01")
    app.auth.sign_out(app.create_demo(BIG_DEMO_NOMINALS).workspace)
    return folder


@pytest.fixture
def big_demo_app(make_app: Callable[..., App], _big_demo_template: Path, tmp_path: Path) -> App:
    target = tmp_path / "big-demo-vault"
    shutil.copytree(_big_demo_template, target)
    return make_app(target)
