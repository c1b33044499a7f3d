"""Whole-database integrity in the store: every page's HMAC checked, and damage met in use typed as damage."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.core.errors import SessionLocked, StaleSession, StorageError, VaultCorrupt
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.core.policy import Role
from gvm_desktop.store import database, integrity, keyslots, meta
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.vault import load_slots
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import conn_of

PAGE = 4096  # SQLCipher 4's page
RESERVE = 80  # the end of every page: a 16-byte IV, then a 64-byte HMAC-SHA512
ADMIN = ("demo.admin", "compass-thistle-admin-88")

# Where a single byte is flipped, as a function of the file's page count n: page 1 (its salt, its
# body past the header, its IV and its HMAC), the middle and the IV/HMAC reserve of pages spread
# over the file, and the last page down to its last byte.
SPOTS: dict[str, Callable[[int], int]] = {
    "p1-salt": lambda n: 5,
    "p1-past-header": lambda n: 100,
    "p1-middle": lambda n: 2000,
    "p1-iv": lambda n: PAGE - RESERVE + 3,
    "p1-hmac": lambda n: PAGE - 10,
    "p2-first-byte": lambda n: PAGE,
    "p2-middle": lambda n: PAGE + 2000,
    "p4-middle": lambda n: 3 * PAGE + 1500,
    "quarter-middle": lambda n: (n // 4) * PAGE + 2048,
    "third-iv": lambda n: (n // 3) * PAGE + PAGE - RESERVE,
    "half-middle": lambda n: (n // 2) * PAGE + 1234,
    "half-hmac": lambda n: (n // 2 + 1) * PAGE + PAGE - 1,
    "two-thirds-middle": lambda n: (2 * n // 3) * PAGE + 3000,
    "three-quarters-iv": lambda n: (3 * n // 4) * PAGE + PAGE - 70,
    "last-first-byte": lambda n: (n - 1) * PAGE,
    "last-middle": lambda n: (n - 1) * PAGE + 2000,
    "last-iv": lambda n: n * PAGE - RESERVE + 8,
    "last-byte": lambda n: n * PAGE - 1,
}


def settled_copy(template: Path, target: Path) -> Path:
    """A fresh copy of the demo vault whose every page is in vault.db: no journal beside it, nor a WAL."""
    shutil.copytree(template, target)
    assert not (target / "vault.db-journal").exists(), "the template was left with a journal"
    wal = target / "vault.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "the template left pages in its -wal file"
    return target


def flip(folder: Path, offset: int, file: str = "vault.db") -> int:
    """Flip one bit of one byte of vault.db (or another of the vault's files); returns the page it is on."""
    db = folder / file
    data = bytearray(db.read_bytes())
    data[offset] ^= 0x01
    db.write_bytes(bytes(data))
    return offset // PAGE + 1


def keys_and_locator(folder: Path, who: tuple[str, str] = ADMIN) -> tuple[list[bytes], str]:
    slots = load_slots(VaultPaths(folder))
    locator = keyslots.locator_for(normalise_username(who[0]), slots.locator_salt)
    slot = slots.find_user_slot(locator)
    assert slot is not None
    return integrity.slot_keys(slots, slot, who[1], DeviceSecrets(MemoryKeyring())), locator


def pages_of(folder: Path) -> int:
    return (folder / "vault.db").stat().st_size // PAGE


def test_an_undamaged_vault_is_intact(_demo_template: Path, tmp_path: Path) -> None:
    folder = settled_copy(_demo_template, tmp_path / "v")
    keys, locator = keys_and_locator(folder)
    report, account = integrity.check_file(folder / "vault.db", keys, locator)
    assert report.intact and report.problems == () and report.pages == pages_of(folder) > 20
    assert account is not None and account.role is Role.ADMIN


@pytest.mark.parametrize("spot", list(SPOTS))
def test_every_flipped_byte_is_caught_on_its_page(_demo_template: Path, tmp_path: Path, spot: str) -> None:
    folder = settled_copy(_demo_template, tmp_path / "v")
    n = pages_of(folder)
    page = flip(folder, SPOTS[spot](n))
    keys, locator = keys_and_locator(folder)
    report, _account = integrity.check_file(folder / "vault.db", keys, locator)
    assert not report.intact and report.pages == n
    if spot == "p1-salt":
        # The salt keys every page's HMAC: all of them fail, and the summary points at page 1.
        assert report.damaged_pages == tuple(range(1, n + 1))
        assert "page 1's salt" in report.summary()
    else:
        assert report.damaged_pages == (page,)
        assert report.summary() == f"page {page}: HMAC check failed"


def test_the_summary_names_a_handful_then_counts_the_rest() -> None:
    problems = tuple(integrity.PageProblem(p, "HMAC check failed") for p in (3, 9, 12, 40, 41, 42, 77))
    report = integrity.IntegrityReport(pages=100, problems=problems, seconds=0.1)
    assert report.summary() == ("page 3: HMAC check failed; page 9: HMAC check failed; page 12: HMAC check failed; "
                                "page 40: HMAC check failed; page 41: HMAC check failed; and 2 more")


def test_a_file_cut_mid_page_is_reported(_demo_template: Path, tmp_path: Path) -> None:
    folder = settled_copy(_demo_template, tmp_path / "v")
    n = pages_of(folder)
    db = folder / "vault.db"
    db.write_bytes(db.read_bytes()[: (n - 1) * PAGE + 1000])
    keys, locator = keys_and_locator(folder)
    report, _account = integrity.check_file(db, keys, locator)
    assert not report.intact
    assert f"page {n}: cut short (1000 of {PAGE} bytes)" in report.summary()


def _root_page(folder: Path, table: str) -> int:
    keys, _locator = keys_and_locator(folder)
    conn = database.connect(folder / "vault.db", keys[0])
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0])
    finally:
        conn.close()


