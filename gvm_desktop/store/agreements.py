"""The dsa table (data sharing agreements) and the partner accounts linked to one (users.dsa_id)."""

from __future__ import annotations

from datetime import date

from gvm_desktop.core.agreements import Agreement
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound

_SQL = "SELECT id, organisation, bcu, fields, starts_on, ends_on FROM dsa"


def _agreement(r: tuple) -> Agreement:
    return Agreement(int(r[0]), r[1], r[2], tuple(f for f in r[3].split(",") if f), date.fromisoformat(r[4]),
                     date.fromisoformat(r[5]))


def add(conn: Connection, *, organisation: str, bcu: str, fields: tuple[str, ...], starts_on: date, ends_on: date,
        at: str, by: int) -> int:
    cur = conn.execute(
        "INSERT INTO dsa (organisation, bcu, fields, starts_on, ends_on, created_at, created_by) VALUES (?,?,?,?,?,?,?)",
        (organisation, bcu, ",".join(fields), starts_on.isoformat(), ends_on.isoformat(), at, by))
    return int(cur.lastrowid or 0)


def by_id(conn: Connection, dsa_id: int) -> Agreement | None:
    r = conn.execute(f"{_SQL} WHERE id = ?", (dsa_id,)).fetchone()
    return _agreement(r) if r else None


def of_user(conn: Connection, user_id: int) -> Agreement | None:
    """The agreement a partner account previews under, if one is linked."""
    r = conn.execute(f"{_SQL} WHERE id = (SELECT dsa_id FROM users WHERE id = ?)", (user_id,)).fetchone()
    return _agreement(r) if r else None


def all_agreements(conn: Connection) -> list[Agreement]:
    return [_agreement(r) for r in conn.execute(f"{_SQL} ORDER BY id")]


def link_user(conn: Connection, user_id: int, dsa_id: int) -> None:
    conn.execute("UPDATE users SET dsa_id = ? WHERE id = ?", (dsa_id, user_id))


def partners_of(conn: Connection, dsa_id: int) -> list[int]:
    """The accounts linked to the agreement, disabled ones too (their slot may still hold its key)."""
    return [int(r[0]) for r in conn.execute("SELECT id FROM users WHERE dsa_id = ? ORDER BY id", (dsa_id,))]


def set_end(conn: Connection, dsa_id: int, ends_on: date) -> None:
    """The agreement's last day in force becomes `ends_on` (ended early)."""
    conn.execute("UPDATE dsa SET ends_on = ? WHERE id = ?", (ends_on.isoformat(), dsa_id))


class AgreementsRepository(Repository):
    """Data sharing agreements and the partner accounts that preview under them."""

    __slots__ = ()

    add = bound(add)
    by_id = bound(by_id)
    of_user = bound(of_user)
    all_agreements = bound(all_agreements)
    link_user = bound(link_user)
    partners_of = bound(partners_of)
    set_end = bound(set_end)
