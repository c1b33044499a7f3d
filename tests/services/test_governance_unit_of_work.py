"""Governance, accounts, agreements, audit forms and the integrity check reach the vault only through an operation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "gvm_desktop" / "services"
CONVERTED = ("accounts.py", "audit_forms.py", "dsa.py", "governance.py", "integrity.py")
# What a service holding a connection, or SQL of its own, looks like.
FORBIDDEN = {
    "a statement": re.compile(r"\.execute\("),
    "the connection": re.compile(r"\bconn\b"),
    "SQL": re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b\s+\w"),
    "the old ways in": re.compile(r"\bws\.(write|authorize|vault|conn)\b"),
}


@pytest.mark.parametrize("name", CONVERTED)
def test_the_service_holds_no_connection_and_no_sql(name: str) -> None:
    text = (SERVICES / name).read_text("utf-8")
    found = {what for what, pattern in FORBIDDEN.items() if pattern.search(text)}
    assert not found, f"services/{name} still uses {sorted(found)}"
