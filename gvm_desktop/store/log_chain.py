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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

from gvm_desktop.core.audit import LogEntry, LogHead
from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.store.database import Connection, DatabaseError, transaction
from gvm_desktop.store.repository import Repository, bound

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


# The checks run inside SQL, so that a damaged value is never loaded whole: the blobs are selected
# only once they are known to be 32 bytes long (octet_length reads the record header, not the value).
_STATE = ("SELECT typeof(id), CASE WHEN typeof(id) = 'integer' THEN id END, "
          "typeof(head_seq), CASE WHEN typeof(head_seq) = 'integer' THEN head_seq END, "
          "typeof(head_hash), octet_length(head_hash), "
          "CASE WHEN typeof(head_hash) = 'blob' AND octet_length(head_hash) = 32 THEN head_hash END, "
          "typeof(mac_key), octet_length(mac_key), "
          "CASE WHEN typeof(mac_key) = 'blob' AND octet_length(mac_key) = 32 THEN mac_key END "
          "FROM log_state LIMIT 2")


def _not_a_hash(kind: str, size: int | None) -> str:
    return f"{kind} of {size} bytes" if kind == "blob" else kind


def read_state(conn: Connection) -> tuple[int, bytes, bytes]:
    """The log's state, (head_seq, head_hash, next MAC key), checked value by value.

    Raises VaultCorrupt, saying what is wrong, when the one row is missing or doubled or any
    value is not what the application writes (the table is STRICT, but whoever holds the data
    key can rewrite its schema): the id 1, a sequence number >= 0 and two 32-byte blobs.
    """
    rows = conn.execute(_STATE).fetchall()
    if not rows:
        raise VaultCorrupt("the log's state is missing (no recorded head or MAC key)")
    if len(rows) > 1:
        raise VaultCorrupt("the log's state has more than one row")
    id_kind, row_id, seq_kind, head_seq, hash_kind, hash_size, head_hash, key_kind, key_size, key = rows[0]
    if row_id != 1:
        raise VaultCorrupt(f"the log's state is damaged: its row id is {row_id if id_kind == 'integer' else id_kind}, "
                           "not 1")
    if head_seq is None or head_seq < 0:
        raise VaultCorrupt(f"the log's state is damaged: its head is {head_seq if head_seq is not None else seq_kind}, "
                           "not an entry number")
    if head_hash is None:
        raise VaultCorrupt(f"the log's state is damaged: its head hash is {_not_a_hash(hash_kind, hash_size)}, "
                           "not a 32-byte hash")
    if key is None:
        raise VaultCorrupt(f"the log's state is damaged: its MAC key is {_not_a_hash(key_kind, key_size)}, "
                           "not a 32-byte key")
    return head_seq, head_hash, key


def append(conn: Connection, e: LogEntry) -> int:
    """Chain, MAC and insert one entry inside the caller's transaction; return its sequence number."""
    head_seq, head_hash, key = read_state(conn)
    seq = head_seq + 1
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


def head(conn: Connection) -> LogHead:
    """The recorded head; VaultCorrupt if the log's state is damaged (read_state)."""
    seq, entry_hash, _key = read_state(conn)
    return LogHead(seq, entry_hash)


