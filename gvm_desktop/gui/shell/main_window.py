"""The signed-in window: header, menu, demo banner, and either the role's home or the locked page.

The window owns the session's life on screen. Each time the vault opens (sign-in,
unlock) it makes the session's operations (SessionOps: the one way a page calls a
service, on one worker thread) and builds the home on them. On every way into the
locked state (Lock, idle, or a service saying the session is locked or stale) it
lets the running call end and drops the rest, locks the workspace, then wipes and
deletes the home, so nothing read from the vault outlives the lock. The status bar
shows the progress line of a slow call, and then what the last call did, with the local time.

The window opens inside the screen's available area (at any scale factor) and, in the
application proper, comes back where it was left: QSettings keeps its geometry and
nothing else (never anything read from the vault).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.local_time import local_clock_text
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.common.home_base import HomePage, bcu_text
from gvm_desktop.gui.common.operations import SessionOps
from gvm_desktop.gui.common.screen_fit import centred_on, clamp_to_screen
from gvm_desktop.gui.common.shortcuts import LOCK, QUIT, SIGN_OUT
from gvm_desktop.gui.common.widgets import DemoBanner
from gvm_desktop.gui.importing.role_menu import add_role_menu
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.help_menu import HelpMenu, current_topic
from gvm_desktop.gui.shell.home import build_home
from gvm_desktop.gui.shell.idle_watch import IdleWatch
from gvm_desktop.gui.shell.lock import REASON_IDLE, REASON_ON_REQUEST, REASON_SESSION_LOST, LockedPage
from gvm_desktop.gui.shell.main import ORGANISATION

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Session, Workspace

NOT_LOCKED_NOTICE = "The session could not be locked safely, so you were signed out."
DEFAULT_SIZE = QSize(1240, 860)  # a day's work wants room: bounded by the screen's available area when smaller
GEOMETRY_KEY = "main_window/geometry"  # the one thing the window remembers: where it was and how large


def layout_settings() -> QSettings | None:
    """Where the window's geometry is kept: only in the application itself (main.py names it), never in a test
    harness or another program that builds a window, so their windows neither read nor overwrite it."""
    if QCoreApplication.organizationName() != ORGANISATION:
        return None
    return QSettings(ORGANISATION, QCoreApplication.applicationName() or ORGANISATION)


class SessionActions:
    """Lock, Sign out and Quit, in a Session menu and as window-wide shortcuts: all reachable by keyboard."""

    def __init__(self, window: QMainWindow) -> None:
        self.lock = QAction("&Lock", window)
        self.lock.setShortcut(LOCK)
        self.lock.setStatusTip("Close the vault and hide everything until your password is entered")
        self.sign_out = QAction("Sign &out", window)
        self.sign_out.setShortcut(SIGN_OUT)
        self.sign_out.setStatusTip("Close the vault and go back to the sign-in window")
        self.quit = QAction("&Quit", window)
        self.quit.setShortcut(QUIT)
        self.quit.setStatusTip("Sign out and close the application")
        self.change_password = QAction("Change &password…", window)
        self.change_password.setStatusTip("Choose a new password for your own account")

        menu = window.menuBar().addMenu("&Session")
        menu.addAction(self.change_password)
        menu.addSeparator()
        menu.addAction(self.lock)
        menu.addAction(self.sign_out)
        menu.addSeparator()
        menu.addAction(self.quit)
        # Also on the window itself, so the shortcuts work whichever page has the focus.
        window.addActions([self.lock, self.sign_out, self.quit])

    def set_locked(self, locked: bool) -> None:
        self.lock.setEnabled(not locked)
        self.change_password.setEnabled(not locked)


class UserHeader(QFrame):
    """Who is signed in, in which role, for which BCU.

    Only the session (never vault data), so it stays on screen while locked:
    whoever walks up to the workstation sees whose session it is.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("userHeader")
        self.name_label = QLabel(session.display_name, self)
        self.name_label.setObjectName("userName")
        self.details_label = QLabel(
            f"{session.username}  ·  {session.role.label}  ·  {bcu_text(session.bcu)}", self
        )
        self.details_label.setObjectName("userDetails")
        self.state_label = QLabel(self)
        self.state_label.setObjectName("sessionState")

        who = QVBoxLayout()
        who.setSpacing(2)
        who.addWidget(self.name_label)
        who.addWidget(self.details_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 10, 16, 10)
        row.addLayout(who, 1)
        row.addWidget(self.state_label)

    def set_locked(self, locked: bool) -> None:
        self.state_label.setText("Locked" if locked else "Signed in")


