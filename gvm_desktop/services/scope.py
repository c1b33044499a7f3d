"""Resolving a record reference within what the session may reach, inside an operation that logs every refusal."""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.errors import NotFound
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Operation


@dataclass(frozen=True)
class Target:
    """A live record this session may reach: what resolve() hands back."""

    id: int
    ref: str
    bcu: str
    status: str


def no_live_record(ref: str) -> NotFound:
    """The one answer for a reference the session cannot have: missing, removed, or another BCU's."""
    return NotFound(f"There is no live record {ref or '(empty)'}.")


def resolve(op: Operation, ref: str, action: Action | None = None, *,
            statuses: tuple[str, ...] = ("proposed", "active")) -> Target:
    """The live record `ref`, if this session's BCU covers it. Auditors reach every BCU.

    Refused with `raise op.refuse(...)`: the operation rolls back and logs the refusal under
    `action` (the operation's own if not given).

    Another BCU's reference is refused in the very words (and with the very error) of one
    that does not exist: saying where it is would tell an officer that the person is held,
    and by whom. Asking that is the status check's job, which is justified and logged as such.
    The access log still records the refusal as outside the BCU, for the auditor's flags.
    """
    clean_ref = (ref or "").strip().upper()[:20]
    found = op.store.nominals.by_ref(clean_ref)
    s = op.session
    if found is None:
        # Not in a compartment this session holds: the reference index in common says whether it is elsewhere.
        held = op.store.person_index.by_ref(clean_ref)
        if held is not None and held.status in statuses and s.role is not Role.AUDITOR and held.bcu != s.bcu:
            raise op.refuse(no_live_record(clean_ref), action=action, record_ref=clean_ref, logged_reason=(
                f"{clean_ref} belongs to BCU {held.bcu}; your access is limited to BCU {s.bcu}."))
    if found is None or found.status not in statuses:
        raise op.refuse(no_live_record(clean_ref), action=action, record_ref=clean_ref or None, outcome=Outcome.FAILED)
    if s.role is not Role.AUDITOR and found.bcu != s.bcu:
        raise op.refuse(no_live_record(clean_ref), action=action, record_ref=clean_ref, logged_reason=(
            f"{clean_ref} belongs to BCU {found.bcu}; your access is limited to BCU {s.bcu}."))
    return Target(found.id, clean_ref, found.bcu, found.status)

