"""GUI fixtures: a demo vault (cheap Argon2id, ManualClock), the shell, and helpers to look at screens.

Every service call from a page runs on its session's worker (gui/common/operations.py), so a
test that acts on a page then looks at it first lets the calls finish: `settle()`.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS, DemoAccount
from gvm_desktop.core.policy import Role
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.gui.common.collector import install as install_collector
from gvm_desktop.gui.common.operations import SessionOps
from gvm_desktop.gui.shell.main import Shell
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.conftest import DEMO_PEOPLE, build_demo_template, copy_demo

DEMO_NOMINALS = DEMO_PEOPLE  # the shared demo vault's size


@pytest.fixture(autouse=True, scope="session")
def _collect_on_the_gui_thread(qapp: QApplication) -> None:
    """As the application does (gui/shell/main.py): no collection on a worker thread deletes a window."""
    install_collector(qapp)



def demo_account(role: Role) -> DemoAccount:
    return next(a for a in DEMO_ACCOUNTS if a.role is role)


# Every SessionOps made while the tests run, held weakly. Found this way rather than by walking each window's
# children: a walk met objects half-made or half-gone (Qt's file dialog's thread, a dialog closing) and crashed
# the process (SIGSEGV, std::bad_typeid) about one full run in three.
_MADE_OPERATIONS: weakref.WeakSet[SessionOps] = weakref.WeakSet()
_make_operations = SessionOps.__init__


def _tracked_init(self: SessionOps, *args: Any, **kwargs: Any) -> None:
    _make_operations(self, *args, **kwargs)
    _MADE_OPERATIONS.add(self)


SessionOps.__init__ = _tracked_init  # type: ignore[method-assign]


def live_operations() -> list[SessionOps]:
    """The operations of every open window (and of any page a test made on its own)."""
    return [ops for ops in list(_MADE_OPERATIONS) if shiboken6.isValid(ops)]


def settle(timeout_s: float = 15.0) -> None:
    """Wait until no session has a call running or queued, and every outcome has landed.

    What lands may ask for more (a reloaded table paints and fetches its first page), so this
    waits until two turns of the event loop in a row find everything idle.
    """
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 2:
        QApplication.processEvents()
        busy = [ops for ops in live_operations() if ops.busy]
        for ops in busy:
            assert ops.wait_idle(max(1, int((deadline - time.monotonic()) * 1000))), "a call did not end in time"
        quiet = 0 if busy else quiet + 1
        assert time.monotonic() < deadline, "the calls did not settle in time"


@pytest.fixture(autouse=True)
def no_window_outlives_its_test() -> Iterator[None]:
    """Close every window a test left open (a guide window, an About box): the next test's keys and focus
    must go to its own windows, never to one left from before."""
    yield
    for window in QApplication.topLevelWidgets():
        if shiboken6.isValid(window) and window.isVisible():
            window.close()
    QApplication.processEvents()


@pytest.fixture
def gui_demo_app(demo_app: App) -> App:
    """The shared demo vault: its people are exactly those `demo_people_text` regenerates
    (DEMO_NOMINALS people, seed 2026, the ManualClock's start day)."""
    return demo_app


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
        settle()  # the home has read what it shows, and the table its first page
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
    return build_demo_template(tmp_path_factory, "big-demo-template", BIG_DEMO_NOMINALS)


@pytest.fixture
def big_demo_app(make_app: Callable[..., App], _big_demo_template: Path, tmp_path: Path) -> App:
    return copy_demo(_big_demo_template, tmp_path / "big-demo-vault", make_app)
