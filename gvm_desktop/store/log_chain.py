"""Tamper evidence for the access log: a hash chain plus a forward-secure MAC.

Each entry's hash covers the previous entry's hash and the entry's fields, in
SQLite's own `json_array` encoding (one canonical form, computed in C both when
appending and when verifying). Each hash is MACed with a key that evolves one
way after every entry (k[i+1] = SHA-256(tag || k[i])); the vault keeps only the
key for the *next* entry. The MAC is keyed BLAKE2b. Someone who holds the vault key can therefore append
entries but cannot recompute the MAC of any earlier one, and cannot roll the
key back to hide a truncation. The first key, k[0], is the verification key: it
is sealed only to auditors' key slots and to the recovery slot, never stored in
the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from gvm_desktop.core.audit import LogEntry
from gvm_desktop.store.database import Connection

GENESIS = bytes(32)
_EVOLVE_TAG = b"gvm-desktop/log-key/v1"
_FIELDS = ("seq", "at_utc", "tz", "workstation", "user_id", "username", "role", "bcu", "action", "record_ref",
           "reason_category", "justification", "outcome", "detail", "operation_ref")
_JSON = "json_array(" + ", ".join(_FIELDS) + ")"
_JSON_PARAMS = "json_array(" + ", ".join("?" * len(_FIELDS)) + ")"


def evolve(key: bytes) -> bytes:
    return hashlib.sha256(_EVOLVE_TAG + key).digest()


def mac_of(key: bytes, entry_hash: bytes) -> bytes:
    """Keyed BLAKE2b (RFC 7693's MAC mode): a third of HMAC-SHA256's cost through OpenSSL here,
    which matters at ten million entries a verification."""
    return hashlib.blake2b(entry_hash, key=key, digest_size=32).digest()


def _link(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()


def _values(seq: int, e: LogEntry) -> tuple[object, ...]:
    return (seq, e.at_utc, e.tz, e.workstation, e.user_id, e.username, e.role, e.bcu, e.action.value, e.record_ref,
            e.reason_category, e.justification, e.outcome.value, e.detail, e.operation_ref)


def has_chain(conn: Connection) -> bool:
    return conn.execute("SELECT count(*) FROM log_state").fetchone()[0] == 1


def append(conn: Connection, e: LogEntry) -> int:
    """Chain, MAC and insert one entry inside the caller's transaction; return its sequence number."""
    head_seq, head_hash, key = conn.execute("SELECT head_seq, head_hash, mac_key FROM log_state").fetchone()
    seq = int(head_seq) + 1
    values = _values(seq, e)
    canonical = conn.execute(f"SELECT {_JSON_PARAMS}", values).fetchone()[0].encode()
    entry_hash = _link(head_hash, canonical)
    mac = mac_of(key, entry_hash)
    conn.execute(
        f"INSERT INTO access_log ({', '.join(_FIELDS)}, entry_hash, mac) VALUES ({', '.join('?' * len(_FIELDS))}, ?, ?)",
        (*values, entry_hash, mac),
    )
    conn.execute("UPDATE log_state SET head_seq = ?, head_hash = ?, mac_key = ?", (seq, entry_hash, evolve(key)))
    return seq


def start_chain(conn: Connection) -> bytes:
    """Chain the entries already present (written before tamper evidence existed) and return k[0].

    Runs inside the caller's transaction; the append-only triggers are lifted for
    the backfill only and put back before it returns.
    """
    key0 = secrets.token_bytes(32)
    key, prev, seq = key0, GENESIS, 0
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_update")
    rows = conn.execute(f"SELECT seq, {_JSON} FROM access_log ORDER BY seq").fetchall()
    for seq, canonical in rows:
        prev = _link(prev, canonical.encode())
        conn.execute("UPDATE access_log SET entry_hash = ?, mac = ? WHERE seq = ?",
                     (prev, mac_of(key, prev), seq))
        key = evolve(key)
    conn.execute("CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
                 "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END")
    conn.execute("INSERT INTO log_state (id, head_seq, head_hash, mac_key) VALUES (1, ?, ?, ?)", (seq, prev, key))
    return key0


def head(conn: Connection) -> tuple[int, bytes]:
    seq, entry_hash = conn.execute("SELECT head_seq, head_hash FROM log_state").fetchone()
    return int(seq), bytes(entry_hash)


def hash_at(conn: Connection, seq: int) -> bytes | None:
    row = conn.execute("SELECT entry_hash FROM access_log WHERE seq = ?", (seq,)).fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head_seq: int
    head_hash: bytes
    problems: tuple[Problem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def native_library() -> Path | None:
    """The compiled walk (chainverify.c), if this installation built it."""
    here = Path(__file__).parent
    for suffix in EXTENSION_SUFFIXES:
        candidate = here / f"_chainverify{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _load_native(conn: Connection) -> bool:
    library = native_library()
    if library is None:
        return False
    try:
        # Extension loading is switched on only for this one call, with a path inside the package.
        conn.enable_load_extension(True)
        try:
            conn.load_extension(str(library))
        finally:
            conn.enable_load_extension(False)
    except Exception:  # an unloadable build (wrong OpenSSL, other platform): the Python walk still answers
        return False
    return True


_NATIVE_RESULT = struct.Struct("<qq32s32sq")


def verify(conn: Connection, key0: bytes, *, stop_after: int = 20, native: bool = True) -> ChainReport:
    """Verify the chain: the compiled walk when it is available, and the Python walk to describe any fault.

    The compiled walk makes exactly the Python fast path's checks. If it finds
    nothing wrong, only the head and next-key comparisons remain; if it finds
    anything, or cannot run, the Python walk below runs from the start and gives
    the full, worded report, so both implementations always agree on the answer.
    """
    walked = native_walk(conn, key0) if native else None
    if walked is not None and walked.first_bad == 0 and not _head_problems(conn, walked.last_seq, walked.last_hash,
                                                                          walked.next_key):
        head_seq, head_hash = head(conn)
        return ChainReport(walked.entries, head_seq, head_hash, ())
    return python_verify(conn, key0, stop_after=stop_after)


@dataclass(frozen=True)
class NativeWalk:
    entries: int
    first_bad: int  # 0 when every entry held
    last_hash: bytes
    next_key: bytes
    last_seq: int


def native_walk(conn: Connection, key0: bytes) -> NativeWalk | None:
    """The compiled walk's raw answer, or None when it is not available or the log is empty."""
    if not _load_native(conn):
        return None
    # A plain scan of the table is in rowid (= seq) order; a sub-select with ORDER BY would copy every row
    # through a co-routine first (a third of the time). Were the order ever different, the walk's own
    # sequence check would fail and the Python walk, which orders explicitly, would give the answer.
    row = conn.execute(f"SELECT gvm_chain_verify(?, {', '.join(_FIELDS)}, entry_hash, mac) "
                       "FROM access_log NOT INDEXED", (key0,)).fetchone()
    if row[0] is None:
        return None
    count, first_bad, prev, key, expected_seq = _NATIVE_RESULT.unpack(row[0])
    return NativeWalk(count, first_bad, prev, key, expected_seq - 1)


def _head_problems(conn: Connection, last: int, prev: bytes, key: bytes) -> list[Problem]:
    head_seq, head_hash, next_key = conn.execute("SELECT head_seq, head_hash, mac_key FROM log_state").fetchone()
    if head_seq != last or bytes(head_hash) != prev:
        return [Problem(last, f"the recorded head is entry {head_seq} but the log ends at entry {last} "
                              "(entries removed from the end)")]
    if bytes(next_key) != key:
        return [Problem(last, "the stored MAC key does not follow from the last entry "
                              "(the log was cut short and its head rewritten)")]
    return []


def python_verify(conn: Connection, key0: bytes, *, stop_after: int = 20) -> ChainReport:
    """Walk the whole chain: sequence, links, MACs, time order, and the stored next key. Reads only.

    The loop is kept lean on purpose (local names, one fetch per row, no helper calls):
    at ten million entries every microsecond a row is ten seconds.
    """
    problems: list[Problem] = []
    sha256, blake2b, same, tag = hashlib.sha256, hashlib.blake2b, hmac.compare_digest, _EVOLVE_TAG
    key, prev, expected_seq, last_time, count = key0, GENESIS, 1, "", 0
    cur = conn.execute(f"SELECT seq, {_JSON}, entry_hash, mac, at_utc FROM access_log ORDER BY seq")
    for seq, canonical, stored_hash, stored_mac, at_utc in cur:
        count += 1
        entry_hash = sha256(prev + canonical.encode()).digest()
        if seq == expected_seq and stored_hash == entry_hash and at_utc >= last_time and stored_mac is not None and \
                same(stored_mac, blake2b(entry_hash, key=key, digest_size=32).digest()):
            # The common case: everything holds.
            prev, last_time, expected_seq = entry_hash, at_utc, seq + 1
            key = sha256(tag + key).digest()
            continue
        if seq != expected_seq:
            what = (f"entries {expected_seq} to {seq - 1} are missing" if seq > expected_seq
                    else f"entry {seq} is out of sequence (expected {expected_seq})")
            problems.append(Problem(seq, what))
            for _ in range(max(0, seq - expected_seq)):  # the key moves on as many steps as entries are missing
                key = evolve(key)
        if stored_hash is None or bytes(stored_hash) != entry_hash:
            problems.append(Problem(seq, "its contents or its place in the chain were changed (hash mismatch)"))
        elif stored_mac is None or not same(bytes(stored_mac), mac_of(key, entry_hash)):
            problems.append(Problem(seq, "its MAC is wrong (forged or re-chained entry)"))
        if at_utc < last_time:
            problems.append(Problem(seq, f"its time {at_utc} is earlier than the entry before it ({last_time})"))
        last_time = max(last_time, at_utc)
        prev = bytes(stored_hash) if stored_hash is not None else entry_hash
        key = evolve(key)
        expected_seq = seq + 1
        if len(problems) >= stop_after:
            break
    if not problems:
        problems.extend(_head_problems(conn, expected_seq - 1, prev, key))
    head_seq, head_hash = head(conn)
    return ChainReport(count, head_seq, head_hash, tuple(problems))
