"""Compartments: the vault as several SQLCipher files, each with its own key (issue 13).

A compartment is one encrypted database file with its own random 256-bit key. *common*
is the vault's main database (`vault.db`); each BCU has one (`bcu-CE.db`, attached as
`bcu_ce`) holding that BCU's people and everything personal about them; each data
sharing agreement will have one (`dsa-7.db`, attached as `dsa_7`) for its preview. A
session attaches to its one connection the compartments whose keys its key slot gives
it; a file it holds no key to cannot be opened at all ("file is not a database").

This module is the mechanism, used by nothing in the product yet:

- names, files and schema names (`Compartment`, `bcu`, `agreement`, `from_schema`), every
  one validated, since a schema name is the one thing formatted into SQL here besides
  the template's own table and column names;
- `create_compartment`: a new file with the per-BCU schema. That schema is not written
  twice: `bcu_schema()` runs the real migrations on an in-memory database and reads back
  what they created for the tables in `ROUTES`, so a migration that changes a per-BCU
  table changes what a new compartment gets (an existing one is upgraded by `attach`, with
  migrations.upgrade_compartment). Three things are adjusted on the way, each checked afterwards:
  a foreign key to a table outside the compartment (`users`, `reviews`) is dropped,
  since SQLite cannot enforce one across files; an `INTEGER PRIMARY KEY` becomes
  `AUTOINCREMENT`, seeded at the compartment's id base (see "Ids" below); and triggers
  on these tables, whose bodies read tables in common, are not stored in the file but
  installed by each session as TEMP triggers (see `install_views`), except those keeping
  the reference index of a vault not yet split (`migrations.INDEX_TRIGGERS`), which
  sessions replace with their own;
- `attach`: ATTACH with the raw key as a bound parameter (never formatted into SQL),
  proof that the file is the compartment it is named for, and the journal settings;
- `install_views`: TEMP views named like the per-BCU tables, each the UNION ALL of that
  table in every BCU compartment the session holds, so the store's SQL keeps working;
  INSTEAD OF triggers send writes to the right file; TEMP triggers on each held
  compartment's `nominals` and `archive` keep the reference index in common current
  (store/person_index.py) in the same transaction;
- the id allocation (`inserted_id`, `next_id`; a statement on a view leaves `lastrowid`
  stale and `rowcount` 0), a row count for writes through the views (`execute_counted`),
  full-text search across compartments (`match_ids`, `match_subquery`), a query run
  inside each held compartment (`union_of_held`), the journal settings (`use_rollback_journal`,
  `check_rollback_journals`) and the clean-up of orphaned super-journals
  (`stale_super_journals`, `remove_stale_super_journals`).

Routing. An INSERT goes to the compartment named by the row's `bcu` column, or else to the
one holding its parent row (evidence -> the compartment whose `nominals` has that id; a
review item -> the BCU of its review, a row of common), as `ROUTES` says; no held
compartment -> the statement fails ("no compartment held for this ... row"). An UPDATE or
DELETE is applied by primary key in every held compartment; ids are unique across
compartments, so one matches. A row cannot move to another compartment by an UPDATE of its
routing column (it would stay in the wrong file): the trigger refuses it. A view has no
column defaults, so the INSERT trigger applies them itself to NOT NULL columns left NULL.

Ids. Each BCU compartment gets an index (1, 2, ...; from a register in common, chosen by
the integration) and allocates ids above `index << ID_SPAN_BITS`: SQLite's AUTOINCREMENT,
whose `sqlite_sequence` is seeded with that base, so a new id is above the base, above
every id the compartment ever held (deleted ones too: ids are never reused), and above
every id an older vault carried (they are all far below 2**40). An explicit id given
through a view must lie in the compartment's own range, so two compartments can never
hand out the same id, whichever of them a session holds. An INSTEAD OF trigger does not
set `lastrowid`; the trigger records the id it inserted, read back with `inserted_id`.

Full-text search. FTS5's MATCH cannot be used through a view; `match_ids` and
`match_subquery` run it in each held compartment. Writes to `nominal_search` go through
the view: a row to the compartment holding the person (rowid = nominal id), a command
without a row ('optimize') to every held compartment.

No compartment held (an administrator, a partner): the views exist over no file
(`SELECT NULL AS id, ... WHERE 0`), so the same queries answer "nobody"; every insert fails.

How many. SQLite attaches at most SQLITE_MAX_ATTACHED files to one connection besides the
main one, a compile-time limit that `sqlite3_limit` can only lower: 10 in the sqlcipher3
wheels (`max_attached`). An officer (common, their BCU, the agreements of their BCU) fits;
an auditor holding all 12 BCUs does not, on one connection.

Journals. A transaction writing several attached files commits atomically only in a
rollback-journal mode, through SQLite's super-journal; in WAL mode each file commits on
its own (tests/store/test_compartment_atomicity.py shows both). Every file is therefore
opened with `journal_mode = DELETE` and `synchronous = FULL`. A process killed at the
wrong moment can leave a super-journal (`vault.db-mj...`, which holds only the names of
the journals of one commit) that nothing points to any more; see `stale_super_journals`.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from sqlcipher3 import dbapi2

from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.errors import StorageError, VaultCorrupt, VaultExists
from gvm_desktop.store.database import Connection, DatabaseError, connect, raw_cursor, transaction
from gvm_desktop.store.slot_format import check_data_key

if TYPE_CHECKING:
    from gvm_desktop.store.person_index import IndexTrigger

COMMON_SCHEMA = "main"
ID_SPAN_BITS = 40  # ids a BCU compartment may hand out: 2**40, above index << 40
MAX_ID_INDEX = (1 << (63 - ID_SPAN_BITS)) - 1  # the last index whose whole range fits a signed 64-bit id
DEFAULT_CACHE_KIB = 32 * 1024  # page cache per attached compartment (the main database keeps its own 64 MiB)
STALE_AFTER_SECONDS = 60.0  # a super-journal lives for one commit; an older one that names no journal is left over

_BCU_CODE = re.compile(r"[A-Z]{2,4}")
_DSA_ID = re.compile(r"[1-9][0-9]{0,17}")
_SCHEMA = re.compile(r"(?:bcu_([a-z]{2,4})|dsa_([1-9][0-9]{0,17}))")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_SUPER_JOURNAL = re.compile(r"-mj[0-9A-Fa-f]{6,16}")

_INFO_TABLE = "compartment_info"
_SEQUENCE_TABLE = "sqlite_sequence"  # SQLite's own table of AUTOINCREMENT high-water marks
_INSERTED = "temp.cx_inserted"  # table -> id of the last row inserted through its view
_WRITTEN = "temp.cx_written"  # rows handed to compartments through the views, a running count
_HELD = "temp.cx_held"  # the BCU compartments the installed views cover
_PREFIX = "cx_"  # names of the TEMP objects made here (besides the views, named like the tables)


@dataclass(frozen=True)
class Compartment:
    """One encrypted file of the vault: a BCU's (`label` its code) or an agreement's (`label` its id)."""

    kind: Literal["bcu", "dsa"]
    label: str

    def __post_init__(self) -> None:
        # The schema name is formatted into SQL (ATTACH ... AS, bcu_ce.nominals): every instance is checked.
        pattern = {"bcu": _BCU_CODE, "dsa": _DSA_ID}.get(self.kind)
        if pattern is None or not isinstance(self.label, str) or not pattern.fullmatch(self.label):
            raise ValueError(f"not a compartment: {self.kind!r} {self.label!r}")

    @property
    def schema(self) -> str:
        """The name it is attached under: bcu_ce, dsa_7."""
        return f"{self.kind}_{self.label.lower()}"

    @property
    def file_name(self) -> str:
        """bcu-CE.db, dsa-7.db."""
        return f"{self.kind}-{self.label}.db"

    def path(self, folder: Path) -> Path:
        return folder / self.file_name


def bcu(code: str) -> Compartment:
    """The compartment of a BCU, by its code ("CE")."""
    return Compartment("bcu", code)


def agreement(dsa_id: int) -> Compartment:
    """The compartment of a data sharing agreement's preview, by the agreement's id."""
    if isinstance(dsa_id, bool) or not isinstance(dsa_id, int):
        raise ValueError(f"not an agreement id: {dsa_id!r}")
    return Compartment("dsa", str(dsa_id))


def from_schema(schema: str) -> Compartment:
    """The compartment attached as `schema` ("bcu_ce", "dsa_7"); anything else is refused."""
    found = _SCHEMA.fullmatch(schema) if isinstance(schema, str) else None
    if found is None:
        raise ValueError(f"not a compartment's schema name: {schema!r}")
    code, dsa_id = found.groups()
    return bcu(code.upper()) if code else agreement(int(dsa_id))


def _identifier(name: str) -> str:
    """A table or column name from our own schema, checked before it is formatted into SQL."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


