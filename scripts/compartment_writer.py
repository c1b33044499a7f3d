"""A process that writes a person to a BCU compartment and their log entry to common, one transaction each.

Run by tests/store/test_compartment_atomicity.py, which kills it and then checks that no
change exists without its log entry and no entry without its change:

    python scripts/compartment_writer.py write FOLDER --journal delete   < keys.json
    python scripts/compartment_writer.py crash FOLDER --journal wal      < keys.json

`write` commits one transaction, prints "ready", then commits more until killed.
`crash` runs one transaction whose compartment row is larger than the file size limit it
sets on itself (RLIMIT_FSIZE, with SIGXFSZ's default action restored): the kernel kills it
at the first write past the limit, which is while SQLite writes that compartment's pages,
after common's part of the commit. A crash at a chosen point, every time.

The keys come on stdin as JSON ({"common": hex, "CE": hex, "EA": hex}), not in argv.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from gvm_desktop.store import compartments as cx
from gvm_desktop.store import database

HELD = ("CE", "EA")
ACTION = "compartment-test"


def open_session(folder: Path, keys: dict[str, bytes], journal: str) -> database.Connection:
    conn = database.connect(folder / "vault.db", keys["common"])
    cx.use_rollback_journal(conn)
    for code in HELD:
        cx.attach(conn, folder, cx.bcu(code), keys[code])
    cx.install_views(conn, HELD)
    if journal == "wal":  # only to show what WAL would do: the product refuses it (check_rollback_journals)
        for schema in ("main", *(cx.bcu(code).schema for code in HELD)):
            conn.execute(f"PRAGMA {schema}.journal_mode = WAL")
    return conn


def write_pair(conn: database.Connection, n: int, code: str, padding: int, log_padding: int) -> None:
    """Person n in BCU `code` and the log entry naming their reference, in one transaction."""
    ref = f"T-{os.getpid()}-{n}"
    with database.transaction(conn):
        conn.execute(
            "INSERT INTO nominals (ref, given_name, family_name, date_of_birth, gender, ethnicity, disability, address, "
            "postcode, borough, bcu, created_at) VALUES (?, 'Test', 'Person', '2004-01-02', 'F', 'W1', 'N', ?, "
            "'ZZ1 1AA', 'Hackney', ?, '2026-03-01T09:00:00Z')",
            (ref, os.urandom(padding // 2).hex(), code))
        conn.execute(
            "INSERT INTO access_log (at_utc, tz, workstation, action, record_ref, outcome, detail) "
            "VALUES ('2026-03-01T09:00:00Z', 'UTC', 'ws-test', ?, ?, 'allowed', ?)",
            (ACTION, ref, os.urandom(log_padding // 2).hex()))


def write_until_killed(conn: database.Connection) -> None:
    n = 1
    write_pair(conn, n, HELD[n % 2], padding=6000, log_padding=3000)
    print("ready", flush=True)  # after a first commit, so every kill lands among commits
    while True:
        n += 1
        write_pair(conn, n, HELD[n % 2], padding=6000, log_padding=3000)


def crash_in_commit(folder: Path, conn: database.Connection) -> None:
    import resource

    largest = max(p.stat().st_size for p in folder.iterdir() if p.is_file())
    limit = largest + (256 << 10)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; a crash is what is wanted
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    print("ready", flush=True)
    write_pair(conn, 1, "CE", padding=4 * limit, log_padding=200)
    print("survived", flush=True)  # the test fails if this is ever printed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("write", "crash"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--journal", choices=("delete", "wal"), default="delete")
    args = parser.parse_args()
    keys = {name: bytes.fromhex(value) for name, value in json.loads(sys.stdin.readline()).items()}
    conn = open_session(args.folder, keys, args.journal)
    if args.mode == "write":
        write_until_killed(conn)
    else:
        crash_in_commit(args.folder, conn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
