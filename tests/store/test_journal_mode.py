"""The vault keeps rollback journals; a vault an earlier version left in WAL mode is moved at its first open.

Why rollback journals: docs/architecture.md, "One connection, many files". The move needs
the file to itself (SQLite refuses at once while another connection has a WAL-mode file
open), so `database.connect` tries again for a while, closing its own connection between
tries, and then says plainly what is in the way.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlcipher3

from gvm_desktop.app import App
from gvm_desktop.core.errors import StorageError
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import compartments, database
from tests.support.vault_access import conn_of, vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
OFFICER, ADMIN = ACC[Role.OFFICER], ACC[Role.ADMIN]


def data_key(app: App) -> bytes:
    ws = app.auth.sign_in(ADMIN.username, ADMIN.password)
    key = bytes(vault_of(ws)._key)
    app.auth.sign_out(ws)
    return key


def as_earlier_version(db: Path, key: bytes) -> database.Connection:
    """A connection such as an earlier version made: the file in WAL mode. The caller closes it."""
    conn = sqlcipher3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    return conn


def mode_on_disk(db: Path, key: bytes) -> str:
    conn = sqlcipher3.connect(str(db), isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the header says WAL or not
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def companions(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f"{db.name}-*"))


def test_a_session_keeps_rollback_journals_with_full_syncs_and_secure_delete(demo_app: App) -> None:
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    conn = conn_of(ws)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == int(database.BUSY_WAIT_SECONDS * 1000)
    compartments.check_rollback_journals(conn)  # what the compartments will ask of every file
    assert companions(demo_app.paths.database) == []  # no WAL, no shared-memory index, no journal between writes
    demo_app.auth.sign_out(ws)


def test_a_vault_left_in_wal_mode_is_moved_at_its_first_open_keeping_what_its_wal_held(
    demo_app: App, make_app: Callable[..., App], tmp_path: Path
) -> None:
    key = data_key(demo_app)
    old = as_earlier_version(demo_app.paths.database, key)
    try:
        old.execute("PRAGMA wal_autocheckpoint = 0")
        old.execute("INSERT INTO meta (key, value) VALUES ('written-under-wal', 'only in the -wal file')")
        # Copied while that change is in the -wal file only, as a crash of the earlier version would leave it.
        shutil.copytree(demo_app.paths.folder, tmp_path / "copy")
    finally:
        old.close()
    app = make_app(tmp_path / "copy")
    db = app.paths.database
    assert companions(db) == ["vault.db-shm", "vault.db-wal"] and (tmp_path / "copy" / "vault.db-wal").stat().st_size
    ws = app.auth.sign_in(OFFICER.username, OFFICER.password)
    conn = conn_of(ws)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT value FROM meta WHERE key = 'written-under-wal'").fetchone() == ("only in the -wal file",)
    assert companions(db) == []  # the -wal file was copied into the database, then it and its index went
    app.auth.sign_out(ws)
    assert mode_on_disk(db, key) == "delete"  # recorded in the file: the next open has nothing to move
    checked = app.integrity.check_as(ADMIN.username, ADMIN.password)
    assert checked.intact, checked.report.summary()


def test_log_verify_reads_a_wal_vault_as_it_is(demo_app: App) -> None:
    """A read-only open (log verify) moves nothing; the next ordinary open does."""
    key = data_key(demo_app)
    as_earlier_version(demo_app.paths.database, key).close()
    assert mode_on_disk(demo_app.paths.database, key) == "wal"
    auditor = ACC[Role.AUDITOR]
    assert demo_app.audit.verify_vault(auditor.username, auditor.password).intact
    assert mode_on_disk(demo_app.paths.database, key) == "wal"
    demo_app.auth.sign_out(demo_app.auth.sign_in(OFFICER.username, OFFICER.password))
    assert mode_on_disk(demo_app.paths.database, key) == "delete"


def test_an_open_that_cannot_move_a_wal_vault_says_why_and_leaves_it_as_it_was(
    demo_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = data_key(demo_app)
    monkeypatch.setattr(database, "JOURNAL_SWITCH_SECONDS", 0.3)
    window = as_earlier_version(demo_app.paths.database, key)  # an earlier version's window, still open
    try:
        window.execute("SELECT count(*) FROM access_log").fetchone()
        with pytest.raises(StorageError, match=r"open in another window or command\. Close the others"):
            demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
        assert window.execute("SELECT count(*) FROM access_log").fetchone()[0] > 0  # that window reads on
    finally:
        window.close()
    assert mode_on_disk(demo_app.paths.database, key) == "wal"
    demo_app.auth.sign_out(demo_app.auth.sign_in(OFFICER.username, OFFICER.password))  # once it is closed, it moves
    assert mode_on_disk(demo_app.paths.database, key) == "delete"


def open_at_once(db: Path, key: bytes, start: threading.Barrier, opened: list[str], errors: list[BaseException]) -> None:
    try:
        start.wait(timeout=30)
        conn = database.connect(db, key)
        try:
            opened.append(str(conn.execute("PRAGMA journal_mode").fetchone()[0]))
        finally:
            conn.close()
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)


def test_several_opens_of_a_wal_vault_at_once_all_get_in(demo_app: App) -> None:
    """Each would wait for the others to close; they close their own connection between tries, so all get in."""
    key, db = data_key(demo_app), demo_app.paths.database
    for _round in range(3):
        as_earlier_version(db, key).close()
        start = threading.Barrier(4)
        opened: list[str] = []
        errors: list[BaseException] = []
        threads = [threading.Thread(target=open_at_once, args=(db, key, start, opened, errors)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == [] and opened == ["delete"] * 4