# ---------------------------------------------------------------------------------------------
# Which tables live in every BCU compartment, and how an inserted row finds its compartment.


@dataclass(frozen=True)
class Route:
    """How an inserted row finds its compartment.

    `column` alone: the column holds the BCU code. With `parent`: the column holds the id of a
    row of that table in the same compartment. With `common_parent`: the id of a row of that
    table in common, whose `bcu` column names the compartment.
    """

    column: str
    parent: str | None = None
    common_parent: str | None = None


ROUTES: Mapping[str, Route] = MappingProxyType({
    "nominals": Route("bcu"),
    "nominal_aliases": Route("nominal_id", parent="nominals"),
    "nominal_search": Route("rowid", parent="nominals"),
    "nominal_versions": Route("nominal_id", parent="nominals"),
    "evidence": Route("nominal_id", parent="nominals"),
    "interventions": Route("nominal_id", parent="nominals"),
    "police_activity": Route("nominal_id", parent="nominals"),
    "proposals": Route("nominal_id", parent="nominals"),
    "review_items": Route("review_id", common_parent="reviews"),
})
BCU_TABLES: tuple[str, ...] = tuple(ROUTES)


@dataclass(frozen=True)
class TableShape:
    """A per-BCU table as the views need it: its columns in order, its key, and what it is."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # primary key columns; ("rowid",) for the full-text index
    integer_id: str | None  # the INTEGER PRIMARY KEY column, whose values the compartment allocates
    fts: bool
    defaults: Mapping[str, str] = field(default_factory=dict)  # NOT NULL column -> its DEFAULT, as SQL text
    indexed: tuple[str, ...] = ()  # columns some index (or the primary key) covers

    def new_value(self, column: str) -> str:
        """What the INSTEAD OF INSERT trigger stores for a column: NEW's, or the default a view cannot apply.

        A view has no defaults, so a column the INSERT left out arrives as NULL. For a NOT NULL
        column that NULL can only mean "left out" (stored, it would fail), so it gets its default.
        """
        default = self.defaults.get(column)
        return f"coalesce(NEW.{column}, {default})" if default is not None else f"NEW.{column}"


@dataclass(frozen=True)
class Guard:
    """A trigger migrations put on a per-BCU table; sessions install it as a TEMP trigger per compartment."""

    name: str
    table: str
    sql: str


@dataclass(frozen=True)
class BcuSchema:
    version: int
    tables: Mapping[str, TableShape]
    ddl: tuple[str, ...]  # what creates a new compartment's tables and indexes, in order
    guards: tuple[Guard, ...]


# A column's REFERENCES clause, to drop when it names a table outside the compartment.
_REFERENCES = re.compile(
    r"\s+REFERENCES\s+\"?(\w+)\"?\s*(?:\([^)]*\))?"
    r"(?:\s+ON\s+(?:DELETE|UPDATE)\s+(?:SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION))*",
    re.IGNORECASE,
)
_TRIGGER_HEAD = re.compile(
    r"\s*CREATE\s+TRIGGER\s+(\w+)\s+(BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)(\s+OF\s+[\w\s,]+?)?\s+ON\s+\"?(\w+)\"?\s",
    re.IGNORECASE,
)


def _local_references(sql: str) -> str:
    def keep_or_drop(found: re.Match[str]) -> str:
        return found.group(0) if found.group(1) in ROUTES else ""

    return _REFERENCES.sub(keep_or_drop, sql)


def _autoincrement(sql: str, column: str) -> str:
    changed, count = re.subn(rf"(\b{column}\s+INTEGER\s+PRIMARY\s+KEY)\b(?!\s+AUTOINCREMENT)", r"\1 AUTOINCREMENT", sql)
    if count != 1:
        raise RuntimeError(f"cannot make {column} AUTOINCREMENT in: {sql[:60]}")
    return changed


@functools.cache
def bcu_schema() -> BcuSchema:
    """The per-BCU tables as the migrations make them today (built once per process, in memory)."""
    from gvm_desktop.store.migrations import INDEX_TRIGGERS, LATEST, migrate  # migrations reach other store modules

    template = dbapi2.connect(":memory:", isolation_level=None)
    try:
        migrate(template)
        tables: dict[str, TableShape] = {}
        ddl: list[str] = []
        guards: list[Guard] = []
        rows = template.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
        for kind, name, table, sql in rows:
            if table not in ROUTES or sql is None:
                continue  # common's tables, FTS5's shadow tables, automatic indexes
            if kind == "table" and name == table:
                shape = _shape(template, name, sql)
                tables[name] = shape
                sql = _local_references(sql)
                ddl.append(_autoincrement(sql, shape.integer_id) if shape.integer_id else sql)
            elif kind == "index":
                ddl.append(sql)
            elif kind == "trigger" and name not in INDEX_TRIGGERS:  # those are installed per compartment here
                guards.append(Guard(_identifier(name), table, sql))
        missing = set(ROUTES) - set(tables)
        if missing:
            raise RuntimeError(f"the migrations create no {sorted(missing)}")
        return BcuSchema(LATEST, MappingProxyType(tables), tuple(ddl), tuple(guards))
    finally:
        template.close()


def _shape(template: Any, table: str, sql: str) -> TableShape:
    info = template.execute("SELECT name, type, pk, \"notnull\", dflt_value FROM pragma_table_info(?) ORDER BY cid",
                            (table,)).fetchall()
    columns = tuple(_identifier(r[0]) for r in info)
    fts = sql.upper().startswith("CREATE VIRTUAL TABLE")
    if fts:
        return TableShape(table, columns, ("rowid",), None, True)
    key = tuple(r[0] for r in sorted((r for r in info if r[2]), key=lambda r: r[2]))
    integer_id = key[0] if len(key) == 1 and str(info[columns.index(key[0])][1]).upper() == "INTEGER" else None
    defaults: dict[str, str] = {}
    for name, _type, _pk, notnull, default in info:
        if default is None:
            continue
        if not notnull:
            # Through a view an omitted column and an explicit NULL look the same: no way to honour both.
            raise RuntimeError(f"{table}.{name} is nullable with a default: a view cannot tell when to apply it")
        defaults[name] = str(default)
    indexed = {str(c) for (idx,) in template.execute("SELECT name FROM pragma_index_list(?)", (table,)).fetchall()
               for (c,) in template.execute("SELECT name FROM pragma_index_info(?)", (idx,)).fetchall() if c}
    indexed.update(key)
    return TableShape(table, columns, key, integer_id, False, MappingProxyType(defaults),
                      tuple(c for c in columns if c in indexed))


# ---------------------------------------------------------------------------------------------
# Journals.


def use_rollback_journal(conn: Connection, schema: str = COMMON_SCHEMA) -> None:
    """Put one attached file in rollback-journal mode with full syncs: commits across files are atomic."""
    schema = _checked_schema(schema)
    mode = conn.execute(f"PRAGMA {schema}.journal_mode = DELETE").fetchone()[0]
    if str(mode).lower() != "delete":
        raise StorageError(f"The vault file {schema} stayed in journal mode {mode}: close other windows and try again.")
    conn.execute(f"PRAGMA {schema}.synchronous = FULL")


def check_rollback_journals(conn: Connection) -> None:
    """Refuse a connection on which one file could commit without the others (WAL, or fewer syncs)."""
    for _seq, schema, _file in conn.execute("PRAGMA database_list").fetchall():
        if schema == "temp":
            continue
        checked = _checked_schema(schema)
        mode = str(conn.execute(f"PRAGMA {checked}.journal_mode").fetchone()[0]).lower()
        sync = int(conn.execute(f"PRAGMA {checked}.synchronous").fetchone()[0])
        if mode != "delete" or sync < 2:
            raise StorageError(f"The vault file {schema} is in journal mode {mode} (synchronous {sync}): "
                               "a change and its log entry could be split by a crash.")


def _checked_schema(schema: str) -> str:
    return schema if schema == COMMON_SCHEMA else from_schema(schema).schema


# ---------------------------------------------------------------------------------------------
# Creating and attaching.


def create_compartment(folder: Path, compartment: Compartment, key: bytes, *, id_index: int | None = None) -> Path:
    """A new compartment file, written under a hidden name and renamed into place once complete.

    A BCU's gets the per-BCU schema and allocates ids above `id_index << ID_SPAN_BITS`
    (`id_index` from 1, unique in the vault). An agreement's is created empty but for its
    identity: the preview's tables come with the preview's design. The caller seals `key`
    to the slots that need it, and serialises creations (the key-slot lock).
    """
    if compartment.kind == "bcu":
        if isinstance(id_index, bool) or not isinstance(id_index, int) or not 1 <= id_index <= MAX_ID_INDEX:
            raise ValueError(f"a BCU compartment needs an id index from 1 to {MAX_ID_INDEX}")
        base = id_index << ID_SPAN_BITS
    elif id_index is not None:
        raise ValueError("an agreement's compartment allocates no ids")
    else:
        base = 0
    final = compartment.path(folder)
    if final.exists():
        raise VaultExists(f"The compartment file {compartment.file_name} already exists.")
    partial = folder / f".{compartment.file_name}.creating"
    for leftover in (partial, *(partial.with_name(partial.name + end) for end in ("-journal", "-wal", "-shm"))):
        # A creation that crashed: its key was never sealed to anyone, so nothing can read or want it.
        # (Creations of one compartment are serialised by the caller, under the key-slot lock.)
        leftover.unlink(missing_ok=True)
    conn = connect(partial, key, create=True)
    try:
        use_rollback_journal(conn)
        with transaction(conn):
            conn.execute(f"CREATE TABLE {_INFO_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), kind TEXT NOT NULL, "
                         "label TEXT NOT NULL, id_base INTEGER NOT NULL, created_version INTEGER NOT NULL) STRICT")
            schema = bcu_schema() if compartment.kind == "bcu" else None
            version = schema.version if schema else 0
            conn.execute(f"INSERT INTO {_INFO_TABLE} VALUES (1, ?, ?, ?, ?)",
                         (compartment.kind, compartment.label, base, version))
            if schema is not None:
                for statement in schema.ddl:
                    conn.execute(statement)
                conn.executemany(f"INSERT INTO {_SEQUENCE_TABLE} (name, seq) VALUES (?, ?)",
                                 [(t.name, base) for t in schema.tables.values() if t.integer_id])
                _check_created(conn, schema, base)
            conn.execute(f"PRAGMA user_version = {int(version)}")  # an int we computed: PRAGMA takes no parameters
    finally:
        conn.close()
    partial.chmod(0o600)
    _publish(partial, final)
    return final


def _publish(partial: Path, final: Path) -> None:
    """Give the finished file its name, never over an existing compartment (another's key would be lost)."""
    try:
        os.link(partial, final)  # fails if `final` exists, atomically
    except FileExistsError:
        partial.unlink()
        raise VaultExists(f"The compartment file {final.name} already exists.") from None
    except OSError:
        # A file system without hard links: the check and the rename are two steps, which
        # the caller's lock on key-slot changes (creating a compartment seals its key) covers.
        if final.exists():
            partial.unlink()
            raise VaultExists(f"The compartment file {final.name} already exists.") from None
        os.replace(partial, final)
    else:
        partial.unlink()
    _sync_folder(final.parent)


def _check_created(conn: Connection, schema: BcuSchema, base: int) -> None:
    """What the text edits of `bcu_schema` promised, asked of the file itself."""
    for table in schema.tables.values():
        for parent in {r[0] for r in conn.execute("SELECT \"table\" FROM pragma_foreign_key_list(?)", (table.name,))}:
            if parent not in ROUTES:
                raise RuntimeError(f"{table.name} keeps a foreign key to {parent}, outside the compartment")
    seeded = dict(conn.execute(f"SELECT name, seq FROM {_SEQUENCE_TABLE}").fetchall())
    wanted = {t.name: base for t in schema.tables.values() if t.integer_id}
    if seeded != wanted:
        raise RuntimeError(f"id allocation not seeded as planned: {seeded}")


def _sync_folder(folder: Path) -> None:
    if os.name == "nt":
        return  # Windows cannot open a folder to fsync it; its renames are metadata-journaled
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def attach(conn: Connection, folder: Path, compartment: Compartment, key: bytes, *,
           cache_kib: int = DEFAULT_CACHE_KIB) -> None:
    """Attach a compartment with its raw key, prove the key and the file, and set its journal.

    Outside a transaction (SQLite refuses ATTACH inside one). A wrong key fails here, as
    VaultCorrupt without the key or the file's contents in the message, and leaves the
    connection as it was: the attempt goes past the connection's damage tracking, so a
    refused key does not read as a damaged vault for the rest of the session.
    """
    path = compartment.path(folder)
    if not path.is_file():
        raise VaultCorrupt(f"The compartment file {compartment.file_name} is missing from the vault folder.")
    raw_key = "x'" + check_data_key(key).hex() + "'"  # SQLCipher's raw-key form, bound, never in the SQL text
    schema = compartment.schema
    try:
        raw_cursor(conn).execute(f"ATTACH DATABASE ? AS {schema} KEY ?", (str(path), raw_key))
    except DatabaseError as exc:
        if "not a database" in str(exc):
            raise VaultCorrupt(f"The compartment {compartment.file_name} does not open with this key: the key "
                               "belongs to another compartment or vault, or the file is damaged.") from None
        raise StorageError(f"The compartment {compartment.file_name} could not be attached ({exc}).") from None
    try:
        info = conn.execute(f"SELECT kind, label FROM {schema}.{_INFO_TABLE}").fetchone()
        if info is None or (info[0], info[1]) != (compartment.kind, compartment.label):
            raise VaultCorrupt(f"The file {compartment.file_name} is not that compartment (it says {info}).")
        use_rollback_journal(conn, schema)
        conn.execute(f"PRAGMA {schema}.cache_size = {-int(cache_kib)}")
        if compartment.kind == "bcu":
            # A file made before a migration that changed the per-BCU tables: only a holder of its key can upgrade it.
            from gvm_desktop.store.migrations import upgrade_compartment  # migrations reach other store modules

            upgrade_compartment(conn, schema)
    except BaseException:
        detach(conn, compartment)
        raise


def max_attached(conn: Connection) -> int:
    """How many files this SQLite build attaches to one connection besides the main one.

    A compile-time limit (SQLITE_MAX_ATTACHED, 10 unless the build raised it, at most 125),
    which `sqlite3_limit` can only lower: with the sqlcipher3 wheels it is 10, fewer than
    the 12 BCUs an auditor holds.
    """
    for (option,) in conn.execute("PRAGMA compile_options"):
        if str(option).startswith("MAX_ATTACHED="):
            return int(str(option).split("=", 1)[1])
    return 10


def detach(conn: Connection, compartment: Compartment) -> None:
    """Detach a compartment (outside a transaction); reinstall the views afterwards."""
    schema = compartment.schema
    if schema in {r[1] for r in conn.execute("PRAGMA database_list")}:
        conn.execute(f"DETACH DATABASE {schema}")


def id_base(conn: Connection, compartment: Compartment) -> int:
    """The id above which an attached BCU compartment allocates."""
    return int(conn.execute(f"SELECT id_base FROM {compartment.schema}.{_INFO_TABLE}").fetchone()[0])


# ---------------------------------------------------------------------------------------------
# The views and their triggers.


@dataclass(frozen=True)
class _Held:
    compartment: Compartment
    base: int

    @property
    def schema(self) -> str:
        return self.compartment.schema

    @property
    def code(self) -> str:
        return self.compartment.label  # validated [A-Z]{2,4}: safe as an SQL string literal


def install_views(conn: Connection, held: Iterable[str], agreements: Iterable[Agreement] = (), *,
                  status_tags: bool = False) -> None:
    """(Re)create the session's views over the BCU compartments `held` (codes), already attached.

    `agreements`: those whose preview compartment is attached and whose BCU is held, kept
    current by TEMP triggers on that BCU's people (store/previews.py).

    Any previous views, triggers and guards made here are dropped first, so call it again
    after attaching or detaching. Each compartment's tables must have the columns the
    template has (an older file must be upgraded first). Runs in one transaction.
    """
    schema = bcu_schema()
    compartments = sorted({bcu(code) for code in held}, key=lambda c: c.label)
    attached = {r[1] for r in conn.execute("PRAGMA database_list")}
    targets: list[_Held] = []
    for compartment in compartments:
        if compartment.schema not in attached:
            raise StorageError(f"The compartment {compartment.file_name} is not attached.")
        _check_columns(conn, compartment, schema)
        targets.append(_Held(compartment, id_base(conn, compartment)))
    statements = [*_bookkeeping(schema), *_drops(conn)]
    for table in schema.tables.values():
        statements.append(_view_sql(table, targets))
        statements.append(_insert_trigger_sql(table, ROUTES[table.name], targets))
        if not table.fts:
            statements.append(_update_trigger_sql(table, ROUTES[table.name], targets))
        statements.append(_delete_trigger_sql(table, targets))
    statements.extend(_guard_sql(guard, target) for guard in schema.guards for target in targets)
    statements.extend(_index_trigger_sql(trigger, target) for trigger in _index_triggers() for target in targets)
    statements.extend(_preview_trigger_sql(conn, agreements, targets))
    if status_tags:  # the session holds the status key and registered the function these triggers call
        from gvm_desktop.store.status_tags import session_triggers as status_triggers

        statements.extend(status_triggers(t.schema for t in targets))
    with transaction(conn, immediate=False):  # TEMP objects only: nothing in the files is written
        for statement in statements:
            conn.execute(statement)
        conn.executemany(f"INSERT INTO {_HELD} (code, schema) VALUES (?, ?)", [(t.code, t.schema) for t in targets])


def _preview_trigger_sql(conn: Connection, agreements: Iterable[Agreement], targets: Sequence[_Held]) -> list[str]:
    from gvm_desktop.store.previews import session_triggers  # previews reads this module's names

    return session_triggers(conn, list(agreements), [t.code for t in targets])


def _check_columns(conn: Connection, compartment: Compartment, schema: BcuSchema) -> None:
    for table in schema.tables.values():
        found = tuple(r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?, ?) ORDER BY cid",
                                                 (table.name, compartment.schema)))
        if found != table.columns:
            raise VaultCorrupt(f"The compartment {compartment.file_name} has another shape of {table.name} "
                               "than this gvm-desktop expects: it needs upgrading.")


