"""Rows of the users table."""

from __future__ import annotations

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Role, bcus_keyed
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound

_COLS = "id, username, display_name, role, bcu, status, created_at, last_signin_at, slot_version"


def _account(r: tuple) -> Account:
    return Account(r[0], r[1], r[2], Role(r[3]), r[4], r[5], r[6], r[7], r[8])


def insert(
    conn: Connection,
    *,
    username: str,
    display_name: str,
    role: Role,
    bcu: str | None,
    locator: str,
    created_at: str,
    created_by: int | None,
) -> int:
    cur = conn.execute(
        "INSERT INTO users (username, display_name, role, bcu, locator, created_at, created_by) "
        "VALUES (?,?,?,?,?,?,?)",
        (username, display_name, role.value, bcu, locator, created_at, created_by),
    )
    return int(cur.lastrowid or 0)


def by_username(conn: Connection, username: str) -> Account | None:
    r = conn.execute(f"SELECT {_COLS} FROM users WHERE username = ?", (username,)).fetchone()
    return _account(r) if r else None


def by_id(conn: Connection, user_id: int) -> Account | None:
    r = conn.execute(f"SELECT {_COLS} FROM users WHERE id = ?", (user_id,)).fetchone()
    return _account(r) if r else None


def by_locator(conn: Connection, locator: str) -> Account | None:
    r = conn.execute(f"SELECT {_COLS} FROM users WHERE locator = ?", (locator,)).fetchone()
    return _account(r) if r else None


def all_accounts(conn: Connection) -> list[Account]:
    return [_account(r) for r in conn.execute(f"SELECT {_COLS} FROM users ORDER BY username")]


def set_disabled(conn: Connection, user_id: int, at: str) -> None:
    conn.execute("UPDATE users SET status = 'disabled', disabled_at = ? WHERE id = ?", (at, user_id))


def set_slot_version(conn: Connection, user_id: int, version: int) -> None:
    conn.execute("UPDATE users SET slot_version = ? WHERE id = ?", (version, user_id))


def touch_signin(conn: Connection, user_id: int, at: str) -> None:
    conn.execute("UPDATE users SET last_signin_at = ? WHERE id = ?", (at, user_id))


def count_active_admins(conn: Connection) -> int:
    return int(
        conn.execute("SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active'").fetchone()[0]
    )


def keyed_bcus(conn: Connection) -> dict[int, frozenset[str]]:
    """Each active account's BCUs whose compartment keys its role entitles it to (core.policy.bcus_keyed)."""
    rows = conn.execute("SELECT id, role, bcu, bcu_access_granted_at FROM users WHERE status = 'active'")
    return {int(uid): bcus_keyed(Role(role), bcu, granted is not None, frozenset(BCUS)) for uid, role, bcu, granted in rows}


def keyed_compartments(conn: Connection, today: str) -> dict[int, frozenset[str]]:
    """Each active account's compartment keys (names, "bcu:CE", "dsa:7") by role and the agreements in force.

    A partner holds their agreement's preview while it is in force; the officers and SPOCs of the
    agreement's BCU hold it too, because their changes keep it current in the same transaction.
    """
    in_force = {int(i): b for i, b in conn.execute("SELECT id, bcu FROM dsa WHERE starts_on <= ? AND ends_on >= ?",
                                                  (today, today))}
    partners = dict(conn.execute("SELECT id, dsa_id FROM users WHERE status = 'active' AND role = 'partner' "
                                 "AND dsa_id IS NOT NULL").fetchall())
    roles = dict(conn.execute("SELECT id, role FROM users WHERE status = 'active'").fetchall())
    out: dict[int, frozenset[str]] = {}
    for uid, codes in keyed_bcus(conn).items():
        names = {f"bcu:{code}" for code in codes} | ({"status"} if codes else set())
        if roles.get(uid) in ("officer", "spoc"):
            names |= {f"dsa:{d}" for d, b in in_force.items() if b in codes}
        if partners.get(uid) in in_force:
            names.add(f"dsa:{partners[uid]}")
        out[uid] = frozenset(names)
    return out


class AccountsRepository(Repository):
    """User accounts."""

    __slots__ = ()

    insert = bound(insert)
    by_username = bound(by_username)
    by_id = bound(by_id)
    by_locator = bound(by_locator)
    all_accounts = bound(all_accounts)
    set_disabled = bound(set_disabled)
    set_slot_version = bound(set_slot_version)
    touch_signin = bound(touch_signin)
    count_active_admins = bound(count_active_admins)
    keyed_bcus = bound(keyed_bcus)
    keyed_compartments = bound(keyed_compartments)
