"""Every page and dialog of every role: each interactive widget has a name a screen reader can say,
and the keyboard reaches it with Tab (tests/gui/accessibility.py says how each is judged)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.accessibility import clashing_mnemonics, unnamed, unreachable
from tests.gui.conftest import settle
from tests.gui.helpers import open_record


def pages(root: QWidget, path: str = "") -> Iterator[str]:
    """Show each tab of each tab widget in turn (nested ones too), yielding where we are."""
    tabs = [t for t in root.findChildren(QTabWidget) if t.isVisibleTo(root)]
    outer = [t for t in tabs if not any(o is not t and o.isAncestorOf(t) for o in tabs)]
    if not outer:
        yield path or "page"
        return
    widget = outer[0]
    for index in range(widget.count()):
        if not widget.isTabEnabled(index):
            continue
        widget.setCurrentIndex(index)
        settle()
        yield from pages(widget.widget(index), f"{path}/{widget.tabText(index).replace('&', '')}")


@pytest.mark.parametrize("role", list(Role))
def test_every_page_names_its_widgets_and_tab_reaches_them(
        role: Role, open_main: Callable[[Role], MainWindow]) -> None:
    window = open_main(role)
    home = window.home
    assert home is not None
    problems: list[str] = []
    for where in pages(home):
        problems += [f"{role.name} {where}: no accessible name: {p}" for p in unnamed(home)]
        problems += [f"{role.name} {where}: {p}" for p in unreachable(home)]
        problems += [f"{role.name} {where}: two answer to {p}" for p in clashing_mnemonics(window)]
    assert not problems, "\n".join(problems)


def test_the_walk_finds_an_unnamed_field_a_trap_and_a_field_tab_skips(qtbot: QtBot) -> None:
    """The checks above can fail: a page with each fault is caught, and each fault is named."""
    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    named = QLineEdit(page)
    named.setAccessibleName("Named field")
    unnamed_field = QLineEdit(page)
    trap = QPlainTextEdit(page)  # types a tab character: Tab never leaves it
    trap.setAccessibleName("Notes")
    skipped = QPushButton("&Skipped", page)
    skipped.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    labelled = QLineEdit(page)
    label = QLabel("&Labelled", page)
    label.setBuddy(labelled)
    for widget in (named, unnamed_field, trap, skipped, label, labelled):
        layout.addWidget(widget)
    page.show()
    qtbot.waitExposed(page)
    assert unnamed(page) == ["QLineEdit(objectName='', text='')"]
    problems = unreachable(page)
    assert "Tab stays in QPlainTextEdit(objectName='', text='')" in problems
    assert "not reached by Tab: QPushButton(objectName='', text='&Skipped')" in problems
    assert len(problems) == 2, problems


def test_the_walk_visits_every_tab_of_the_auditor(open_main: Callable[[Role], MainWindow]) -> None:
    home = open_main(Role.AUDITOR).home
    assert home is not None
    assert list(pages(home)) == ["/Access log", "/Record references", "/Flags", "/Audit forms", "/Monthly audit",
                                "/Disproportionality"]


def _select_rows(root: QWidget) -> None:
    """What a person does before an action on a row: pick one (the last: the first account is one's own, which
    cannot be disabled), so the row's buttons are enabled."""
    for view in root.findChildren(QAbstractItemView):
        model = view.model()
        if view.isVisibleTo(root) and model is not None and model.rowCount() > 0 and not isinstance(view, QHeaderView):
            if isinstance(view, QTableView):
                view.selectRow(model.rowCount() - 1)
            else:
                view.setCurrentIndex(model.index(model.rowCount() - 1, 0))
    settle()


def _dialog_buttons(root: QWidget) -> list[QPushButton]:
    """The buttons on show that open a dialog: by the convention every one of them follows, "…" ends its text."""
    return [b for b in root.findChildren(QPushButton)
            if b.isVisibleTo(root) and b.isEnabled() and b.text().rstrip().endswith("…")]


def _new_windows(before: set[int]) -> list[QWidget]:
    settle()
    return [w for w in QApplication.topLevelWidgets()
            if w.isVisible() and id(w) not in before and not isinstance(w, QFileDialog) and w.isWindow()
            and w.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)]


def _check_dialog(dialog: QWidget, where: str) -> list[str]:
    problems = [f"{where}: no accessible name: {p}" for p in unnamed(dialog)]
    problems += [f"{where}: {p}" for p in unreachable(dialog)]
    problems += [f"{where}: two answer to {p}" for p in clashing_mnemonics(dialog)]
    return problems


def _close(window: QWidget) -> None:
    """Close a window the walk opened. Touched again only while Qt still has it: a dialog that deletes itself on
    closing must not be read through its stale Python wrapper (a crash, not an error)."""
    if isinstance(window, QDialog):
        window.reject()
    if shiboken6.isValid(window) and window.isVisible():
        window.close()
    settle()
    if shiboken6.isValid(window) and window.isVisible():  # a typed form asks once before it lets go
        window.close()
        settle()


def _close_file_dialogs() -> None:
    """Qt's own file dialog (an export's "where to?") is not ours to check, but it must not stay open."""
    for dialog in [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()]:
        dialog.reject()
    settle()


def walk_dialogs(root: QWidget, where: str) -> tuple[list[str], list[str]]:
    """Press each dialog button on `root`'s pages in turn; check and close what opens. (problems, dialogs seen)"""
    problems: list[str] = []
    seen: list[str] = []
    for page in pages(root):
        _select_rows(root)
        for button in _dialog_buttons(root):
            before = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
            label = button.text().replace("&", "")
            button.click()
            for window in _new_windows(before):
                seen.append(f"{where}{page} › {label}")
                problems += _check_dialog(window, f"{where}{page} › {label} ({window.windowTitle()})")
                _close(window)
            _close_file_dialogs()
    return problems, seen


@pytest.mark.parametrize("role", list(Role))
def test_every_dialog_names_its_widgets_and_tab_reaches_them(
        role: Role, open_main: Callable[[Role], MainWindow]) -> None:
    window = open_main(role)
    home = window.home
    assert home is not None
    window.activateWindow()
    problems, seen = walk_dialogs(home, role.name)
    # The Session menu's own dialog, for every role.
    before = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
    window.session_actions.change_password.trigger()
    for dialog in _new_windows(before):
        seen.append(f"{role.name} › Change password")
        problems += _check_dialog(dialog, f"{role.name} › Change password")
        _close(dialog)
    if role in (Role.OFFICER, Role.SPOC):
        assert isinstance(home, MatrixHome)
        view = open_record(QtBot(window), home, home.matrix.model.ref_at(0))
        problems += _check_dialog(view, f"{role.name} › record")
        more, opened = walk_dialogs(view, f"{role.name} › record")
        problems += more
        seen += opened
        view.close_view()
    assert len(seen) >= MIN_DIALOGS[role], seen
    assert not problems, "\n".join(problems)


# How many dialogs each role's walk opens at least: a walk that opened none would pass while checking nothing.
MIN_DIALOGS = {Role.OFFICER: 5, Role.SPOC: 8, Role.AUDITOR: 2, Role.PARTNER: 1, Role.ADMIN: 7}
