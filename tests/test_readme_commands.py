"""The README's two newcomer commands: CI runs the test one verbatim, and both install their system packages first."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _try_it_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    app_line, test_line = _try_it_commands()[:2]
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]
    assert test_line in ci_lines
    assert "pytest" in test_line and "--demo" in app_line


def test_both_commands_install_their_system_packages_first() -> None:
    app_line, test_line = _try_it_commands()[:2]
    assert app_line.startswith("bash scripts/system-packages.sh app && ")
    assert test_line.startswith("bash scripts/system-packages.sh test && ")
    script = ROOT / "scripts" / "system-packages.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    # A wrong mode is a usage error, not a silent success that installs nothing.
    assert subprocess.run(["bash", str(script), "neither"], capture_output=True, check=False).returncode == 2
    text = script.read_text(encoding="utf-8")
    for package in ("qpdf", "poppler-utils", "libegl1", "libxcb-cursor0", "gcc"):
        assert package in text
