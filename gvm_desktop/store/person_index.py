"""The reference index in common: `person_index` and `archive_index`, every BCU's people by reference alone.

What an auditor and the administrator need across BCUs cannot come from the BCU
compartments: SQLite attaches at most ten files to a connection, and the administrator
holds no BCU key at all. So common keeps, per person, the record's id, reference, BCU
and status, and per archive row its reference, BCU, removal and purge dates: enough to
list references across BCUs, to say which compartment to attach for a record, and to
count and order the retention purge; nothing that identifies a person beyond the
reference (no name, date of birth, address or alias).

Kept in the same transaction as every change to a person:
- while people are in common (a vault not yet split), by triggers stored beside the
  tables (migration 10);
- once they are in BCU compartments, by the TEMP triggers in `SESSION_TRIGGERS`, which
  `compartments.install_views` puts on each held compartment's `nominals` and `archive`.
  A trigger stored in a compartment could not write common; a TEMP trigger can, and
  fires for writes through the views and straight into the compartment's tables alike.

A holder of a BCU's key can change that compartment on a connection of their own, with
no such trigger, so the index can drift from the file: `reconcile` rewrites one file's
rows from the file itself. The index's BCU of a compartment's row is the compartment's
code (where the person is), whatever the row's own `bcu` column says.

Names here are unqualified: SQLite looks in temp, then main, then the attached files, and
these tables are in main alone, so every statement reaches common's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gvm_desktop.core.person_index import IndexRepair, IndexRow
from gvm_desktop.store import compartments as cx
from gvm_desktop.store.database import Connection
from gvm_desktop.store.nominals import LIVE
from gvm_desktop.store.repository import Repository, bound

_PEOPLE_UPSERT = (
    "INSERT INTO person_index (id, ref, bcu, status) VALUES (NEW.id, NEW.ref, {bcu}, NEW.status) "
    "ON CONFLICT (id) DO UPDATE SET ref = excluded.ref, bcu = excluded.bcu, status = excluded.status;"
)


@dataclass(frozen=True)
class IndexTrigger:
    """A trigger keeping the index current from one per-BCU table, installed by a session on each held compartment.

    `event` follows AFTER in the trigger's head and `when`, if any, WHEN; `body` has `{bcu}` where
    the compartment's code goes.
    """

    name: str
    table: str
    event: str
    body: str
    when: str | None = None

    def body_for(self, code: str) -> str:
        return self.body.replace("{bcu}", f"'{cx.bcu(code).label}'")  # a checked code: [A-Z]{2,4}


SESSION_TRIGGERS: tuple[IndexTrigger, ...] = (
    IndexTrigger("person_index_added", "nominals", "INSERT", _PEOPLE_UPSERT),
    # An update through the views sets every column: only a change of what the index holds rewrites it.
    IndexTrigger("person_index_changed", "nominals", "UPDATE OF id, ref, bcu, status",
                 "DELETE FROM person_index WHERE id = OLD.id AND OLD.id IS NOT NEW.id;\n" + _PEOPLE_UPSERT,
                 when="OLD.id IS NOT NEW.id OR OLD.ref IS NOT NEW.ref OR OLD.status IS NOT NEW.status"),
    IndexTrigger("person_index_removed", "nominals", "DELETE", "DELETE FROM person_index WHERE id = OLD.id;"),
)  # The archive stays in common: migration 10's triggers there keep archive_index.


# ---------------------------------------------------------------------------------------------
# Reconciling with a file.


def reconcile(conn: Connection, schema: str) -> IndexRepair:
    """Rewrite the index rows of one file's people and archive from that file's own tables.

    `schema`: an attached BCU compartment ("bcu_ce"): the index rows of its BCU and any row
    naming one of its records; or "main" for a vault whose people are still in common: every
    row. Runs in the caller's transaction; returns what it added, changed and removed, for the
    caller to log. A reference held in two files stays refused by the index's uniqueness.
    """
    if schema == cx.COMMON_SCHEMA:
        source, code = cx.COMMON_SCHEMA, None
    else:
        compartment = cx.from_schema(schema)
        if compartment.kind != "bcu":
            raise ValueError(f"{schema} holds no people")
        source, code = compartment.schema, compartment.label
    people = _repair(
        conn, "DELETE FROM person_index WHERE id = ?",
        "INSERT INTO person_index (id, ref, bcu, status) VALUES (?, ?, ?, ?)",
        wanted=_wanted(conn, f"SELECT id, ref, {{bcu}}, status FROM {source}.nominals", code),
        current=_current(conn, "SELECT id, ref, bcu, status FROM person_index",
                         f"SELECT p.id, p.ref, p.bcu, p.status FROM person_index p JOIN {source}.nominals n ON n.id = p.id",
                         code),
    )
    if code is not None:
        # The archive is in common, with its own triggers there (migration 10): a compartment holds none of it.
        return people
    archive = _repair(
        conn, "DELETE FROM archive_index WHERE ref = ?",
        "INSERT INTO archive_index (ref, bcu, removed_at, purge_after) VALUES (?, ?, ?, ?)",
        wanted=_wanted(conn, f"SELECT ref, {{bcu}}, removed_at, purge_after FROM {source}.archive", code),
        current=_current(conn, "SELECT ref, bcu, removed_at, purge_after FROM archive_index",
                         "SELECT p.ref, p.bcu, p.removed_at, p.purge_after FROM archive_index p "
                         f"JOIN {source}.archive a ON a.ref = p.ref", code),
    )
    return IndexRepair(people.added + archive.added, people.changed + archive.changed,
                       people.removed + archive.removed)


# Rows by key (id or reference) -> the other columns, in the order of the index table's columns.
_Rows = dict[Any, tuple[Any, ...]]


def _wanted(conn: Connection, sql: str, code: str | None) -> _Rows:
    """The file's rows as the index should hold them (`{bcu}` in `sql`: the compartment's code, else the row's)."""
    bcu, params = ("bcu", ()) if code is None else ("?", (code,))
    return {r[0]: tuple(r[1:]) for r in conn.execute(sql.replace("{bcu}", bcu), params)}


