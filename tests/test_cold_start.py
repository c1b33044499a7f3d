"""What the application loads before its sign-in window: no PDF machinery, no signed-in window.

ReportLab (and pyHanko, pikepdf) load at the first PDF export; the main window and every role's
home at the first sign-in. A fresh process, since this test session has long loaded them all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# As `gvm-desktop` starts: the CLI's module, then the GUI's entry, then the sign-in window on screen.
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


def test_the_sign_in_window_comes_up_without_reportlab_or_the_signed_in_window() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", _ENTRY], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    shown, icon, loaded = done.stdout.strip().splitlines()[-3:]
    assert (shown, icon) == ("shown", "icon")
    assert loaded == "none"
