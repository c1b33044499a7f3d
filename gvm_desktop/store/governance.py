"""Training records and BCU access grants."""

from __future__ import annotations

from datetime import date

from gvm_desktop.core.governance import TrainingRecord
from gvm_desktop.store.database import Connection


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