def _current(conn: Connection, every: str, of_the_file: str, code: str | None) -> _Rows:
    """The index rows that speak for the file: its BCU's, and any naming one of its rows under another BCU."""
    sql, params = (every, ()) if code is None else (f"{every} WHERE bcu = ? UNION {of_the_file}", (code,))
    return {r[0]: tuple(r[1:]) for r in conn.execute(sql, params)}


def _repair(conn: Connection, delete: str, insert: str, *, wanted: _Rows, current: _Rows) -> IndexRepair:
    removed = [k for k in current if k not in wanted]
    changed = [k for k in wanted if k in current and current[k] != wanted[k]]
    added = [k for k in wanted if k not in current]
    # Stale and changed rows leave before any is written, so two rows that swapped references do not collide.
    conn.executemany(delete, [(k,) for k in (*removed, *changed)])
    conn.executemany(insert, [(k, *wanted[k]) for k in (*changed, *added)])
    return IndexRepair(len(added), len(changed), len(removed))


# ---------------------------------------------------------------------------------------------
# Reading.


def bcu_of(conn: Connection, ref: str) -> str | None:
    """The BCU whose compartment holds the person with this reference (proposed or active), or None."""
    row = conn.execute("SELECT bcu FROM person_index WHERE ref = ?", (ref.strip().upper(),)).fetchone()
    return str(row[0]) if row else None


def by_ref(conn: Connection, ref: str) -> IndexRow | None:
    """The index row of the record with this reference, in whichever BCU."""
    r = conn.execute("SELECT id, ref, bcu, status FROM person_index WHERE ref = ?", (ref,)).fetchone()
    return IndexRow(int(r[0]), str(r[1]), str(r[2]), str(r[3])) if r else None


# Sort keys, as SQL (never user text in ORDER BY). A reference orders by its number: N-999999 before N-1000000.
_ORDER: dict[str, tuple[str, ...]] = {
    "ref": ("length(ref)", "ref"),
    "status": ("status", "length(ref)", "ref"),
}


def live_ids(conn: Connection, bcu: str | None, *, sort: str = "ref", descending: bool = False) -> list[int]:
    """The ids of the live (proposed or active) people of a BCU, or of every BCU (`bcu=None`), in order."""
    direction = "DESC" if descending else "ASC"
    order = ", ".join(f"{part} {direction}" for part in _ORDER.get(sort, _ORDER["ref"]))
    where = f"status IN ({','.join('?' * len(LIVE))})"
    params: list[object] = list(LIVE)
    if bcu is not None:
        where += " AND bcu = ?"
        params.append(bcu)
    return [int(r[0]) for r in conn.execute(f"SELECT id FROM person_index WHERE {where} ORDER BY {order}", params)]


def rows_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, IndexRow]:
    """The index rows of these records (those it holds), by id."""
    out: dict[int, IndexRow] = {}
    for chunk in range(0, len(ids), 500):
        part = list(ids[chunk : chunk + 500])
        rows = conn.execute(f"SELECT id, ref, bcu, status FROM person_index WHERE id IN ({','.join('?' * len(part))})",
                            part)
        for r in rows:
            out[int(r[0])] = IndexRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]))
    return out


def due_archive(conn: Connection, today: str) -> dict[str, int]:
    """Per BCU, how many archive rows are due for purging on `today` (YYYY-MM-DD): purge_after on or before it."""
    rows = conn.execute("SELECT bcu, count(*) FROM archive_index WHERE purge_after <= ? GROUP BY bcu ORDER BY bcu",
                        (today,))
    return {str(bcu): int(n) for bcu, n in rows}


def counts(conn: Connection, bcu: str) -> dict[str, int]:
    """A BCU's people by status, plus "removed": its archive rows still inside retention (as count_by_status)."""
    rows = conn.execute("SELECT status, count(*) FROM person_index WHERE bcu = ? GROUP BY status", (bcu,))
    out = {str(status): int(n) for status, n in rows}
    out["removed"] = int(conn.execute("SELECT count(*) FROM archive_index WHERE bcu = ?", (bcu,)).fetchone()[0])
    return out


class PersonIndexRepository(Repository):
    """The reference index in common: every BCU's people and archive rows by reference, no personal field."""

    __slots__ = ()

    bcu_of = bound(bcu_of)
    by_ref = bound(by_ref)
    live_ids = bound(live_ids)
    rows_by_id = bound(rows_by_id)
    due_archive = bound(due_archive)
    counts = bound(counts)
