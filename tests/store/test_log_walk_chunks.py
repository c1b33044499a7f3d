"""The access log's verification walks read the log a chunk at a time, each chunk its own statement.

Why: the vault keeps rollback journals (database.py), where a reader holds the file's read lock
until its statement ends and a writer in another process waits for it, up to its busy timeout,
then fails. One statement over ten million entries held that lock for about 17 s. Chunked, a
writer waits for one chunk at most, and the walks must give the very same answers as before:
for any chunk size, across every chunk boundary, inside a transaction or outside any.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.store import database, log_chain
from gvm_desktop.store.migrations import migrate

CHUNK = 10  # the small chunk the boundary faults are placed around: spans 1-10, 11-20, 21-30, 31-40
ENTRIES = 40
ONE_CHUNK = 10**9  # larger than any log here: the whole walk in one statement, as before chunking
SIZES = (1, 2, 3, CHUNK, CHUNK + 1, ENTRIES - 1)


def entry(i: int) -> LogEntry:
    return LogEntry(at_utc=f"2026-11-02T09:{i:02d}:00Z", tz="GMT", workstation="ws", action=Action.SIGN_IN,
                    outcome=Outcome.ALLOWED, username="synthetic.user", detail=f"entry {i}")


def chained(path: Path, n: int = ENTRIES) -> tuple[database.Connection, bytes, bytes]:
    """A vault file whose log holds `n` entries; its connection, data key and verification key."""
    key = os.urandom(32)
    conn = database.connect(path, key, create=True)
    migrate(conn)
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
        for i in range(n):
            log_chain.append(conn, entry(i))
    return conn, key, key0


def tamper(conn: database.Connection, *sql: str) -> None:
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
    for statement in sql:
        conn.execute(statement)


_COLUMNS = ", ".join([*log_chain._FIELDS[1:], "entry_hash", "mac"])


def copy_of(seq: int, as_seq: int) -> str:
    return f"INSERT INTO access_log (seq, {_COLUMNS}) SELECT {as_seq}, {_COLUMNS} FROM access_log WHERE seq = {seq}"


def swap(a: int, b: int) -> tuple[str, ...]:
    return (f"UPDATE access_log SET seq = -1 WHERE seq = {a}", f"UPDATE access_log SET seq = {a} WHERE seq = {b}",
            f"UPDATE access_log SET seq = {b} WHERE seq = -1")


FAULTS: dict[str, tuple[str, ...]] = {
    "intact": (),
    "removed, last of a chunk": ("DELETE FROM access_log WHERE seq = 10",),
    "removed, first of a chunk": ("DELETE FROM access_log WHERE seq = 11",),
    "removed, a whole chunk": ("DELETE FROM access_log WHERE seq BETWEEN 11 AND 20",),
    "reordered across a boundary": swap(10, 11),
    "reordered, first of two chunks": swap(11, 21),
    "changed, last of a chunk": ("UPDATE access_log SET username = 'someone.else' WHERE seq = 10",),
    "changed, first of a chunk": ("UPDATE access_log SET username = 'someone.else' WHERE seq = 11",),
    "changed, the first entry": ("UPDATE access_log SET detail = 'x' WHERE seq = 1",),
    "changed, the last entry": ("UPDATE access_log SET detail = 'x' WHERE seq = 40",),
    "time back, first of a chunk": ("UPDATE access_log SET at_utc = '2026-11-02T09:08:30Z' WHERE seq = 11",),
    "time too long, first of a chunk": ("UPDATE access_log SET at_utc = at_utc || '" + "9" * 80 + "' WHERE seq = 11",),
    "MAC forged, first of a chunk": ("UPDATE access_log SET mac = zeroblob(32) WHERE seq = 21",),
    "hash blanked, last of a chunk": ("UPDATE access_log SET entry_hash = NULL WHERE seq = 20",),
    "tail cut at a boundary": ("DELETE FROM access_log WHERE seq > 30",),
    "tail cut inside a chunk": ("DELETE FROM access_log WHERE seq > 35",),
    "an entry beyond the head": (copy_of(40, 41),),
    "an entry before the first": (copy_of(1, -7),),
    "a huge sequence number": ("UPDATE access_log SET seq = 4611686018427387904 WHERE seq = 20",),
    "head moved back a chunk": ("UPDATE log_state SET head_seq = 30, head_hash = (SELECT entry_hash FROM access_log "
                                "WHERE seq = 30)",),
    "log state emptied": ("DELETE FROM log_state",),
}


def legacy_first_bad(conn: database.Connection, key0: bytes) -> int:
    """The compiled walk as one statement from the genesis, the form it had before chunks (still registered)."""
    assert log_chain._load_native(conn)
    blob = conn.execute(f"SELECT gvm_chain_verify(?, {', '.join(log_chain._FIELDS)}, entry_hash, mac) "
                        "FROM access_log NOT INDEXED", (key0,)).fetchall()[0][0]
    return int(log_chain._NATIVE_RESULT.unpack(blob)[1])


@pytest.mark.parametrize("name", list(FAULTS))
def test_every_chunk_size_gives_the_same_report(tmp_path: Path, name: str) -> None:
    conn, _key, key0 = chained(tmp_path / "x.db")
    tamper(conn, *FAULTS[name])
    whole = log_chain.verify(conn, key0, chunk=ONE_CHUNK)
    assert whole == log_chain.verify(conn, key0, native=False, chunk=ONE_CHUNK)
    assert whole.intact == (name == "intact"), whole
    walked_whole = log_chain.native_walk(conn, key0, chunk=ONE_CHUNK)
    assert walked_whole is not None
    assert walked_whole.first_bad == legacy_first_bad(conn, key0)
    for size in SIZES:
        assert log_chain.verify(conn, key0, chunk=size) == whole, size
        assert log_chain.verify(conn, key0, native=False, chunk=size) == whole, size
        assert log_chain.native_walk(conn, key0, chunk=size) == walked_whole, size
    assert log_chain.verify(conn, key0) == whole  # the default chunk


def test_a_fault_is_found_in_a_later_chunk_and_in_the_first(tmp_path: Path) -> None:
    """The compiled walk carries its state across chunks: a fault in chunk 3 is named, not the chunks before."""
    conn, _key, key0 = chained(tmp_path / "x.db")
    tamper(conn, "UPDATE access_log SET username = 'someone.else' WHERE seq = 21")
    walked = log_chain.native_walk(conn, key0, chunk=CHUNK)
    assert walked is not None and walked.first_bad == 21 and walked.entries == 21
    report = log_chain.verify(conn, key0, chunk=CHUNK)
    assert [p.seq for p in report.problems] == [21]
    assert log_chain.verify(conn, os.urandom(32), chunk=CHUNK).problems[0].seq == 1  # a wrong key: the first entry


@pytest.mark.parametrize("at", [CHUNK, CHUNK + 1, CHUNK + 2])
def test_time_going_back_across_a_boundary_is_found(tmp_path: Path, at: int) -> None:
    """Entries written so, hash and MAC valid: only the time order, carried from chunk to chunk, finds it."""
    key = os.urandom(32)
    conn = database.connect(tmp_path / "x.db", key, create=True)
    migrate(conn)
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
        for i in range(1, 21):
            log_chain.append(conn, entry(5 if i == at else i))
    whole = log_chain.verify(conn, key0, chunk=ONE_CHUNK)
    assert [p.seq for p in whole.problems] == [at] and "earlier than the entry before it" in whole.problems[0].what
    for size in SIZES:
        walked = log_chain.native_walk(conn, key0, chunk=size)
        assert walked is not None and walked.first_bad == at, size
        assert log_chain.verify(conn, key0, chunk=size) == whole
        assert log_chain.verify(conn, key0, native=False, chunk=size) == whole


@pytest.mark.parametrize("name", ["intact", "removed, first of a chunk", "tail cut at a boundary"])
def test_inside_a_transaction_the_report_is_the_same(tmp_path: Path, name: str) -> None:
    conn, _key, key0 = chained(tmp_path / "x.db")
    tamper(conn, *FAULTS[name])
    outside = log_chain.verify(conn, key0, chunk=CHUNK)
    with database.transaction(conn, immediate=False):
        assert log_chain.verify(conn, key0, chunk=CHUNK) == outside
        assert log_chain.verify(conn, key0, native=False, chunk=CHUNK) == outside


@pytest.mark.parametrize("native", [True, False], ids=["compiled", "python"])
def test_each_chunk_is_a_statement_of_its_own_outside_any_transaction(tmp_path: Path, native: bool) -> None:
    conn, _key, key0 = chained(tmp_path / "x.db")
    walks: list[bool] = []  # for each chunk's statement: was a transaction open?

    def seen(sql: str) -> None:
        if "BETWEEN" in sql and "access_log" in sql:
            walks.append(conn.in_transaction)

    conn.set_trace_callback(seen)
    try:
        assert log_chain.verify(conn, key0, native=native, chunk=CHUNK).intact
    finally:
        conn.set_trace_callback(None)
    assert walks == [False] * (ENTRIES // CHUNK)


def test_a_chunk_holds_at_least_one_entry(tmp_path: Path) -> None:
    conn, _key, key0 = chained(tmp_path / "x.db", 3)
    with pytest.raises(ValueError):
        log_chain.verify(conn, key0, chunk=0)


@pytest.mark.parametrize("native", [True, False], ids=["compiled", "python"])
def test_entries_appended_during_the_walk_are_the_next_verifications(tmp_path: Path, native: bool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Another connection appends between two chunks: the walk verifies the log as it was at its start.

    Compared with a state read after the walk, the head would be ahead of where the walk stopped
    and read as entries removed from the end.
    """
    conn, key, key0 = chained(tmp_path / "x.db")
    chunks = log_chain._chunks

    def appending_after_the_first(c: database.Connection, start: log_chain.WalkStart, size: int
                                  ) -> Iterator[tuple[int, int]]:
        for i, span in enumerate(chunks(c, start, size)):
            yield span
            if i == 0:
                other = database.connect(tmp_path / "x.db", key)
                try:
                    with database.transaction(other):
                        for j in range(5):
                            log_chain.append(other, entry(50 + j))
                finally:
                    other.close()

    monkeypatch.setattr(log_chain, "_chunks", appending_after_the_first)
    report = log_chain.verify(conn, key0, native=native, chunk=CHUNK)
    assert report.intact, report.problems
    assert (report.entries, report.head_seq) == (ENTRIES, ENTRIES)
    monkeypatch.undo()
    assert log_chain.head(conn).seq == ENTRIES + 5
    assert log_chain.verify(conn, key0, native=native, chunk=CHUNK).entries == ENTRIES + 5


