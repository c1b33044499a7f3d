"""Whole-database integrity: every page's HMAC (SQLCipher), then the b-trees (SQLite).

Ordinary use reads only the pages it needs, so a damaged page can sit unnoticed for
months (12 of 17 single-byte flips did, in the demo vault). `PRAGMA
cipher_integrity_check` reads every page of the file straight from disk and checks
its HMAC, without the page cache and without SQLCipher's codec, so it also works on
a connection that has already met a damaged page. `PRAGMA integrity_check` then walks
every table and index through the pager.

Both run under one read lock, taken first: no other process commits while the file is
read, and a journal a crash left behind is rolled back before it (SQLite does that when
the lock is taken), so a half-made commit is never read as damage. The lock holds other
processes' commits for the length of the check, as any long read does with rollback
journals.

The report names pages and SQLite's own structural messages: never a row's content.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.errors import GvmError
from gvm_desktop.store import accounts, database, keyslots
from gvm_desktop.store.database import Connection, DatabaseError
from gvm_desktop.store.database import storage_problem as storage_problem  # for the front ends' last defence
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.keyslots import KeySlot, KeySlotFile
from gvm_desktop.store.repository import Repository, bound
from gvm_desktop.store.vault import Vault

SHOWN = 5  # problems a one-line summary names before "and K more"
_STRUCTURE_LIMIT = 100  # SQLite stops integrity_check after this many messages

_HMAC_FAILED = re.compile(r"HMAC verification failed for page (\d+)")
_HMAC_NOT_COMPUTED = re.compile(r"HMAC operation failed for page (\d+)")
_UNREADABLE = re.compile(r"error reading \d+ bytes from file page (\d+)")
_SHORT = re.compile(r"page (\d+) has an invalid size of (\d+) bytes")
_ANY_PAGE = re.compile(r"\bpage (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class PageProblem:
    """One finding: the page it is on (when SQLite says), and what is wrong, fit to print."""

    page: int | None
    what: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.what}" if self.page is not None and self.what[:5] != "page " else self.what


@dataclass(frozen=True)
class IntegrityReport:
    pages: int  # pages of the file whose HMAC was checked
    problems: tuple[PageProblem, ...]
    seconds: float

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def damaged_pages(self) -> tuple[int, ...]:
        return tuple(sorted({p.page for p in self.problems if p.page is not None}))

    @property
    def hmac_failures(self) -> int:
        return sum(1 for p in self.problems if p.what == "HMAC check failed")

    def summary(self, shown: int = SHOWN) -> str:
        """'page 37: HMAC check failed; page 41: HMAC check failed; and 3 more'."""
        if self.pages > 1 and self.hmac_failures == self.pages:
            # Each page's HMAC key is derived with the salt in page 1's first 16 bytes.
            return ("no page passes its HMAC check with this account's key: page 1's salt "
                    "(its first 16 bytes) is damaged, or the key-slot file belongs to another vault")
        text = "; ".join(str(p) for p in self.problems[:shown])
        rest = len(self.problems) - shown
        return f"{text}; and {rest} more" if rest > 0 else text


def _cipher_problem(text: str, page_size: int) -> PageProblem:
    if m := _HMAC_FAILED.search(text):
        return PageProblem(int(m[1]), "HMAC check failed")
    if m := _SHORT.search(text):
        return PageProblem(int(m[1]), f"cut short ({m[2]} of {page_size} bytes)")
    if m := _UNREADABLE.search(text):
        return PageProblem(int(m[1]), "could not be read from the disk")
    if m := _HMAC_NOT_COMPUTED.search(text):
        return PageProblem(int(m[1]), "its HMAC could not be computed")
    return PageProblem(None, text)


def _structure_problem(text: str) -> PageProblem:
    m = _ANY_PAGE.search(text)
    return PageProblem(int(m[1]) if m else None, f"SQLite: {text.strip()}")


def check(conn: Connection, path: Path) -> IntegrityReport:
    """Check the database file behind `conn` (keyed, open): every page's HMAC, then SQLite's structure.

    Reads only. SQLite's walk runs only when every page passes its HMAC: on a damaged page
    it would stop at the first and add nothing, and it would leave `conn` unusable.
    """
    start = time.perf_counter()
    raw = database.raw_cursor(conn)  # past the refusal a connection gives once it has met damage
    with _file_held(conn):
        page_size = int(raw.execute("PRAGMA cipher_page_size").fetchone()[0])
        size = path.stat().st_size
        pages = -(-size // page_size)  # a short last page counts: SQLCipher reports it
        problems = [_cipher_problem(str(r[0]), page_size) for r in raw.execute("PRAGMA cipher_integrity_check")]
        if size == 0:
            problems.append(PageProblem(None, "the database file is empty (0 bytes)"))
        if not problems:
            try:
                rows = [str(r[0]) for r in raw.execute(f"PRAGMA integrity_check({_STRUCTURE_LIMIT})")]
            except (DatabaseError, MemoryError) as exc:
                # Every page of the file passed, so what failed is a page read from elsewhere (the
                # -wal file of a vault an older version left in WAL mode) or the disk itself.
                rows = [f"the structure check stopped: "
                        f"{exc if isinstance(exc, DatabaseError) else 'a page did not decrypt'}"]
            problems.extend(_structure_problem(r) for r in rows if r != "ok")
    return IntegrityReport(pages, tuple(problems), time.perf_counter() - start)


@contextmanager
def _file_held(conn: Connection) -> Iterator[None]:
    """A read transaction around the check, its lock taken at once (a hot journal is rolled back then).

    If the first read fails (page 1 damaged, or a key that opens nothing) the check runs
    without the lock: what it reports is then damage whatever else is happening. Inside a
    caller's transaction the caller's lock already holds the file.
    """
    if conn.in_transaction:
        yield
        return
    raw = database.raw_cursor(conn)
    try:
        raw.execute("BEGIN")
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (DatabaseError, MemoryError):
        pass  # damage at page 1: checked unlocked, as said
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError, MemoryError):
            if conn.in_transaction:
                raw.execute("ROLLBACK")


def check_open(conn: Connection) -> IntegrityReport:
    """`check` on the file behind the open vault's connection, outside any transaction (see `check`)."""
    # SQLite names the file without reading a page of it.
    main = next(str(r[2]) for r in database.raw_cursor(conn).execute("PRAGMA database_list") if r[1] == "main")
    return check(conn, Path(main))