def _bookkeeping(schema: BcuSchema) -> list[str]:
    with_ids = [t.name for t in schema.tables.values() if t.integer_id]
    return [
        f"CREATE TABLE IF NOT EXISTS {_INSERTED} (tbl TEXT PRIMARY KEY, id INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {_WRITTEN} (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {_HELD} (code TEXT PRIMARY KEY, schema TEXT NOT NULL)",
        f"INSERT OR IGNORE INTO {_WRITTEN} (id, n) VALUES (1, 0)",
        *(f"INSERT OR IGNORE INTO {_INSERTED} (tbl, id) VALUES ('{name}', 0)" for name in with_ids),
        f"DELETE FROM {_HELD}",
    ]


def _drops(conn: Connection) -> list[str]:
    """Statements dropping what an earlier install made: views (their triggers go with them), guards, index triggers."""
    out = [f"DROP VIEW IF EXISTS temp.{_identifier(name)}" for name in BCU_TABLES]
    guards = conn.execute("SELECT name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE 'cx\\_%' ESCAPE '\\'")
    out.extend(f"DROP TRIGGER IF EXISTS temp.{_identifier(name)}" for (name,) in guards.fetchall())
    return out


def _columns(table: TableShape) -> list[str]:
    """What the view shows: the table's columns; for the full-text index also rowid and its command column."""
    return ["rowid", *table.columns, table.name] if table.fts else list(table.columns)


