"""The frozen application a workstation installs: built with PyInstaller (one folder) and run as a workstation would.

Slow by nature (about two minutes: a build venv, PyInstaller, then installer/smoke_test.sh's demo vault, log verify
and the GUI offscreen), and run by the README's test command all the same: a frozen build that no longer starts is
found here, not on a BCU's workstation. The build venv is reused between runs (installer/build/, ignored by git).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

INSTALLER = Path(__file__).resolve().parents[2] / "installer"


def _run(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "PYTEST"))}
    return subprocess.run(["bash", str(INSTALLER / script), *args], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)


def test_the_frozen_app_builds_and_passes_its_smoke_test() -> None:
    build = _run("build_linux.sh", timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    binary = INSTALLER / "dist" / "gvm-desktop" / "gvm-desktop"
    assert binary.is_file() and os.access(binary, os.X_OK)
    smoke = _run("smoke_test.sh", str(binary), timeout=300)
    assert smoke.returncode == 0, smoke.stdout[-3000:] + smoke.stderr[-3000:]
    assert "Traceback" not in smoke.stdout + smoke.stderr
