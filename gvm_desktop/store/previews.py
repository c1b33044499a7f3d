"""A data sharing agreement's preview compartment (`dsa-7.db`, attached as `dsa_7`): what a partner's key opens.

Issue 13 (docs/architecture.md, "Compartments"). A partner's key slot holds common's key and
their agreement's preview key, nothing else, so the file must hold exactly what the agreement
allows: active people of the agreement's BCU, only its fields. Officers and SPOCs of that BCU
hold the preview key too, and keep the file current from their BCU compartment.

What is in the file (one definition, `FIELD_COLUMNS`, makes the tables, the triggers, the
rebuild and the readers):
- `preview`: one row per active person of the BCU: `id` (the record's id), `ref`, `bcu`, and
  per shared field the columns it needs, each stored as the partner is shown it where that is
  less than the record's own column. "age" is the age in whole years on the preview's
  `as_of` day, never the date of birth: every row's age is as of the same day, which each
  full refresh (`fill`) moves to the day it runs, so a holder's session that refreshes at its
  first sign-in of the day keeps ages right (a trigger cannot ask the application's clock).
  "name" is the given and family names (sorting by name sorts by family name first), and
  brings `preview_search`, the name index. `ref` and `bcu` are always there: the disclosure
  register records every person shown by reference, shared or not.
- `preview_search`: the folded names (`nominals.search_key`), tokenized as `nominal_search` is,
  only when the agreement shares names. Aliases are not in it, as they are not in the preview:
  a partner's search finds people by the name they are shown, no longer by an alias they are
  not (today's search through `nominal_search` also matched aliases).
- `preview_info`: the fields the file was made for, whether it is open, the `as_of` day, the
  time of the last full refresh.

Kept current by TEMP triggers on the BCU compartment's `nominals` (`refresh_sql`), installed
by sessions holding both keys, so a change to a person and its preview are one transaction;
their names start `cx_<dsa schema>_`, so `compartments.install_views` drops them with its own.
The scores and bands are copied as the record holds them: a partner cannot write records, so
they are as fresh as the BCU's holders last scored them.

Closed and open. A new preview is closed: the triggers write nothing into it. `fill` rebuilds
it whole from the BCU compartment and opens it; `empty` deletes everything and closes it, so
a session that still has the triggers installed does not put people back after the agreement
has ended.

Removed and renamed people leave no words behind. Unlike `nominal_search` the name index
keeps its own text (the folded names, which the preview holds anyway), so that with FTS5's
`secure-delete` a deletion takes that row's words out of the index at once. A contentless
index keeps them until its segments are merged, and merging the whole index at each removal
took 13-17 ms a commit on an index of 20,000 names, against 3 ms for a secure delete. The
connection's `secure_delete` (database.connect; attached files inherit it) zeroes what
SQLite frees.

A holder's connection without the triggers (another tool, a session that did not attach the
preview) lets the file drift; `fill` repairs it, and `upkeep` runs `fill` once a day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.errors import StorageError, VaultCorrupt
from gvm_desktop.core.previews import PreviewInfo, PreviewRow
from gvm_desktop.core.records import DSA_FIELDS
from gvm_desktop.store import compartments as cx
from gvm_desktop.store.database import Connection, connect, transaction
from gvm_desktop.store.nominals import fts_query
from gvm_desktop.store.repository import Repository, bound

FORMAT = 1  # of the tables below; a file of another format is rebuilt, not read

_PREVIEW = "preview"
_SEARCH = "preview_search"
_INFO = "preview_info"
# Tokenized as nominal_search (migrations.py), so a partner's query matches as an officer's does; with its own
# text, so that a deleted row's words can leave the index at once (secure-delete, set when it is made).
_SEARCH_TOKENS = "tokenize='unicode61 remove_diacritics 2'"
_SEARCHED_BY = "name"  # sharing this field brings the name index
_SEARCH_SOURCE = "{row}.search_key"  # fold(given family), kept by nominals.insert_many and reindex


@dataclass(frozen=True)
class PreviewColumn:
    """A column of `preview`: its declaration, and the SQL computing it from a `nominals` row.

    In `value`, `{row}` is the row (NEW, OLD or a table alias) and `{as_of}` the preview's day.
    """

    name: str
    declaration: str
    value: str

    def sources(self) -> frozenset[str]:
        """The columns of `nominals` it is computed from."""
        return frozenset(re.findall(r"\{row\}\.(\w+)", self.value))

    def sql(self, row: str, as_of: str) -> str:
        return self.value.replace("{row}", row).replace("{as_of}", as_of)


def _copied(name: str, declaration: str) -> PreviewColumn:
    return PreviewColumn(name, declaration, f"{{row}}.{name}")


# Whole years on `as_of` (both YYYY-MM-DD), as core/people.age_on counts them: a birthday on
# 29 February counts from 1 March, since '02-28' < '02-29'.
_AGE = ("CAST(substr({as_of}, 1, 4) AS INTEGER) - CAST(substr({row}.date_of_birth, 1, 4) AS INTEGER) "
        "- (substr({as_of}, 6, 5) < substr({row}.date_of_birth, 6, 5))")

_KEY_COLUMNS: tuple[PreviewColumn, ...] = (
    _copied("id", "INTEGER PRIMARY KEY"),
    _copied("ref", "TEXT NOT NULL"),
    _copied("bcu", "TEXT NOT NULL"),
)
# Per DSA field (core/records.DSA_FIELDS), the columns that hold it. "ref" is among the key columns.
FIELD_COLUMNS: Mapping[str, tuple[PreviewColumn, ...]] = MappingProxyType({
    "ref": (),
    "name": (_copied("given_name", "TEXT NOT NULL"), _copied("family_name", "TEXT NOT NULL")),
    "age": (PreviewColumn("age", "INTEGER NOT NULL", _AGE),),
    "borough": (_copied("borough", "TEXT NOT NULL"),),
    "classification": (_copied("classification", "TEXT NOT NULL"),),
    "harm_band": (_copied("harm_band", "TEXT NOT NULL"),),
    "victim_band": (_copied("victim_band", "TEXT NOT NULL"),),
    "in_custody": (_copied("in_custody", "INTEGER NOT NULL CHECK (in_custody IN (0, 1))"),),
})
if set(FIELD_COLUMNS) != set(DSA_FIELDS):
    raise RuntimeError("every field an agreement may list needs its preview columns")

# The partner's sort keys as SQL, each followed by reference order (as store/nominals.py orders a list).
# Age ascending is age ascending: the date of birth that orders people of the same age is not in the file.
_ORDER: dict[str, tuple[str, ...]] = {
    "ref": (),
    "name": ("p.family_name COLLATE NOCASE", "p.given_name COLLATE NOCASE"),
    "age": ("p.age",),
    "borough": ("p.borough",),
}
_BY_REF = ("length(p.ref)", "p.ref")


def shared_fields(fields: Iterable[str]) -> tuple[str, ...]:
    """An agreement's fields in DSA_FIELDS order; anything that is not a DSA field is refused."""
    if isinstance(fields, str):
        raise ValueError("fields: a collection of field names, not one string")
    wanted = set(fields)
    unknown = wanted - set(DSA_FIELDS)
    if unknown or not wanted:
        raise ValueError(f"an agreement lists fields from {', '.join(DSA_FIELDS)}, got {sorted(wanted)}")
    return tuple(f for f in DSA_FIELDS if f in wanted)


