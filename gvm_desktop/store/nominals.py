"""Rows of the nominals tables (the matrix issue extends this)."""

from __future__ import annotations

from collections.abc import Iterable

from gvm_desktop.core.people import NominalDraft
from gvm_desktop.store.database import Connection


def insert_many(
    conn: Connection, drafts: Iterable[NominalDraft], *, status: str, at: str, created_by: int | None
) -> int:
    """Insert people with references N-000001, N-000002... inside the caller's transaction."""
    start = int(conn.execute("SELECT coalesce(max(id), 0) FROM nominals").fetchone()[0])
    count = 0
    for offset, d in enumerate(drafts, start=1):
        nid = start + offset
        conn.execute(
            "INSERT INTO nominals (id, ref, given_name, family_name, date_of_birth, gender, ethnicity, "
            "disability, address, postcode, borough, bcu, status, created_at, created_by) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                nid, f"N-{nid:06d}", d.given_name, d.family_name, d.date_of_birth.isoformat(), d.gender,
                d.ethnicity, d.disability, d.address, d.postcode, d.borough, d.bcu, status, at, created_by,
            ),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO nominal_aliases (nominal_id, alias) VALUES (?, ?)",
            [(nid, a) for a in d.aliases],
        )
        count += 1
    return count


def count_by_status(conn: Connection, bcu: str) -> dict[str, int]:
    rows = conn.execute("SELECT status, count(*) FROM nominals WHERE bcu = ? GROUP BY status", (bcu,))
    return {status: int(n) for status, n in rows}