def check_compartment(path: Path, key: bytes) -> IntegrityReport:
    """`check` on one compartment file (a BCU's, an agreement's) with its key, on a connection of its own."""
    conn = database.open_to_check(path, key)
    try:
        report = check(conn, path)
    finally:
        conn.close()
    return IntegrityReport(report.pages, tuple(PageProblem(p.page, f"in {path.name}, {p.what}") for p in report.problems),
                           report.seconds)


def combined(reports: list[IntegrityReport]) -> IntegrityReport:
    """Several files' reports as one: their pages, every finding (each naming its file), their time."""
    return IntegrityReport(sum(r.pages for r in reports), tuple(p for r in reports for p in r.problems),
                           sum(r.seconds for r in reports))


# -- when damage stops the ordinary sign-in ------------------------------------------


def slot_keys(slots: KeySlotFile, slot: KeySlot, secret: str, device: DeviceSecrets) -> list[bytes]:
    """The data keys this slot opens: the live one, then the next one if a rotation stopped half-way."""
    private = keyslots.open_private(slot, slots.vault_id, secret, Vault.device_secret(slots, slot, device))
    keys = [keyslots.open_sealed(slot, slots.vault_id, private, slot.sealed)]
    if slot.sealed_next is not None:
        keys.append(keyslots.open_sealed(slot, slots.vault_id, private, slot.sealed_next))
    return keys


def check_file(path: Path, keys: list[bytes], locator: str) -> tuple[IntegrityReport, Account | None]:
    """Check the file with whichever key fits it best; and the account of `locator`, if it can still be read.

    The account is None when the damage reaches it: then the role cannot be checked.
    """
    best: tuple[IntegrityReport, bytes] | None = None
    for key in keys:
        conn = database.open_to_check(path, key)
        try:
            report = check(conn, path)
        finally:
            conn.close()
        if best is None or report.hmac_failures < best[0].hmac_failures:
            best = (report, key)
    assert best is not None
    report, key = best
    conn = database.open_to_check(path, key)
    try:
        account = accounts.by_locator(conn, locator)
    except GvmError:  # damaged where the account is kept (page 1 included: that one reads as a stale key)
        account = None
    finally:
        conn.close()
    return report, account


class IntegrityRepository(Repository):
    """The open vault's database file, checked whole."""

    __slots__ = ()

    check = bound(check_open)
