"""A fuzzing harness for `gvm-desktop log verify`: one damaged value, or one moved row, at a time.

An attacker who holds the data key can write anything into the database, including
values the schema would normally refuse. The harness plays that attacker on a demo
vault: it drops the append-only triggers and loosens `access_log` and `log_state`
(no STRICT, no declared types, no NOT NULL or CHECK), so that any value of any
storage class lands exactly as written; with declared types, SQLite's affinity would
quietly turn an integer into text and hide the cases the verifier must survive. Then
each mutation runs on a fresh copy of that vault, and `log verify` runs in-process
through the CLI's `main`.

What must hold (`Result.violations`): the exit code is 0 or 4 and nothing escapes as
an exception; exit 4 says why and names the entry or the log's state; exit 0 only
when the mutation left every stored value and storage class exactly as it was, and
such a no-op always gives 0.

Used by tests/services/test_log_verify_fuzz.py (a few hundred mutations) and by
scripts/fuzz_log_verify.py (thousands, with counts per outcome).
"""

from __future__ import annotations

import io
import random
import shutil
import signal
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gvm_desktop.app import App, build_app
from gvm_desktop.cli import main
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.slot import TEST_KDF
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import vault_of

AUDITOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.AUDITOR)
ADMIN = next(a for a in DEMO_ACCOUNTS if a.role is Role.ADMIN)

STATE_COLUMNS = ("id", "head_seq", "head_hash", "mac_key")
HUGE = 2 * 1024 * 1024  # bigger than any limit the verifier should load into memory for one field

Statement = tuple[str, tuple[object, ...]]
Snapshot = tuple[tuple[tuple[object, ...], ...], tuple[tuple[object, ...], ...]]


def open_app(folder: Path) -> App:
    """An App on `folder` as the tests build one: manual clock, in-memory keyring, cheap Argon2id."""
    return build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                     workstation="ws-test-01")


def build_demo(folder: Path, people: int = 20) -> Path:
    """A small demo vault (for the script; the suite reuses its session-wide template)."""
    app = open_app(folder)
    app.auth.sign_out(app.create_demo(people).workspace)
    return folder


def data_key(app: App) -> bytes:
    """What an administrator's sign-in yields, and so what an attacker with their password holds."""
    ws = app.auth.sign_in(ADMIN.username, ADMIN.password)
    key = bytes(vault_of(ws)._key)
    app.auth.sign_out(ws)
    return key


def busy(app: App, rounds: int = 3) -> None:
    """Some ordinary work, so the log holds a few dozen entries of several kinds (with nulls and without)."""
    for _ in range(rounds):
        for account in DEMO_ACCOUNTS:
            ws = app.auth.sign_in(account.username, account.password)
            app.auth.lock(ws)
            app.auth.unlock(ws, account.password)
            app.auth.sign_out(ws)


def run_verify(folder: Path) -> tuple[int, str, str]:
    """`gvm-desktop log verify --as demo.auditor`, in-process, on the vault in `folder`."""
    app = open_app(folder)
    out, err = io.StringIO(), io.StringIO()
    code = main(["log", "verify", "--vault", str(folder), "--as", AUDITOR.username, "--password-stdin"],
                app_factory=lambda _folder: app, stdin=io.StringIO(AUDITOR.password + "\n"), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def connect(folder: Path, key: bytes) -> database.Connection:
    return database.connect(VaultPaths(folder).database, key)


def loosen(folder: Path, key: bytes) -> None:
    """Drop the guard rails an attacker with the data key can drop: the triggers, STRICT, types and constraints.

    Through `PRAGMA writable_schema`: only the tables' declared SQL changes, not a stored byte
    (STRICT and ordinary tables share the record format). The rowid aliases `seq` and `id` keep
    `INTEGER PRIMARY KEY`: their values live in the rowid, and the record holds NULL in their place.
    """
    conn = connect(folder, key)
    try:
        conn.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        conn.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        conn.execute("PRAGMA writable_schema = ON")
        for table in ("access_log", "log_state"):
            names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            columns = ", ".join(f"{n} INTEGER PRIMARY KEY" if i == 0 else n for i, n in enumerate(names))
            conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (f"CREATE TABLE {table} ({columns})", table))
        # A new schema cookie, so that every connection (this one included) re-reads the schema.
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
        conn.execute("PRAGMA writable_schema = OFF")
    finally:
        conn.close()
    conn = connect(folder, key)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        strict = conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('access_log', 'log_state') "
                              "AND sql LIKE '%STRICT%'").fetchone()[0]
    finally:
        conn.close()
    assert ok == "ok" and strict == 0, (ok, strict)


def log_columns(conn: database.Connection) -> list[str]:
    return [r[1] for r in conn.execute("PRAGMA table_info(access_log)")]


