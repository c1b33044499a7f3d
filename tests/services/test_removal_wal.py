"""After a removal, the removed person's old pages are readable nowhere in the vault folder.

Not in the database, not in a journal, not in any file left beside them, while the session
that removed them stays open. The vault keeps rollback journals (store/database.py): a
transaction copies the pages it changes, as they were, into `vault.db-journal` (encrypted
again, under a fresh IV), and its commit deletes that file. (Under WAL earlier versions of
the pages stayed in the -wal file, and the old pages in the database file, until a
checkpoint, which is why this test once asked for an empty `-wal` file.)

How: pages are decrypted as SQLCipher 4 writes them with a raw key (AES-256-CBC under the key
itself, the IV at the end of each page): those of vault.db, and the page records of a journal.
A control first shows that, while a write changing the person is under way, the journal holds
their page as it was; after the removal no page of the database holds them, no journal or
other companion of the database is left, and no file holds a copy of an old page's image.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store.database import journal_of
from tests.support.vault_access import conn_of, vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
PAGE = 4096  # SQLCipher 4's page
RESERVE = 80  # the end of every page: a 16-byte IV, then a 64-byte HMAC-SHA512
SALT = 16  # page 1 starts with the file's salt, in clear


def plaintext(page: bytes, number: int, key: bytes) -> bytes:
    start = SALT if number == 1 else 0
    iv = page[PAGE - RESERVE:PAGE - RESERVE + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start:PAGE - RESERVE]) + decryptor.finalize()


def journal_pages(journal: Path, key: bytes) -> dict[int, bytes]:
    """Page number -> plaintext, for every page record of a rollback journal.

    The header fills the first sector (its size at byte 20); then each record is the page
    number (4 bytes), the page, and a 4-byte checksum.
    """
    data = journal.read_bytes()
    sector = int.from_bytes(data[20:24], "big")
    records = range(sector, len(data) - (PAGE + 8) + 1, PAGE + 8)
    return {number: plaintext(data[at + 4:at + 4 + PAGE], number, key)
            for at in records if (number := int.from_bytes(data[at:at + 4], "big"))}


def images_holding(db: Path, key: bytes, needle: bytes) -> dict[int, bytes]:
    """Page number -> encrypted image, for every page of the file whose plaintext holds `needle`."""
    data = db.read_bytes()
    pages = {n + 1: data[n * PAGE:(n + 1) * PAGE] for n in range(len(data) // PAGE)}
    return {n: image for n, image in pages.items() if needle in plaintext(image, n, key)}


def files_holding(folder: Path, images: dict[int, bytes]) -> list[str]:
    """'file: page N' for every old page image found anywhere in any file of the folder."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        found += [f"{path.name}: page {n}" for n, image in images.items() if image in blob]
    return found


def test_a_removal_leaves_none_of_the_persons_old_pages_on_disk_while_the_session_stays_open(demo_app: App) -> None:
    # The person is in CE's compartment: its file, journal and key are the ones that matter here.
    folder, db = demo_app.paths.folder, demo_app.paths.folder / "bcu-CE.db"
    officer = demo_app.auth.sign_in(ACC[Role.OFFICER].username, ACC[Role.OFFICER].password)
    ref, address = conn_of(officer).execute(
        "SELECT ref, address FROM nominals n WHERE bcu = 'CE' AND status = 'active' "
        "AND (SELECT count(*) FROM nominals m WHERE m.address = n.address) = 1 LIMIT 1").fetchone()
    demo_app.changes.propose_removal(officer, ref, "No longer involved: moved out of the area last year.")
    demo_app.auth.sign_out(officer)
    spoc = demo_app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    key = bytes(vault_of(spoc)._keys["bcu:CE"])
    old = images_holding(db, key, address.encode())
    assert old, "the person's address is on no page: the search below would prove nothing"

    # Control: a write under way keeps the pages it changes, as they were, in the journal.
    conn = conn_of(spoc)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("UPDATE nominals SET address = address || ' (moved)' WHERE ref = ?", (ref,))
        kept = journal_pages(journal_of(db), key)
        assert any(address.encode() in kept.get(number, b"") for number in old)
    finally:
        conn.execute("ROLLBACK")

    demo_app.changes.approve_removal(spoc, ref, "Agreed: no intelligence for over a year.")
    # No page of the database holds the person now, and none of the pages that did is as it was.
    assert images_holding(db, key, address.encode()) == {}
    assert files_holding(folder, old) == []
    # Nothing is left beside the database: no journal (hot or not), no WAL or its index.
    assert sorted(p.name for p in folder.glob(f"{db.name}-*")) == []
    demo_app.auth.sign_out(spoc)
