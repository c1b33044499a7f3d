"""Vault metadata and the settings table."""

from __future__ import annotations

from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound


def get_meta(conn: Connection, key: str) -> str | None:
    r = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return r[0] if r else None


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


def get_setting(conn: Connection, key: str) -> str | None:
    r = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return r[0] if r else None


def set_setting(conn: Connection, key: str, value: str, at: str, by: int | None) -> None:
    conn.execute(
        "INSERT INTO settings (key, value, changed_at, changed_by) VALUES (?,?,?,?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at, "
        "changed_by = excluded.changed_by",
        (key, value, at, by),
    )


def delete_meta(conn: Connection, key: str) -> None:
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))


class MetaRepository(Repository):
    """The vault's settings and internal marks."""

    __slots__ = ()

    get_meta = bound(get_meta)
    set_meta = bound(set_meta)
    get_setting = bound(get_setting)
    set_setting = bound(set_setting)
    delete_meta = bound(delete_meta)
