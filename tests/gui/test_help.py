"""Help (issue 14, item 11): F1 opens the role's guide at the current screen, the menu by keyboard, About, the PDF.

The Help menu is installed on the real main window here, as main_window.py installs it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QTabWidget, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.shell.help_menu import PAGE_TOPICS, TOPICS, HelpMenu, current_topic, tab_title
from gvm_desktop.gui.shell.help_window import HelpWindow
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.reports.user_guide_pdf import guide_markdown, sections
from tests.gui.conftest import settle
from tests.reports.pdftools import text

OpenMain = Callable[[Role], MainWindow]
Helped = Callable[[Role], tuple[MainWindow, HelpMenu]]


@pytest.fixture
def helped(open_main: OpenMain) -> Helped:
    """A signed-in main window and the Help menu it installs for itself."""

    def opener(role: Role) -> tuple[MainWindow, HelpMenu]:
        window = open_main(role)
        return window, window.help_menu

    return opener


def _press_f1(qtbot: QtBot, window: MainWindow, help_menu: HelpMenu) -> HelpWindow:
    focus = QApplication.focusWidget()
    qtbot.keyClick(focus if focus is not None and focus.window() is window else window, Qt.Key.Key_F1)
    guide = help_menu.guide_window
    assert guide is not None
    qtbot.waitUntil(guide.isVisible, timeout=3000)
    return guide


def _outer_tabs(home: QWidget) -> list[QTabWidget]:
    """The home's own tab widgets (not a tab's inner tabs, such as the disproportionality figures')."""
    found = []
    for tabs in home.findChildren(QTabWidget):
        parent = tabs.parentWidget()
        while parent is not None and parent is not home and not isinstance(parent, QTabWidget):
            parent = parent.parentWidget()
        if not isinstance(parent, QTabWidget):
            found.append(tabs)
    return found


def test_f1_on_the_officers_matrix_opens_the_guide_at_the_matrix(qtbot: QtBot, helped: Helped) -> None:
    window, help_menu = helped(Role.OFFICER)
    assert current_topic(window) == "matrix"
    guide = _press_f1(qtbot, window, help_menu)
    assert guide.role is Role.OFFICER
    assert guide.current_anchor == "matrix"
    assert guide.browser.textCursor().block().text() == "The matrix"
    assert guide.browser.verticalScrollBar().value() > 0  # Getting started comes first: the guide was scrolled
    item = guide.contents.currentItem()
    assert item is not None and item.text(0) == "The matrix"
    assert "Guide for gang-team officers" in guide.browser.toPlainText()
    assert "Guide for auditors" not in guide.browser.toPlainText()


def test_f1_follows_the_auditors_tabs(qtbot: QtBot, helped: Helped) -> None:
    window, help_menu = helped(Role.AUDITOR)
    guide = _press_f1(qtbot, window, help_menu)
    assert guide.current_anchor == "access-log"
    assert guide.browser.textCursor().block().text() == "Access log"
    guide.close()
    window.activateWindow()
    qtbot.keyClick(window.home, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)  # Fla&gs
    settle()
    assert current_topic(window) == "flags"
    guide = _press_f1(qtbot, window, help_menu)
    assert guide.current_anchor == "flags"
    assert guide.browser.textCursor().block().text() == "Flags"