def preview_columns(fields: Iterable[str]) -> tuple[PreviewColumn, ...]:
    """The columns of `preview` for an agreement listing `fields`, in order."""
    return (*_KEY_COLUMNS, *(c for f in shared_fields(fields) for c in FIELD_COLUMNS[f]))


def _searchable(fields: Sequence[str]) -> bool:
    return _SEARCHED_BY in fields


def _agreement_schema(schema: str) -> str:
    if cx.from_schema(schema).kind != "dsa":
        raise ValueError(f"{schema} is not an agreement's compartment")
    return schema


def _source(bcu_schema: str, bcu_code: str) -> tuple[str, str]:
    """The BCU compartment's schema and code, checked against each other (the code goes into trigger SQL)."""
    compartment = cx.from_schema(bcu_schema)
    if compartment.kind != "bcu" or compartment != cx.bcu(bcu_code):
        raise ValueError(f"{bcu_schema} is not the compartment of BCU {bcu_code!r}")
    return compartment.schema, compartment.label


# ---------------------------------------------------------------------------------------------
# The file.


def schema_sql(schema: str, fields: Iterable[str]) -> list[str]:
    """What creates the preview's tables in the attached (or main) database `schema`."""
    shared = shared_fields(fields)
    columns = ", ".join(f"{c.name} {c.declaration}" for c in preview_columns(shared))
    statements = [
        f"CREATE TABLE {schema}.{_INFO} (id INTEGER PRIMARY KEY CHECK (id = 1), format INTEGER NOT NULL, "
        "fields TEXT NOT NULL, open INTEGER NOT NULL CHECK (open IN (0, 1)), as_of TEXT, refreshed_at TEXT, "
        "CHECK (open = 0 OR as_of IS NOT NULL)) STRICT",
        f"CREATE TABLE {schema}.{_PREVIEW} ({columns}) STRICT",
    ]
    if _searchable(shared):
        statements += [f"CREATE VIRTUAL TABLE {schema}.{_SEARCH} USING fts5(names, {_SEARCH_TOKENS})",
                       f"INSERT INTO {schema}.{_SEARCH} ({_SEARCH}, rank) VALUES ('secure-delete', 1)"]
    return statements


