"""What the application loads before its sign-in window: no PDF machinery, no signed-in window, and on the
way `gvm-desktop` starts, nothing of the App at all.

ReportLab (and pyHanko, pikepdf) load at the first PDF export; the main window and every role's
home at the first sign-in; the services, the store, SQLCipher and Argon2 after the sign-in
window's first paint (gui/shell/main.py `launch`). A fresh process, since this test session has
long loaded them all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# As run_gui starts (an App built first: the command line's GUI branch, for `--as NAME` alone): the CLI's module,
# then the GUI's entry, then the sign-in window on screen.
_ENTRY = """
import sys, tempfile
from pathlib import Path
import gvm_desktop.cli.main
from gvm_desktop.app import build_app
from gvm_desktop.gui.shell.main import Shell, prepare_application
from tests.support.memory_keyring import MemoryKeyring
qt = prepare_application()
with tempfile.TemporaryDirectory() as tmp:
    app = build_app(Path(tmp) / "vault", keyring_backend=MemoryKeyring(), workstation="t", tz="UTC")
    window = Shell(app, demo=False).start()
    qt.processEvents()
    print("shown" if window.isVisible() else "hidden")
    print("icon" if not qt.windowIcon().isNull() else "no icon")
    heavy = ("reportlab", "pyhanko", "pikepdf", "gvm_desktop.reports", "gvm_desktop.gui.shell.main_window")
    print(" ".join(sorted({m.split(".")[0] if not m.startswith("gvm_desktop") else m
                           for m in sys.modules if m.startswith(heavy)})) or "none")
    window.close()
"""

# Loaded by none of the ways to the sign-in window's first paint that `gvm-desktop` takes.
NOT_BEFORE_THE_WINDOW = ("gvm_desktop.services", "gvm_desktop.store", "gvm_desktop.app", "gvm_desktop.reports",
                         "gvm_desktop.gui.shell.main_window", "reportlab", "pyhanko", "pikepdf", "sqlcipher3", "argon2")

# `gvm-desktop` itself: its entry function with the GUI's arguments, stopped at the sign-in window's first paint.
# The QApplication is made first only so the watch on paint events is on it before the entry runs.
_REAL_ENTRY = """
import os, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

NOT_BEFORE = tuple(sys.argv[2].split(","))

class AtFirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and type(watched).__name__ == "SignInWindow":
            qt = QApplication.instance()
            loaded = sorted({m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in NOT_BEFORE)})
            print("shown" if watched.isVisible() else "hidden")
            print("icon" if not qt.windowIcon().isNull() else "no icon")
            print(" ".join(loaded) or "none")
            sys.stdout.flush()
            os._exit(0)
        return False

qt = QApplication(sys.argv[:1])
watch = AtFirstPaint()
qt.installEventFilter(watch)
from gvm_desktop.cli import main
main(sys.argv[3:])
sys.exit("the sign-in window never painted")
"""


def _run(code: str, *args: str, home: Path | None = None) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if home is not None:  # the default vault and demo vault are looked for here, never in the real home
        env |= {"XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()


def test_the_sign_in_window_comes_up_without_reportlab_or_the_signed_in_window() -> None:
    shown, icon, loaded = _run(_ENTRY)[-3:]
    assert (shown, icon) == ("shown", "icon")
    assert loaded == "none"


@pytest.mark.parametrize("gui_args", [[], ["--demo"], ["--vault", "{vault}"], ["--vault={vault}", "--demo"]],
                         ids=["plain", "demo", "vault", "vault-and-demo"])
def test_gvm_desktop_paints_its_sign_in_window_before_loading_the_app(gui_args: list[str], tmp_path: Path) -> None:
    args = [a.format(vault=tmp_path / "vault") for a in gui_args]
    shown, icon, loaded = _run(_REAL_ENTRY, "-", ",".join(NOT_BEFORE_THE_WINDOW), *args, home=tmp_path)[-3:]
    assert (shown, icon) == ("shown", "icon")
    assert loaded == "none"


def test_the_sign_in_window_modules_import_nothing_of_the_app() -> None:
    """The window's module and the entry's, imported alone (what `python -X importtime` would list)."""
    code = ("import sys, gvm_desktop.cli, gvm_desktop.gui.shell.main, gvm_desktop.gui.shell.signin\n"
            f"not_before = {NOT_BEFORE_THE_WINDOW!r}\n"
            "print(' '.join(sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') "
            "for n in not_before))) or 'none')\n")
    assert _run(code)[-1] == "none"
