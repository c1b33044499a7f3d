"""Opening the SQLCipher database with a raw key, and transactions.

A page that fails SQLCipher's HMAC check surfaces in SQLite as SQLITE_CORRUPT (or
SQLITE_NOTADB for page 1), and from then on the codec refuses every page it has not
yet decrypted: later statements fail with SQLITE_NOMEM (Python's MemoryError),
SQLITE_READONLY or SQLITE_CORRUPT. `VaultConnection` turns the first of these into
VaultCorrupt and gives every later statement on that connection the same error, so a
damaged page reads as damage wherever it is met, never as a traceback or "disk full".

Journals. Every vault file is in rollback-journal mode (`journal_mode = DELETE`,
`synchronous = FULL`): a transaction writing several attached files commits atomically
only so (docs/architecture.md, "One connection, many files"). A vault made while the
product used WAL is moved at its first open for writing (`connect`). A journal left
beside the database by a crash is "hot": SQLite puts the original pages back at the
first read, whatever the key, and deletes it. That is recovery, not damage. While it
lies there the database file may hold half a commit, which is why `sniff` judges the
file only after that first read when a journal is present.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

import sqlcipher3
from sqlcipher3 import dbapi2

from gvm_desktop.core.errors import GvmError, StaleSession, StorageError, VaultCorrupt, WrongFileType
from gvm_desktop.store.keyslots import check_data_key

# sqlcipher3 ships no type information (see [tool.mypy.overrides]), so to mypy the alias is Any
# and the two error classes are plain values: fine for isinstance() and except, not as annotations.
Connection: TypeAlias = dbapi2.Connection
DatabaseError = dbapi2.DatabaseError
IntegrityError = dbapi2.IntegrityError

_PLAIN_SQLITE = b"SQLite format 3\x00"

CHECK_HINT = "Run 'gvm-desktop check' as an administrator or auditor to find the damaged pages."
_STALE = "The vault changed under this session (its key was rotated or its file replaced): sign in again."
_ROWS_PER_FETCH = 256  # rows a loop over a cursor takes from SQLite at a time (see _Cursor.__iter__)

# How long a statement waits for other processes' locks before "The vault is busy". With rollback
# journals a commit waits for every reader to finish, and new readers wait for that commit.
BUSY_WAIT_SECONDS = 5.0
# How long an open waits for the other connections to a WAL-mode vault to close so it can be moved
# to rollback journals (SQLite needs it alone, and does not wait by itself).
JOURNAL_SWITCH_SECONDS = 5.0


def damaged(detail: str) -> VaultCorrupt:
    return VaultCorrupt(f"The vault database is damaged ({detail}); what was under way was not saved. {CHECK_HINT}")


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None  # extended codes (SQLITE_CORRUPT_INDEX...) share the low byte


def _page_failure(exc: BaseException) -> GvmError | None:
    """SQLite's error for a page that cannot be trusted, worded; None for any other error."""
    if not isinstance(exc, DatabaseError):
        return None
    code, text = _primary_code(exc), str(exc)
    # SQLITE_NOTADB once the connection is open: page 1 no longer decrypts with the key this
    # connection holds, which is what another session's rekey looks like from here.
    if code == dbapi2.SQLITE_NOTADB or (code is None and "not a database" in text):
        return StaleSession(_STALE)
    if code == dbapi2.SQLITE_CORRUPT or (code is None and "malformed" in text):
        return damaged(text)
    return None


class _Cursor(dbapi2.Cursor):
    """Every statement and fetch passes here; only the error paths cost more than a call."""

    def _run(self, call: Any, *args: Any, statement: bool = False) -> Any:
        conn: VaultConnection = self.connection
        if statement and conn.failure is not None:  # SQLCipher gave up on this connection: do not ask it again
            raise conn.again()
        try:
            return call(*args)
        except (DatabaseError, MemoryError) as exc:
            failure = conn.translate(exc)
            if failure is None:
                raise
            raise failure from None

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        return self._run(super().execute, sql, parameters, statement=True)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _Cursor:
        return self._run(super().executemany, sql, seq_of_parameters, statement=True)

    def executescript(self, sql_script: str, /) -> _Cursor:
        return self._run(super().executescript, sql_script, statement=True)

    def fetchone(self) -> Any:
        return self._run(super().fetchone)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._run(super().fetchmany, self.arraysize if size is None else size)

    def fetchall(self) -> list[Any]:
        return self._run(super().fetchall)

    def __iter__(self) -> Iterator[Any]:
        # A loop over a cursor reads the pages it needs as it goes, so damage can first show
        # here. Wrapping __next__ cost 45% on a 100,000-row loop; taking rows from C in
        # batches costs about nothing.
        fetch = super().fetchmany
        while rows := self._run(fetch, _ROWS_PER_FETCH):
            yield from rows