def test_the_help_menu_by_keyboard(qtbot: QtBot, helped: Helped) -> None:
    window, help_menu = helped(Role.OFFICER)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(help_menu.menu.isVisible, timeout=3000)
    assert [a.text() for a in help_menu.menu.actions() if not a.isSeparator()] == [
        "&User guide", "&Keyboard shortcuts", "&About gvm-desktop"]
    qtbot.keyClick(help_menu.menu, Qt.Key.Key_K)  # &Keyboard shortcuts
    guide = help_menu.guide_window
    assert guide is not None
    qtbot.waitUntil(guide.isVisible, timeout=3000)
    assert guide.current_anchor == "shortcuts"
    assert guide.browser.textCursor().block().text() == "Keyboard shortcuts"
    # Find in the guide, by keyboard.
    guide.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is guide, timeout=3000)
    qtbot.keyClick(guide.browser, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert guide.find_edit.hasFocus()
    qtbot.keyClicks(guide.find_edit, "Ctrl+Shift+O")
    qtbot.keyClick(guide.find_edit, Qt.Key.Key_Return)
    assert guide.browser.textCursor().selectedText() == "Ctrl+Shift+O"
    qtbot.keyClicks(guide.find_edit, "zzz-nowhere")
    qtbot.keyClick(guide.find_edit, Qt.Key.Key_Return)
    assert guide.find_status.text() == "Not found"


def test_about_shows_the_version_licence_vault_id_and_log_head(qtbot: QtBot, helped: Helped, gui_demo_app: App) -> None:
    _window, help_menu = helped(Role.PARTNER)  # any role may read them, the partner's included
    settle()
    checkpoint = json.loads(gui_demo_app.paths.checkpoint.read_text("utf-8"))  # the head kept beside the database
    help_menu.about_action.trigger()
    settle()
    dialog = help_menu.about_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.version_value.text() == metadata.version("gvm-desktop")
    assert "Apache-2.0" in dialog.licence_value.text()
    assert dialog.vault_value.text() == checkpoint["vault_id"]
    assert dialog.head_value.text().endswith(f"{checkpoint['seq']}:{checkpoint['hash'][:16]}")
    assert dialog.hash_value.text() == checkpoint["hash"]
    # Reading them logged nothing: the head is where it was.
    assert json.loads(gui_demo_app.paths.checkpoint.read_text("utf-8"))["seq"] == checkpoint["seq"]


def test_about_while_locked_says_so(qtbot: QtBot, helped: Helped) -> None:
    window, help_menu = helped(Role.OFFICER)
    window.lock()
    settle()
    assert current_topic(window) == "locked-out"
    dialog = help_menu.open_about()
    assert dialog.version_value.text() and "locked" in dialog.vault_value.text()
    guide = help_menu.open_guide(current_topic(window))
    assert guide.current_anchor == "locked-out"


def test_save_as_pdf_writes_the_guide(qtbot: QtBot, helped: Helped, tmp_path: Path) -> None:
    _window, help_menu = helped(Role.SPOC)
    guide = help_menu.open_guide("team-access")
    assert guide.current_anchor == "team-access"
    qtbot.mouseClick(guide.save_button, Qt.MouseButton.LeftButton)
    dialog = guide.findChild(QFileDialog)
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    target = tmp_path / "spoc-guide.pdf"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(target.exists, timeout=10_000)
    words = text(target)
    for section in sections(guide_markdown(Role.SPOC)):
        assert section.title in words, section.title
    assert str(target) in guide.notice.text()


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_tab_a_role_sees_has_its_section_in_that_roles_guide(qtbot: QtBot, open_main: OpenMain, role: Role) -> None:
    window = open_main(role)
    home = window.home
    assert home is not None
    anchors = {s.anchor for s in sections(guide_markdown(role))}
    seen = [tab_title(tabs.tabText(i)) for tabs in _outer_tabs(home) for i in range(tabs.count())]
    for title in seen:
        assert title in TOPICS, f"the {title!r} tab has no topic in help_menu.TOPICS"
        assert TOPICS[title] in anchors, f"the {role.value} guide has no section #{TOPICS[title]} for {title!r}"
    if not seen:  # a page without tabs (the partner's preview) has a section of its own
        assert PAGE_TOPICS[type(home).__name__] in anchors
    assert "locked-out" in anchors  # F1 on the locked page
    assert role is Role.PARTNER or seen


def test_about_saves_the_vaults_ca_certificate_and_a_signed_pdf_checks_against_it(
        qtbot: QtBot, helped: Helped, gui_demo_app: App, tmp_path: Path) -> None:
    """Whoever checks a signed PDF away from the vault needs its CA certificate: About saves it (public, PEM)."""
    from gvm_desktop.cli.main import main
    from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
    from gvm_desktop.core.log_filter import LogFilter

    auditor = next(a for a in DEMO_ACCOUNTS if a.role is Role.AUDITOR)
    ws = gui_demo_app.auth.sign_in(auditor.username, auditor.password)
    pack = tmp_path / "pack.pdf"
    gui_demo_app.forms.export_pack(ws, LogFilter(), pack, account_password=auditor.password,
                                   pdf_password="copper-kettle-review-2026")
    gui_demo_app.auth.sign_out(ws)

    _window, help_menu = helped(Role.PARTNER)  # any role: the certificate is public
    dialog = help_menu.open_about()
    settle()
    target = tmp_path / "vault-ca.pem"
    dialog.save_ca_to(target)
    settle()
    assert target.read_text("ascii").startswith("-----BEGIN CERTIFICATE-----")
    assert str(target) in dialog.saved_label.text()
    assert "PRIVATE" not in target.read_text("ascii")
    stdin = io.StringIO("copper-kettle-review-2026\n")
    assert main(["verify-pdf", str(pack), "--ca", str(target), "--password-stdin"], stdin=stdin,
                 stdout=io.StringIO(), stderr=io.StringIO()) == 0