def _read(column: str) -> str:
    # Text is read back as its bytes: the attacker may store text that is not valid UTF-8.
    return f"typeof({column}), CASE WHEN typeof({column}) = 'text' THEN CAST({column} AS BLOB) ELSE {column} END"


def snapshot(conn: database.Connection) -> Snapshot:
    """Every stored value of the log and its state, with its storage class, in rowid order."""
    cols = log_columns(conn)
    log = tuple(conn.execute(f"SELECT {', '.join(_read(c) for c in cols)} FROM access_log ORDER BY seq"))
    state = tuple(conn.execute(f"SELECT {', '.join(_read(c) for c in STATE_COLUMNS)} FROM log_state ORDER BY id"))
    return log, state


# -- mutations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    kind: str
    description: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Value:
    """A value as SQL: an expression (usually `?`) and its parameters, so text that is not UTF-8 can be written."""

    label: str
    expr: str
    params: tuple[object, ...] = ()


_ODD_TEXT = ("", " ", "\x00", "a\x00b", "🙂", "שלום", "\u202e2026", "\ufeff", "\u2028", "'; DROP TABLE access_log; --",
             "null", "[1,2]", "\"", "\\", "9999-12-31T23:59:59Z", "0000-00-00", "2026-11-02T09:00:00Z\x00zzz")


def random_value(rng: random.Random, original: tuple[str, object] | None = None) -> Value:
    """A value of a random storage class; sometimes the original itself, retyped or nudged."""
    kind = rng.choice(("null", "int", "int", "float", "text", "text", "blob", "blob", "not-utf8", "near"))
    if kind == "near" and original is not None and original[0] != "null":
        return _near(rng, original)
    if kind == "int":
        n = rng.choice((0, 1, -1, 2**63 - 1, -(2**63), 2**31, rng.randint(-1000, 1000), rng.randint(-(2**63), 2**63 - 1)))
        return Value(f"int {n}", "?", (n,))
    if kind == "float":
        f = rng.choice((0.0, -0.0, 1.5, 5.0, -1e308, 1e308, float("inf"), float("-inf"), rng.uniform(-1e6, 1e6)))
        return Value(f"float {f!r}", "?", (f,))
    if kind == "text":
        which = rng.randrange(4)
        if which == 0:
            return Value("text huge", "?", ("x" * HUGE,))
        if which == 1:
            text = "".join(chr(rng.choice((rng.randrange(0x20), rng.randrange(0x20, 0x7f), rng.randrange(0xa0, 0xd7ff),
                                           rng.randrange(0xe000, 0x10ffff)))) for _ in range(rng.randrange(1, 40)))
            return Value("text random", "?", (text,))
        return Value("text odd", "?", (rng.choice(_ODD_TEXT),))
    if kind == "blob":
        size = rng.choice((0, 1, 16, 31, 32, 32, 33, 64, HUGE))
        data = bytes(size) if rng.random() < 0.3 else rng.randbytes(size)
        return Value(f"blob {size} bytes", "?", (data,))
    if kind == "not-utf8":
        data = rng.choice((b"\xff", b"\xc3", b"2026-11-02T09:00:00Z\xff", b"\xed\xa0\x80", b"\x00\xff", rng.randbytes(8)))
        return Value("text not UTF-8", "CAST(? AS TEXT)", (data,))
    return Value("null", "NULL")


def _near(rng: random.Random, original: tuple[str, object]) -> Value:
    """The original value under another storage class, or nudged: the cases a loose comparison would miss."""
    storage, value = original
    data = value if isinstance(value, bytes) else str(value).encode()
    choices: list[Value] = [Value("same bytes as blob", "?", (bytes(data),)),
                            Value("same bytes as text", "CAST(? AS TEXT)", (bytes(data),))]
    if storage == "integer":
        assert isinstance(value, int)
        choices += [Value("same number as float", "?", (float(value),)), Value("number + 1", "?", (value + 1,))]
    if storage == "text" and data:
        choices.append(Value("one byte changed", "CAST(? AS TEXT)", (data[:-1] + bytes([data[-1] ^ 1]),)))
    if storage == "blob" and data:
        choices += [Value("one bit flipped", "?", (bytes([data[0] ^ 1]) + data[1:],)),
                    Value("one byte short", "?", (data[:-1],)), Value("one byte long", "?", (data + b"\x00",))]
    return rng.choice(choices)


_SENTINEL_SEQ = -4_000_000_000_000_000_000  # a free rowid for swapping two rows


def _odd_seq(rng: random.Random, seqs: Sequence[int]) -> int:
    top = max(seqs)
    return rng.choice((0, -1, 1, top, top + 1, top + 2, top + 1000, 2**31, 2**62, 2**63 - 1, -(2**63),
                       rng.choice(seqs), rng.choice(seqs) + 1, rng.randint(1, top + 5)))