class MainWindow(QMainWindow):
    # The user signed out (or had to be); the text, if any, is shown on the sign-in window.
    signed_out = Signal(str)
    # The window closed or Quit was chosen; the session is already signed out.
    quit_requested = Signal()

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._ws = ws
        self._home: HomePage | None = None
        self.ops: SessionOps | None = None  # while the vault is open: the session's operations
        self._finished = False
        self._demo = self._read_demo_flag()
        self._placed = False  # brought inside the screen once shown, when its frame is known
        self.setWindowTitle("gvm-desktop — DEMO" if self._demo else "gvm-desktop")
        self._place_on_screen()

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = UserHeader(ws.session, central)
        layout.addWidget(self.header)
        self.demo_banner: DemoBanner | None = None
        if self._demo:
            self.demo_banner = DemoBanner(central)
            self.demo_banner.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.demo_banner)
        # In a scroll area: on a small screen, or at a large scale factor, the window fits the screen and a
        # page taller than it scrolls, instead of the window's foot (its buttons, the status bar) going off screen.
        self.page_scroll = QScrollArea(central)
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.page_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field, never to the frame
        self.stack = QStackedWidget()
        self.page_scroll.setWidget(self.stack)
        layout.addWidget(self.page_scroll, 1)
        self.setCentralWidget(central)

        self.locked_page = LockedPage(app, ws, self.stack)
        self.stack.addWidget(self.locked_page)
        self.locked_page.unlocked.connect(self._enter_home)
        self.locked_page.sign_out_requested.connect(self.sign_out)

        self.session_actions = SessionActions(self)
        self.session_actions.lock.triggered.connect(lambda: self.lock(REASON_ON_REQUEST))
        self.session_actions.sign_out.triggered.connect(lambda: self.sign_out())
        self.session_actions.quit.triggered.connect(self.close)
        self.session_actions.change_password.triggered.connect(self._change_password)
        # The role's own menu (import, backup) between Session and Help.
        self.role_action = add_role_menu(self, ws.session.role)
        # Help after Session; F1 opens the role's guide at the tab on screen. The session outlives a lock; ops is
        # None while locked (About then says the vault's facts wait for the unlock).
        self.help_menu = HelpMenu(self, lambda: ws.session.role, lambda: current_topic(self), lambda: self.ops)

        self.idle_watch = IdleWatch(app.env.clock, self)
        self.idle_watch.expired.connect(lambda: self.lock(REASON_IDLE))
        self.idle_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.idle_label)
        # A normal (not temporary) widget: a progress line or a menu's tip covers it for a while, then it shows again.
        self.last_action_label = QLabel(self)
        self.last_action_label.setObjectName("lastAction")
        self.statusBar().addWidget(self.last_action_label, 1)

        self._enter_home()

    def _read_demo_flag(self) -> bool:
        try:
            return self._app.is_demo(self._ws)
        except GvmError:
            return False  # the home will show the real problem; the flag only adds a banner

    # -- state ------------------------------------------------------------------

    @property
    def home(self) -> HomePage | None:
        return self._home

    @property
    def is_locked(self) -> bool:
        return self._home is None

    def _enter_home(self) -> None:
        """Build the role's home on fresh operations (after sign-in and after each unlock)."""
        if self._finished:
            return
        ops = SessionOps(self._app, self._ws, self)
        # Queued: a lost session is reported while an outcome is being delivered; lock after that returns.
        ops.session_lost.connect(lambda: self.lock(REASON_SESSION_LOST), Qt.ConnectionType.QueuedConnection)
        ops.progress_changed.connect(self._show_progress)
        ops.said.connect(self._show_last_action)
        self.ops = ops
        home = build_home(ops, self.stack)
        # Ctrl+L pressed in one of the home's dialogs (record view, forms): queued for the same reason.
        home.lock_requested.connect(lambda: self.lock(REASON_ON_REQUEST), Qt.ConnectionType.QueuedConnection)
        if isinstance(home, AdminHome):
            home.idle_minutes_changed.connect(self._idle_minutes_changed)
        self._home = home
        self.stack.addWidget(home)
        self.stack.setCurrentWidget(home)
        self.header.set_locked(False)
        self.session_actions.set_locked(False)
        # Counting starts now, at the default; the vault's own setting follows as soon as it is read. An
        # unreadable setting leaves the default: the session locks then, never not at all.
        self.idle_watch.start(IDLE_LOCK_MINUTES.default)
        self._show_idle_minutes(IDLE_LOCK_MINUTES.default)
        ops.run(lambda s, ws: s.settings.idle_lock_minutes(ws), done=self._idle_minutes_changed,
                failed=lambda _error: None)
        if isinstance(home, MatrixHome):
            home.load(automatic=True)  # the list shown on opening is the application's doing, not use of the matrix
        else:
            home.load()
        home.setFocus(Qt.FocusReason.OtherFocusReason)

    def _idle_minutes_changed(self, minutes: int) -> None:
        self.idle_watch.set_minutes(minutes)
        self._show_idle_minutes(minutes)

    def _show_idle_minutes(self, minutes: int) -> None:
        self.idle_label.setText(f"Locks after {minutes} min without input")

    def _show_progress(self, line: str) -> None:
        """A slow call's progress line in the status bar ('' when it ends)."""
        bar = self.statusBar()
        if line:
            bar.showMessage(line)
        else:
            bar.clearMessage()

    def _show_last_action(self, words: str) -> None:
        """What the last call did, after the local time it ended ("14:32 Proposal sent for approval")."""
        self.last_action_label.setText(f"{local_clock_text(self._app.env.clock.now())} {words}")

    def _change_password(self) -> None:
        if self.ops is None or self._home is None:
            return  # locked: the action is disabled, and a shortcut cannot reach it either
        # Imported here: the dialog's strength meter loads zxcvbn, which the sign-in window does not need.
        from gvm_desktop.gui.common.password_dialog import change_own_password

        # Parented to the home: it goes (and is wiped) with the home when the session locks.
        change_own_password(self._home, self.ops)

    # -- where the window is ------------------------------------------------------

    def _place_on_screen(self) -> None:
        """The remembered geometry if there is one, else the default size centred; either way inside the screen."""
        settings = layout_settings()
        saved = settings.value(GEOMETRY_KEY) if settings is not None else None
        if isinstance(saved, QByteArray | bytes) and self.restoreGeometry(QByteArray(saved)):
            self.bring_on_screen()
            return
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(DEFAULT_SIZE)
            return
        self.setGeometry(centred_on(DEFAULT_SIZE, screen.availableGeometry()))

    def bring_on_screen(self) -> None:
        """Move (and shrink) the window into the available area of the screen it is on, or of the primary one
        when it is on none: a geometry saved on a larger or since-unplugged screen comes back into view."""
        frame = self.frameGeometry()
        screen = QGuiApplication.screenAt(frame.center()) or QGuiApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
        # The frame (title bar, borders) is what must fit; the geometry set is the client area inside it.
        margins = (frame.width() - self.width(), frame.height() - self.height())
        wanted = QRect(frame.topLeft(), frame.size())
        fitted = clamp_to_screen(wanted, available)
        if fitted != wanted:
            self.resize(fitted.width() - margins[0], fitted.height() - margins[1])
            self.move(fitted.topLeft())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._placed:
            self._placed = True
            # Queued: the window manager gives the frame (title bar, borders) only once the window is up.
            QTimer.singleShot(0, self, self.bring_on_screen)  # with the window as context: dropped if it goes first

    def remember_geometry(self) -> None:
        settings = layout_settings()
        if settings is not None:
            settings.setValue(GEOMETRY_KEY, self.saveGeometry())

    def _finish_ops(self) -> None:
        """Let the running call end and drop the queue, before the vault closes: closing a connection
        while the worker still reads through it is unsafe, and an outcome must not land on a page being
        wiped. Waits as long as it takes; a verification or export always ends."""
        ops, self.ops = self.ops, None
        if ops is None:
            return
        ops.finish_and_forget()
        ops.session_lost.disconnect()
        ops.progress_changed.disconnect()
        ops.said.disconnect()
        self.statusBar().clearMessage()
        self.last_action_label.clear()  # what was done belongs to the session on screen, not to the locked page
        ops.deleteLater()

    def _drop_home(self) -> None:
        """Wipe the home's models now (deleteLater is not immediate), then let Qt delete it."""
        home, self._home = self._home, None
        if home is None:
            return
        home.wipe()
        self.stack.removeWidget(home)
        home.hide()
        home.deleteLater()
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None and clipboard.ownsClipboard():
            clipboard.clear()  # anything copied from a table goes with the page

    # -- lock, sign out, quit ---------------------------------------------------

    def lock(self, reason: str = REASON_ON_REQUEST) -> None:
        if self._finished or self.is_locked:
            return
        self.idle_watch.stop()
        self._finish_ops()  # a call still reading the vault ends before it closes
        # Any failure is judged just below: what matters is whether the vault closed.
        with contextlib.suppress(Exception):
            self._app.auth.lock(self._ws, reason=reason)
        self._drop_home()
        if not self._ws.locked:
            # The vault is still open. An unlock page over an open vault would accept any
            # password (unlock() returns early), so leave the session instead.
            self.sign_out(NOT_LOCKED_NOTICE)
            return
        self.header.set_locked(True)
        self.session_actions.set_locked(True)
        self.idle_label.clear()  # the header already says "Locked"
        self.stack.setCurrentWidget(self.locked_page)
        self.locked_page.show_locked(reason)

    def _finish(self) -> None:
        """Sign out for good: stop watching, let a running unlock end, drop the home, close the vault."""
        if self._finished:
            return
        self._finished = True
        self.idle_watch.stop()
        self.remember_geometry()
        self.locked_page.finish_and_forget()
        self._finish_ops()
        self._drop_home()
        # Leaving anyway; if the log entry failed, the vault object goes with this window.
        with contextlib.suppress(Exception):
            self._app.auth.sign_out(self._ws)

    def sign_out(self, notice: str = "") -> None:
        if self._finished:
            return
        self._finish()
        self.signed_out.emit(notice)

    @property
    def finished(self) -> bool:
        return self._finished

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._finished:
            self._finish()
            self.quit_requested.emit()
        super().closeEvent(event)
