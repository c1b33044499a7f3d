"""Resolving a record reference within what the session may reach, logging every refusal."""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.errors import GvmError, NotFound
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, nominals


@dataclass(frozen=True)
class Target:
    id: int
    ref: str
    bcu: str
    status: str


def log_outcome(ws: Workspace, entry: LogEntry) -> None:
    """Commit one entry on its own: a refusal or failure is logged even though the call then raises."""
    with ws.write() as conn:
        access_log.append(conn, entry)


def refuse(ws: Workspace, action: Action, error: GvmError, *, record_ref: str | None = None,
           outcome: Outcome = Outcome.REFUSED, logged_reason: str | None = None) -> GvmError:
    """Log the refusal, then hand back the error to raise.

    `logged_reason` is for when the auditor must read more than the user may be told:
    the log keeps the true reason, the user sees `error`.
    """
    log_outcome(ws, ws.entry(action, outcome, record_ref=record_ref, detail=logged_reason or error.message))
    return error


def no_live_record(ref: str) -> NotFound:
    """The one answer for a reference the session cannot have: missing, removed, or another BCU's."""
    return NotFound(f"There is no live record {ref or '(empty)'}.")


def resolve(ws: Workspace, ref: str, action: Action, *, statuses: tuple[str, ...] = ("proposed", "active")) -> Target:
    """The live record `ref`, if this session's BCU covers it. Auditors reach every BCU.

    Another BCU's reference is refused in the very words (and with the very error) of one
    that does not exist: saying where it is would tell an officer that the person is held,
    and by whom. Asking that is the status check's job, which is justified and logged as such.
    The access log still records the refusal as outside the BCU, for the auditor's flags.
    """
    clean_ref = (ref or "").strip().upper()[:20]
    found = nominals.by_ref(ws.conn, clean_ref)
    if found is None or found[2] not in statuses:
        raise refuse(ws, action, no_live_record(clean_ref), record_ref=clean_ref or None, outcome=Outcome.FAILED)
    nominal_id, bcu, status = found
    s = ws.session
    if s.role is not Role.AUDITOR and bcu != s.bcu:
        raise refuse(ws, action, no_live_record(clean_ref), record_ref=clean_ref, logged_reason=(
            f"{clean_ref} belongs to BCU {bcu}; your access is limited to BCU {s.bcu}."))
    return Target(nominal_id, clean_ref, bcu, status)
