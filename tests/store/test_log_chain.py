"""The chain itself: backfill of entries written before it existed, append, verify."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.store import database, log_chain
from gvm_desktop.store.migrations import migrate


def entry(i: int) -> LogEntry:
    return LogEntry(at_utc=f"2026-11-02T09:{i:02d}:00Z", tz="GMT", workstation="ws", action=Action.SIGN_IN,
                    outcome=Outcome.ALLOWED, username="синтетичний'; --", detail=f"emoji 🙂 {i}")


def test_entries_from_before_the_chain_are_backfilled_then_appends_continue(tmp_path: Path) -> None:
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn, target=3)
    with database.transaction(conn):
        for i in range(5):
            conn.execute("INSERT INTO access_log (at_utc, tz, workstation, action, outcome, detail) "
                         "VALUES (?, 'GMT', 'ws', 'auth.sign_in', 'allowed', ?)", (f"2026-11-02T08:{i:02d}:00Z", str(i)))
    migrate(conn)
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
    with database.transaction(conn):
        for i in range(10):
            log_chain.append(conn, entry(i))
    report = log_chain.verify(conn, key0)
    assert report.intact and report.entries == 15 and report.head_seq == 15
    assert log_chain.verify(conn, os.urandom(32)).problems[0].what.startswith("its MAC is wrong")
    # The append-only guard rail is back after the backfill.
    import pytest

    with pytest.raises(database.IntegrityError, match="append-only"):
        conn.execute("UPDATE access_log SET detail = 'x' WHERE seq = 1")


def test_time_going_backwards_is_reported(tmp_path: Path) -> None:
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn)
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
        log_chain.append(conn, entry(30))
        log_chain.append(conn, entry(10))
    report = log_chain.verify(conn, key0)
    assert [p.what for p in report.problems] == [
        "its time 2026-11-02T09:10:00Z is earlier than the entry before it (2026-11-02T09:30:00Z)"]


def test_filtered_searches_are_answered_from_an_index(tmp_path: Path) -> None:
    """Without the hint SQLite walked all ten million entries for a rare record (9 s); check the plan."""
    from gvm_desktop.store.access_log import SEARCH_INDEXES

    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn)
    for index in SEARCH_INDEXES:
        plan = " ".join(str(r[3]) for r in conn.execute(
            f"EXPLAIN QUERY PLAN SELECT seq FROM access_log INDEXED BY {index} "
            "WHERE record_ref = ? AND user_id = ? AND action IN (?) AND reason_category = ? AND outcome = ? "
            "ORDER BY seq DESC LIMIT 201", ("N-000001", 1, "record.open", "other", "allowed")))
        assert f"USING INDEX {index}" in plan and "TEMP B-TREE" not in plan, plan


def _chained(tmp_path: Path, n: int = 40) -> tuple[database.Connection, bytes]:
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn)
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
        for i in range(n):
            log_chain.append(conn, entry(i))
    return conn, key0


def test_the_compiled_walk_is_built_and_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI builds chainverify.c (setup.py); if it silently fell back to Python, the 10M-entry figure would be wrong."""
    assert log_chain.native_library() is not None, "the C walk was not built (needs a C compiler and OpenSSL headers)"
    conn, key0 = _chained(tmp_path)
    calls: list[int] = []
    monkeypatch.setattr(log_chain, "python_verify", lambda *a, **k: calls.append(1))
    report = log_chain.verify(conn, key0)
    assert report.intact and report.entries == 40 and not calls


def _raw(conn: database.Connection, *sql: str) -> None:
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
    for statement in sql:
        conn.execute(statement)


