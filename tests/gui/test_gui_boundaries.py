"""What the GUI may touch (issue 12, item 3): services only through the session's operations, never a connection.

Read from the source (the AST, so a comment or a string does not count): no page reaches for a
workspace's connection, vault or transaction, nothing calls services the old synchronous way, and
the worker of its own (TaskRunner) is only where no session exists yet: signing in and unlocking.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GUI = Path(__file__).resolve().parents[2] / "gvm_desktop" / "gui"
# Argon2id runs before a workspace is open (sign-in) or while it is locked (unlock): no SessionOps then.
TASK_RUNNER_ALLOWED = {"shell/signin.py", "shell/lock.py", "common/worker.py"}
# Only the shell holds the App: it signs in, unlocks, signs out and builds the session's operations.
APP_ALLOWED = {"shell/main.py", "shell/main_window.py", "shell/signin.py", "shell/lock.py"}
FORBIDDEN_ATTRIBUTES = {
    "conn": "a connection",
    "vault": "the vault object",
    "write": "a write transaction",
    "authorize": "an authorization outside a service",
    "call_service": "the old synchronous call helper",
    "run_task": "the old background-task helper",
}


def _modules() -> list[Path]:
    return sorted(p for p in GUI.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(GUI).as_posix()


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_gui_module_reaches_past_the_services(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr} ({FORBIDDEN_ATTRIBUTES[node.attr]})")
        elif isinstance(node, ast.Name | ast.FunctionDef) and getattr(node, "id", getattr(node, "name", "")) in (
                "call_service", "run_task"):
            found.append(f"line {node.lineno}: {getattr(node, 'id', getattr(node, 'name', ''))}")
    assert found == [], f"{_name(path)}: " + "; ".join(found)


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_only_sign_in_and_unlock_make_a_worker_of_their_own(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    made = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "TaskRunner"]
    assert not made or _name(path) in TASK_RUNNER_ALLOWED, f"{_name(path)} makes a TaskRunner at lines {made}"


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_only_the_shell_holds_the_app(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imports = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module == "gvm_desktop.app"]
    assert not imports or _name(path) in APP_ALLOWED, f"{_name(path)} imports the App at lines {imports}"


def test_the_checks_see_something() -> None:
    """The walk finds the GUI (an empty glob would pass every check above)."""
    names = {_name(p) for p in _modules()}
    assert {"common/operations.py", "matrix/matrix_model.py", "shell/main_window.py"} <= names
