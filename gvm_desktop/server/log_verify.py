"""Verifying the server's access log with the vault's own chain functions and k[0].

The server chains and MACs in PL/pgSQL (schema.sql); this walk recomputes every link and MAC in
Python with store/log_chain.py's `_link`, `mac_of` and `evolve` from the rows an auditor reads, so a
difference between the two implementations fails here as loudly as tampering does. The canonical
form is rebuilt with `json.dumps` (compact, non-ASCII as is), whose output is SQLite's `json_array`
for the values a log holds (text, integers, null): tests/server/test_log_identity.py holds all three
to it. The end is compared with gvm.log_head(): the head, and a commitment to the next MAC key,
because no client role can read the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable

import psycopg

from gvm_desktop.server import log_sql
from gvm_desktop.server.log_sql import Connection, LogRow
from gvm_desktop.store.log_chain import GENESIS, ChainReport, Problem, _link, evolve, mac_of

# gvm_private.key_commitment in schema.sql
_COMMITMENT_TAG = b"gvm-desktop/log-key-commitment/v1"


def key_commitment(key: bytes) -> bytes:
    return hashlib.sha256(_COMMITMENT_TAG + key).digest()


def canonical(fields: tuple[object, ...]) -> bytes:
    return json.dumps(list(fields), ensure_ascii=False, separators=(",", ":")).encode()


def walk(rows: Iterable[LogRow], key0: bytes, *,
         stop_after: int = 20) -> tuple[int, int, bytes, bytes, list[Problem]]:
    """(entries, last seq, last hash, next key, problems) over `rows` in seq order."""
    problems: list[Problem] = []
    key, prev, expected, last_time, count = key0, GENESIS, 1, "", 0
    for row in rows:
        count += 1
        seq = row.seq
        if seq != expected:
            problems.append(Problem(seq, f"entries {expected} to {seq - 1} are missing" if seq > expected
                                    else f"entry {seq} is out of sequence (expected {expected})"))
            for _ in range(max(0, seq - expected)):
                key = evolve(key)
        entry_hash = _link(prev, canonical(row.fields))
        if row.entry_hash != entry_hash:
            problems.append(Problem(seq, "its contents or its place in the chain were changed (hash mismatch)"))
        elif not hmac.compare_digest(row.mac, mac_of(key, entry_hash)):
            problems.append(Problem(seq, "its MAC is wrong (forged or re-chained entry)"))
        if row.at_utc < last_time:
            problems.append(Problem(seq, f"its time {row.at_utc!r} is earlier than the entry before it "
                                         f"({last_time!r})"))
        last_time = max(last_time, row.at_utc)
        prev = row.entry_hash  # a fault stays at its entry: the next one links to what is stored
        key = evolve(key)
        expected = seq + 1
        if len(problems) >= stop_after:
            break
    return count, expected - 1, prev, key, problems


def verify(conn: Connection, key0: bytes, *, stop_after: int = 20) -> ChainReport:
    """Walk the whole server log (as an auditor: SELECT on the log, EXECUTE on log_head) against k[0].

    One read-only snapshot (REPEATABLE READ) for the head and every row, so appends made meanwhile
    are the next verification's and never read as a broken end.
    """
    idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if idle:  # inside the caller's transaction, its snapshot is the one read
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        recorded = log_sql.head(conn)
        if recorded is None:
            return ChainReport(0, 0, GENESIS, (Problem(0, "the log's state is missing (no recorded head)"),))
        bounds = log_sql.span(conn)
        rows = log_sql.rows(conn, bounds[0], bounds[1]) if bounds else iter(())
        count, last, prev, key, problems = walk(rows, key0, stop_after=stop_after)
    if not problems:
        if recorded.seq != last or recorded.hash != prev:
            problems.append(Problem(last, f"the recorded head is entry {recorded.seq} but the log ends at entry "
                                          f"{last} (entries removed from the end)"))
        elif not hmac.compare_digest(recorded.key_commitment, key_commitment(key)):
            problems.append(Problem(last, "the stored MAC key does not follow from the last entry "
                                          "(the log was cut short and its head rewritten)"))
    return ChainReport(count, recorded.seq, recorded.hash, tuple(problems))
