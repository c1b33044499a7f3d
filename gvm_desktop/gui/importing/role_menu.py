"""The menu of the role's own vault-wide work, beside Session and Help: the SPOC's import, the administrator's backup.

The actions reach the home on screen when chosen (the home is rebuilt at each unlock), and are disabled while
the session is locked: there is then no home to act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from gvm_desktop.core.policy import Permission, Role, allows
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.matrix.home_matrix import MatrixHome

if TYPE_CHECKING:
    from gvm_desktop.gui.shell.main_window import MainWindow


def add_role_menu(window: MainWindow, role: Role) -> QAction | None:
    """Add the menu for the signed-in role, if it has one; returns its action."""
    if allows(role, Permission.MATRIX_IMPORT):
        menu, action = _menu(window, "Re&cords", "Import a &spreadsheet…",
                             "Bring your BCU's spreadsheet in as proposed people, after a dry run")
        action.triggered.connect(lambda: _start_import(window))
    elif allows(role, Permission.VAULT_BACKUP):
        menu, action = _menu(window, "&Vault", "&Back up…", "Write one file holding the whole vault, still encrypted")
        action.triggered.connect(lambda: _back_up(window))
    else:
        return None
    menu.aboutToShow.connect(lambda: action.setEnabled(window.home is not None))
    return action


def _menu(window: MainWindow, title: str, text: str, tip: str) -> tuple[QMenu, QAction]:
    menu = window.menuBar().addMenu(title)
    action = QAction(text, window)
    action.setStatusTip(tip)
    menu.addAction(action)
    return menu, action


def _start_import(window: MainWindow) -> None:
    home = window.home
    if isinstance(home, MatrixHome):
        home.start_import()


def _back_up(window: MainWindow) -> None:
    home = window.home
    if isinstance(home, AdminHome):
        home.backup.ask_backup()
