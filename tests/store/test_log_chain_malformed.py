"""Malformed values in the access log and its state: `log verify` reports them (exit 4), it never crashes.

Each case was a traceback (exit 1) or a wrong answer before issue 10. The attacker holds
the data key and has loosened the schema (tests/support/log_fuzz.py: no triggers, no
STRICT, no declared types), so any value lands exactly as written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.store import database, log_chain
from tests.support.log_fuzz import connect, data_key, loosen, run_verify

SEQ = 5  # an entry in the middle of the demo vault's log


@pytest.fixture
def attacker(demo_app: App) -> tuple[Path, bytes]:
    """The demo vault's folder and its data key, with the guard rails gone."""
    key = data_key(demo_app)
    loosen(demo_app.vault_dir, key)
    assert run_verify(demo_app.vault_dir)[0] == 0  # loosening alone changes nothing that is checked
    return demo_app.vault_dir, key


def damage(folder: Path, key: bytes, sql: str, *params: object) -> None:
    conn = connect(folder, key)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


CASES = {
    "log state emptied": ("DELETE FROM log_state", (), "the log's state is missing"),
    "two log state rows": ("INSERT INTO log_state SELECT 2, head_seq, head_hash, mac_key FROM log_state", (),
                           "the log's state has more than one row"),
    "MAC as text": ("UPDATE access_log SET mac = hex(mac) WHERE seq = ?", (SEQ,),
                    f"entry {SEQ}: its stored MAC is text, not a 32-byte MAC"),
    "hash as text": ("UPDATE access_log SET entry_hash = hex(entry_hash) WHERE seq = ?", (SEQ,),
                     f"entry {SEQ}: its stored hash is text, not a 32-byte hash"),
    "justification as blob": ("UPDATE access_log SET justification = x'00ff' WHERE seq = ?", (SEQ,),
                              f"entry {SEQ}: field justification has the wrong type (blob)"),
    "NULL MAC": ("UPDATE access_log SET mac = NULL WHERE seq = ?", (SEQ,),
                 f"entry {SEQ}: its stored MAC is null, not a 32-byte MAC"),
    # (|| makes text, even of two blobs: the CAST keeps it a blob)
    "33-byte hash": ("UPDATE access_log SET entry_hash = CAST(entry_hash || x'00' AS BLOB) WHERE seq = ?", (SEQ,),
                     f"entry {SEQ}: its stored hash is blob of 33 bytes, not a 32-byte hash"),
    "hash as text not UTF-8": ("UPDATE access_log SET entry_hash = CAST(entry_hash AS TEXT) WHERE seq = ?", (SEQ,),
                               f"entry {SEQ}: its stored hash is text, not a 32-byte hash"),
    # The Python walk once followed the MAC key across a gap one step per missing entry: 2**62 steps.
    "huge sequence number": ("UPDATE access_log SET seq = 4611686018427387904 WHERE seq = ?", (SEQ,),
                             f"entry {SEQ + 1}: entries {SEQ} to {SEQ} are missing"),
    "huge text field": ("UPDATE access_log SET detail = ? WHERE seq = ?", ("x" * (2 * 1024 * 1024), SEQ),
                        f"entry {SEQ}: field detail is too large"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_malformed_value_is_reported_not_a_crash(attacker: tuple[Path, bytes], name: str) -> None:
    folder, key = attacker
    sql, params, explanation = CASES[name]
    damage(folder, key, sql, *params)
    code, out, err = run_verify(folder)
    assert code == 4, (code, out, err)
    assert "Traceback" not in err
    assert err.startswith("gvm-desktop: the access log is NOT intact: "), err
    assert explanation in err, err


def test_a_text_timestamp_that_is_not_utf8_is_reported(attacker: tuple[Path, bytes]) -> None:
    """Python cannot decode it; the walks compare it as bytes and name the entry."""
    folder, key = attacker
    damage(folder, key, "UPDATE access_log SET at_utc = CAST(? AS TEXT) WHERE seq = ?", b"2026\xff", SEQ)
    code, _out, err = run_verify(folder)
    assert code == 4 and f"entry {SEQ}: " in err, err


def test_a_field_retyped_with_the_same_bytes_is_not_intact(attacker: tuple[Path, bytes]) -> None:
    """at_utc as a blob holding the very same bytes: the compiled walk read it as text and passed it."""
    folder, key = attacker
    damage(folder, key, "UPDATE access_log SET at_utc = CAST(at_utc AS BLOB) WHERE seq = ?", SEQ)
    code, _out, err = run_verify(folder)
    assert code == 4 and f"entry {SEQ}: field at_utc has the wrong type (blob)" in err, err


def test_read_state_names_each_fault(tmp_path: Path) -> None:
    from gvm_desktop.store.migrations import migrate

    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn)
    with pytest.raises(VaultCorrupt, match="the log's state is missing"):
        log_chain.read_state(conn)
    with database.transaction(conn):
        log_chain.start_chain(conn)
    assert log_chain.read_state(conn)[0] == 0
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE log_state (id INTEGER PRIMARY KEY, head_seq, "
                 "head_hash, mac_key)' WHERE name = 'log_state'")
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute(f"PRAGMA schema_version = {version + 1}")
    conn.execute("PRAGMA writable_schema = OFF")
    faults = {
        "head_seq = -1": "its head is -1",
        "head_seq = 'x'": "its head is text",
        "head_seq = 1.5": "its head is real",
        "head_hash = NULL": "its head hash is null",
        "head_hash = zeroblob(31)": "its head hash is blob of 31 bytes",
        "mac_key = hex(mac_key)": "its MAC key is text",
        "mac_key = zeroblob(1000000)": "its MAC key is blob of 1000000 bytes",
        "id = 7": "its row id is 7",
    }
    for change, message in faults.items():
        conn.execute("SAVEPOINT s")
        conn.execute(f"UPDATE log_state SET {change}")
        with pytest.raises(VaultCorrupt, match=message):
            log_chain.read_state(conn)
        report = log_chain.verify(conn, os.urandom(32))  # a report, not an exception, with either walk
        assert not report.intact and "the log's state" in report.problems[-1].what
        conn.execute("ROLLBACK TO s")
        conn.execute("RELEASE s")


ODD_VALUES: dict[str, tuple[str, object]] = {
    "null": ("?", None), "integer": ("?", 7), "huge integer": ("?", -(2**63)), "real": ("?", 1.5),
    "empty text": ("?", ""), "2 MB text": ("?", "x" * (2 * 1024 * 1024)), "text not UTF-8": ("CAST(? AS TEXT)", b"\xff\x00"),
    "empty blob": ("?", b""), "31-byte blob": ("?", bytes(31)), "32-byte blob": ("?", bytes(32)),
    "33-byte blob": ("?", bytes(33)), "2 MB blob": ("?", bytes(2 * 1024 * 1024)),
}


def test_the_compiled_walk_rejects_any_odd_value_in_any_argument(tmp_path: Path) -> None:
    """Called directly, so even a seq that is not an integer (impossible in the table) reaches it: never a pass."""
    from gvm_desktop.core.audit import Action, LogEntry, Outcome
    from gvm_desktop.store.migrations import migrate

    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn)
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
        log_chain.append(conn, LogEntry(at_utc="2026-11-02T09:00:00Z", tz="GMT", workstation="ws", user_id=3,
                                        action=Action.SIGN_IN, outcome=Outcome.ALLOWED, username="u"))
    columns = [*log_chain._FIELDS, "entry_hash", "mac"]
    good = list(conn.execute(f"SELECT {', '.join(columns)} FROM access_log WHERE seq = 1").fetchone())
    assert log_chain._load_native(conn)

    def first_bad(exprs: list[str], values: list[object]) -> int:
        blob = conn.execute(f"SELECT gvm_chain_verify(?, {', '.join(exprs)})", (key0, *values)).fetchone()[0]
        return log_chain._NATIVE_RESULT.unpack(blob)[1]

    assert first_bad(["?"] * len(columns), good) == 0
    # A verification key that is not 32 bytes makes the walk fail (an SQL error), and the Python walk answers.
    assert log_chain.native_walk(conn, key0[:31]) is None
    assert not log_chain.verify(conn, key0[:31]).intact
    for i, column in enumerate(columns):
        for name, (expr, value) in ODD_VALUES.items():
            if value == good[i] and type(value) is type(good[i]):
                continue
            exprs = ["?"] * len(columns)
            exprs[i] = expr
            values = [*good[:i], value, *good[i + 1:]]
            assert first_bad(exprs, values) != 0, (column, name)