# --- the point of it: a writer in another process commits while a long walk runs ---

BIG = 200_000
WRITER_BUSY_MS = 2000

# The writer: appends an entry, commits, and again, until told to stop; then prints each commit's
# start and end (time.monotonic is system-wide, so comparable with the test's) and any failure.
WRITER = r"""
import json, sys, threading, time
from pathlib import Path
from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.store import database, log_chain

key = bytes.fromhex(sys.stdin.readline().strip())
conn = database.connect(Path(sys.argv[1]), key)
conn.execute("PRAGMA busy_timeout = " + sys.argv[2])
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
commits, failures = [], []
n = log_chain.head(conn).seq  # the times go on from the last writer's, so the log stays in time order
print("ready", flush=True)
while not stop.is_set():
    n += 1
    began = time.monotonic()
    try:
        with database.transaction(conn):
            log_chain.append(conn, LogEntry(at_utc=f"2027-01-01T00:00:00.{n:09d}Z", tz="GMT", workstation="ws-writer",
                                            action=Action.SIGN_IN, outcome=Outcome.ALLOWED, detail="written meanwhile"))
        commits.append((began, time.monotonic()))
    except Exception as exc:
        failures.append(type(exc).__name__ + ": " + str(exc))
    time.sleep(0.005)
conn.close()
print(json.dumps({"commits": commits, "failures": failures}), flush=True)
"""


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, bytes]:
    """A vault file in rollback-journal mode whose log holds BIG entries: path, data key, verification key.

    Written as entries from before the chain and then chained (log_chain.start_chain), in one
    transaction: 3 s where BIG appends take 16.
    """
    path = tmp_path_factory.mktemp("big") / "vault.db"
    key = os.urandom(32)
    conn = database.connect(path, key, create=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # where a reader holds up a writer
        migrate(conn)
        with database.transaction(conn):
            conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO access_log (seq, at_utc, tz, workstation, user_id, username, role, bcu, action, "
                "record_ref, outcome, detail) SELECT i, printf('2026-11-02T09:00:00.%07dZ', i), 'Europe/London', "
                "'ws-01', 3, 'demo.officer', 'officer', 'BCU-A', 'record.open', printf('N-%06d', i % 100000), "
                "'allowed', 'entry ' || i FROM n", (BIG,))
            key0 = log_chain.start_chain(conn)
    finally:
        conn.close()
    return path, key, key0


def walk_beside_a_writer(path: Path, key: bytes, key0: bytes, *, native: bool,
                         chunk: int) -> tuple[log_chain.ChainReport, float, list[float], list[float], list[str]]:
    """Verify while another process commits appends: the report, the walk's seconds, the writer's waits
    (each commit, BEGIN IMMEDIATE to COMMIT done) for commits that ended during the walk and for the others,
    and the writer's failures."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(WRITER_BUSY_MS)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    assert writer.stdin is not None and writer.stdout is not None
    try:
        writer.stdin.write(key.hex() + "\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "ready"
        conn = database.connect(path, key)
        try:
            time.sleep(0.05)  # the writer's first commits
            began = time.monotonic()
            report = log_chain.verify(conn, key0, native=native, chunk=chunk)
            ended = time.monotonic()
        finally:
            conn.close()
        time.sleep(0.05)
        out, _err = writer.communicate("stop\n", timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    result = json.loads(out.strip().splitlines()[-1])
    during = [end - start for start, end in result["commits"] if began < end < ended]
    others = [end - start for start, end in result["commits"] if not began < end < ended]
    return report, ended - began, during, others, result["failures"]


def _ms(waits: list[float]) -> str:
    if not waits:
        return "none"
    return f"longest {max(waits) * 1000:.0f} ms, median {statistics.median(waits) * 1000:.0f} ms"


@pytest.mark.parametrize("native", [True, False], ids=["compiled", "python"])
def test_a_writer_in_another_process_commits_while_the_walk_runs(big_log: tuple[Path, bytes, bytes],
                                                                 native: bool) -> None:
    path, key, key0 = big_log
    report, seconds, during, others, failures = walk_beside_a_writer(path, key, key0, native=native,
                                                                     chunk=log_chain.CHUNK_ENTRIES)
    walk = "compiled" if native else "python"
    print(f"\n{walk} walk, {report.entries:,} entries in chunks of {log_chain.CHUNK_ENTRIES:,}: {seconds:.2f} s "
          f"({report.entries / seconds:,.0f} entries/s); writer: {len(during)} commits during it, waits "
          f"{_ms(during)}; {len(others)} before and after it, waits {_ms(others)}")
    if native:
        # For comparison only (not asserted: timings), the compiled walk as one statement, as before chunking:
        # every commit waits for the whole walk, which at ten million entries is past any busy timeout.
        _r, whole_seconds, whole_during, whole_others, _f = walk_beside_a_writer(path, key, key0, native=True,
                                                                                chunk=ONE_CHUNK)
        print(f"{walk} walk as one statement: {whole_seconds:.2f} s; writer: {len(whole_during)} commits during it, "
              f"waits {_ms(whole_during + whole_others)}")
    assert failures == []
    assert len(during) >= 3, (seconds, during, others)
    # Verified as the log stood when the walk began: the writer's later entries are the next check's.
    assert report.intact, report.problems
    assert report.entries == report.head_seq >= BIG
    conn = database.connect(path, key)
    try:
        assert log_chain.head(conn).seq >= report.head_seq + len(during)
    finally:
        conn.close()
