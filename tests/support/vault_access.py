"""The raw vault behind a workspace, for tests that play the attacker or inspect bytes.

Product code has no way to the connection outside the store (services go through
`Workspace.operation()`); a test that tampers with a table, or reads what a service
wrote without logging, takes it here, on purpose and visibly.
"""

from __future__ import annotations

from typing import Any

from gvm_desktop.services.context import Workspace
from gvm_desktop.store.vault import Vault


def vault_of(ws: Workspace) -> Vault:
    return ws._open_vault()


def conn_of(ws: Workspace) -> Any:
    return ws._open_vault().conn


def read_bcu(app: Any, bcu: str, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
    """Test set-up: raw SQL over one BCU's compartment, read as the demo auditor (who holds every BCU's key).

    An officer's or SPOC's session attaches only their own BCU, an auditor's one BCU per operation
    that names it; this attaches `bcu` for the auditor and reads, then signs out.
    """
    from gvm_desktop.services.vaults import DEMO_ACCOUNTS

    auditor = next(a for a in DEMO_ACCOUNTS if a.role.value == "auditor")
    ws = app.auth.sign_in(auditor.username, auditor.password)
    try:
        vault = vault_of(ws)
        vault.hold_bcu(bcu)
        return list(vault.conn.execute(sql, parameters).fetchall())
    finally:
        app.auth.sign_out(ws)


def held_keys(app: Any, username: str, password: str) -> dict[str, bytes]:
    """Every compartment key (common's among them) the account's slot gives a session, by name."""
    ws = app.auth.sign_in(username, password)
    try:
        vault = vault_of(ws)
        return {name: bytes(key) for name, key in vault._keys.items()}
    finally:
        app.auth.sign_out(ws)


def decrypted_files(app: Any, folder: Any) -> bytes:
    """Test inspection: common and every BCU compartment of a demo vault exported as plain SQLite, concatenated.

    Read with the demo auditor's keys (common and every BCU): a byte scan of the result covers every
    file a person's details could be in, not only common.
    """
    from pathlib import Path

    from gvm_desktop.services.vaults import DEMO_ACCOUNTS
    from gvm_desktop.store import database

    auditor = next(a for a in DEMO_ACCOUNTS if a.role.value == "auditor")
    keys = held_keys(app, auditor.username, auditor.password)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    blobs = []
    for name, key in sorted(keys.items()):
        source = app.paths.database if name == "common" else app.paths.folder / f"{name.replace(':', '-')}.db"
        if name == "status" or not source.exists():
            continue
        target = out / f"plain-{name.replace(':', '-')}.db"
        conn = database.open_to_check(source, key)
        try:
            conn.execute("PRAGMA query_only = OFF")
            conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(target),))
            conn.execute("SELECT sqlcipher_export('plain')")
            conn.execute("DETACH DATABASE plain")
        finally:
            conn.close()
        data = target.read_bytes()
        assert data.startswith(b"SQLite format 3\x00")  # really plain: a scan reads text, not ciphertext
        blobs.append(data)
    return b"".join(blobs)


def holder_signs_in(app: Any, bcu: str = "CE") -> None:
    """A holder of the BCU's key (the demo SPOC) signs in and out: what makes a new agreement's preview.

    The administrator who registers an agreement holds no key to the BCU's people, so the preview
    compartment is created, filled and sealed to the partner at the next sign-in of an officer or
    SPOC of that BCU; a partner already signed in sees it once they sign in again.
    """
    from gvm_desktop.services.vaults import DEMO_ACCOUNTS

    spoc = next(a for a in DEMO_ACCOUNTS if a.role.value == "spoc" and a.bcu == bcu)
    app.auth.sign_out(app.auth.sign_in(spoc.username, spoc.password))


def opens_with(path: Any, key: bytes) -> bool:
    """A raw sqlcipher3 connection with this key: does the file open? (False: "file is not a database".)"""
    import sqlcipher3

    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")  # test code: the key as hex digits, as the product gives it
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError as exc:
        assert "not a database" in str(exc)
        return False
    finally:
        conn.close()
