"""Training records and BCU access grants."""

from __future__ import annotations

from datetime import date

from gvm_desktop.core.governance import TrainingRecord
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound


def add_training(conn: Connection, user_id: int, course: str, completed_on: date, expires_on: date, at: str,
                 by: int | None) -> int:
    cur = conn.execute(
        "INSERT INTO training (user_id, course, completed_on, expires_on, recorded_at, recorded_by) VALUES (?,?,?,?,?,?)",
        (user_id, course, completed_on.isoformat(), expires_on.isoformat(), at, by),
    )
    return int(cur.lastrowid or 0)


def training(conn: Connection, user_id: int) -> list[TrainingRecord]:
    return [TrainingRecord(r[0], date.fromisoformat(r[1]), date.fromisoformat(r[2])) for r in conn.execute(
        "SELECT course, completed_on, expires_on FROM training WHERE user_id = ? ORDER BY expires_on DESC", (user_id,))]


def set_grant(conn: Connection, user_id: int, at: str | None, by: int | None) -> None:
    conn.execute("UPDATE users SET bcu_access_granted_at = ?, bcu_access_granted_by = ? WHERE id = ?", (at, by, user_id))


def granted(conn: Connection, user_id: int) -> bool:
    row = conn.execute("SELECT bcu_access_granted_at FROM users WHERE id = ?", (user_id,)).fetchone()
    return bool(row and row[0])


def granted_at(conn: Connection, user_id: int) -> str | None:
    """When the SPOC last granted this account the BCU's matrix (None: not granted now)."""
    row = conn.execute("SELECT bcu_access_granted_at FROM users WHERE id = ?", (user_id,)).fetchone()
    return row[0] if row and row[0] else None


def granted_officers(conn: Connection, bcu: str | None) -> list[tuple[int, str, str]]:
    """(id, username, granted_at) of the active officers holding a grant, of one BCU or (None) of all."""
    rows = conn.execute(
        "SELECT id, username, bcu_access_granted_at FROM users WHERE role = 'officer' AND status = 'active' "
        "AND bcu_access_granted_at IS NOT NULL AND (? IS NULL OR bcu = ?) ORDER BY id", (bcu, bcu)).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def audit_answers_about(conn: Connection, ref: str) -> list[tuple[int, str]]:
    """(form id, answer) of every answered audit form whose log entry is about record `ref`."""
    rows = conn.execute(
        "SELECT f.id, f.answer FROM audit_forms f JOIN access_log a ON a.seq = f.log_seq "
        "WHERE a.record_ref = ? AND f.answer IS NOT NULL ORDER BY f.id", (ref,)).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def replace_audit_answer(conn: Connection, form_id: int, answer: str) -> None:
    """Overwrite a recorded answer (a removal scrubs the person out of it); when it was recorded stays."""
    conn.execute("UPDATE audit_forms SET answer = ? WHERE id = ?", (answer, form_id))


class GovernanceRepository(Repository):
    """Training records, matrix-access grants and audit answers about accounts."""

    __slots__ = ()

    add_training = bound(add_training)
    training = bound(training)
    set_grant = bound(set_grant)
    granted = bound(granted)
    granted_at = bound(granted_at)
    granted_officers = bound(granted_officers)
    audit_answers_about = bound(audit_answers_about)
    replace_audit_answer = bound(replace_audit_answer)
