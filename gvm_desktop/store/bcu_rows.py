"""The per-BCU tables as plain tables of the one vault file, or as a session's views over BCU compartments.

Before issue 13 a vault is one file, whose per-BCU tables (`compartments.ROUTES`) are plain
tables. With people in BCU compartments, a session reads and writes them through TEMP views
of the same names (`compartments.install_views`). The store's SQL is the same on both,
except where SQLite answers differently through a view, which is what this module covers:

- an INSERT through a view leaves `cursor.lastrowid` stale: `new_id` reads the id the
  view's trigger recorded;
- a write through a view has `cursor.rowcount` 0: `rows_written` counts the rows the
  triggers routed;
- FTS5 MATCH cannot go through a view, nor fts5vocab read one: a search runs inside each
  held compartment (`compartments.union_of_held`, see nominals.live_ids), and
  `index_schemas` names the files that hold a table.

Which kind a connection has is asked of it at each call (`over_views`): one lookup in the
temp schema's catalogue, a few microseconds. It is not remembered per connection, because
the same connection changes kind when a session attaches or detaches a compartment and
reinstalls its views, and a cache keyed by the connection object outlives what it describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gvm_desktop.store import compartments
from gvm_desktop.store.database import Connection

PLAIN_SCHEMA = "main"  # where a single-file vault keeps its per-BCU tables

_IS_VIEW = "SELECT 1 FROM sqlite_temp_master WHERE type = 'view' AND name = ?"


def over_views(conn: Connection, table: str) -> bool:
    """Whether `table` (one of compartments.ROUTES) is, on this connection, a view over BCU compartments."""
    if table not in compartments.ROUTES:
        raise ValueError(f"{table} is not a per-BCU table")
    return conn.execute(_IS_VIEW, (table,)).fetchone() is not None


def new_id(conn: Connection, cursor: Any, table: str) -> int:
    """The id of the row the INSERT just run on `cursor` gave `table` (what `cursor.lastrowid` says of a table)."""
    if over_views(conn, table):
        return compartments.inserted_id(conn, table)
    return int(cursor.lastrowid or 0)


def rows_written(conn: Connection, table: str, sql: str, parameters: Sequence[Any] = ()) -> int:
    """Run an UPDATE or DELETE on `table` and return how many of its rows it wrote (`cursor.rowcount`)."""
    if over_views(conn, table):
        return compartments.execute_counted(conn, sql, parameters)
    return int(conn.execute(sql, parameters).rowcount)


def index_schemas(conn: Connection, table: str) -> tuple[str, ...]:
    """The schemas whose own `table` holds this connection's rows: main, or each held BCU compartment."""
    if over_views(conn, table):
        return tuple(compartments.bcu(code).schema for code in compartments.held_bcus(conn))
    return (PLAIN_SCHEMA,)