def index_problems(conn: Connection, limit: int = 5) -> list[str]:
    """SQLite's integrity check of the access-log table and its indexes; empty when they agree."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(access_log)").fetchmany(limit)]
    return [] if rows == ["ok"] else rows


def hash_at(conn: Connection, seq: int) -> bytes | None:
    """The stored hash of entry `seq`; None when there is no such entry or its hash is not a 32-byte blob."""
    row = conn.execute("SELECT CASE WHEN typeof(entry_hash) = 'blob' AND octet_length(entry_hash) = 32 "
                       "THEN entry_hash END FROM access_log WHERE seq = ?", (seq,)).fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


@dataclass(frozen=True)
class Problem:
    seq: int  # the entry at fault; 0 when the fault is the log's state, not an entry
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


_NATIVE_RESULT = struct.Struct("<qq32s32sq")  # then, from a chunk, the last good entry's time (chainverify.c)

# Entries one statement of the walk reads. In rollback-journal mode a statement holds the vault's read
# lock until it ends, and a writer in another process waits for it (database.BUSY_WAIT_SECONDS): one
# statement over ten million entries held it for 17 s. So the walk reads the log a chunk at a time, each
# chunk its own statement, and carries its state across. Measured at 200,000 entries: the compiled walk
# is as fast in chunks of 2,000 as in one statement; the Python walk slows above 10,000 (it holds a whole
# chunk's rows at once: 3% at 10,000, 8% at 50,000); a writer committing in a loop beside the walk waited
# at most 50-100 ms at 10,000, 110-250 ms at 20,000-50,000 (tests/store/test_log_walk_chunks.py).
CHUNK_ENTRIES = 10_000


@dataclass(frozen=True)
class WalkStart:
    """What a walk checks the log against, read in one snapshot before it starts (`walk_start`)."""

    state: tuple[int, bytes, bytes] | None  # read_state's answer; None when it is damaged
    state_fault: str  # what is wrong with the state, when it is None
    first: int | None  # the lowest and highest sequence numbers then; None for an empty log
    last: int | None

    def reach(self, hi: int) -> tuple[int, int]:
        """(done, total) once the walk has passed entry `hi`: sequence numbers, which a sound log has no gaps in
        (a damaged log's count may be off by its gap, and only its percentage shows it)."""
        if self.first is None or self.last is None:
            return 0, 0
        return hi - self.first + 1, self.last - self.first + 1


Progress = Callable[[int, int], None]


def walk_start(conn: Connection) -> WalkStart:
    """The log's state and the span of its entries, read together.

    Why together, and why the walk stops at `last`: each chunk is read by its own statement, so
    (outside the caller's transaction) each sees the log as it is by then, and other connections
    append between chunks. An append only adds entries after the last one and moves the state in
    the same transaction. So the log as it stood at this one read is still there, entry for entry,
    up to `last`, and the state read with it is that log's head: the walk goes to `last` and no
    further, and its end is compared with this state, never with one read later (which would be
    ahead of the walk, and read as entries removed from the end). Entries appended meanwhile are
    the next verification's. An entry beyond the recorded head at this read is still walked, and
    shows as the head not matching the log's end, as it always did.
    """
    if conn.in_transaction:  # the caller's snapshot already holds for everything the walk reads
        return _read_start(conn)
    with transaction(conn, immediate=False):  # a read transaction of two short statements
        return _read_start(conn)


def _read_start(conn: Connection) -> WalkStart:
    try:
        state: tuple[int, bytes, bytes] | None = read_state(conn)
        fault = ""
    except VaultCorrupt as exc:  # whatever else is wrong, a damaged state is a fault of its own
        state, fault = None, exc.message
    # Two sub-selects: SQLite answers a lone min() or max() from one end of the rowid tree, both together by a scan.
    first, last = conn.execute("SELECT (SELECT min(seq) FROM access_log), (SELECT max(seq) FROM access_log)"
                               ).fetchall()[0]
    return WalkStart(state, fault, first, last)


def _chunks(conn: Connection, start: WalkStart, size: int) -> Iterator[tuple[int, int]]:
    """The walk's chunks: spans of at most `size` sequence numbers, in order, up to the last entry at the start.

    Each span starts at the next entry there is (one lookup on the rowid), so a gap in a damaged log,
    even one of 2**62 numbers, costs one chunk, not as many as it would take to count across it.
    """
    if size < 1:
        raise ValueError("a chunk holds at least one entry")
    lo, last = start.first, start.last
    while lo is not None and last is not None:
        hi = min(lo + size - 1, last)
        yield lo, hi
        if hi >= last:
            return
        lo = conn.execute("SELECT min(seq) FROM access_log WHERE seq > ? AND seq <= ?", (hi, last)).fetchall()[0][0]


def verify(conn: Connection, key0: bytes, *, stop_after: int = 20, native: bool = True,
           chunk: int = CHUNK_ENTRIES, progress: Progress | None = None) -> ChainReport:
    """Verify the chain: the compiled walk when it is available, and the Python walk to describe any fault.

    The compiled walk makes exactly the Python fast path's checks. If it finds
    nothing wrong, only the head and next-key comparisons remain; if it finds
    anything, or cannot run, the Python walk below runs from the start and gives
    the full, worded report, so both implementations always agree on the answer.
    Neither raises on a damaged log or log state: every fault is a Problem.

    Both walk `chunk` entries a statement, against the state read at the start
    (walk_start): the report is the same for any chunk size, inside the caller's
    transaction or outside any, and the head it gives is the one verified.
    `progress(done, total)` hears after each chunk how far the walk is, never going back.
    """
    start = walk_start(conn)
    onward = _never_back(progress) if progress is not None else None
    walked = native_walk(conn, key0, chunk=chunk, start=start, progress=onward) if native else None
    if walked is not None and walked.first_bad == 0 and start.state is not None and not _compare_head(
            start.state, walked.last_seq, walked.last_hash, walked.next_key):
        return ChainReport(walked.entries, start.state[0], start.state[1], ())
    return _python_walk(conn, key0, start, stop_after=stop_after, chunk=chunk, progress=onward)


def _never_back(progress: Progress) -> Progress:
    """`progress`, told nothing below what it has heard: the Python walk after a fault the compiled walk met
    covers that ground again, and a percentage that fell back would read as the check starting over."""
    furthest = [0]

    def onward(done: int, total: int) -> None:
        if done >= furthest[0]:
            furthest[0] = done
            progress(done, total)

    return onward


@dataclass(frozen=True)
class NativeWalk:
    entries: int  # every entry when all held; else those up to and including the first bad one
    first_bad: int  # 0 when every entry held
    last_hash: bytes
    next_key: bytes
    last_seq: int


# A plain scan of the table is in rowid (= seq) order, and the span is a rowid range (NOT INDEXED still
# lets SQLite use the rowid); a sub-select with ORDER BY would copy every row through a co-routine first
# (a third of the time). Were the order ever different, the walk's own sequence check would fail and the
# Python walk, which orders explicitly, would give the answer.
_NATIVE_CHUNK = (f"SELECT gvm_chain_verify(?, ?, ?, ?, {', '.join(_FIELDS)}, entry_hash, mac) "
                 "FROM access_log NOT INDEXED WHERE seq BETWEEN ? AND ?")


def native_walk(conn: Connection, key0: bytes, *, chunk: int = CHUNK_ENTRIES,
                start: WalkStart | None = None, progress: Progress | None = None) -> NativeWalk | None:
    """The compiled walk's raw answer, or None when it is not available, failed, or the log is empty.

    It stops at the chunk holding the first bad entry: from there the Python walk gives the answer.
    `progress(done, total)` is told after each chunk (see WalkStart.reach).
    """
    if not _load_native(conn):
        return None
    if start is None:
        start = walk_start(conn)
    key, prev, expected, last_time, count, first_bad = key0, GENESIS, 1, b"", 0, 0
    walked = False
    for lo, hi in _chunks(conn, start, chunk):
        try:
            # fetchall: the statement ends here, and with it this chunk's hold on the read lock
            result = conn.execute(_NATIVE_CHUNK, (key, prev, expected, last_time, lo, hi)).fetchall()[0][0]
        except DatabaseError:  # OpenSSL failed inside the walk, or the key is malformed: the Python walk answers
            return None
        if result is None:  # the span's entries went since the walk began: only tampering does that
            continue
        walked = True
        entries, first_bad, prev, key, expected = _NATIVE_RESULT.unpack_from(result)
        last_time = bytes(result[_NATIVE_RESULT.size:])
        count += entries
        if first_bad:
            break
        if progress is not None:
            progress(*start.reach(hi))
    if not walked:
        return None
    return NativeWalk(count, first_bad, prev, key, expected - 1)


def _compare_head(state: tuple[int, bytes, bytes], last: int, prev: bytes, key: bytes) -> list[Problem]:
    head_seq, head_hash, next_key = state
    if head_seq != last or head_hash != prev:
        return [Problem(last, f"the recorded head is entry {head_seq} but the log ends at entry {last} "
                              "(entries removed from the end)")]
    if not hmac.compare_digest(next_key, key):
        return [Problem(last, "the stored MAC key does not follow from the last entry "
                              "(the log was cut short and its head rewritten)")]
    return []


# What each chained field may hold (the table's own types), and how big a field the walk reads into memory.
# The application writes short texts; a field over this was not written by it, and is reported, not loaded.
MAX_FIELD_BYTES = 1 << 20
_ALLOWED = {"seq": ("integer",), "user_id": ("integer", "null")} | {
    f: ("text",) for f in ("at_utc", "tz", "workstation", "action", "outcome")} | {
    f: ("text", "null") for f in ("username", "role", "bcu", "record_ref", "reason_category", "justification",
                                  "detail", "operation_ref")}
# seq is the rowid: always an integer, in any table with this schema or a loosened one.
_CHECKED = tuple(f for f in _FIELDS if f != "seq")


def _field_ok(f: str) -> str:
    # Written out per kind of field, the cheapest form measured (a million rows): "x IS NULL OR ..." for
    # the optional ones, and the size test right after the type test, for text only.
    allowed = _ALLOWED[f]
    if "text" not in allowed:
        return f"typeof({f}) IN ({', '.join(repr(t) for t in allowed)})"
    text_ok = f"typeof({f}) = 'text' AND octet_length({f}) <= {MAX_FIELD_BYTES}"
    return f"({f} IS NULL OR {text_ok})" if "null" in allowed else text_ok


_FIELDS_OK = " AND ".join(_field_ok(f) for f in _CHECKED)


def _blob32(column: str) -> str:
    return f"CASE WHEN typeof({column}) = 'blob' AND octet_length({column}) = 32 THEN {column} END"


# One row per entry, each value checked inside SQL before it is read: json_array runs only on fields of
# the allowed types and sizes (SQLite evaluates CASE lazily; json_array refuses a blob with an error),
# the canonical text and the time come as bytes (a text need not be valid UTF-8), and the hash and MAC
# only when they are 32-byte blobs. Anything else reads as NULL here and is described by _faults.
_WALK = (f"SELECT seq, CASE WHEN {_FIELDS_OK} THEN CAST({_JSON} AS BLOB) END, {_blob32('entry_hash')}, "
         f"{_blob32('mac')}, CASE WHEN typeof(at_utc) = 'text' AND octet_length(at_utc) <= {MAX_FIELD_BYTES} "
         "THEN CAST(at_utc AS BLOB) END FROM access_log NOT INDEXED WHERE seq BETWEEN ? AND ? ORDER BY seq")
_SHAPES = ("SELECT " + ", ".join(f"typeof({f}), octet_length({f})" for f in (*_CHECKED, "entry_hash", "mac"))
           + " FROM access_log WHERE seq = ?")
# A gap is followed key by key (the MAC key moves on once per missing entry). Beyond this the walk
# stops there: the entries after such a gap cannot be checked, and following it would take forever.
_MAX_GAP = 10_000_000


def _faults(conn: Connection, seq: int) -> tuple[list[str], str, str]:
    """What is wrong with entry `seq`'s fields, and its hash's and MAC's shape, from their types and sizes only."""
    row = conn.execute(_SHAPES, (seq,)).fetchone()
    faults = []
    for i, f in enumerate(_CHECKED):
        kind, size = row[2 * i], row[2 * i + 1]
        if kind not in _ALLOWED[f]:
            faults.append(f"field {f} has the wrong type ({kind})")
        elif size is not None and size > MAX_FIELD_BYTES:
            faults.append(f"field {f} is too large ({size:,} bytes)")
    n = 2 * len(_CHECKED)
    return faults, _not_a_hash(row[n], row[n + 1]), _not_a_hash(row[n + 2], row[n + 3])


def _shown(text: bytes) -> str:
    """A stored time as it may be printed: decoded, and escaped when odd (it can hold terminal control codes)."""
    s = text.decode("utf-8", "replace")
    return s if len(s) <= 40 and s.isprintable() else ascii(s[:40]) + ("..." if len(s) > 40 else "")


def _walk_rows(conn: Connection, start: WalkStart, chunk: int,
               progress: Progress | None = None) -> Iterator[tuple[Any, ...]]:
    """The rows the Python walk reads, in seq order, a chunk's statement run to its end before any is handed on.

    `progress` is told of a chunk once the walk asks for the next one (or ends), so its rows have been checked.
    """
    for lo, hi in _chunks(conn, start, chunk):
        yield from conn.execute(_WALK, (lo, hi)).fetchall()
        if progress is not None:
            progress(*start.reach(hi))


def python_verify(conn: Connection, key0: bytes, *, stop_after: int = 20, chunk: int = CHUNK_ENTRIES,
                  progress: Progress | None = None) -> ChainReport:
    """Walk the whole chain: sequence, links, MACs, time order, and the stored next key. Reads only."""
    return _python_walk(conn, key0, walk_start(conn), stop_after=stop_after, chunk=chunk, progress=progress)


def _python_walk(conn: Connection, key0: bytes, start: WalkStart, *, stop_after: int, chunk: int,
                 progress: Progress | None = None) -> ChainReport:
    """python_verify's walk, up to the last entry at `start` and against its state (walk_start says why).

    The loop is kept lean on purpose (local names, one fetch per row, no helper calls):
    at ten million entries every microsecond a row is ten seconds. Whatever a row holds,
    it becomes a Problem, never an exception.
    """
    problems: list[Problem] = []
    sha256, blake2b, same, tag = hashlib.sha256, hashlib.blake2b, hmac.compare_digest, _EVOLVE_TAG
    key, prev, expected_seq, last_time, count = key0, GENESIS, 1, b"", 0
    for seq, canonical, stored_hash, stored_mac, at_utc in _walk_rows(conn, start, chunk, progress):
        count += 1
        if canonical is not None:
            entry_hash = sha256(prev + canonical).digest()
            if seq == expected_seq and stored_hash == entry_hash and at_utc >= last_time and \
                    stored_mac is not None and same(stored_mac, blake2b(entry_hash, key=key, digest_size=32).digest()):
                # The common case: everything holds.
                prev, last_time, expected_seq = entry_hash, at_utc, seq + 1
                key = sha256(tag + key).digest()
                continue
        else:
            entry_hash = GENESIS  # nothing to hash: a field of the wrong type or size, reported below
        if seq != expected_seq:
            if seq > expected_seq + _MAX_GAP:
                problems.append(Problem(seq, f"entries {expected_seq} to {seq - 1} are missing (too many to follow "
                                             "the MAC key across: the entries from here on are not checked)"))
                break
            what = (f"entries {expected_seq} to {seq - 1} are missing" if seq > expected_seq
                    else f"entry {seq} is out of sequence (expected {expected_seq})")
            problems.append(Problem(seq, what))
            for _ in range(max(0, seq - expected_seq)):  # the key moves on as many steps as entries are missing
                key = evolve(key)
        faults, hash_shape, mac_shape = _faults(conn, seq) if canonical is None or stored_hash is None or \
            stored_mac is None else ([], "", "")
        if faults:
            problems.append(Problem(seq, "; ".join(faults)))
        if stored_hash is None:
            problems.append(Problem(seq, f"its stored hash is {hash_shape}, not a 32-byte hash"))
        elif canonical is not None and stored_hash != entry_hash:
            problems.append(Problem(seq, "its contents or its place in the chain were changed (hash mismatch)"))
        elif stored_mac is None:
            problems.append(Problem(seq, f"its stored MAC is {mac_shape}, not a 32-byte MAC"))
        elif not same(stored_mac, mac_of(key, stored_hash)):
            problems.append(Problem(seq, "its MAC is wrong (forged or re-chained entry)"))
        if at_utc is not None:
            if at_utc < last_time:
                problems.append(Problem(seq, f"its time {_shown(at_utc)} is earlier than the entry before it "
                                             f"({_shown(last_time)})"))
            last_time = max(last_time, at_utc)
        # The next entry links to this one's stored hash (when it is one): a fault stays at its entry.
        prev = stored_hash if stored_hash is not None else entry_hash
        key = evolve(key)
        expected_seq = seq + 1
        if len(problems) >= stop_after:
            break
    last = expected_seq - 1
    state = start.state
    if state is None:
        problems.append(Problem(0, start.state_fault))  # 0: the state's fault, not an entry's
        return ChainReport(count, last, prev, tuple(problems))
    if not problems:
        problems.extend(_compare_head(state, last, prev, key))
    return ChainReport(count, state[0], state[1], tuple(problems))


class LogChainRepository(Repository):
    """The access log's chain: its head, the hashes at given entries, verification."""

    __slots__ = ()

    append = bound(append)
    head = bound(head)
    index_problems = bound(index_problems)
    hash_at = bound(hash_at)
    verify = bound(verify)
