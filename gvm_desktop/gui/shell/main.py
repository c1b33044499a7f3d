"""Entry point of the desktop front end (`gvm-desktop`, `gvm-desktop --demo`) and the window flow."""

from __future__ import annotations

import sys
from importlib.resources import files
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

from gvm_desktop import __version__
from gvm_desktop.gui.common.fonts import install_fonts
from gvm_desktop.gui.common.style import install_style
from gvm_desktop.gui.shell.signin import SignInWindow, create_demo_with_progress

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.gui.shell.main_window import MainWindow
    from gvm_desktop.services.context import Workspace

ORGANISATION = "gvm-desktop"  # QSettings' folder (~/.config/gvm-desktop/ on Linux): the window's geometry, no data


def app_icon() -> QIcon:
    """The window icon, from the package (resources/gvm-desktop.svg rendered at 256 px)."""
    # From bytes, not a path: a resource inside a zipped install has no file name.
    pixmap = QPixmap()
    pixmap.loadFromData(files("gvm_desktop.resources").joinpath("gvm-desktop.png").read_bytes(), "PNG")
    return QIcon(pixmap)


class Shell(QObject):
    """Which window is on screen: the sign-in window, or the main window of one session.

    Closing either ends the application (`finished`); signing out goes back to a
    fresh sign-in window. Qt-side flow only: the rules live in the services.
    """

    finished = Signal()

    def __init__(self, app: App, *, demo: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._demo = demo
        self.signin_window: SignInWindow | None = None
        self.main_window: MainWindow | None = None

    def start(self, notice: str = "") -> SignInWindow:
        """Show a fresh sign-in window (a new one each time: nothing typed before survives)."""
        window = SignInWindow(self._app, demo=self._demo)
        window.signed_in.connect(self._signed_in)
        window.closed.connect(self._signin_closed)
        if notice:
            window.error_label.show_message(notice)
        self.signin_window = window
        window.show()
        return window

    def _signed_in(self, ws: Workspace) -> None:
        # Imported at the first sign-in: every role's home comes with it, a sixth of a second the sign-in
        # window need not wait for.
        from gvm_desktop.gui.shell.main_window import MainWindow

        main = MainWindow(self._app, ws)
        main.signed_out.connect(self._signed_out)
        main.quit_requested.connect(self._main_closed)
        self.main_window = main
        main.show()  # before the sign-in window goes, so there is always a window on screen
        signin, self.signin_window = self.signin_window, None
        if signin is not None:
            signin.closed.disconnect(self._signin_closed)
            signin.close()
            signin.deleteLater()

    def _signed_out(self, notice: str) -> None:
        main, self.main_window = self.main_window, None
        self.start(notice)
        if main is not None:
            main.close()  # already signed out: closing it does not end the application
            main.deleteLater()

    def _signin_closed(self) -> None:
        self.signin_window = None
        self.finished.emit()

    def _main_closed(self) -> None:
        self.main_window = None
        self.finished.emit()

    def shut_down(self) -> None:
        """Sign out and close whatever is open (the application is quitting)."""
        if self.main_window is not None:
            self.main_window.close()
        if self.signin_window is not None:
            self.signin_window.close()


def _quiet_excepthook(kind: type[BaseException], _value: BaseException, _tb: TracebackType | None) -> None:
    # An exception escaping a Qt slot would print its text and traceback, and the text
    # may hold a person's data. The type name is enough to start looking.
    print(f"gvm-desktop: unexpected error ({kind.__name__})", file=sys.stderr)


def prepare_application() -> QApplication:
    """The QApplication, named (QSettings' place), styled, with its fonts and icon."""
    qapp = QApplication.instance()
    if not isinstance(qapp, QApplication):
        qapp = QApplication(sys.argv[:1])  # our own arguments were parsed by the CLI already
    qapp.setOrganizationName(ORGANISATION)
    qapp.setApplicationName("gvm-desktop")
    qapp.setApplicationVersion(__version__)
    qapp.setWindowIcon(app_icon())
    install_style(qapp)  # light or dark from the desktop's palette, and again whenever it changes
    install_fonts()
    return qapp


def run_gui(app: App, *, demo: bool) -> int:
    """Show the sign-in window and run Qt's event loop; returns the exit code.

    A demo without its vault gets one first, behind a progress dialog with a percentage.
    """
    qapp = prepare_application()
    if demo and not app.vault_exists():
        problem = create_demo_with_progress(app)
        if problem is not None:
            print(f"gvm-desktop: {problem.message}", file=sys.stderr)
            return int(problem.exit_code)
    # The shell decides when to end: closing the main window signs out first.
    qapp.setQuitOnLastWindowClosed(False)
    previous_hook = sys.excepthook
    sys.excepthook = _quiet_excepthook
    shell = Shell(app, demo=demo)
    shell.finished.connect(qapp.quit)
    qapp.aboutToQuit.connect(shell.shut_down)
    try:
        shell.start()
        return int(qapp.exec())
    finally:
        sys.excepthook = previous_hook
