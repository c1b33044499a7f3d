"""Someone with the database owner's rights (here the cluster's superuser) edits the log: verification fails there.

The append-only triggers are a guard rail the superuser can switch off (session_replication_role);
the evidence is the chain and the MACs under a key that has moved on and that only auditors can
start again from k[0].
"""

from __future__ import annotations

import hashlib

from gvm_desktop.server import log_sql, log_verify
from gvm_desktop.store.log_chain import _link
from tests.server.conftest import ServerLog
from tests.server.test_log_grants import entry


def _ten_entries(server_log: ServerLog) -> None:
    with server_log.as_member("gvm_officer") as conn:
        for n in range(9):
            log_sql.append(conn, entry("gvm_officer", n))


def _as_attacker(server_log: ServerLog, *statements: tuple[str, tuple[object, ...]]) -> None:
    with server_log.superuser() as conn:
        conn.execute("SET session_replication_role = replica")  # triggers off
        for statement, params in statements:
            conn.execute(statement, params)


def _report(server_log: ServerLog) -> log_verify.ChainReport:
    with server_log.as_member("gvm_auditor") as auditor:
        return log_verify.verify(auditor, server_log.init.key0)


def test_an_intact_log_verifies(server_log: ServerLog) -> None:
    _ten_entries(server_log)
    report = _report(server_log)
    assert report.intact and report.entries == 10


def test_the_triggers_refuse_even_the_owner(server_log: ServerLog) -> None:
    with server_log.superuser() as conn:
        try:
            conn.execute("UPDATE gvm.access_log SET detail = 'x' WHERE seq = 1")
        except Exception as exc:  # psycopg.errors.InsufficientPrivilege, raised by the trigger
            assert "append-only" in str(exc)
        else:
            raise AssertionError("the guard rail let an UPDATE through")


def test_an_edited_entry_fails_at_its_seq(server_log: ServerLog) -> None:
    _ten_entries(server_log)
    _as_attacker(server_log, ("UPDATE gvm.access_log SET justification = 'nothing to see' WHERE seq = 5", ()))
    report = _report(server_log)
    assert not report.intact
    assert report.problems[0].seq == 5 and "hash mismatch" in report.problems[0].what


def test_an_edited_entry_rehashed_fails_on_its_mac(server_log: ServerLog) -> None:
    _ten_entries(server_log)
    with server_log.superuser() as conn:
        row = next(log_sql.rows(conn, 5, 5))
    fields = list(row.fields)
    fields[11] = "nothing to see"
    forged = _link(row.prev_hash, log_verify.canonical(tuple(fields)))
    _as_attacker(server_log, ("UPDATE gvm.access_log SET justification = %s, entry_hash = %s WHERE seq = 5",
                              ("nothing to see", forged)))
    report = _report(server_log)
    assert [p.seq for p in report.problems][:1] == [5] and "MAC is wrong" in report.problems[0].what


def test_a_deleted_entry_is_missing(server_log: ServerLog) -> None:
    _ten_entries(server_log)
    _as_attacker(server_log, ("DELETE FROM gvm.access_log WHERE seq = 4", ()))
    report = _report(server_log)
    assert report.problems[0].seq == 5 and "entries 4 to 4 are missing" in report.problems[0].what


def test_a_log_cut_short_with_its_head_rewritten_shows(server_log: ServerLog) -> None:
    _ten_entries(server_log)
    with server_log.superuser() as conn:
        row = next(log_sql.rows(conn, 8, 8))
    _as_attacker(server_log, ("DELETE FROM gvm.access_log WHERE seq > 8", ()),
                 ("UPDATE gvm_private.log_state SET head_seq = 8, head_hash = %s", (row.entry_hash,)))
    report = _report(server_log)
    assert not report.intact and "MAC key does not follow" in report.problems[0].what


def test_a_log_cut_short_shows_against_its_head(server_log: ServerLog) -> None:
    _ten_entries(server_log)
    _as_attacker(server_log, ("DELETE FROM gvm.access_log WHERE seq > 8", ()))
    report = _report(server_log)
    assert not report.intact and "entries removed from the end" in report.problems[0].what


def test_the_key_commitment_is_not_the_next_key(server_log: ServerLog) -> None:
    with server_log.as_member("gvm_auditor") as auditor:
        head = log_sql.head(auditor)
    assert head is not None
    key1 = hashlib.sha256(b"gvm-desktop/log-key/v1" + server_log.init.key0).digest()
    assert head.key_commitment == log_verify.key_commitment(key1) != key1
