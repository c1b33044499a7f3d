"""Splitting a one-file vault into compartments (issue 13): an older vault upgrades in place, a new one is born split.

Before the split every slot opens common's key, and common holds everyone. The split
moves each BCU's people into that BCU's own file under a new key, sealed only to the
slots entitled to it, and then removes them from common. It is resumable: each step is
one transaction (or one atomic file write) and finds out on its own whether it was
done, so a process killed at any point leaves a vault the next opening finishes.

1. `keys`: the twelve new keys are generated once and kept in common's meta table
   (`split_keys`), in the same transaction that drops common's triggers on the tables
   that are moving (their bodies read common, and they would refuse the moving of signed
   review items). Keeping the keys in common costs nothing while the split is under way:
   common still holds every person, and every slot opens it. They are deleted, and their
   pages zeroed, in step 5. Without them a crash after a file is filled and before its key
   is sealed would lose that BCU's people.
2. `files`: each BCU's file is created empty (compartments.create_compartment writes it
   under a hidden name and renames it when complete).
3. `sealed`: each key (and the status key, status_tags.py) is sealed to the recovery slot
   and the entitled slots, in one rewrite of the slot file. A compartment that already has
   keys is left as it is.
4. `moved`: per BCU, one transaction across common and that file (rollback journals
   with a super-journal: both files commit or neither) copies its rows, writes their
   status tags in common and deletes them from common.
5. `dropped`: one transaction drops the per-BCU tables from common, deletes the keys and
   marks the vault "dropped".
6. VACUUM of common, outside any transaction, then the mark "split". A crash before it
   leaves zeroed free pages (secure_delete is on), which the next opening gives back.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.core.people import BCUS
from gvm_desktop.store import compartments, meta, status_tags
from gvm_desktop.store.database import Connection, transaction
from gvm_desktop.store.held_compartments import id_index, key_name
from gvm_desktop.store.slot import KeySlot
from gvm_desktop.store.slot_file import KeySlotFile
from gvm_desktop.store.slot_format import DATA_KEY_BYTES

SPLIT_KEYS = "split_keys"  # meta: the new keys while a split is under way (hex, by BCU)
SPLIT_DONE = "compartments"  # meta: "dropped" once common holds no person, "split" once compacted too
DROPPED = "dropped"
FIRST_EPOCH = 1

# Hooks the crash tests use to stop the split between its steps.
Checkpoint = Callable[[str], None]


def _no_checkpoint(_step: str) -> None:
    return None


def is_split(conn: Connection) -> bool:
    return meta.get_meta(conn, SPLIT_DONE) == "split"


def _main_tables(conn: Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}


def needs_split(conn: Connection) -> bool:
    """A vault whose people are (still, or partly) in common."""
    return not is_split(conn) or bool(set(compartments.ROUTES) & _main_tables(conn))


def split(conn: Connection, folder: Path, rewrite_slots: Callable[[Callable[[KeySlotFile], None]], None],
          holders: Callable[[KeySlotFile, str], list[KeySlot]], *, checkpoint: Checkpoint = _no_checkpoint
          ) -> dict[str, bytes]:
    """Run (or finish) the split; returns every BCU's key (the caller holds them only while it may).

    `rewrite_slots(change)` re-reads, changes and writes the slot file under its lock;
    `holders(slots, name)` names the slots that are to hold compartment `name` (the recovery
    slot and the entitled accounts' slots the database vouches for).
    """
    if meta.get_meta(conn, SPLIT_DONE) == DROPPED:
        _vacuum(conn)  # a split stopped after its last transaction: only the compaction was left
        return {}
    keys, status_key = _keys(conn)
    checkpoint("keys")
    for code in sorted(BCUS):
        compartment = compartments.bcu(code)
        if not compartment.path(folder).exists():
            compartments.create_compartment(folder, compartment, keys[code], id_index=id_index(code))
            checkpoint(f"file {code}")

    def seal(slots: KeySlotFile) -> None:
        for code in sorted(BCUS):
            name = key_name(code)
            if not slots.holders(name) and not slots.key_history.get(name):
                slots.add_compartment(name, keys[code], FIRST_EPOCH, holders(slots, name))
        if not slots.holders(status_tags.STATUS) and not slots.key_history.get(status_tags.STATUS):
            slots.add_compartment(status_tags.STATUS, status_key, FIRST_EPOCH, holders(slots, status_tags.STATUS))

    rewrite_slots(seal)
    checkpoint("sealed")
    tables = _main_tables(conn)
    for code in sorted(BCUS):
        if "nominals" in tables:
            _move(conn, folder, code, keys[code], status_key)
            checkpoint(f"moved {code}")
    with transaction(conn):
        left = _left_in_common(conn)
        if left:
            raise VaultCorrupt(f"{left} people in common belong to no known BCU: the vault cannot be split.")
        for table in reversed(compartments.BCU_TABLES):
            conn.execute(f"DROP TABLE IF EXISTS main.{table}")  # our own table names (compartments.ROUTES)
        meta.delete_meta(conn, SPLIT_KEYS)
        meta.set_meta(conn, SPLIT_DONE, DROPPED)
    checkpoint("dropped")
    _vacuum(conn)
    return {**{key_name(code): key for code, key in keys.items()}, status_tags.STATUS: status_key}


def _vacuum(conn: Connection) -> None:
    """Step 6: give back the pages the moved rows and the kept keys were on (secure_delete zeroed them)."""
    conn.execute("VACUUM main")
    with transaction(conn):
        meta.set_meta(conn, SPLIT_DONE, "split")


def _keys(conn: Connection) -> tuple[dict[str, bytes], bytes]:
    """The split's keys (each BCU's, and the status key): those kept from an interrupted run, or new ones (step 1)."""
    with transaction(conn):
        stored = meta.get_meta(conn, SPLIT_KEYS)
        if stored is not None:
            try:
                raw = json.loads(stored)
                keys = {code: bytes.fromhex(raw[code]) for code in [*BCUS, status_tags.STATUS]}
            except (ValueError, KeyError, TypeError):
                raise VaultCorrupt("The keys of an interrupted split are damaged: the vault cannot be split.") from None
            if any(len(k) != DATA_KEY_BYTES for k in keys.values()):
                raise VaultCorrupt("The keys of an interrupted split are damaged: the vault cannot be split.")
            return {c: k for c, k in keys.items() if c != status_tags.STATUS}, keys[status_tags.STATUS]
        keys = {code: secrets.token_bytes(DATA_KEY_BYTES) for code in [*BCUS, status_tags.STATUS]}
        for (name,) in conn.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                f"({','.join('?' * len(compartments.BCU_TABLES))})", compartments.BCU_TABLES).fetchall():
            conn.execute(f'DROP TRIGGER main."{_trigger_name(name)}"')
        meta.set_meta(conn, SPLIT_KEYS, json.dumps({code: key.hex() for code, key in keys.items()}))
        return {c: k for c, k in keys.items() if c != status_tags.STATUS}, keys[status_tags.STATUS]


def _trigger_name(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise VaultCorrupt(f"An unexpected trigger in the vault: {name[:40]!r}.")
    return name


def _move(conn: Connection, folder: Path, code: str, key: bytes, status_key: bytes) -> None:
    """Step 4 for one BCU: copy its rows into its file and delete them from common, in one transaction."""
    compartment = compartments.bcu(code)
    compartments.attach(conn, folder, compartment, key)
    try:
        schema = compartment.schema
        shapes = compartments.bcu_schema().tables
        where = _selections(schema, code)
        with transaction(conn):
            for table in compartments.BCU_TABLES:
                shape = shapes[table]
                columns = ", ".join(shape.columns)
                if shape.fts:
                    conn.execute(f"INSERT INTO {schema}.{table} (rowid, {columns}) "
                                 f"SELECT rowid, {columns} FROM main.{table} WHERE {where[table]}")
                else:
                    conn.execute(f"INSERT INTO {schema}.{table} ({columns}) "
                                 f"SELECT {columns} FROM main.{table} WHERE {where[table]}")
            status_tags.fill(conn, status_key, schema)
            for table in reversed(compartments.BCU_TABLES):
                conn.execute(f"DELETE FROM main.{table} WHERE {where[table]}")
    finally:
        compartments.detach(conn, compartment)


def _selections(schema: str, code: str) -> Mapping[str, str]:
    """Per table, which of common's rows belong to BCU `code` (evaluated before any is deleted from common)."""
    people = f"(SELECT id FROM {schema}.nominals)"
    out: dict[str, str] = {}
    for table, route in compartments.ROUTES.items():
        if route.common_parent:
            out[table] = f"{route.column} IN (SELECT id FROM main.{route.common_parent} WHERE bcu = '{code}')"
        elif route.parent:
            out[table] = f"{route.column} IN {people}"
        else:
            out[table] = f"{route.column} = '{code}'"
    return out


def _left_in_common(conn: Connection) -> int:
    tables = _main_tables(conn)
    if "nominals" not in tables:
        return 0
    return int(conn.execute("SELECT count(*) FROM main.nominals").fetchone()[0])  # the archive stays in common