def _compartment_root_page(folder: Path, code: str, table: str) -> int:
    """The root page of a table in a BCU's compartment, read with the recovery-free path: the SPOC's keyring."""
    from gvm_desktop.services.vaults import DEMO_ACCOUNTS
    from gvm_desktop.store.compartment_keys import open_keyring

    spoc = next(a for a in DEMO_ACCOUNTS if a.role is Role.SPOC and a.bcu == code)
    slots = load_slots(VaultPaths(folder))
    slot = slots.find_user_slot(keyslots.locator_for(normalise_username(spoc.username), slots.locator_salt))
    assert slot is not None
    ring = open_keyring(slot, slots.vault_id, keyslots.unlock(slot, slots.vault_id, spoc.password, None).private)
    conn = database.open_to_check(folder / f"bcu-{code}.db", ring[f"bcu:{code}"])
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0])
    finally:
        conn.close()


def test_a_damaged_page_met_in_use_is_vault_corrupt_and_stays_so(_demo_template: Path, tmp_path: Path) -> None:
    folder = settled_copy(_demo_template, tmp_path / "v")
    page = _root_page(folder, "access_log")
    flip(folder, (page - 1) * PAGE + 1500)
    keys, _locator = keys_and_locator(folder)
    conn = database.connect(folder / "vault.db", keys[0])  # page 1 is fine: it opens
    try:
        # A read outside any transaction, first through a loop over the cursor...
        with pytest.raises(VaultCorrupt, match=r"damaged \(database disk image is malformed\).*gvm-desktop check"):
            for _row in conn.execute("SELECT seq, detail FROM access_log"):
                pass
        # ...and from then on SQLCipher refuses this connection: every statement gets the same error,
        # never a MemoryError from COMMIT or "attempt to write a readonly database".
        with pytest.raises(VaultCorrupt), database.transaction(conn):
            meta.set_meta(conn, "integrity-test", "x")
        with pytest.raises(VaultCorrupt):
            conn.execute("SELECT count(*) FROM users").fetchone()
        # The check still runs on this connection, and names the page.
        report = integrity.check(conn, folder / "vault.db")
        assert report.damaged_pages == (page,)
    finally:
        conn.close()


def test_damage_inside_a_transaction_leaves_nothing_half_written(_demo_template: Path, tmp_path: Path) -> None:
    folder = settled_copy(_demo_template, tmp_path / "v")
    page = _root_page(folder, "access_log")
    flip(folder, (page - 1) * PAGE + 1500)
    keys, _locator = keys_and_locator(folder)
    conn = database.connect(folder / "vault.db", keys[0])
    try:
        with pytest.raises(VaultCorrupt), database.transaction(conn):
            meta.set_meta(conn, "integrity-test", "written before the damage")
            conn.execute("SELECT count(*) FROM access_log WHERE detail LIKE 'Q%'").fetchone()
        assert not conn.in_transaction
    finally:
        conn.close()
    again = database.connect(folder / "vault.db", keys[0])
    try:
        assert meta.get_meta(again, "integrity-test") is None
    finally:
        again.close()
    report, _account = integrity.check_file(folder / "vault.db", keys, keys_and_locator(folder)[1])
    assert report.damaged_pages == (page,)  # and the damage did not spread


def test_untyped_sqlite_errors_are_worded_for_the_front_ends() -> None:
    conn = database.plain_connect(Path(":memory:"))  # no translation on this one: the raw errors
    conn.execute("CREATE TABLE t (a INTEGER NOT NULL)")
    try:
        conn.execute("INSERT INTO t VALUES (NULL)")
    except database.DatabaseError as exc:
        assert isinstance(database.storage_problem(exc), StorageError)
    corrupt = database.DatabaseError("database disk image is malformed")
    assert isinstance(database.storage_problem(corrupt), VaultCorrupt)
    assert isinstance(database.storage_problem(database.DatabaseError("file is not a database")), StaleSession)
    assert database.storage_problem(ValueError("not SQLite's")) is None
    conn.close()


def test_a_session_that_meets_damage_locks_instead_of_repeating_it(_demo_template: Path, tmp_path: Path,
                                                                    make_app: Callable[..., object]) -> None:
    """After SQLCipher gives up on the connection, the workspace detaches it: the next step is a fresh open."""
    from gvm_desktop.core.justification import Justification
    from gvm_desktop.services.vaults import DEMO_ACCOUNTS

    folder = settled_copy(_demo_template, tmp_path / "v")
    page = _compartment_root_page(folder, "CE", "interventions")  # people's records are in their BCU's file
    flip(folder, (page - 1) * PAGE + 1500, "bcu-CE.db")
    app = make_app(folder)
    officer = next(a for a in DEMO_ACCOUNTS if a.role is Role.OFFICER)
    ws = app.auth.sign_in(officer.username, officer.password)  # type: ignore[attr-defined]
    why = Justification.make("safeguarding", "Welfare check after a school referral")
    refs = [r[0] for r in conn_of(ws).execute("SELECT ref FROM nominals WHERE bcu = 'CE' AND status = 'active'")]
    with pytest.raises(VaultCorrupt):
        for ref in refs:  # the damaged page holds interventions: opening everyone meets it
            app.records.open(ws, ref, why)  # type: ignore[attr-defined]
    assert ws.locked
    with pytest.raises(SessionLocked):  # not the same damage again and again on a dead connection
        app.records.open(ws, refs[0], why)  # type: ignore[attr-defined]
