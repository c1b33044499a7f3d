"""How an access-log entry's coded fields are read on paper (shared by the pack and the form).

The words for roles, reasons and outcomes are the application's one set, in core/labels.py.
"""

from __future__ import annotations

from gvm_desktop.core.audit import LogEntry, Outcome
from gvm_desktop.core.people import bcu_name

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def bcu_label(code: str | None) -> str:
    if not code:
        return "-"
    try:
        return f"{code} {bcu_name(code)}"
    except KeyError:
        return code


def action_code(entry: LogEntry) -> str:
    return str(getattr(entry.action, "value", entry.action))


def outcome_code(entry: LogEntry) -> str:
    return str(getattr(entry.outcome, "value", entry.outcome))


def is_alert(entry: LogEntry) -> bool:
    """Refused and failed attempts are what an auditor looks for first."""
    return outcome_code(entry) != Outcome.ALLOWED.value