class VaultConnection(dbapi2.Connection):
    """A connection whose page failures are typed errors, and stay so once met."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.armed = False  # connect() words its own opening errors; translation starts after
        self.failure: GvmError | None = None

    def cursor(self, factory: Any = _Cursor) -> Any:  # Connection.execute() comes through here too
        return super().cursor(factory)

    def again(self) -> GvmError:
        assert self.failure is not None
        return type(self.failure)(self.failure.message)

    def translate(self, exc: BaseException) -> GvmError | None:
        """The typed error for an error SQLite raised on this connection, or None to let it through."""
        if not self.armed:
            return None
        if self.failure is not None:
            # Whatever SQLite says after a page failure (NOMEM, READONLY, CORRUPT...) is its echo.
            return self.again()
        failure = _page_failure(exc)
        if failure is None and isinstance(exc, MemoryError) and self._pages_fail():
            failure = damaged("a page failed its HMAC check")
        if failure is not None:
            self.failure = failure
        return failure

    def _pages_fail(self) -> bool:
        """SQLITE_NOMEM with no page failure before it: ask SQLCipher whether any page fails its HMAC.

        Only on this rare error path; the answer separates a damaged file from memory running out.
        """
        try:
            return bool(raw_cursor(self).execute("PRAGMA cipher_integrity_check").fetchall())
        except (DatabaseError, MemoryError):
            return False


def raw_cursor(conn: Connection) -> dbapi2.Cursor:
    """A cursor without the translation: for the integrity check, which must run on a connection that met damage."""
    return dbapi2.Connection.cursor(conn)


def _raw_key_pragma(name: str, key: bytes) -> str:
    # PRAGMA takes no bound parameters. The key is 32 random bytes rendered as
    # hex digits, so the text can only ever be [0-9a-f]; no passphrase or user
    # text is ever formatted into SQL.
    hexkey = check_data_key(key).hex()
    return "PRAGMA " + name + " = \"x'" + hexkey + "'\""


def _looks_like_other_file(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(8)
    return head.startswith((b"%PDF", b"PK\x03\x04", b"{", b"[", b"\x89PNG", b"\xff\xd8\xff"))


def sniff(path: Path) -> None:
    """Refuse a file that is plainly not a vault before any key is tried."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise VaultCorrupt(f"The vault database is missing from {path.parent}.") from None
    if not head:
        raise VaultCorrupt("The vault database is empty (0 bytes): it was truncated or never written.")
    if head.startswith(_PLAIN_SQLITE):
        raise WrongFileType("This is an unencrypted SQLite database, not a gvm-desktop vault.")
    if head.count(0) == len(head):
        raise VaultCorrupt("The vault database is damaged: its first page is all zeros.")
    if len(head) < 4096:
        raise VaultCorrupt("The vault database is truncated: it is shorter than one page.")


def journal_of(path: Path) -> Path:
    """The rollback journal SQLite keeps beside a database file during a write (and after a crash in one)."""
    return path.with_name(path.name + "-journal")


def _journal_present(path: Path) -> bool:
    try:
        return journal_of(path).stat().st_size > 0
    except OSError:
        return False


def connect(path: Path, key: bytes, *, create: bool = False, read_only: bool = False) -> Connection:
    """Open (or create) the encrypted database, prove the key opens it, and put it in rollback-journal mode.

    A vault still in WAL mode (made by an earlier version) is moved to rollback journals
    here. SQLite does that only with no other connection to the file, and refuses at once
    otherwise, so the open is tried again for up to JOURNAL_SWITCH_SECONDS, closing its
    own connection between tries (two processes opening the same old vault would
    otherwise each wait for the other). `read_only` (log verify) moves nothing.
    """
    deadline = time.monotonic() + JOURNAL_SWITCH_SECONDS
    while True:
        conn = _open(path, key, create=create, read_only=read_only)
        if conn is not None:
            return conn
        if time.monotonic() >= deadline:
            raise StorageError("The vault could not be moved to rollback journals, which this version needs: it is "
                               "open in another window or command. Close the others, then try again.")
        time.sleep((20 + secrets.randbelow(80)) / 1000)  # apart from whoever else is trying


