"""The Help menu: the user guide (F1, at the part for the current screen), keyboard shortcuts, About.

Installed on the main window with what it cannot know itself: the session's role (whose guide), the
current screen's topic (`current_topic` reads the visible tab), and the session's operations for
About (None while locked). Which tab is which section of the guide is decided in one place, TOPICS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from gvm_desktop.gui.shell.about_dialog import AboutDialog, installed_version
from gvm_desktop.gui.shell.help_window import SHORTCUTS_ANCHOR, HelpWindow

if TYPE_CHECKING:
    from gvm_desktop.core.policy import Role
    from gvm_desktop.gui.common.operations import SessionOps

# A home's tab, by its title without the Alt+ letter, to the section of the role's guide about it. Tabs of the same
# title share an anchor: each role's guide has its own section under it (the officer's and the SPOC's "matrix").
TOPICS: dict[str, str] = {
    "Matrix": "matrix",
    "Team access": "team-access",
    "Quarterly review": "quarterly-review",
    "Disproportionality": "disproportionality",
    "Access log": "access-log",
    "Record references": "record-references",
    "Flags": "flags",
    "Audit forms": "audit-forms",
    "Monthly audit": "monthly-audit",
    "Accounts": "accounts",
    "Inactive accounts": "inactive-accounts",
    "Data sharing": "data-sharing",
    "Retention": "retention",
    "Reference population": "reference-population",
}
# Screens without tabs, by the class name of their page: the partner's preview, and the locked page.
PAGE_TOPICS: dict[str, str] = {"PartnerHome": "preview", "LockedPage": "locked-out"}


def tab_title(text: str) -> str:
    """A tab's title as read: '&Quarterly review' -> 'Quarterly review' ('&&' is a literal '&')."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _depth(widget: QWidget, root: QWidget) -> int:
    depth, parent = 0, widget.parentWidget()
    while parent is not None and parent is not root:
        depth, parent = depth + 1, parent.parentWidget()
    return depth


def current_topic(window: QMainWindow) -> str | None:
    """The guide's section for what the window shows: the outermost visible tab with a topic, else the page's own."""
    root = window.centralWidget()
    if root is None:
        return None
    tabbed = [(_depth(tabs, root), TOPICS[title]) for tabs in root.findChildren(QTabWidget)
              if tabs.isVisible() and (title := tab_title(tabs.tabText(tabs.currentIndex()))) in TOPICS]
    if tabbed:
        return min(tabbed)[1]
    for page in root.findChildren(QWidget):
        topic = PAGE_TOPICS.get(type(page).__name__)
        if topic is not None and page.isVisible():
            return topic
    return None


class HelpMenu(QObject):
    """The &Help menu of `window`; its F1 works wherever the focus is in that window."""

    def __init__(self, window: QMainWindow, role_provider: Callable[[], Role | None],
                 topic_provider: Callable[[], str | None] | None = None,
                 ops_provider: Callable[[], SessionOps | None] | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._role = role_provider
        self._topic = topic_provider or (lambda: current_topic(window))
        self._ops = ops_provider or (lambda: None)
        self.guide_window: HelpWindow | None = None
        self.about_dialog: AboutDialog | None = None

        self.guide_action = QAction("&User guide", window)
        self.guide_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.guide_action.setStatusTip("The guide for your role, at the part for this screen")
        self.shortcuts_action = QAction("&Keyboard shortcuts", window)
        self.shortcuts_action.setStatusTip("Every keyboard shortcut of the application")
        self.about_action = QAction("&About gvm-desktop", window)
        self.about_action.setStatusTip("The version, the licence, this vault's id and the access log's head")
        for action in (self.guide_action, self.shortcuts_action, self.about_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

        self.menu = window.menuBar().addMenu("&Help")
        self.menu.addAction(self.guide_action)
        self.menu.addAction(self.shortcuts_action)
        self.menu.addSeparator()
        self.menu.addAction(self.about_action)
        # On the window too, so F1 works whichever page has the focus (as the Session menu's shortcuts do).
        window.addActions([self.guide_action, self.shortcuts_action, self.about_action])

        self.guide_action.triggered.connect(lambda: self.open_guide(self._topic()))
        self.shortcuts_action.triggered.connect(lambda: self.open_guide(SHORTCUTS_ANCHOR))
        self.about_action.triggered.connect(lambda: self.open_about())

    def open_guide(self, topic: str | None = None) -> HelpWindow:
        """The guide of the session's role at `topic` (its start if the role's guide has no such section)."""
        role = self._role()
        if self.guide_window is None or self.guide_window.role is not role:
            if self.guide_window is not None:
                self.guide_window.close()
                self.guide_window.deleteLater()
            self.guide_window = HelpWindow(role, installed_version(), self._window)
        self.guide_window.present(topic)
        return self.guide_window

    def open_about(self) -> AboutDialog:
        if self.about_dialog is not None:
            self.about_dialog.close()
            self.about_dialog.deleteLater()
        dialog = AboutDialog(self._ops(), self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # this menu deletes it, when replaced
        self.about_dialog = dialog
        dialog.open()
        return dialog
