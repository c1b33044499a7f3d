"""How an access-log entry's coded fields are worded on paper (shared by the pack and the form)."""

from __future__ import annotations

from gvm_desktop.core.audit import LogEntry, Outcome
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.people import bcu_name
from gvm_desktop.core.policy import Role

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def role_label(code: str | None) -> str:
    """The log keeps the role's code; print its label, or the code itself if it is no longer a known role."""
    if not code:
        return "-"
    try:
        return Role(code).label
    except ValueError:
        return code


def bcu_label(code: str | None) -> str:
    if not code:
        return "-"
    try:
        return f"{code} {bcu_name(code)}"
    except KeyError:
        return code


def reason_label(code: str | None) -> str:
    if not code:
        return "-"
    try:
        return ReasonCategory(code).label
    except ValueError:
        return code


def action_code(entry: LogEntry) -> str:
    return str(getattr(entry.action, "value", entry.action))


def outcome_code(entry: LogEntry) -> str:
    return str(getattr(entry.outcome, "value", entry.outcome))


def is_alert(entry: LogEntry) -> bool:
    """Refused and failed attempts are what an auditor looks for first."""
    return outcome_code(entry) != Outcome.ALLOWED.value