def _view_sql(table: TableShape, targets: Sequence[_Held]) -> str:
    names = _columns(table)
    if not targets:
        return f"CREATE TEMP VIEW {table.name} AS SELECT {', '.join(f'NULL AS {n}' for n in names)} WHERE 0"
    if table.fts:
        branch = f"SELECT rowid AS rowid, {', '.join(table.columns)}, NULL AS {table.name} FROM {{}}.{table.name}"
    else:
        branch = f"SELECT {', '.join(names)} FROM {{}}.{table.name}"
    return f"CREATE TEMP VIEW {table.name} AS " + " UNION ALL ".join(branch.format(t.schema) for t in targets)


def _routed_to(route: Route, target: _Held, row: str = "NEW") -> str:
    """SQL true when the row belongs in `target`'s compartment."""
    if route.parent:
        return f"EXISTS (SELECT 1 FROM {target.schema}.{route.parent} WHERE id = {row}.{route.column})"
    if route.common_parent:
        return f"(SELECT bcu FROM {COMMON_SCHEMA}.{route.common_parent} WHERE id = {row}.{route.column}) = '{target.code}'"
    return f"{row}.{route.column} = '{target.code}'"


def _anywhere(route: Route, targets: Sequence[_Held]) -> str:
    return " OR ".join(f"({_routed_to(route, t)})" for t in targets) or "0"


