"""Entry point of the desktop front end (`gvm-desktop`, `gvm-desktop --demo`) and the window flow.

`launch` is what `gvm-desktop` runs: it loads Qt and the sign-in window only, shows the window, and
builds the App (the services, the store, SQLCipher) behind it. So this module imports nothing of
the App at its top: tests/test_cold_start.py checks what is loaded when the window shows.
"""

from __future__ import annotations

import pkgutil
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

from gvm_desktop import __version__
from gvm_desktop.core.errors import GvmError
from gvm_desktop.gui.common.collector import install as install_collector
from gvm_desktop.gui.common.style import install_style
from gvm_desktop.gui.shell.signin import SignInWindow, create_demo_with_progress

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.gui.shell.main_window import MainWindow
    from gvm_desktop.services.context import Workspace

ORGANISATION = "gvm-desktop"  # QSettings' folder (~/.config/gvm-desktop/ on Linux): the window's geometry, no data


def app_icon() -> QIcon:
    """The window icon, from the package (resources/gvm-desktop.svg rendered at 256 px)."""
    # From bytes, not a path: a resource inside a zipped install has no file name. pkgutil's reader, not
    # importlib.resources': the same bytes from the package's loader, without the 5 ms of importing its readers
    # before the sign-in window's first paint.
    data = pkgutil.get_data("gvm_desktop.resources", "gvm-desktop.png")
    pixmap = QPixmap()
    if data is not None:
        pixmap.loadFromData(data, "PNG")
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
        if notice:
            window.error_label.show_message(notice)
        self.adopt(window)
        window.show()
        return window

    def adopt(self, window: SignInWindow) -> None:
        """Take a sign-in window already on screen (the one `launch` showed while the App was built)."""
        window.signed_in.connect(self._signed_in)
        window.closed.connect(self._signin_closed)
        self.signin_window = window

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


def prepare_application(*, fonts: bool = True) -> QApplication:
    """The QApplication, named (QSettings' place), styled, with its icon and (unless `fonts` is False: the
    caller installs them later) the shipped fonts."""
    qapp = QApplication.instance()
    if not isinstance(qapp, QApplication):
        qapp = QApplication(sys.argv[:1])  # our own arguments were parsed by the CLI already
    qapp.setOrganizationName(ORGANISATION)
    qapp.setApplicationName("gvm-desktop")
    qapp.setApplicationVersion(__version__)
    qapp.setWindowIcon(app_icon())
    install_style(qapp)  # light or dark from the desktop's palette, and again whenever it changes
    install_collector(qapp)  # cycles freed on this thread only: a worker must never delete a window
    if fonts:
        _install_fonts()
    return qapp


def _install_fonts() -> None:
    # Imported here: the fonts' module loads importlib.resources, which `launch` leaves until after the first paint.
    from gvm_desktop.gui.common.fonts import install_fonts

    install_fonts()


def _build_app(vault: Path | None, demo: bool) -> App:
    """The App as the command line builds it for the GUI (cli/main.py); on the opening worker."""
    from gvm_desktop.app import build_app, default_demo_vault_dir

    try:
        return build_app(vault or default_demo_vault_dir()) if demo else build_app(vault)
    except OSError as exc:
        # Worded as the command line words it: the file and the reason, nothing else.
        raise GvmError(f"{exc.strerror or 'I/O error'}{': ' + str(exc.filename) if exc.filename else ''}") from None


class Startup(QObject):
    """From the sign-in window on screen to the Shell: the App built behind it, the demo vault made if missing.

    Until the App is there, closing the window ends the application; after, the Shell decides.
    An error on the way stays on the window, goes to stderr as the command line says it, and is
    the exit code.
    """

    finished = Signal()

    def __init__(self, build: Callable[[], App], *, demo: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._build = build  # runs on the window's opening worker
        self._demo = demo
        self.shell: Shell | None = None
        self.exit_code = 0
        self.window = SignInWindow(None, demo=demo)
        self.window.closed.connect(self.finished)
        self.window.vault_opened.connect(self._opened)
        self.window.open_failed.connect(self._failed)
        self.window.first_painted.connect(self._open)

    def show(self) -> SignInWindow:
        self.window.show()
        return self.window

    def _open(self) -> None:
        # Fonts for names in other scripts (12 ms of registering 5 MB): needed once people type, not to paint.
        _install_fonts()
        self.window.open_vault(self._build)

    def _opened(self, app: App) -> None:
        if self._demo and not app.vault_exists():
            problem = create_demo_with_progress(app)
            if problem is not None:
                self.window.fail_opening(problem)
                return
        shell = Shell(app, demo=self._demo)
        shell.finished.connect(self.finished)
        self.window.closed.disconnect(self.finished)
        shell.adopt(self.window)
        self.window.attach(app)
        self.shell = shell

    def _failed(self, error: GvmError) -> None:
        print(f"gvm-desktop: {error.message}", file=sys.stderr)
        self.exit_code = int(error.exit_code)

    def shut_down(self) -> None:
        if self.shell is not None:
            self.shell.shut_down()
        else:
            self.window.close()


def launch(vault: Path | None = None, *, demo: bool = False) -> int:
    """`gvm-desktop` (`--demo`, `--vault DIR`): the sign-in window first, the App built behind it; the exit code.

    `vault` as given on the command line (None: the default vault, or the demo's with `demo`).
    """
    qapp = prepare_application(fonts=False)  # Startup installs them after the first paint
    qapp.setQuitOnLastWindowClosed(False)  # the shell decides when to end, as in run_gui
    previous_hook = sys.excepthook
    sys.excepthook = _quiet_excepthook
    startup = Startup(partial(_build_app, vault, demo), demo=demo)
    startup.finished.connect(qapp.quit)
    qapp.aboutToQuit.connect(startup.shut_down)
    try:
        startup.show()
        code = int(qapp.exec())
        return startup.exit_code or code
    finally:
        sys.excepthook = previous_hook


def run_gui(app: App, *, demo: bool) -> int:
    """Show the sign-in window on an App already built and run Qt's event loop; returns the exit code.

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