@dataclass(frozen=True)
class Target:
    """What a mutation is drawn from: the original log and its state."""

    columns: tuple[str, ...]
    rows: dict[int, dict[str, tuple[str, object]]]  # seq -> column -> (storage class, value)
    state: dict[str, tuple[str, object]]

    @classmethod
    def read(cls, conn: database.Connection) -> Target:
        columns = tuple(log_columns(conn))
        rows = {}
        for row in conn.execute(f"SELECT {', '.join(_read(c) for c in columns)} FROM access_log ORDER BY seq"):
            cells = {c: (row[2 * i], row[2 * i + 1]) for i, c in enumerate(columns)}
            rows[int(cells["seq"][1])] = cells  # type: ignore[call-overload]
        state_row = conn.execute(f"SELECT {', '.join(_read(c) for c in STATE_COLUMNS)} FROM log_state").fetchone()
        state = {c: (state_row[2 * i], state_row[2 * i + 1]) for i, c in enumerate(STATE_COLUMNS)}
        return cls(columns, rows, state)


def random_mutation(rng: random.Random, target: Target) -> Mutation:
    seqs = sorted(target.rows)
    seq = rng.choice(seqs)
    cols = ", ".join(target.columns)
    rest = ", ".join(c for c in target.columns if c != "seq")
    kind = rng.choices(("cell", "state cell", "retype", "delete", "duplicate", "renumber", "swap", "state delete",
                        "state duplicate", "truncate"),
                       weights=(40, 12, 8, 5, 5, 6, 6, 3, 3, 3))[0]
    if kind == "cell":
        column = rng.choice(target.columns)
        value = random_value(rng, target.rows[seq][column])
        return Mutation(kind, f"access_log[{seq}].{column} = {value.label}",
                        ((f"UPDATE access_log SET {column} = {value.expr} WHERE seq = ?", (*value.params, seq)),))
    if kind == "state cell":
        column = rng.choice(STATE_COLUMNS)
        value = random_value(rng, target.state[column])
        return Mutation(kind, f"log_state.{column} = {value.label}",
                        ((f"UPDATE log_state SET {column} = {value.expr}", value.params),))
    if kind == "retype":
        to = rng.choice(("TEXT", "BLOB", "INTEGER", "REAL", "NUMERIC"))
        if rng.random() < 0.75:
            column = rng.choice([c for c in target.columns if c != "seq"])
            return Mutation(kind, f"access_log[{seq}].{column} cast to {to}",
                            ((f"UPDATE access_log SET {column} = CAST({column} AS {to}) WHERE seq = ?", (seq,)),))
        column = rng.choice(STATE_COLUMNS[1:])
        return Mutation(kind, f"log_state.{column} cast to {to}",
                        ((f"UPDATE log_state SET {column} = CAST({column} AS {to})", ()),))
    if kind == "delete":
        return Mutation(kind, f"access_log[{seq}] deleted", (("DELETE FROM access_log WHERE seq = ?", (seq,)),))
    if kind == "duplicate":
        new = _odd_seq(rng, seqs)
        return Mutation(kind, f"access_log[{seq}] copied to {new}",
                        ((f"INSERT INTO access_log ({cols}) SELECT ?, {rest} FROM access_log WHERE seq = ?", (new, seq)),))
    if kind == "renumber":
        new = _odd_seq(rng, seqs)
        return Mutation(kind, f"access_log[{seq}] renumbered {new}",
                        (("UPDATE access_log SET seq = ? WHERE seq = ?", (new, seq)),))
    if kind == "swap":
        other = seq + 1 if seq + 1 in target.rows and rng.random() < 0.5 else rng.choice(seqs)
        return Mutation(kind, f"access_log[{seq}] and [{other}] swapped", (
            ("UPDATE access_log SET seq = ? WHERE seq = ?", (_SENTINEL_SEQ, seq)),
            ("UPDATE access_log SET seq = ? WHERE seq = ?", (seq, other)),
            ("UPDATE access_log SET seq = ? WHERE seq = ?", (other, _SENTINEL_SEQ))))
    if kind == "state delete":
        return Mutation(kind, "log_state emptied", (("DELETE FROM log_state", ()),))
    if kind == "state duplicate":
        new_id = rng.choice((2, 0, -1, 2**63 - 1))
        return Mutation(kind, f"log_state row copied to id {new_id}",
                        (("INSERT INTO log_state (id, head_seq, head_hash, mac_key) "
                          "SELECT ?, head_seq, head_hash, mac_key FROM log_state", (new_id,)),))
    # truncate: cut the tail, sometimes the whole log, sometimes with the head rewritten to match
    keep = rng.choice((0, seq, max(seqs) - 1))
    statements: list[Statement] = [("DELETE FROM access_log WHERE seq > ?", (keep,))]
    if keep and rng.random() < 0.5:
        statements.append(("UPDATE log_state SET head_seq = ?, head_hash = (SELECT entry_hash FROM access_log "
                           "WHERE seq = ?)", (keep, keep)))
    return Mutation(kind, f"log cut after entry {keep}", tuple(statements))


