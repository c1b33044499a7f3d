"""Imports go one way (docs/architecture.md): checked by import-linter inside the suite, so a breach fails it."""

from __future__ import annotations

import ast
import re
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


# -- one unit of work (issue 12) -------------------------------------------------------------------------

_SQL = re.compile(
    r"\bSELECT\b[\s\S]+\bFROM\b|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bPRAGMA\b"
    r"|\bVACUUM\b|\bBEGIN\s+(?:IMMEDIATE|DEFERRED|EXCLUSIVE)\b|\bCREATE\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b"
    r"|\bWHERE\s+\w+(?:\.\w+)?\s*(?:=|<|>|IN\b|LIKE\b|IS\b)"
)


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant but docstrings (which may well say "BEGIN IMMEDIATE" about a transaction)."""
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_services_hold_no_sql() -> None:
    """The store is the only place that knows the schema: no execute() and no SQL text in services/."""
    for path in sorted((PACKAGE / "services").rglob("*.py")):
        text = path.read_text("utf-8")
        assert "execute(" not in text, f"{path.relative_to(ROOT)} runs SQL"
        for line, value in _strings(ast.parse(text)):
            assert not _SQL.search(value), f"{path.relative_to(ROOT)}:{line} holds SQL: {value[:60]!r}"


def test_the_sql_check_catches_what_it_is_for() -> None:
    caught = ["SELECT id FROM nominals WHERE ref = ?", "UPDATE users SET dsa_id = ? WHERE id = ?", "VACUUM",
              "INSERT INTO dsa (organisation) VALUES (?)", "DELETE FROM audit_forms", "PRAGMA integrity_check",
              " WHERE f.id = ?"]
    missed = ["Update the record", "Select a person from the list", "The review was deleted from view.",
              "where the person lives", "Created a vault"]
    assert all(_SQL.search(s) for s in caught)
    assert not any(_SQL.search(s) for s in missed)


# bench/ has its own contract (tests/test_bench_contract.py): its baselines use plain sqlite3 connections.
_OUTSIDE_STORE = ("services", "gui", "cli", "reports")
_STORE_INSIDES = {"conn", "_conn", "_vault", "_open_vault", "cursor", "executescript", "executemany"}


def test_no_connection_is_reachable_outside_the_store() -> None:
    """Nothing outside store/ names a connection; the workspace's own internals stay in context.py."""
    for layer in _OUTSIDE_STORE:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr in _STORE_INSIDES:
                    if path.name == "context.py" and node.attr in {"_vault", "_open_vault"}:
                        continue
                    raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} reaches .{node.attr}")
                if isinstance(node, ast.arg) and node.arg == "conn":
                    raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} takes a connection")


def test_the_workspace_has_one_way_in() -> None:
    from gvm_desktop.services.context import Workspace

    public = {name for name in dir(Workspace) if not name.startswith("_")}
    assert public == {"operation", "entry", "locked"}, public


# Store modules a service may import: the unit of work and its protocols, and the vault's own
# machinery (key slots, sign-in throttle, file paths, device secret, signing keys) that holds no table.
_SERVICE_MAY_IMPORT_FROM_STORE = {"unit", "protocols", "vault", "keyslots", "throttle", "files", "device", "signing", "pki",
                                  "integrity"}


def test_services_reach_tables_only_through_the_unit_of_work() -> None:
    for path in sorted((PACKAGE / "services").rglob("*.py")):
        for name in _imports(path):
            if name == "gvm_desktop.store":
                continue
            if name.startswith("gvm_desktop.store."):
                module = name.split(".")[2]
                assert module in _SERVICE_MAY_IMPORT_FROM_STORE, f"{path.relative_to(ROOT)} imports {name}"
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "gvm_desktop.store":
                names = {a.name for a in node.names}
                assert names <= _SERVICE_MAY_IMPORT_FROM_STORE, f"{path.relative_to(ROOT)} imports {names}"


# Which store module may write which tables (docs/architecture.md has the same table). A column of
# `users` that belongs to one concern is written by that concern's module: the partner's agreement
# (agreements), the matrix-access grant (governance), the slot's public key (vault).
_WRITES = {
    "access_log": set(),
    "log_chain": {"access_log", "log_state"},
    "accounts": {"users"},
    "agreements": {"dsa", "users"},
    "governance": {"training", "users"},
    "audit_forms": {"audit_forms"},
    "certificates": {"certificate_authority", "signing_keys"},
    "disclosures": {"disclosures"},
    "meta": {"meta", "settings"},
    "nominals": {"nominals", "nominal_aliases", "nominal_search"},
    "records": {"nominals", "nominal_aliases", "nominal_search", "nominal_versions", "evidence", "interventions",
                "police_activity", "proposals", "archive"},
    "reference_population": {"reference_population"},
    "reviews": {"reviews", "review_items", "review_purges"},
    "vault": {"users"},
    "monthly_audit": set(),
    "integrity": set(),
    "database": set(),
    "person_index": {"person_index", "archive_index"},
    "status_tags": {"status_index"},
    # Moves every per-BCU table out of common into the BCU compartments, once: like migrations, by design.
    "compartment_split": {"main"},
}
_WRITE = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+([a-z_]+)")


def test_each_table_is_written_by_the_module_named_for_it() -> None:
    """A reader tells where a table's SQL lives from the file names alone."""
    for path in sorted((PACKAGE / "store").glob("*.py")):
        if path.stem == "migrations":
            continue  # creates and changes every table, by design
        written = {m.group(1) for _, value in _strings(ast.parse(path.read_text("utf-8")))
                   for m in _WRITE.finditer(value)} - {"temp"}
        if written:
            assert path.stem in _WRITES, f"store/{path.name} writes {sorted(written)} but owns no table"
            assert written <= _WRITES[path.stem], f"store/{path.name} writes {sorted(written - _WRITES[path.stem])}"


def test_every_type_ignore_says_why() -> None:
    """No `type: ignore` without a code and a comment saying why (mypy's own check catches unused ones)."""
    explained = re.compile(r"# type: ignore\[[a-z_,-]+\]\s+#\s*\S")
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if "type: ignore" in line:
                assert explained.search(line), f"{path.relative_to(ROOT)}:{number} ignores a type error unexplained"
