"""Imports go one way (DESIGN.md): checked by import-linter inside the suite, so a breach fails it."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gvm_desktop"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "lint-imports (import-linter) is part of the test extra"
    result = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("core", ("PySide6", "sqlcipher3", "reportlab", "gvm_desktop.store", "gvm_desktop.gui")),
        ("gui", ("gvm_desktop.store", "sqlcipher3")),
        ("services", ("PySide6", "reportlab", "gvm_desktop.gui")),
    ],
)
def test_no_forbidden_import_even_inside_functions(layer: str, forbidden: tuple[str, ...]) -> None:
    """A second, independent check that also sees imports hidden inside functions."""
    for path in (PACKAGE / layer).rglob("*.py"):
        bad = {name for name in _imports(path) if name.split(".")[0] in forbidden or
               any(name == f or name.startswith(f + ".") for f in forbidden)}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_only_store_imports_sqlcipher3() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "sqlcipher3" in {n.split(".")[0] for n in _imports(path)}:
            assert path.parent.name == "store", f"{path.relative_to(ROOT)} imports sqlcipher3"


def test_ruff_is_clean() -> None:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert exe, "ruff is part of the test extra"
    result = subprocess.run([exe, "check", "--no-cache", "gvm_desktop", "tests"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_types_are_checked() -> None:
    """mypy over gvm_desktop/ with the settings in pyproject.toml: zero errors, and no unused ignore."""
    exe = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    assert exe, "mypy is part of the test extra"
    result = subprocess.run([exe, "--no-incremental"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]