def _raise(message: str) -> str:
    # Table names only: a refusal never carries a person's data.
    return f"SELECT RAISE(ABORT, 'gvm: {message}')"


def _counted() -> str:
    return f"UPDATE {_WRITTEN} SET n = n + 1 WHERE id = 1;"


def _insert_trigger_sql(table: TableShape, route: Route, targets: Sequence[_Held]) -> str:
    name = table.name
    body = []
    values = ", ".join(table.new_value(c) for c in table.columns)
    columns = ", ".join(table.columns)
    if table.fts:
        body.append(f"{_raise(f'a {name} command names no row')} WHERE NEW.{name} IS NOT NULL AND NEW.rowid IS NOT NULL;")
        body.append(f"{_raise(f'no compartment held for this {name} row')} "
                    f"WHERE NEW.{name} IS NULL AND NOT ({_anywhere(route, targets)});")
        for t in targets:
            body.append(f"INSERT INTO {t.schema}.{name} ({name}) SELECT NEW.{name} WHERE NEW.{name} IS NOT NULL;")
            body.append(f"INSERT INTO {t.schema}.{name} (rowid, {columns}) SELECT NEW.rowid, {values} "
                        f"WHERE NEW.{name} IS NULL AND {_routed_to(route, t)};")
    else:
        body.append(f"{_raise(f'no compartment held for this {name} row')} WHERE NOT ({_anywhere(route, targets)});")
        if table.integer_id and targets:
            key = f"NEW.{table.integer_id}"
            in_range = " OR ".join(f"(({_routed_to(route, t)}) AND {key} > {t.base} "
                                   f"AND {key} < {t.base + (1 << ID_SPAN_BITS)})" for t in targets)
            body.append(f"{_raise(f'{name} id outside its compartment range')} "
                        f"WHERE {key} IS NOT NULL AND NOT ({in_range});")
        for t in targets:
            body.append(f"INSERT INTO {t.schema}.{name} ({columns}) SELECT {values} WHERE {_routed_to(route, t)};")
        if table.integer_id:
            # Only the routed INSERT above inserted a row, so last_insert_rowid() is its id here;
            # after the trigger SQLite restores the caller's value, hence the table.
            body.append(f"UPDATE {_INSERTED} SET id = last_insert_rowid() WHERE tbl = '{name}';")
    body.append(_counted())
    return f"CREATE TEMP TRIGGER {_PREFIX}{name}_insert INSTEAD OF INSERT ON {name} BEGIN\n" + "\n".join(body) + "\nEND"


