"""The main window's furniture: the icon, the status bar's last action, progress with a percentage,
a window that fits the screen and comes back where it was, and Change password in the Session menu."""

from __future__ import annotations

import configparser
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.local_time import local_clock_text
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.common.operations import Change, SessionOps, percent, said_for
from gvm_desktop.gui.common.password_dialog import OwnPasswordDialog
from gvm_desktop.gui.common.screen_fit import centred_on, clamp_to_screen
from gvm_desktop.gui.shell.main import ORGANISATION, app_icon
from gvm_desktop.gui.shell.main_window import DEFAULT_SIZE, GEOMETRY_KEY, MainWindow, layout_settings
from tests.gui.conftest import settle

Opener = Callable[[Role], MainWindow]
RESOURCES = Path(__file__).resolve().parents[2] / "resources"


# -- the icon and the desktop entry ---------------------------------------------------------------

def test_the_window_icon_loads_from_the_package(qtbot: QtBot) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert not icon.pixmap(QSize(48, 48)).isNull()


def test_the_rendered_pngs_have_their_sizes(qtbot: QtBot) -> None:
    from PySide6.QtGui import QImage

    for size in (48, 128, 256):
        image = QImage(str(RESOURCES / f"gvm-desktop-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
    assert (RESOURCES / "gvm-desktop.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_the_desktop_entry_has_the_keys_a_menu_needs() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment, method-assign]  # desktop keys are case-sensitive
    entry.read(RESOURCES / "gvm-desktop.desktop", encoding="utf-8")
    keys = entry["Desktop Entry"]
    assert keys["Type"] == "Application"
    assert keys["Exec"] == "gvm-desktop" and keys["Icon"] == "gvm-desktop"
    assert keys["Terminal"] == "false"
    assert set(keys["Categories"].rstrip(";").split(";")) == {"Office", "Security"}
    assert keys["Name"] and keys["Comment"]


# -- the status bar says what the last call did ---------------------------------------------------

def test_a_saved_setting_is_said_in_the_status_bar_with_the_local_time(qtbot: QtBot, open_main: Opener,
                                                                       gui_demo_app: App) -> None:
    window = open_main(Role.ADMIN)
    home = window.home
    assert isinstance(home, AdminHome)
    assert window.last_action_label.text() == ""  # reading what the home shows is not an action
    home.idle_spin.setFocus()
    home.idle_spin.selectAll()
    qtbot.keyClicks(home.idle_spin, "12")
    qtbot.keyClick(home.idle_spin, Qt.Key.Key_Return)
    settle()
    when = local_clock_text(gui_demo_app.env.clock.now())
    assert window.last_action_label.text() == f"{when} Settings saved (logged)"
    window.lock()
    assert window.last_action_label.text() == ""  # the locked page says nothing of the session's work


def _ops(qtbot: QtBot) -> tuple[SessionOps, QWidget]:
    owner = QWidget()
    qtbot.addWidget(owner)
    return SessionOps(object(), object(), owner), owner  # type: ignore[arg-type]  # stand-ins: the calls use neither


def test_a_page_may_give_its_own_words_and_a_failure_says_nothing(qtbot: QtBot) -> None:
    ops, _owner = _ops(qtbot)
    said: list[str] = []
    ops.said.connect(said.append)
    ops.run(lambda _s, _w: None, changes={Change.MATRIX}, said="Proposal sent for approval")
    ops.run(lambda _s, _w: None, changes={Change.RECORD, Change.MATRIX})
    ops.run(lambda _s, _w: None)  # a read: nothing to say
    ops.run(lambda _s, _w: None, progress="Exporting the review sheet")

    def refuse(_s: Any, _w: Any) -> None:
        raise ValueError("no")

    ops.run(refuse, changes={Change.MATRIX}, failed=lambda _e: None)
    assert ops.wait_idle()
    assert said == ["Proposal sent for approval", "Record saved (logged)", "Exporting the review sheet: done"]


def test_default_words_pick_the_most_telling_change() -> None:
    assert said_for(frozenset({Change.REVIEW, Change.MATRIX})) == "Review updated (logged)"
    assert said_for(frozenset({Change.MATRIX})) == "Matrix updated (logged)"
    assert said_for(frozenset()) is None
    assert said_for(frozenset(), "Verifying the access log") == "Verifying the access log: done"


# -- progress with a percentage --------------------------------------------------------------------

def test_a_call_that_counts_its_steps_shows_a_percentage(qtbot: QtBot) -> None:
    ops, _owner = _ops(qtbot)
    lines: list[str] = []
    ops.progress_changed.connect(lines.append)
    report = ops.reporter()
    steps = threading.Event()

    def walk(_s: Any, _w: Any) -> None:
        for done in (0, 1, 1, 2, 3, 4):  # a repeated count sends nothing new
            report(done, 4)
        steps.set()

    ops.run(walk, progress="Verifying the access log")
    assert ops.wait_idle()
    assert steps.is_set()
    assert lines == ["Verifying the access log...", "Verifying the access log... 0%", "Verifying the access log... 25%",
                     "Verifying the access log... 50%", "Verifying the access log... 75%",
                     "Verifying the access log... 100%", ""]


def test_percent_stays_between_nought_and_a_hundred() -> None:
    assert [percent(d, t) for d, t in ((0, 0), (5, 4), (-1, 4), (1, 3))] == [0, 100, 0, 33]


# -- the window fits the screen and comes back where it was ---------------------------------------

def test_a_window_larger_than_the_screen_is_shrunk_and_kept_on_it() -> None:
    small = QRect(0, 0, 853, 533)  # 1280x800 at a scale factor of 1.5
    assert clamp_to_screen(QRect(100, 50, 1040, 720), small) == QRect(0, 0, 853, 533)
    assert clamp_to_screen(QRect(600, 400, 400, 300), small) == QRect(453, 233, 400, 300)
    assert centred_on(DEFAULT_SIZE, small) == small


def test_a_window_left_on_a_screen_since_unplugged_comes_back_centred() -> None:
    screen = QRect(0, 0, 1920, 1080)
    back = clamp_to_screen(QRect(3000, 200, 800, 600), screen)
    assert back.size() == QSize(800, 600) and back.center() == screen.center()


def test_a_window_partly_off_screen_is_moved_in_whole() -> None:
    screen = QRect(0, 0, 1920, 1080)
    assert clamp_to_screen(QRect(-200, 900, 800, 600), screen) == QRect(0, 480, 800, 600)


@pytest.fixture
def app_settings(tmp_path: Path) -> Iterator[Path]:
    """The application's own QSettings, in a folder of the test's: as main.py names the application."""
    before = QCoreApplication.organizationName()
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QCoreApplication.setOrganizationName(ORGANISATION)
    yield tmp_path
    QCoreApplication.setOrganizationName(before)


def test_windows_outside_the_application_remember_nothing(qtbot: QtBot) -> None:
    assert QCoreApplication.organizationName() != ORGANISATION
    assert layout_settings() is None


def test_the_geometry_is_remembered_and_nothing_else(qtbot: QtBot, open_main: Opener, app_settings: Path) -> None:
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    available = screen.availableGeometry()
    window = open_main(Role.OFFICER)
    assert available.contains(window.frameGeometry())
    window.resize(720, 640)
    window.move(available.left() + 30, available.top() + 40)
    kept = window.geometry()
    window.close()  # signs out, and keeps where the window was
    settings = layout_settings()
    assert settings is not None
    assert settings.allKeys() == [GEOMETRY_KEY]  # the layout only: no user name, no vault path, no data
    files = [p for p in app_settings.rglob("*") if p.is_file()]
    assert files and all(b"demo" not in p.read_bytes() for p in files)
    again = open_main(Role.OFFICER)
    settle()  # its first show has been checked against the screen
    assert again.geometry() == kept


def test_a_remembered_geometry_off_screen_is_brought_back(qtbot: QtBot, open_main: Opener,
                                                          app_settings: Path) -> None:
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    available = screen.availableGeometry()
    away = QMainWindow()
    qtbot.addWidget(away)
    away.setGeometry(available.right() + 2000, available.bottom() + 2000, 600, 500)
    settings = layout_settings()
    assert settings is not None
    settings.setValue(GEOMETRY_KEY, away.saveGeometry())
    settings.sync()
    window = open_main(Role.OFFICER)
    assert available.contains(window.frameGeometry())


# -- Change password in the Session menu ------------------------------------------------------------

def test_change_password_is_in_the_session_menu_and_not_while_locked(qtbot: QtBot, open_main: Opener) -> None:
    window = open_main(Role.OFFICER)
    menu = window.menuBar().actions()[0].menu()
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert "Change &password…" in texts
    window.session_actions.change_password.trigger()
    dialogs = [d for d in window.findChildren(OwnPasswordDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].reject()
    window.lock()
    assert not window.session_actions.change_password.isEnabled()


# A fresh process on a 1280x800 screen at a scale factor of 1.5 (853x533 logical): the main window of a real
# (tiny, unbound) vault must open inside it. Qt reads the scale factor once, at start, hence the process.
_SCALED_PROBE = """
import sys, tempfile
from pathlib import Path
from PySide6.QtWidgets import QApplication
qt = QApplication([])
from gvm_desktop.app import build_app
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.store.slot import TEST_KDF
from tests.support.memory_keyring import MemoryKeyring
with tempfile.TemporaryDirectory() as tmp:
    app = build_app(Path(tmp) / "v", keyring_backend=MemoryKeyring(), kdf=TEST_KDF, workstation="t", tz="UTC")
    created = app.init_vault("admin.one", "Admin One", "correct-horse-battery-staple-9", bind=False)
    window = MainWindow(app, created.workspace)
    window.show()
    for _ in range(20):
        qt.processEvents()
    available = qt.primaryScreen().availableGeometry()
    frame = window.frameGeometry()
    print(available.width(), available.height(), int(available.contains(frame)), frame.width(), frame.height())
    window.close()
"""


def test_the_window_fits_a_small_screen_at_a_scale_factor_of_one_and_a_half(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    screen = tmp_path / "screen.json"
    screen.write_text('{"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1280, "height": 800, '
                      '"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}', encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}", "QT_SCALE_FACTOR": "1.5"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", _SCALED_PROBE], capture_output=True, text=True, env=env, cwd=root,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    width, height, inside, frame_width, frame_height = map(int, done.stdout.split()[-5:])
    assert (width, height) == (853, 533)
    assert inside == 1, (frame_width, frame_height)


def test_a_log_export_reports_how_much_of_the_log_it_has_searched(gui_demo_app: App, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from gvm_desktop.core.log_filter import LogFilter
    from gvm_desktop.services import log_export
    from tests.gui.conftest import demo_account

    monkeypatch.setattr(log_export, "_SELECTION_PAGE", 4)  # many pages from a small log
    auditor = demo_account(Role.AUDITOR)
    ws = gui_demo_app.auth.sign_in(auditor.username, auditor.password)
    seen: list[int] = []
    try:
        result = gui_demo_app.exports.export_csv(ws, LogFilter(), tmp_path / "log.csv",
                                                 progress=lambda done, total: seen.append(percent(done, total)))
    finally:
        gui_demo_app.auth.sign_out(ws)
    assert result.entries > 16
    assert len(seen) > 3 and seen == sorted(seen) and seen[-1] == 100
    assert 0 < seen[0] < 100


def test_the_demo_is_built_behind_a_progress_dialog_before_any_window(qtbot: QtBot, make_app: Callable[..., App],
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QApplication, QProgressDialog

    from gvm_desktop.gui.shell.signin import create_demo_with_progress

    app = make_app(tmp_path / "demo")
    values: list[int] = []
    original = QProgressDialog.setValue

    def watch(dialog: QProgressDialog, value: int) -> None:
        values.append(value)
        original(dialog, value)

    monkeypatch.setattr(QProgressDialog, "setValue", watch)
    assert create_demo_with_progress(app, 30) is None
    assert app.vault_exists()
    assert values and values == sorted(values) and values[-1] == 100
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]


def test_a_large_window_opens_inside_a_small_screen() -> None:
    """The guide and a record window open at their size where there is room, and inside the screen where not."""
    from PySide6.QtCore import QSize

    from gvm_desktop.gui.common.screen_fit import centred_on

    laptop_at_150 = QRect(0, 0, 853, 533)
    assert centred_on(QSize(980, 700), laptop_at_150) == laptop_at_150
    assert centred_on(QSize(600, 400), laptop_at_150) == QRect(127, 67, 600, 400)  # Qt rounds the centre up
