"""Issue 13, as an attacker with one role's password, the vault folder and any amount of Python.

Each role's slot is opened with the project's own API and with a raw `sqlcipher3`
connection; what the role may not read is refused for lack of a key, shown by every key
the slot unwraps failing to open the compartment's file ("file is not a database").
And the common compartment, decrypted, holds no demo person's name, alias, date of
birth or address, in UTF-8 or UTF-16.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlcipher3

from gvm_desktop.app import App, build_app
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import keyslots
from gvm_desktop.store.compartment_keys import open_keyring
from gvm_desktop.store.database import raw_cursor
from gvm_desktop.store.slot import TEST_KDF
from gvm_desktop.store.vault import load_slots
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import conn_of, opens_with, vault_of

ROLE = {a.role.value: a for a in DEMO_ACCOUNTS}
PEOPLE = 80


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("attacker") / "vault"
    app = build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                    workstation="ws-test-01", tz="UTC")
    created = app.create_demo(PEOPLE)
    app.auth.sign_out(created.workspace)
    # Every account signs in once, so each has pinned its keys as a real vault's would have.
    for account in DEMO_ACCOUNTS:
        app.auth.sign_out(app.auth.sign_in(account.username, account.password))
    yield folder, created.recovery_code


@pytest.fixture
def vault_copy(demo: tuple[Path, str], tmp_path: Path, make_app: Callable[..., App]) -> App:
    target = tmp_path / "copy"
    shutil.copytree(demo[0], target)
    return make_app(target)


def _ring(folder: Path, username: str, password: str) -> dict[str, bytes]:
    """What the role's slot unwraps, through the project's own key-slot API."""
    slots = load_slots_at(folder)
    slot = slots.find_user_slot(keyslots.locator_for(username, slots.locator_salt))
    assert slot is not None
    private = keyslots.unlock(slot, slots.vault_id, password, None).private
    return open_keyring(slot, slots.vault_id, private)


def load_slots_at(folder: Path) -> keyslots.KeySlotFile:
    from gvm_desktop.store.files import VaultPaths

    return load_slots(VaultPaths(folder))



def _people(folder: Path, recovery_code: str) -> list[tuple[str, str, str, str]]:
    """Every demo person's names, date of birth and address, read with the recovery slot's keys."""
    slots = load_slots_at(folder)
    recovery = slots.recovery_slot()
    assert recovery is not None
    ring = open_keyring(recovery, slots.vault_id,
                        keyslots.unlock(recovery, slots.vault_id, keyslots.normalise_recovery_code(recovery_code),
                                        None).private)
    out = []
    for name, key in ring.items():
        if not name.startswith("bcu:"):
            continue
        conn = sqlcipher3.connect(str(folder / f"bcu-{name[4:]}.db"))
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        out += conn.execute("SELECT given_name, family_name, date_of_birth, address FROM nominals").fetchall()
        out += [(a, a, "", "") for (a,) in conn.execute("SELECT alias FROM nominal_aliases")]
        conn.close()
    return out


@pytest.mark.parametrize("role", ["admin", "partner"])
def test_admin_and_partner_keys_open_no_bcu_compartment(demo: tuple[Path, str], role: str) -> None:
    folder, _code = demo
    account = ROLE[role]
    ring = _ring(folder, account.username, account.password)
    assert not [n for n in ring if n.startswith("bcu:")]
    for file in sorted(folder.glob("bcu-*.db")):
        assert not any(opens_with(file, key) for key in ring.values()), f"{role} opens {file.name}"


def test_officer_of_ce_opens_ce_and_no_other_bcu(demo: tuple[Path, str]) -> None:
    folder, _code = demo
    officer = ROLE["officer"]
    ring = _ring(folder, officer.username, officer.password)
    assert sorted(n for n in ring if n.startswith("bcu:")) == [f"bcu:{officer.bcu}"]
    for file in sorted(folder.glob("bcu-*.db")):
        opened = any(opens_with(file, key) for key in ring.values())
        assert opened == (file.name == f"bcu-{officer.bcu}.db"), file.name


def test_auditor_holds_every_bcu(demo: tuple[Path, str]) -> None:
    folder, _code = demo
    auditor = ROLE["auditor"]
    ring = _ring(folder, auditor.username, auditor.password)
    for file in sorted(folder.glob("bcu-*.db")):
        assert any(opens_with(file, key) for key in ring.values()), file.name


@pytest.mark.parametrize("role", ["admin", "partner", "officer"])
def test_through_the_api_a_signed_in_role_reads_no_forbidden_person(vault_copy: App, demo: tuple[Path, str],
                                                                      role: str) -> None:
    """Signed in with the real services, the session's own connection holds nobody the role may not see."""
    account = ROLE[role]
    people = _people(*demo)
    ws = vault_copy.auth.sign_in(account.username, account.password)
    try:
        conn = conn_of(ws)
        rows = conn.execute("SELECT given_name, family_name, bcu FROM nominals").fetchall()
        if role == "officer":
            assert rows and {bcu for _g, _f, bcu in rows} == {account.bcu}
        else:
            assert rows == []
        for file in sorted(vault_copy.paths.folder.glob("bcu-*.db")):
            if role == "officer" and file.name == f"bcu-{account.bcu}.db":
                continue
            schema = "x_" + file.stem.replace("-", "_").lower()
            for key in vault_of(ws)._keys.values():  # every key this session holds, common's included
                with pytest.raises(sqlcipher3.DatabaseError, match="not a database"):
                    raw_cursor(conn).execute(f"ATTACH DATABASE ? AS {schema} KEY ?",
                                             (str(file), "x'" + bytes(key).hex() + "'"))
    finally:
        vault_copy.auth.sign_out(ws)
    assert people  # the demo has people to hide


def test_common_holds_no_demo_person_in_utf8_or_utf16(demo: tuple[Path, str], tmp_path: Path) -> None:
    folder, code = demo
    people = _people(folder, code)
    assert len(people) >= PEOPLE
    admin = ROLE["admin"]
    common_key = _ring(folder, admin.username, admin.password)["common"]
    plain = tmp_path / "common-plain.db"
    keyslots.export_plaintext(folder / "vault.db", common_key, plain)
    data = plain.read_bytes() + b"".join(p.read_bytes() for p in folder.iterdir()
                                         if p.is_file() and not p.name.startswith("bcu-") and p.suffix != ".db")
    needles = {value for person in people for value in person if value and len(value) >= 4}
    assert len(needles) > PEOPLE
    # As whole words in UTF-8 (an alias "Synth" is not found in the word "Synthetic" of a removal's reason),
    # and anywhere in UTF-16, where common keeps no text at all.
    found = [n for n in needles
             if re.search(rb"(?<![A-Za-z])" + re.escape(n.encode("utf-8")) + rb"(?![A-Za-z])", data)
             or any(n.encode(enc) in data for enc in ("utf-16-le", "utf-16-be"))]
    assert found == []
