"""The store's log search: a checked LogQuery in, SQL written and bound by the store, newest first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.log_filter import LogQuery
from gvm_desktop.store import access_log, database, log_chain
from gvm_desktop.store.migrations import migrate

HOSTILE = "N-1' OR '1'='1"


def _entry(minute: int, *, user_id: int, action: Action, ref: str | None = None, outcome: Outcome = Outcome.ALLOWED,
           reason: ReasonCategory | None = None, day: int = 2) -> LogEntry:
    return LogEntry(at_utc=f"2026-11-{day:02d}T09:{minute:02d}:00Z", tz="UTC", workstation="ws", action=action,
                    outcome=outcome, user_id=user_id, username=f"user{user_id}", record_ref=ref,
                    reason_category=reason.value if reason else None)


@pytest.fixture
def conn(tmp_path: Path) -> database.Connection:
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrate(conn)
    with database.transaction(conn):
        log_chain.start_chain(conn)
        for entry in (
            _entry(0, user_id=1, action=Action.SIGN_IN, day=1),
            _entry(1, user_id=1, action=Action.RECORD_OPEN, ref="N-000001", reason=ReasonCategory.SAFEGUARDING),
            _entry(2, user_id=2, action=Action.RECORD_OPEN, ref="N-000002", reason=ReasonCategory.LINKED_OPERATION),
            _entry(3, user_id=2, action=Action.RECORD_OPEN, ref="N-000003", outcome=Outcome.REFUSED),
            _entry(4, user_id=1, action=Action.RECORD_HISTORY, ref="N-000001", reason=ReasonCategory.SAFEGUARDING),
            _entry(5, user_id=3, action=Action.LOG_SEARCH, ref=HOSTILE, day=3),
        ):
            log_chain.append(conn, entry)
    return conn


def _seqs(conn: database.Connection, query: LogQuery, limit: int = 50, before_seq: int | None = None) -> list[int]:
    return [e.seq for e in access_log.search(conn, query, limit, before_seq=before_seq)]


def test_each_part_of_a_query_narrows_the_search(conn: database.Connection) -> None:
    assert _seqs(conn, LogQuery()) == [6, 5, 4, 3, 2, 1]
    assert _seqs(conn, LogQuery(user_id=1)) == [5, 2, 1]
    assert _seqs(conn, LogQuery(record_ref="N-000001")) == [5, 2]
    assert _seqs(conn, LogQuery(actions=(Action.RECORD_OPEN,))) == [4, 3, 2]
    assert _seqs(conn, LogQuery(actions=(Action.RECORD_OPEN, Action.RECORD_HISTORY), user_id=1)) == [5, 2]
    assert _seqs(conn, LogQuery(outcome=Outcome.REFUSED)) == [4]
    assert _seqs(conn, LogQuery(reason_category=ReasonCategory.SAFEGUARDING)) == [5, 2]
    assert _seqs(conn, LogQuery(since_utc="2026-11-02T00:00:00Z", before_utc="2026-11-03T00:00:00Z")) == [5, 4, 3, 2]
    assert _seqs(conn, LogQuery(since_utc="2026-11-03T00:00:00Z")) == [6]
    assert _seqs(conn, LogQuery(before_utc="2026-11-02T00:00:00Z")) == [1]
    assert _seqs(conn, LogQuery(since_utc="2026-12-01T00:00:00Z")) == []


def test_pages_go_back_from_before_seq(conn: database.Connection) -> None:
    assert _seqs(conn, LogQuery(), limit=2) == [6, 5]
    assert _seqs(conn, LogQuery(), limit=2, before_seq=5) == [4, 3]
    assert _seqs(conn, LogQuery(user_id=1), before_seq=2) == [1]


def test_values_are_bound_never_pasted(conn: database.Connection) -> None:
    assert _seqs(conn, LogQuery(record_ref=HOSTILE)) == [6]
    assert _seqs(conn, LogQuery(record_ref="N-000001' OR '1'='1")) == []


@pytest.mark.parametrize(("query", "index"), [
    (LogQuery(record_ref="N-000001", user_id=1), "access_log_record"),
    (LogQuery(user_id=1, actions=(Action.RECORD_OPEN,)), "access_log_user"),
    (LogQuery(actions=(Action.RECORD_OPEN,), outcome=Outcome.ALLOWED), "access_log_action"),
    (LogQuery(reason_category=ReasonCategory.SAFEGUARDING), "access_log_reason"),
    (LogQuery(outcome=Outcome.REFUSED), "access_log_outcome"),
    (LogQuery(actions=(Action.RECORD_OPEN, Action.RECORD_HISTORY), outcome=Outcome.ALLOWED), None),
    (LogQuery(), None),
])
def test_the_store_picks_the_index_for_the_query(query: LogQuery, index: str | None) -> None:
    assert access_log._index_for(query) == index