def _key_match(table: TableShape) -> str:
    return " AND ".join(f"{k} = OLD.{k}" for k in table.key)


def _update_trigger_sql(table: TableShape, route: Route, targets: Sequence[_Held]) -> str:
    name = table.name
    body = [f"{_raise(f'a {name} row cannot move to another compartment')} "
            f"WHERE NEW.{route.column} IS NOT OLD.{route.column};"]
    # An UPDATE through the view hands every column over; set in one statement, every index of the table would be
    # rewritten for every change (measured: an update through the view took 1.5 ms against 0.5 ms direct). So the
    # columns no index covers go together, and each indexed one only when it changed.
    plain = [c for c in table.columns if c not in table.indexed]
    for t in targets:
        if plain:
            body.append(f"UPDATE {t.schema}.{name} SET {', '.join(f'{c} = NEW.{c}' for c in plain)} "
                        f"WHERE {_key_match(table)};")
        # The key's own columns last: once one moves, `WHERE key = OLD.key` finds the row no more.
        ordered = sorted(table.indexed, key=lambda c: c in table.key)
        body.extend(f"UPDATE {t.schema}.{name} SET {c} = NEW.{c} WHERE {_key_match(table)} AND NEW.{c} IS NOT OLD.{c};"
                    for c in ordered)
    body.append(_counted())
    return f"CREATE TEMP TRIGGER {_PREFIX}{name}_update INSTEAD OF UPDATE ON {name} BEGIN\n" + "\n".join(body) + "\nEND"