def create_preview(folder: Path, dsa_id: int, key: bytes, fields: Iterable[str]) -> Path:
    """A new, closed preview compartment for agreement `dsa_id` listing `fields`, keyed with `key`.

    The caller seals `key` to the slots that need it afterwards, under the key-slot lock that
    serialises creations, then fills it from a session holding the BCU's key. If the tables
    cannot be made the file is removed: its key was never sealed to anyone.
    """
    shared = shared_fields(fields)
    path = cx.create_compartment(folder, cx.agreement(dsa_id), key)
    try:
        conn = connect(path, key)
        try:
            with transaction(conn):
                for statement in schema_sql(cx.COMMON_SCHEMA, shared):
                    conn.execute(statement)
                conn.execute(f"INSERT INTO {cx.COMMON_SCHEMA}.{_INFO} (id, format, fields, open) VALUES (1, ?, ?, 0)",
                             (FORMAT, ",".join(shared)))
        finally:
            conn.close()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def check_preview(conn: Connection, dsa_schema: str, fields: Iterable[str]) -> tuple[str, ...]:
    """Refuse an attached preview that is not the one `fields` need (format, fields, columns, index); its fields.

    Before installing the triggers: a trigger writing a column the file lacks would fail every
    change to a person of the BCU, not just the preview's.
    """
    schema = _agreement_schema(dsa_schema)
    shared = shared_fields(fields)
    if schema not in {r[1] for r in conn.execute("PRAGMA database_list")}:
        raise StorageError(f"The compartment {cx.from_schema(schema).file_name} is not attached.")
    name = cx.from_schema(schema).file_name
    tables = {r[0] for r in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")}
    if not {_INFO, _PREVIEW} <= tables:
        raise VaultCorrupt(f"The preview {name} was never finished: it needs rebuilding.")
    info = conn.execute(f"SELECT format, fields FROM {schema}.{_INFO} WHERE id = 1").fetchone()
    columns = tuple(r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?, ?) ORDER BY cid", (_PREVIEW, schema)))
    if (info is None or tuple(info) != (FORMAT, ",".join(shared))
            or columns != tuple(c.name for c in preview_columns(shared))
            or (_SEARCH in tables) != _searchable(shared)):
        raise VaultCorrupt(f"The preview {name} was made for other fields than its agreement lists: it needs rebuilding.")
    if _SEARCH in tables and conn.execute(
            f"SELECT v FROM {schema}.{_SEARCH}_config WHERE k = 'secure-delete'").fetchone() != (1,):
        raise VaultCorrupt(f"The name index of the preview {name} would keep removed people's words: it needs rebuilding.")
    return shared


# ---------------------------------------------------------------------------------------------
# Keeping it current.


@dataclass(frozen=True)
class _Sql:
    """The SQL fragments of one preview fed from one BCU compartment."""

    schema: str
    code: str
    fields: tuple[str, ...]

    @property
    def open(self) -> str:
        return f"coalesce((SELECT open FROM {self.schema}.{_INFO} WHERE id = 1), 0) = 1"

    @property
    def as_of(self) -> str:
        return f"(SELECT as_of FROM {self.schema}.{_INFO} WHERE id = 1)"

    def wanted(self, row: str) -> str:
        """True when `row` of nominals belongs in the preview: active, of the agreement's BCU, preview open."""
        return f"({row}.status = 'active' AND {row}.bcu = '{self.code}' AND {self.open})"

    def upsert(self, row: str) -> str:
        columns = preview_columns(self.fields)
        names = ", ".join(c.name for c in columns)
        values = ", ".join(c.sql(row, self.as_of) for c in columns)
        changes = ", ".join(f"{c.name} = excluded.{c.name}" for c in columns[1:])
        return (f"INSERT INTO {self.schema}.{_PREVIEW} ({names}) SELECT {values} WHERE {self.wanted(row)} "
                f"ON CONFLICT (id) DO UPDATE SET {changes};")

    def index(self, row: str) -> str:
        return (f"INSERT INTO {self.schema}.{_SEARCH} (rowid, names) SELECT {row}.id, {_SEARCH_SOURCE.format(row=row)} "
                f"WHERE {self.wanted(row)};")

    @property
    def searchable(self) -> bool:
        return _searchable(self.fields)

    def watched(self) -> frozenset[str]:
        """The nominals columns whose change can change the preview's row."""
        return frozenset({"id", "ref", "bcu", "status"}).union(*(c.sources() for c in preview_columns(self.fields)))


def _changed(columns: Iterable[str]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in sorted(columns))


def refresh_sql(dsa_schema: str, bcu_schema: str, bcu_code: str, fields: Iterable[str]) -> list[str]:
    """TEMP triggers on `{bcu_schema}.nominals` keeping `{dsa_schema}`'s preview current, in the writer's transaction.

    After each insert, update and delete of a person: their row is written into the preview
    when they are active, of BCU `bcu_code`, and the preview is open, and deleted otherwise;
    their names likewise into the name index when names are shared. An update touching no
    column the preview is computed from fires nothing. Named `cx_<dsa_schema>_...`, so
    `compartments.install_views` drops them with its own; install them again after it.
    """
    schema = _agreement_schema(dsa_schema)
    source, code = _source(bcu_schema, bcu_code)
    q = _Sql(schema, code, shared_fields(fields))
    on = f"ON {source}.nominals"
    head = f"CREATE TEMP TRIGGER cx_{schema}"
    added = [q.upsert("NEW")]
    changed = [f"DELETE FROM {schema}.{_PREVIEW} WHERE id = OLD.id AND (OLD.id IS NOT NEW.id OR NOT {q.wanted('NEW')});",
               q.upsert("NEW")]
    removed = [f"DELETE FROM {schema}.{_PREVIEW} WHERE id = OLD.id;"]
    statements = []
    if q.searchable:
        # Deleting before inserting also clears what a drifted index may hold under the same id.
        added += [f"DELETE FROM {schema}.{_SEARCH} WHERE rowid = NEW.id;", q.index("NEW")]
        removed.append(f"DELETE FROM {schema}.{_SEARCH} WHERE rowid = OLD.id;")
        renamed = [f"DELETE FROM {schema}.{_SEARCH} WHERE rowid = OLD.id;",
                   f"DELETE FROM {schema}.{_SEARCH} WHERE rowid = NEW.id AND OLD.id IS NOT NEW.id;",
                   q.index("NEW")]
        statements.append(f"{head}_search_changed AFTER UPDATE {on} "
                          f"WHEN {_changed({'id', 'bcu', 'status', 'search_key'})} BEGIN\n" + "\n".join(renamed) + "\nEND")
    statements[:0] = [
        f"{head}_added AFTER INSERT {on} BEGIN\n" + "\n".join(added) + "\nEND",
        f"{head}_changed AFTER UPDATE {on} WHEN {_changed(q.watched())} BEGIN\n" + "\n".join(changed) + "\nEND",
        f"{head}_removed AFTER DELETE {on} BEGIN\n" + "\n".join(removed) + "\nEND",
    ]
    return statements


def session_triggers(conn: Connection, agreements: Iterable[Agreement], held: Iterable[str]) -> list[str]:
    """The triggers keeping these agreements' previews current, for a session holding the BCUs `held` (codes).

    Each agreement's compartment must be attached and of the agreement's shape, and its BCU
    held: a preview whose BCU the session does not hold cannot be kept by it.
    """
    codes = {cx.bcu(code).label for code in held}
    statements: list[str] = []
    for agreement in agreements:
        if agreement.bcu not in codes:
            raise StorageError(f"Agreement #{agreement.id}'s preview is kept from BCU {agreement.bcu}, "
                               "which this session does not hold.")
        schema = cx.agreement(agreement.id).schema
        fields = check_preview(conn, schema, agreement.fields)
        statements.extend(refresh_sql(schema, cx.bcu(agreement.bcu).schema, agreement.bcu, fields))
    return statements


def install_triggers(conn: Connection, agreements: Iterable[Agreement], held: Iterable[str]) -> None:
    """Install `session_triggers` on this connection (outside a transaction; TEMP objects only).

    `compartments.install_views` drops them (they are named cx_...): run this after each of its calls.
    """
    statements = session_triggers(conn, agreements, held)
    with transaction(conn, immediate=False):
        for statement in statements:
            conn.execute(statement)


def _require_transaction(conn: Connection) -> None:
    # Statement by statement, a failure halfway would leave a partner half a preview, committed.
    if not conn.in_transaction:
        raise RuntimeError("a preview is rebuilt or emptied inside the caller's transaction")


def _clear(conn: Connection, schema: str, searchable: bool) -> int:
    removed = int(conn.execute(f"SELECT count(*) FROM {schema}.{_PREVIEW}").fetchone()[0])
    conn.execute(f"DELETE FROM {schema}.{_PREVIEW}")
    if searchable:
        # Row by row, secure-delete took 0.66 s for 20,000 people; without it, and the index then rebuilt
        # from its (now empty) text, 0.06 s, and no segment is left holding a word.
        search = f"{schema}.{_SEARCH}"
        conn.execute(f"INSERT INTO {search} ({_SEARCH}, rank) VALUES ('secure-delete', 0)")
        conn.execute(f"DELETE FROM {search}")
        conn.execute(f"INSERT INTO {search} ({_SEARCH}) VALUES ('rebuild')")
        conn.execute(f"INSERT INTO {search} ({_SEARCH}, rank) VALUES ('secure-delete', 1)")
    return removed


def fill(conn: Connection, dsa_schema: str, bcu_schema: str, bcu_code: str, fields: Iterable[str], *,
         on: date, at: str) -> int:
    """Rebuild the whole preview from the BCU compartment, as of day `on`, and open it; how many people it holds.

    In the caller's transaction, with both compartments attached: when the preview is first
    filled, once a day (ages and the day move), and to repair drift. `at`: the time, recorded.
    """
    schema = _agreement_schema(dsa_schema)
    source, code = _source(bcu_schema, bcu_code)
    shared = check_preview(conn, schema, fields)
    _require_transaction(conn)
    q = _Sql(schema, code, shared)
    conn.execute(f"UPDATE {schema}.{_INFO} SET open = 1, as_of = ?, refreshed_at = ? WHERE id = 1", (on.isoformat(), at))
    _clear(conn, schema, q.searchable)
    columns = preview_columns(shared)
    active = f"FROM {source}.nominals n WHERE n.status = 'active' AND n.bcu = ?"
    conn.execute(f"INSERT INTO {schema}.{_PREVIEW} ({', '.join(c.name for c in columns)}) "
                 f"SELECT {', '.join(c.sql('n', q.as_of) for c in columns)} {active}", (code,))
    if q.searchable:
        conn.execute(f"INSERT INTO {schema}.{_SEARCH} (rowid, names) SELECT n.id, {_SEARCH_SOURCE.format(row='n')} "
                     f"{active}", (code,))
    return int(conn.execute(f"SELECT count(*) FROM {schema}.{_PREVIEW}").fetchone()[0])


def empty(conn: Connection, dsa_schema: str) -> int:
    """Delete everyone from the preview and close it (the agreement ended); how many rows went.

    In the caller's transaction. Needs only the preview's key. Closed, the triggers add no one.
    """
    schema = _agreement_schema(dsa_schema)
    _require_transaction(conn)
    searchable = _SEARCH in {r[0] for r in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")}
    conn.execute(f"UPDATE {schema}.{_INFO} SET open = 0 WHERE id = 1")
    return _clear(conn, schema, searchable)


Upkeep = Literal["filled", "emptied"]


def upkeep(conn: Connection, agreement: Agreement, *, on: date, at: str) -> Upkeep | None:
    """What a session holding both keys owes an agreement's preview on day `on`, done in the caller's transaction.

    In force: rebuilt once a day (`fill`), so its ages are as of today and any drift is gone.
    Not in force (not yet, or ended): emptied and closed. Nothing when it is already so. The
    caller logs what was done.
    """
    schema = cx.agreement(agreement.id).schema
    state = _info(conn, schema)
    if agreement.in_force(on):
        if state.open and state.as_of == on:
            return None
        fill(conn, schema, cx.bcu(agreement.bcu).schema, agreement.bcu, agreement.fields, on=on, at=at)
        return "filled"
    holds = conn.execute(f"SELECT 1 FROM {schema}.{_PREVIEW} LIMIT 1").fetchone() is not None
    if not state.open and not holds:
        return None
    empty(conn, schema)
    return "emptied"


# ---------------------------------------------------------------------------------------------
# Reading, as the partner's session does (common and the preview attached, no BCU).


def _attached(conn: Connection, dsa_id: int) -> str:
    schema = cx.agreement(dsa_id).schema
    if schema not in {r[1] for r in conn.execute("PRAGMA database_list")}:
        raise StorageError(f"The preview of agreement #{dsa_id} is not open in this session.")
    return schema


def _info(conn: Connection, schema: str) -> PreviewInfo:
    row = conn.execute(f"SELECT fields, open, as_of, refreshed_at FROM {schema}.{_INFO} WHERE id = 1").fetchone()
    if row is None:
        raise VaultCorrupt(f"The preview {cx.from_schema(schema).file_name} says nothing of itself: it needs rebuilding.")
    fields, is_open, as_of, refreshed_at = row
    return PreviewInfo(tuple(f for f in str(fields).split(",") if f), bool(is_open),
                       date.fromisoformat(as_of) if as_of else None, refreshed_at)


def info(conn: Connection, dsa_id: int) -> PreviewInfo:
    """What agreement `dsa_id`'s preview says of itself: its fields, whether open, the day its ages are as of."""
    return _info(conn, _attached(conn, dsa_id))


def ids(conn: Connection, dsa_id: int, query: str | None = None, sort: str = "ref",
        descending: bool = False) -> list[int]:
    """The ids of the preview's people, in order, matching `query` (names, as prefixes) if given.

    As the partner's preview lists today: a search finds nobody unless the agreement shares
    names; a sort by a field it does not share is reference order.
    """
    schema = _attached(conn, dsa_id)
    fields = _info(conn, schema).fields
    if sort not in _ORDER or (sort != "ref" and sort not in fields):
        sort = "ref"
    direction = "DESC" if descending else "ASC"
    order = ", ".join(f"{part} {direction}" for part in (*_ORDER[sort], *_BY_REF))
    if not query:
        return [int(r[0]) for r in conn.execute(f"SELECT p.id FROM {schema}.{_PREVIEW} p ORDER BY {order}")]
    match = fts_query(query) if _searchable(fields) else None
    if match is None:
        return []
    return [int(r[0]) for r in conn.execute(
        f"SELECT p.id FROM {schema}.{_PREVIEW} p WHERE p.id IN "
        f"(SELECT rowid FROM {schema}.{_SEARCH} WHERE {_SEARCH} MATCH ?) ORDER BY {order}", (match,))]


def rows_by_id(conn: Connection, dsa_id: int, ids: Sequence[int]) -> dict[int, PreviewRow]:
    """The preview's rows of these people (those it holds), by id."""
    schema = _attached(conn, dsa_id)
    fields = _info(conn, schema).fields
    names = [c.name for c in preview_columns(fields)]
    out: dict[int, PreviewRow] = {}
    for chunk in range(0, len(ids), 500):
        part = list(ids[chunk : chunk + 500])
        cur = conn.execute(f"SELECT {', '.join(names)} FROM {schema}.{_PREVIEW} WHERE id IN ({','.join('?' * len(part))})",
                           part)
        for r in cur:
            row = dict(zip(names, r, strict=True))
            given, family = row.get("given_name"), row.get("family_name")
            custody = row.get("in_custody")
            out[int(row["id"])] = PreviewRow(
                id=int(row["id"]), ref=str(row["ref"]), bcu=str(row["bcu"]),
                name=f"{given} {family}" if given is not None else None, age=row.get("age"),
                borough=row.get("borough"), classification=row.get("classification"), harm_band=row.get("harm_band"),
                victim_band=row.get("victim_band"), in_custody=bool(custody) if custody is not None else None)
    return out


class PreviewsRepository(Repository):
    """A data sharing agreement's preview: what its partner is shown, kept by its BCU's holders."""

    __slots__ = ()

    info = bound(info)
    ids = bound(ids)
    rows_by_id = bound(rows_by_id)
    upkeep = bound(upkeep)
