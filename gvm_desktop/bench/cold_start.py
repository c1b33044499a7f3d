"""How long the application takes to come up, and to make its demo vault, beside plain baselines.

`cold_start_ms`: from starting a Python process that runs the `gvm-desktop` entry point (as
`gvm-desktop --vault DIR`) to the sign-in window's first paint, against a bare PySide6 process
painting an empty QWidget, alternated in the same run and each the median of several. The child
stops the clock by printing one line at that first paint; the parent reads the time it arrives.
Both children run offscreen, so no window manager's animation is counted. The App is built after
that paint, behind the window (gui/shell/main.py `launch`), so it is not in this figure.

`demo_create_s`: making the demo vault (`gvm-desktop --demo` on a workstation without one), against
the key derivations no build can skip: one Argon2id at the vault's cost per key slot it writes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

from gvm_desktop.app import App, build_app
from gvm_desktop.bench.measure import Metric, metric
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.synthetic import DEMO_PEOPLE

COLD_START_RUNS = 7
SHOWN = "shown"

# The child: `app` runs the `gvm-desktop` entry point itself (gvm_desktop.cli:main) on the vault, as
# `gvm-desktop --vault DIR` does; `bare` shows an empty QWidget with Qt alone. Each prints SHOWN at the first paint
# of its window (the sign-in window's class, or the bare QWidget) and leaves at once (os._exit: the time Python takes
# to tidy up is not start-up). The QApplication is made first in both, only so the watch on paint events can be on
# it before the entry runs; the entry's own preparation (`prepare_application`) takes it as it is, as it takes the one
# pytest-qt makes.
_PROBE = """
import os, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

class FirstPaint(QObject):
    def __init__(self, window_class):
        super().__init__()
        self.window_class = window_class

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and type(watched).__name__ == self.window_class:
            sys.stdout.write('%s\\n' % sys.argv[-1])
            sys.stdout.flush()
            os._exit(0)
        return False

qt = QApplication(sys.argv[:1])
if sys.argv[1] == 'app':
    first = FirstPaint('SignInWindow')
    qt.installEventFilter(first)
    from gvm_desktop.cli import main
    main(['--vault', sys.argv[2]])
else:
    from PySide6.QtWidgets import QWidget
    first = FirstPaint('QWidget')
    qt.installEventFilter(first)
    window = QWidget()
    window.resize(400, 300)
    window.show()
    qt.exec()
sys.exit('the window never painted')
"""


def _time_to_first_paint(mode: str, vault: Path) -> float:
    """Milliseconds from starting the child to reading its line (its window's first paint)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _PROBE, mode, str(vault), SHOWN], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        elapsed = (time.perf_counter() - start) * 1000
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if line.strip() != SHOWN:
        stderr = child.stderr.read() if child.stderr is not None else ""
        raise RuntimeError(stderr.strip().splitlines()[-1] if stderr.strip() else f"the {mode} probe showed nothing")
    return elapsed


def cold_start(vault: Path, runs: int = COLD_START_RUNS) -> tuple[list[float], list[float]]:
    """The app's and the bare window's times (ms), alternated so a busy moment of the machine hits both alike."""
    app_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(runs):
        app_ms.append(_time_to_first_paint("app", vault))
        bare_ms.append(_time_to_first_paint("bare", vault))
    return app_ms, bare_ms


def cold_start_metric(vault: Path, runs: int = COLD_START_RUNS) -> Metric:
    app_ms, bare_ms = cold_start(vault, runs)
    return metric(statistics.median(app_ms), "ms", statistics.median(bare_ms),
                  "a bare PySide6 process painting an empty QWidget (offscreen), same run; goal at most 1.5x", runs)


def demo_create_metric(app: App, people: int = DEMO_PEOPLE) -> Metric:
    """One build of the demo vault at the app's Argon2id cost, in a scratch folder."""
    kdf = app.env.kdf
    with tempfile.TemporaryDirectory(prefix="gvm-bench-demo-") as tmp:
        scratch = build_app(Path(tmp) / "vault", kdf=kdf, keyring_backend=None, workstation="bench",
                            clock=app.env.clock)
        start = time.perf_counter()
        scratch.auth.sign_out(scratch.create_demo(people).workspace)
        built = time.perf_counter() - start
    slots = len(DEMO_ACCOUNTS) + 1  # each account's slot, and the recovery code's
    start = time.perf_counter()
    for n in range(slots):
        hash_secret_raw(f"bench-{n}".encode(), b"0123456789abcdef", kdf.time_cost, kdf.memory_kib, kdf.parallelism,
                        32, Type.ID)
    derivations = time.perf_counter() - start
    return metric(built, "s", derivations,
                  f"the {slots} bare Argon2id derivations its key slots need (t={kdf.time_cost} m={kdf.memory_kib}KiB "
                  f"p={kdf.parallelism}); {people:,} people; goal under 10 s", 1)