def _delete_trigger_sql(table: TableShape, targets: Sequence[_Held]) -> str:
    name = table.name
    body = [f"DELETE FROM {t.schema}.{name} WHERE {_key_match(table)};" for t in targets]
    body.append(_counted())
    return f"CREATE TEMP TRIGGER {_PREFIX}{name}_delete INSTEAD OF DELETE ON {name} BEGIN\n" + "\n".join(body) + "\nEND"


def _guard_sql(guard: Guard, target: _Held) -> str:
    """The migration's trigger, on this compartment's table, as a TEMP trigger.

    A TEMP trigger may read any attached file, which a trigger stored in the compartment may
    not: these read `reviews` and `review_purges` in common, and `nominals` (the view).
    Only the head is rewritten; the body resolves its unqualified names temp -> main -> attached.
    """
    head = _TRIGGER_HEAD.match(guard.sql)
    if head is None or head.group(5) != guard.table:
        raise RuntimeError(f"unexpected form of trigger {guard.name}")
    name, when, event, columns, table = head.groups()
    return (f"CREATE TEMP TRIGGER {_PREFIX}{target.schema}_{name} {when} {event}{columns or ''} "
            f"ON {target.schema}.{table} " + guard.sql[head.end():])


def _index_triggers() -> tuple[IndexTrigger, ...]:
    from gvm_desktop.store.person_index import SESSION_TRIGGERS  # person_index reads compartments' names

    return SESSION_TRIGGERS


def _index_trigger_sql(trigger: IndexTrigger, target: _Held) -> str:
    """A trigger keeping common's reference index current from this compartment's table, as a TEMP trigger.

    A trigger stored in the compartment could not write common; a TEMP trigger writes any attached
    file, so a change to a person and its index row are one transaction, whether it comes through the
    views or straight into the compartment's table on this connection. Its SQL is person_index's,
    which owns those tables; only the head naming this compartment is made here.
    """
    when = f" WHEN {trigger.when}" if trigger.when else ""
    return (f"CREATE TEMP TRIGGER {_PREFIX}{target.schema}_{_identifier(trigger.name)} AFTER {trigger.event} "
            f"ON {target.schema}.{_identifier(trigger.table)}{when} BEGIN\n{trigger.body_for(target.code)}\nEND")


# ---------------------------------------------------------------------------------------------
# What the store needs besides its own SQL.


def held_bcus(conn: Connection) -> tuple[str, ...]:
    """The BCU codes the installed views cover (none before `install_views`)."""
    try:
        return tuple(r[0] for r in conn.execute(f"SELECT code FROM {_HELD} ORDER BY code"))
    except DatabaseError:
        return ()


def _held_schemas(conn: Connection) -> list[str]:
    return [from_schema(r[0]).schema for r in conn.execute(f"SELECT schema FROM {_HELD} ORDER BY code")]


