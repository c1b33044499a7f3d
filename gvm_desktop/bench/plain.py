"""The baselines: the same work done the plainest way, with plain SQLite and hashlib.

Plain SQLite is the vault's own SQLite build without a key (`store.database.plain_connect`,
same version and page cache), so a figure differs from its baseline by the cipher and the
product's work only. Python's sqlite3 will not do: its SQLite (3.40 here) cannot read the
vault's name index (FTS5 `contentless_delete` needs 3.43).

This is the one bench module that runs SQL, only on databases the bench made for itself
(the decrypted copy of the throw-away vault, a scratch log), never on a vault, and it
imports nothing from gvm_desktop but `plain_connect`. tests/test_bench_contract.py holds
it to that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from gvm_desktop.store.database import Connection, plain_connect

_LIVE = "('proposed','active')"
_LOG_COLUMNS = ("seq", "at_utc", "tz", "workstation", "user_id", "username", "role", "bcu", "action", "record_ref",
                "reason_category", "justification", "outcome", "detail", "operation_ref")
_CANONICAL = f"SELECT json_array({', '.join(_LOG_COLUMNS)}) FROM access_log ORDER BY seq"
_PAGE = 200


def connect(path: Path) -> Connection:
    return plain_connect(path)


def counts_by_status(conn: Connection, bcu: str) -> None:
    """The matrix's first query: people by status, and the removed still inside retention."""
    conn.execute("SELECT status, count(*) FROM nominals WHERE bcu = ? GROUP BY status", (bcu,)).fetchall()
    conn.execute("SELECT count(*) FROM archive WHERE bcu = ?", (bcu,)).fetchone()


def open_and_count(path: Path, bcu: str) -> None:
    conn = connect(path)
    counts_by_status(conn, bcu)
    conn.close()


def first_screen(path: Path, bcu: str, rows: int) -> None:
    """Open the copy, list the BCU's live ids in the matrix's order, read the first `rows` of them."""
    conn = connect(path)
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM nominals WHERE status IN {_LIVE} AND bcu = ? "
        "ORDER BY family_name COLLATE NOCASE, given_name COLLATE NOCASE, id", (bcu,))]
    part = ids[:rows]
    conn.execute(f"SELECT * FROM nominals WHERE id IN ({','.join('?' * len(part))})", part).fetchall()
    conn.close()


def family_names(conn: Connection, bcu: str, limit: int) -> list[str]:
    return [r[0] for r in conn.execute("SELECT family_name FROM nominals WHERE bcu = ? LIMIT ?", (bcu, limit))]


def active_refs(conn: Connection, bcu: str, limit: int = -1) -> list[str]:
    return [r[0] for r in conn.execute("SELECT ref FROM nominals WHERE bcu = ? AND status = 'active' ORDER BY id "
                                       "LIMIT ?", (bcu, limit))]


def search(conn: Connection, match: str | None, bcu: str) -> None:
    """The name search's FTS5 query (`match` as the product words it), on the copy."""
    if match is None:
        return
    conn.execute(f"SELECT n.id FROM nominals n JOIN nominal_search s ON s.rowid = n.id WHERE nominal_search MATCH ? "
                 f"AND n.bcu = ? AND n.status IN {_LIVE} ORDER BY n.family_name COLLATE NOCASE",
                 (match, bcu)).fetchall()


def open_record(conn: Connection, ref: str) -> None:
    """A record's reads: the person, aliases, evidence, interventions, police activity."""
    (nid,) = conn.execute("SELECT id FROM nominals WHERE ref = ?", (ref,)).fetchone()
    for table, key in (("nominals", "id"), ("nominal_aliases", "nominal_id"), ("evidence", "nominal_id"),
                       ("interventions", "nominal_id"), ("police_activity", "nominal_id")):
        conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (nid,)).fetchall()


class ScratchLog:
    """A one-table log in its own file (WAL, synchronous=FULL, as the vault): one committed row per append."""

    def __init__(self, folder: Path) -> None:
        self.db = plain_connect(folder / "log.db")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, at TEXT, who TEXT, action TEXT, ref TEXT, "
                          "why TEXT)")

    def append(self) -> None:
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO log (at, who, action, ref, why) VALUES ('t', 'u', 'record.open', 'N-1', 'why')")
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


def add_log_entries(conn: Connection, entries: Iterable[Sequence[object]]) -> int:
    """Append entries (fields in column order, without seq) to the copy's access log, so it holds the rows
    the product's log holds; returns how many it holds in all. The hashes and MACs are there to give the
    rows their size (nothing verifies them), computed with hashlib at the product's cost per entry."""
    (last,) = conn.execute("SELECT coalesce(max(seq), 0) FROM access_log").fetchone()
    sql = (f"INSERT INTO access_log ({', '.join(_LOG_COLUMNS)}, entry_hash, mac) "
           f"VALUES ({', '.join('?' * (len(_LOG_COLUMNS) + 2))})")
    prev, key = bytes(32), bytes(32)
    conn.execute("BEGIN")
    batch: list[tuple[object, ...]] = []
    for seq, values in enumerate(entries, start=int(last) + 1):
        row = (seq, *values)
        prev = hashlib.sha256(prev + repr(row).encode()).digest()
        batch.append((*row, prev, hashlib.blake2b(prev, key=key, digest_size=32).digest()))
        key = hashlib.sha256(key).digest()
        if len(batch) == 50_000:
            conn.executemany(sql, batch)
            batch.clear()
    conn.executemany(sql, batch)
    conn.execute("COMMIT")
    return int(conn.execute("SELECT count(*) FROM access_log").fetchone()[0])


def canonical_rows(conn: Connection) -> list[bytes]:
    """Every entry in SQLite's json_array form, the form the product's chain hashes."""
    return [text.encode() for (text,) in conn.execute(_CANONICAL)]


def hash_chain(rows: Sequence[bytes]) -> bytes:
    """The plainest chain walk: SHA-256 over each row and the hash before it, one loop."""
    h = bytes(32)
    for canonical in rows:
        h = hashlib.sha256(h + canonical).digest()
    return h


def log_by_record(conn: Connection, ref: str) -> None:
    conn.execute("SELECT * FROM access_log WHERE record_ref = ? AND action IN ('record.open') "
                 f"ORDER BY seq DESC LIMIT {_PAGE + 1}", (ref,)).fetchall()


def log_by_action(conn: Connection, action: str, outcome: str) -> None:
    conn.execute(f"SELECT * FROM access_log WHERE action IN (?) AND outcome = ? ORDER BY seq DESC LIMIT {_PAGE + 1}",
                 (action, outcome)).fetchall()


def log_page(conn: Connection, before: int | None) -> int | None:
    """One page of the unfiltered log, newest first, older than `before`; the next page's bound, None at the end."""
    rows = conn.execute(f"SELECT * FROM access_log WHERE seq < ? ORDER BY seq DESC LIMIT {_PAGE + 1}",
                        (before if before is not None else 2**62,)).fetchall()
    return int(rows[-2][0]) if len(rows) > _PAGE else None