# -- running ----------------------------------------------------------------------------------


@dataclass
class Result:
    mutation: Mutation
    outcome: str  # "refused by SQLite", "exit 0 (no-op)", "exit 4", ... or "exception"
    changed: bool
    code: int | None = None
    out: str = ""
    err: str = ""
    violations: list[str] = field(default_factory=list)

    def report(self) -> str:
        return f"{self.mutation.description}: {self.outcome}; {'; '.join(self.violations)}\n{self.err[-2000:]}"


def check(code: int | None, err: str, changed: bool) -> list[str]:
    """The properties `log verify` must have on any damage."""
    problems = []
    if code not in (0, 4):
        problems.append(f"exit code {code}, expected 0 or 4")
    if "Traceback" in err:
        problems.append("a traceback on stderr")
    if code == 0 and changed:
        problems.append("'Intact' for a log that was changed")
    if code == 4 and not changed:
        problems.append("'NOT intact' for a log nobody changed")
    if code == 4 and "entry " not in err and "log's state" not in err:
        problems.append("exit 4 without naming the entry or the log's state")
    return problems


class _TimedOut(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM, so only on Unix and in the main thread; else it just runs)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Harness:
    """A loosened demo vault, its original contents, and a way to try one mutation on a fresh copy of it."""

    def __init__(self, demo: Path, work: Path, time_limit: float = 60.0) -> None:
        self.work = work
        self.time_limit = time_limit  # a verification that never ends is a failure too (a huge gap once was)
        self.base = work / "base"
        shutil.copytree(demo, self.base)
        app = open_app(self.base)
        busy(app)
        self.key = data_key(app)
        loosen(self.base, self.key)
        code, _out, err = run_verify(self.base)  # loosening alone changes no value: still intact
        assert code == 0, err
        conn = connect(self.base, self.key)
        try:
            self.original = snapshot(conn)
            self.target = Target.read(conn)
        finally:
            conn.close()

    def try_one(self, mutation: Mutation) -> Result:
        folder = self.work / "try"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(self.base, folder)
        conn = connect(folder, self.key)
        try:
            conn.execute("BEGIN")
            for sql, params in mutation.statements:
                conn.execute(sql, params)
            conn.execute("COMMIT")
            changed = snapshot(conn) != self.original
        except database.DatabaseError as exc:  # e.g. a rowid that is not an integer, a duplicate seq
            conn.execute("ROLLBACK")
            return Result(mutation, f"refused by SQLite ({type(exc).__name__})", changed=False)
        finally:
            conn.close()
        try:
            with _time_limit(self.time_limit):
                code, out, err = run_verify(folder)
        except _TimedOut:
            result = Result(mutation, "timeout", changed)
            result.violations.append(f"log verify ran for more than {self.time_limit:.0f} s")
            return result
        except Exception:
            result = Result(mutation, "exception", changed, err=traceback.format_exc())
            result.violations.append("an exception escaped from main")
            return result
        outcome = f"exit {code}" + ("" if changed else " (no-op)")
        return Result(mutation, outcome, changed, code, out, err, check(code, err, changed))

    def run(self, count: int, seed: int, progress: Callable[[int, Result], None] | None = None) -> list[Result]:
        rng = random.Random(seed)
        results = []
        for i in range(count):
            result = self.try_one(random_mutation(rng, self.target))
            results.append(result)
            if progress:
                progress(i, result)
        return results


def summary(results: Sequence[Result], seconds: float | None = None) -> str:
    by_outcome = Counter(r.outcome for r in results)
    by_kind = Counter((r.mutation.kind, r.outcome) for r in results)
    lines = [f"{len(results)} mutations" + (f" in {seconds:.1f} s" if seconds is not None else "")]
    lines += [f"  {n:6d}  {outcome}" for outcome, n in by_outcome.most_common()]
    lines.append("by kind:")
    lines += [f"  {n:6d}  {kind}: {outcome}" for (kind, outcome), n in sorted(by_kind.items())]
    bad = [r for r in results if r.violations]
    lines.append(f"violations: {len(bad)}")
    lines += [f"  {r.report()}" for r in bad[:20]]
    return "\n".join(lines)


def timed_run(harness: Harness, count: int, seed: int) -> tuple[list[Result], float]:
    start = time.perf_counter()
    results = harness.run(count, seed)
    return results, time.perf_counter() - start
