"""What the GUI may touch (issue 12, item 3): services only through the session's operations, never a connection.

Read from the source (the AST, so a comment or a string does not count): no page reaches for a
workspace's connection, vault or transaction, nothing calls services the old synchronous way, and
the worker of its own (TaskRunner) is only where no session exists yet: signing in and unlocking.
What the GUI shows (types, constants, errors, labels) comes from core/; from the services it names only
their classes, for typing (issue 12, item 7).
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
# The demo vault's published accounts, listed on the sign-in window: data of the demo that services/vaults.py creates
# the vault from (and the CLI prints), not a type; it stays beside the code that makes those accounts.
SERVICE_DATA_ALLOWED: set[tuple[str, str, str]] = set()  # none: core holds every type and constant a page names
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


def _type_checking_imports(tree: ast.Module) -> set[ast.AST]:
    """The imports under `if TYPE_CHECKING:` (annotations only: nothing of them runs)."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
                (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
                or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")):
            found.update(n for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Import | ast.ImportFrom))
    return found


def _service_class(module: str, name: str) -> bool:
    """A service, or the session it is called with (services/context.py): what `SessionOps.run` calls are typed with."""
    return name.endswith("Service") or (module == "gvm_desktop.services.context" and name in ("Workspace", "Session"))


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_the_gui_names_services_only_to_type_their_classes(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for_typing = _type_checking_imports(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name.startswith("gvm_desktop.services")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gvm_desktop.services"):
            module = node.module or ""
            for alias in node.names:
                if (_name(path), module, alias.name) in SERVICE_DATA_ALLOWED:
                    continue
                if not _service_class(module, alias.name):
                    found.append(f"line {node.lineno}: {alias.name} from {module} (a type or constant: core/ holds it)")
                elif node not in for_typing:
                    found.append(f"line {node.lineno}: {alias.name} imported outside TYPE_CHECKING")
    assert found == [], f"{_name(path)}: " + "; ".join(found)


def test_the_checks_see_something() -> None:
    """The walk finds the GUI (an empty glob would pass every check above)."""
    names = {_name(p) for p in _modules()}
    assert {"common/operations.py", "matrix/matrix_model.py", "shell/main_window.py"} <= names