def inserted_id(conn: Connection, table: str) -> int:
    """The id of the row last inserted into `table` through its view on this connection (cur.lastrowid's stand-in).

    An INSERT OR IGNORE that inserted nothing leaves the previous value.
    """
    row = conn.execute(f"SELECT id FROM {_INSERTED} WHERE tbl = ?", (table,)).fetchone()
    if row is None:
        raise ValueError(f"{table} has no allocated id")
    return int(row[0])


def next_id(conn: Connection, table: str, code: str) -> int:
    """The id the next row inserted into `table` of BCU `code`'s compartment will get (inside the transaction)."""
    shape = bcu_schema().tables.get(table)
    if shape is None or shape.integer_id is None:
        raise ValueError(f"{table} has no allocated id")
    schema = bcu(code).schema
    seq, high = conn.execute(
        f"SELECT (SELECT seq FROM {schema}.{_SEQUENCE_TABLE} WHERE name = ?), "
        f"(SELECT max({shape.integer_id}) FROM {schema}.{shape.name})", (table,)).fetchone()
    return max(int(seq or 0), int(high or 0)) + 1


def execute_counted(conn: Connection, sql: str, parameters: Sequence[Any] = ()) -> int:
    """Run a write on the views and return how many of their rows it wrote (cur.rowcount's stand-in).

    SQLite counts no change for a statement on a view; the triggers count each row they route.
    """
    before = _written(conn)
    conn.execute(sql, parameters)
    return _written(conn) - before


def _written(conn: Connection) -> int:
    row = conn.execute(f"SELECT n FROM {_WRITTEN} WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def union_of_held(conn: Connection, branch: str) -> tuple[str, int]:
    """`branch` (SQL naming its compartment `{schema}`, e.g. `{schema}.nominals`) once per held compartment,
    joined by UNION ALL, and how many times the caller repeats the branch's parameters.

    For a hot query to run inside each compartment rather than over the views: a name search
    joining each compartment's index to its own people took 1.0 ms at 100,000 people in 9
    compartments (0.8 ms in one file), against 7.3 ms for `id IN (match_subquery)` over the view.
    With no compartment held it selects nothing (one NULL column) and takes no parameter.
    """
    if "{schema}" not in branch:
        raise ValueError("the branch must name its compartment as {schema}")
    schemas = _held_schemas(conn)
    if not schemas:
        return "SELECT NULL WHERE 0", 0
    return " UNION ALL ".join(branch.replace("{schema}", s) for s in schemas), len(schemas)


def match_ids(conn: Connection, table: str, query: str) -> list[int]:
    """Rowids whose text matches an FTS5 `query`, in every held compartment (ascending)."""
    sql, count = match_subquery(conn, table)
    return sorted(int(r[0]) for r in conn.execute(sql, [query] * count))


def match_subquery(conn: Connection, table: str) -> tuple[str, int]:
    """SQL selecting the matching rowids in every held compartment, and how many `?` it takes (the query, repeated).

    For `WHERE n.id IN (<sql>)`; with no compartment held it selects nothing and takes none.
    """
    shape = bcu_schema().tables.get(table)
    if shape is None or not shape.fts:
        raise ValueError(f"{table} is not a full-text index")
    return union_of_held(conn, f"SELECT rowid FROM {{schema}}.{table} WHERE {table} MATCH ?")


# ---------------------------------------------------------------------------------------------
# Super-journals left behind.


def super_journals(database: Path) -> list[Path]:
    """The super-journals SQLite made beside the main database (`vault.db-mj...`)."""
    prefix = database.name
    return sorted(p for p in database.parent.glob(f"{_glob_escape(prefix)}-mj*")
                  if _SUPER_JOURNAL.fullmatch(p.name[len(prefix):]))


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _journals_named_in(super_journal: Path) -> list[str] | None:
    """The journal paths a super-journal lists (NUL-separated names); None if it cannot be read."""
    try:
        data = super_journal.read_bytes()[: 1 << 20]
    except OSError:
        return None
    return [os.fsdecode(name) for name in data.split(b"\0") if name]


def stale_super_journals(database: Path, *, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Super-journals no journal can point to any more: safe to delete.

    SQLite's rule: a super-journal matters only while a hot journal points to it; then the
    journal is rolled back if the super-journal exists and taken as committed if it does not.
    So one is kept while any journal it lists exists (under its recorded path or, if the
    folder was moved, beside the database): deleting it then could make a half-written
    file look committed. A compartment this session cannot open keeps its hot journal, and
    so the super-journal, until a session holding its key opens it and SQLite rolls it back.
    Also kept: one younger than `older_than` seconds, which another process may still be
    writing (the list is written before the journals point to it). An unreadable one is kept.

    Call it after every attached compartment has been read once (that read is when SQLite
    rolls back a hot journal).
    """
    stale: list[Path] = []
    now = time.time()
    for path in super_journals(database):
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        journals = _journals_named_in(path)
        if age < older_than or journals is None:
            continue
        if not any(Path(j).exists() or (database.parent / Path(j).name).exists() for j in journals):
            stale.append(path)
    return stale


def remove_stale_super_journals(database: Path, *, older_than: float = STALE_AFTER_SECONDS) -> int:
    """Delete the stale super-journals; how many went."""
    removed = 0
    for path in stale_super_journals(database, older_than=older_than):
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass  # SQLite or another session removed it first
    return removed
