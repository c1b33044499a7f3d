"""The chain itself: backfill of entries written before it existed, append, verify."""

from __future__ import annotations

import os
from pathlib import Path

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
