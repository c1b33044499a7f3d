"""The server chains and MACs byte for byte as the vault does, so one verifier covers both.

The same entries go through gvm.append_log on the server and through store/log_chain.py's own
`append` into a vault's access_log (SQLite's json_array, hashlib's SHA-256 and keyed BLAKE2b),
started from the server's k[0]: every entry hash and MAC must be equal, and the vault's verifier
(compiled and Python walks) must pass over the copy.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.server import log_sql, log_verify
from gvm_desktop.server.log_sql import LogRow
from gvm_desktop.store import database, log_chain
from gvm_desktop.store.migrations import migrate
from tests.server.conftest import ServerLog

# Every character class the canonical form escapes or passes through: quotes, backslashes, every control
# character, DEL, Latin-1, the JSON-troublesome U+2028/U+2029, a BOM, an astral emoji; empty and null fields.
ODD_TEXTS = ('plain', 'quote " and backslash \\ and slash /', "".join(chr(c) for c in range(1, 32)) + "\x7f",
             "café Ærø ñ", "\u2028\u2029\ufeff", "\U0001f600 and \U00010348", "", "'; DROP TABLE x; --")


def _entries() -> list[LogEntry]:
    out = []
    for i, text in enumerate(ODD_TEXTS):
        out.append(LogEntry(at_utc="-", tz="Europe/London", workstation=f"ws-{i}", action=Action.RECORD_OPEN,
                            outcome=Outcome.ALLOWED, user_id=2**62 + i, username=text, role="officer", bcu="CE",
                            record_ref=f"N-{i:06d}", reason_category="intel", justification=text, detail=text,
                            operation_ref=text or None))
    out.append(LogEntry(at_utc="-", tz="UTC", workstation="ws", action=Action.SIGN_IN_FAILED, outcome=Outcome.REFUSED))
    out.append(LogEntry(at_utc="-", tz="UTC", workstation="ws", action=Action.LOG_VERIFY, outcome=Outcome.FAILED,
                        user_id=-1, detail="x" * 5000))
    return out


def as_entry(row: LogRow) -> LogEntry:
    """A server row as the vault's LogEntry, with the server's time."""
    f = row.fields
    text = [None if v is None else str(v) for v in f]
    return LogEntry(at_utc=str(f[1]), tz=str(f[2]), workstation=str(f[3]), action=Action(str(f[8])),
                    outcome=Outcome(str(f[12])), user_id=None if f[4] is None else int(str(f[4])),
                    username=text[5], role=text[6], bcu=text[7], record_ref=text[9], reason_category=text[10],
                    justification=text[11], detail=text[13], operation_ref=text[14])


def test_server_and_vault_chain_the_same_entries_identically(server_log: ServerLog, tmp_path: Path) -> None:
    with server_log.as_member("gvm_officer") as conn:
        for e in _entries():
            log_sql.append(conn, e)
    with server_log.as_member("gvm_auditor") as auditor:
        rows = list(log_sql.rows(auditor, 1, 1 + len(_entries())))
        server_report = log_verify.verify(auditor, server_log.init.key0)
    assert [r.seq for r in rows] == list(range(1, 2 + len(_entries())))

    vault = database.connect(tmp_path / "copy.db", os.urandom(32), create=True)
    try:
        migrate(vault)
        with database.transaction(vault):
            # The vault's state before its first entry, under the server's k[0].
            vault.execute("INSERT INTO log_state (id, head_seq, head_hash, mac_key) VALUES (1, 0, ?, ?)",
                          (log_chain.GENESIS, server_log.init.key0))
            for row in rows:
                assert log_chain.append(vault, as_entry(row)) == row.seq
        copied = vault.execute("SELECT seq, entry_hash, mac FROM access_log ORDER BY seq").fetchall()
        assert [(s, bytes(h), bytes(m)) for s, h, m in copied] == [(r.seq, r.entry_hash, r.mac) for r in rows]
        for native in (True, False):
            report = log_chain.verify(vault, server_log.init.key0, native=native)
            assert report.intact, report.problems
            assert (report.head_seq, report.head_hash) == (server_report.head_seq, server_report.head_hash)
    finally:
        vault.close()
    assert server_report.intact, server_report.problems
    assert server_report.entries == len(rows)


def test_the_python_canonical_form_is_sqlites(tmp_path: Path) -> None:
    vault = database.connect(tmp_path / "c.db", os.urandom(32), create=True)
    try:
        for text in ODD_TEXTS:
            fields = (3, text, None, -7, 2**63 - 1)
            sqlite = vault.execute("SELECT json_array(?, ?, ?, ?, ?)", fields).fetchone()[0].encode()
            assert log_verify.canonical(fields) == sqlite
    finally:
        vault.close()


def test_the_mac_is_keyed_blake2b_of_the_entry_hash(server_log: ServerLog) -> None:
    with server_log.as_member("gvm_auditor") as auditor:
        first = next(log_sql.rows(auditor, 1, 1))
    assert first.mac == hashlib.blake2b(first.entry_hash, key=server_log.init.key0, digest_size=32).digest()
    assert first.mac == log_chain.mac_of(server_log.init.key0, first.entry_hash)
