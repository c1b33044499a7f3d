"""Every page and dialog of every role: each interactive widget has a name a screen reader can say,
and the keyboard reaches it with Tab (tests/gui/accessibility.py says how each is judged)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.accessibility import clashing_mnemonics, unnamed, unreachable
from tests.gui.conftest import settle


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