TAMPERINGS = {
    "edited field": ("UPDATE access_log SET username = 'someone.else' WHERE seq = 7",),
    "deleted entry": ("DELETE FROM access_log WHERE seq = 12",),
    "swapped pair": ("UPDATE access_log SET seq = -1 WHERE seq = 20", "UPDATE access_log SET seq = 20 WHERE seq = 21",
                     "UPDATE access_log SET seq = 21 WHERE seq = -1"),
    "truncated tail": ("DELETE FROM access_log WHERE seq > 35",),
    "forged MAC": ("UPDATE access_log SET mac = zeroblob(32) WHERE seq = 3",),
    "time moved back": ("UPDATE access_log SET at_utc = '2020-01-01T00:00:00Z' WHERE seq = 9",),
    "hash blanked": ("UPDATE access_log SET entry_hash = NULL WHERE seq = 30",),
    "MAC blanked": ("UPDATE access_log SET mac = NULL WHERE seq = 5",),  # was a TypeError in the Python walk
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_both_walks_give_the_same_report_on_every_tampering(tmp_path: Path, name: str) -> None:
    conn, key0 = _chained(tmp_path)
    _raw(conn, *TAMPERINGS[name])
    walked = log_chain.native_walk(conn, key0)
    python = log_chain.verify(conn, key0, native=False)
    assert walked is not None and not python.intact
    # The compiled walk stops at the first entry the Python walk reports (a truncated tail shows only at the head).
    assert walked.first_bad == (0 if name == "truncated tail" else python.problems[0].seq)
    assert log_chain.verify(conn, key0) == python


def test_both_walks_agree_with_the_wrong_key_and_on_an_empty_log(tmp_path: Path) -> None:
    conn, _key0 = _chained(tmp_path)
    wrong = os.urandom(32)
    assert log_chain.verify(conn, wrong) == log_chain.verify(conn, wrong, native=False)
    assert not log_chain.verify(conn, wrong).intact
    empty = database.connect(tmp_path / "e.db", os.urandom(32), create=True)
    migrate(empty)
    with database.transaction(empty):
        key0 = log_chain.start_chain(empty)
    assert log_chain.verify(empty, key0).intact and log_chain.verify(empty, key0).entries == 0


def test_the_compiled_walk_writes_the_canonical_text_exactly_as_json_array(tmp_path: Path) -> None:
    """Every ASCII control character, quotes, backslashes, astral emoji, right-to-left text, big and negative ints."""
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn)
    awkward = "".join(chr(c) for c in range(0, 128)) + "\"\\/ 🙂 𝔘 שלום مرحبا \u2028\u2029\ufeff"
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
        for i, text in enumerate((awkward, "", "'; DROP TABLE access_log; --", "x" * 5000)):
            log_chain.append(conn, LogEntry(at_utc=f"2026-11-02T09:{i:02d}:00Z", tz="Europe/London", workstation=text,
                                            action=Action.SIGN_IN, outcome=Outcome.ALLOWED, user_id=-(2**63) + i,
                                            username=text, detail=text, justification=text))
    walked = log_chain.native_walk(conn, key0)
    assert walked is not None and walked.first_bad == 0 and walked.entries == 4


def test_a_new_vault_never_commits_k0(tmp_path: Path) -> None:
    """On an empty log the current MAC key is k[0]: the chain starts in the transaction of the first entry."""
    from gvm_desktop.store.device import DeviceSecrets
    from gvm_desktop.store.files import VaultPaths
    from gvm_desktop.store.slot import TEST_KDF
    from gvm_desktop.store.vault import Vault

    first = LogEntry(at_utc="2026-11-02T09:00:00Z", tz="Europe/London", workstation="ws-synthetic",
                     action=Action.VAULT_CREATE, outcome=Outcome.ALLOWED)
    vault, _code = Vault.create(VaultPaths(tmp_path / "v"), device=DeviceSecrets(), bind=False, kdf=TEST_KDF,
                                first_entry=first)
    try:
        assert vault.log_key0 is not None
        head_seq, mac_key = vault.conn.execute("SELECT head_seq, mac_key FROM log_state").fetchone()
        assert head_seq == 1 and bytes(mac_key) != vault.log_key0
        assert log_chain.verify(vault.conn, vault.log_key0).intact
    finally:
        vault.close()

