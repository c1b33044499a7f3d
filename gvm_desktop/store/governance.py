"""Training records and BCU access grants."""

from __future__ import annotations

from datetime import date

from gvm_desktop.core.governance import GrantedOfficer, TrainingRecord
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


def granted_officers(conn: Connection, bcu: str | None) -> list[GrantedOfficer]:
    """The active officers holding a grant, of one BCU or (None) of all."""
    rows = conn.execute(
        "SELECT id, username, bcu_access_granted_at FROM users WHERE role = 'officer' AND status = 'active' "
        "AND bcu_access_granted_at IS NOT NULL AND (? IS NULL OR bcu = ?) ORDER BY id", (bcu, bcu)).fetchall()
    return [GrantedOfficer(int(r[0]), str(r[1]), str(r[2])) for r in rows]


class GovernanceRepository(Repository):
    """Training records, matrix-access grants and audit answers about accounts."""

    __slots__ = ()

    add_training = bound(add_training)
    training = bound(training)
    set_grant = bound(set_grant)
    granted = bound(granted)
    granted_at = bound(granted_at)
    granted_officers = bound(granted_officers)
    # The audit forms' own repository (unit.audit_forms) holds these; kept here until changes.py reads them there.