def _open(path: Path, key: bytes, *, create: bool, read_only: bool) -> Connection | None:
    """One try of `connect`; None when a WAL-mode vault could not be moved because another connection has it."""
    # A journal may be putting page 1 back (a crash in a commit): judge the file once SQLite has.
    judged_first = not create and not _journal_present(path)
    if judged_first:
        sniff(path)
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False, factory=VaultConnection,
                              timeout=BUSY_WAIT_SECONDS)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(_raw_key_pragma("key", key))
        # One read lock for the first read and the size check, so no commit elsewhere moves the
        # file between them. Taking it rolls back a hot journal.
        conn.execute("BEGIN")
        # A wrong key shows only at the first read of page 1.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not create and not judged_first:
            sniff(path)
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        page_count = conn.execute("PRAGMA page_count").fetchone()[0]
        # A vault not yet moved off WAL may keep pages in its -wal file, so count it too.
        wal = path.with_name(path.name + "-wal")
        on_disk = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        if not create and page_count * int(page_size) > on_disk:
            raise VaultCorrupt("The vault database is truncated: it is shorter than its header says.")
        conn.execute("COMMIT")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        if not read_only and not _use_rollback_journal(conn):
            conn.close()
            return None
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA temp_store = MEMORY")  # no plaintext temp files on disk
        # Every page read from disk is decrypted and checked: keeping 64 MiB of them
        # made a search keystroke at 100,000 people about 10x faster (52 -> 4.5 ms).
        conn.execute("PRAGMA cache_size = -65536")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        conn.armed = True
    except DatabaseError as exc:
        conn.close()
        if not judged_first and not create:
            _sniff_quietly(path)
        text = str(exc)
        if "not a database" in text and _looks_like_other_file(path):
            raise WrongFileType("This file is not a gvm-desktop vault database (it is another kind of file).") from None
        if "not a database" in text:
            raise VaultCorrupt(
                "The vault database does not open with this key: the key-slot file belongs to another "
                "vault, or the database is damaged ('gvm-desktop check' tells which)."
            ) from None
        raise VaultCorrupt(f"The vault database is damaged ({text}). {CHECK_HINT}") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _sniff_quietly(path: Path) -> None:
    """`sniff`, its finding raised without SQLite's error behind it."""
    try:
        sniff(path)
    except GvmError as finding:
        raise finding from None


def _use_rollback_journal(conn: Connection) -> bool:
    """Rollback journal (DELETE) on the main file; False if it is in WAL mode and another connection holds it.

    DELETE rather than TRUNCATE or PERSIST: after each commit the journal, which holds the
    changed pages as they were (encrypted), is gone from the folder; TRUNCATE would leave a
    file of zero bytes behind, PERSIST the pages themselves. Neither overwrites the disk
    blocks the journal used; secure_delete zeroes freed pages in the database file only.
    """
    try:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except DatabaseError as exc:
        if _primary_code(exc) == dbapi2.SQLITE_BUSY or "locked" in str(exc):
            return False
        raise
    if str(mode).lower() == "wal":
        return False
    if str(mode).lower() != "delete":
        raise StorageError(f"The vault database stayed in journal mode {mode}; nothing was opened.")
    return True


def open_to_check(path: Path, key: bytes) -> Connection:
    """The key and nothing else, for the integrity check: no sniffing, no settings, no first read,
    so a file damaged anywhere (page 1 included) still gets a connection. It refuses writes."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, factory=VaultConnection)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(_raw_key_pragma("key", key))
        conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    conn.armed = True
    return conn


def plain_connect(path: Path) -> Connection:
    """An unencrypted database through the same SQLite build and page cache: the benchmarks' fair baseline."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cache_size = -65536")
    return conn


def rekey(conn: Connection, key: bytes) -> None:
    conn.execute(_raw_key_pragma("rekey", key))


@contextmanager
def transaction(conn: Connection, *, immediate: bool = True) -> Iterator[Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: all or nothing.

    `immediate=False` is a read transaction (BEGIN DEFERRED): one snapshot for every statement.

    SQLite's own errors become typed errors with a message fit for people.
    """
    try:
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN DEFERRED")
    except DatabaseError as exc:
        raise _storage_error(exc) from None
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        _roll_back(conn)
        if isinstance(exc, DatabaseError) and not isinstance(exc, IntegrityError):
            raise _storage_error(exc) from None
        raise


def _roll_back(conn: Connection) -> None:
    """ROLLBACK, even on a connection that met damage, and quietly: the error being raised says more.

    `rollback()` goes to SQLite directly, past the cursor's refusal. If SQLite refuses it
    too, nothing half-written survives anyway: the journal still holds the pages as they
    were, and closing the connection, or else the next open anywhere, puts them back.
    """
    try:
        if conn.in_transaction:
            conn.rollback()
    except (DatabaseError, MemoryError):
        pass


def _storage_error(exc: Exception) -> GvmError:  # a DatabaseError (sqlcipher3 is untyped)
    failure = _page_failure(exc)  # for a connection not made by connect(); its own are typed already
    if failure is not None:
        return failure
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError("The vault is busy (another window or command is using it); try again.")
    if "full" in text:
        return StorageError("The disk is full: nothing was saved.")
    return StorageError(f"The vault could not be read or written ({text}); nothing was saved.")


def storage_problem(exc: BaseException) -> GvmError | None:
    """The worded error for a SQLite error that reached a front end untyped, or None if it is not SQLite's."""
    if isinstance(exc, IntegrityError):
        return StorageError(f"The vault refused a change ({exc}); nothing was saved.")
    if isinstance(exc, DatabaseError):
        return _storage_error(exc)
    return None


def rekey_attached(conn: Connection, schema: str, key: bytes) -> None:
    """Rekey one attached compartment (`schema` a checked name such as bcu_ce)."""
    if not re.fullmatch(r"(?:bcu_[a-z]{2,4}|dsa_[1-9][0-9]{0,17})", schema):
        raise ValueError(f"not a compartment's schema name: {schema!r}")
    conn.execute(_raw_key_pragma(f"{schema}.rekey", key))  # the key as hex digits, like every other key pragma
