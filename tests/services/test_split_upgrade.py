"""Issue 13's upgrade: a vault from before compartments splits in place on its first sign-in.

The older vault is built by the product itself with the split switched off (a one-file vault
of synthetic people at the current schema), and then rebuilt at every earlier schema version
the way that version held it. Its first sign-in moves every person into their BCU's file
under a new key, keeps nothing personal in common, and hands each key only to the accounts
entitled to it. A process killed at every step of the split leaves a vault the next sign-in
finishes, with nobody lost and nobody twice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gvm_desktop.app import App, build_app
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import compartment_split, database, keyslots
from gvm_desktop.store.compartment_keys import open_keyring
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.migrations import LATEST, migrate
from gvm_desktop.store.slot import TEST_KDF, KeySlot
from gvm_desktop.store.vault import Vault, load_slots
from tests.support.memory_keyring import MemoryKeyring

ROOT = Path(__file__).resolve().parents[2]
ACC = {a.role: a for a in DEMO_ACCOUNTS}
PEOPLE = 40
# The per-BCU tables an older vault kept in its one file, and common's own that a rebuilt copy needs.
PERSONAL = ("nominals", "nominal_aliases", "nominal_versions", "evidence", "interventions", "police_activity",
            "proposals", "review_items")
COMMON = ("meta", "dsa", "users", "settings", "access_log", "log_state", "training", "reviews", "archive")


def open_app(folder: Path) -> App:
    return build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                     workstation="ws-split", tz="UTC")


@pytest.fixture(scope="module")
def one_file_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A demo vault as the version before compartments made it: everyone in vault.db, one key in every slot."""
    folder = tmp_path_factory.mktemp("one-file") / "vault"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compartment_split, "split", lambda *_args, **_kw: {})
        patch.setattr(Vault, "open_compartments", lambda _self: None)
        app = open_app(folder)
        app.auth.sign_out(app.create_demo(PEOPLE).workspace)
    assert not list(folder.glob("bcu-*.db"))
    yield folder


def _people(folder: Path, key: bytes) -> list[tuple[str, str, str]]:
    conn = database.connect(folder / "vault.db", key)
    try:
        return sorted(conn.execute("SELECT ref, bcu, family_name FROM nominals").fetchall())
    finally:
        conn.close()


def _common_key(folder: Path) -> bytes:
    admin = ACC[Role.ADMIN]
    return keyslots.open_data_key(load_slots(VaultPaths(folder)), admin.username, admin.password, None)


def _split_people(folder: Path) -> list[tuple[str, str, str]]:
    """Every person in the BCU files, read with the keys of the demo auditor (who holds every BCU's)."""
    slots = load_slots(VaultPaths(folder))
    auditor = ACC[Role.AUDITOR]
    slot = slots.find_user_slot(keyslots.locator_for(auditor.username, slots.locator_salt))
    assert slot is not None
    ring = open_keyring(slot, slots.vault_id, keyslots.unlock(slot, slots.vault_id, auditor.password, None).private)
    found = []
    for name, key in ring.items():
        if name.startswith("bcu:"):
            conn = database.open_to_check(folder / f"bcu-{name[4:]}.db", key)
            try:
                found += conn.execute("SELECT ref, bcu, family_name FROM nominals").fetchall()
            finally:
                conn.close()
    return sorted(found)


def _assert_split(folder: Path, before: list[tuple[str, str, str]]) -> None:
    assert _split_people(folder) == before  # everyone, once, in their own BCU's file
    conn = database.connect(folder / "vault.db", _common_key(folder))
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
        assert not tables & set(PERSONAL)  # common holds no person any more
        assert conn.execute("SELECT count(*) FROM person_index").fetchone()[0] == len(before)
        assert conn.execute("SELECT value FROM meta WHERE key = 'compartments'").fetchone() == ("split",)
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'split_keys'").fetchone()[0] == 0
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # VACUUMed: no old page left to read
    finally:
        conn.close()
    slots = load_slots(VaultPaths(folder))
    admin = slots.find_user_slot(keyslots.locator_for(ACC[Role.ADMIN].username, slots.locator_salt))
    spoc = slots.find_user_slot(keyslots.locator_for(ACC[Role.SPOC].username, slots.locator_salt))
    partner = slots.find_user_slot(keyslots.locator_for(ACC[Role.PARTNER].username, slots.locator_salt))
    assert admin is not None and spoc is not None and partner is not None
    assert admin.compartments() == ["common"]
    # The partner: common and, once a holder of CE has signed in, their agreement's preview; never a BCU.
    assert set(partner.compartments()) <= {"common", "dsa:1"}
    assert {"common", f"bcu:{ACC[Role.SPOC].bcu}", "status"} <= set(spoc.compartments()) <= {
        "common", f"bcu:{ACC[Role.SPOC].bcu}", "status", "dsa:1"}


def _rebuild_at(folder: Path, version: int) -> None:
    """vault.db as schema `version` held it: the tables that version had, the columns they had, the same rows."""
    key = _common_key(folder)
    old = folder / "old.db"
    target = database.connect(old, key, create=True)
    migrate(target, version)
    target.execute("PRAGMA foreign_keys = OFF")  # users and the agreements point at each other: copied whole
    source = database.connect(folder / "vault.db", key)
    try:
        have = {r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with database.transaction(target):
            for table in (*COMMON, *PERSONAL):
                if table not in have:
                    continue
                columns = [r[1] for r in target.execute(f"PRAGMA table_info({table})")]
                kept = [c for c in columns if c in {r[1] for r in source.execute(f"PRAGMA table_info({table})")}]
                names = ", ".join(kept)
                target.execute(f"DELETE FROM {table}")  # what the migrations put there (a mark, defaults) goes
                target.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(kept))})",
                                   source.execute(f"SELECT {names} FROM {table}").fetchall())
    finally:
        source.close()
        target.close()
    old.replace(folder / "vault.db")
    if version < 4:
        _slots_as_before_the_chain(folder, key)


def _slots_as_before_the_chain(folder: Path, key: bytes) -> None:
    """The slot file as it was before the log's chain: each account's slot sealing the one key, no pin of any kind,
    and a recovery slot of a code this test knows; nothing beside the database (no checkpoint)."""
    slots = load_slots(VaultPaths(folder))
    fresh: list[KeySlot] = []
    for slot in slots.slots:
        if slot.kind == "recovery":
            fresh.append(keyslots.make_slot(vault_id=slots.vault_id, kind="recovery", user_id=0, version=1,
                                            locator=None, secret="RECOVERYCODEFORTHETEST", data_key=key, epoch=1,
                                            kdf=TEST_KDF, device_secret=None))
            continue
        account = next(a for a in DEMO_ACCOUNTS if slot.locator == keyslots.locator_for(a.username,
                                                                                         slots.locator_salt))
        fresh.append(keyslots.make_slot(vault_id=slots.vault_id, kind="user", user_id=slot.user_id,
                                        version=slot.version, locator=slot.locator, secret=account.password,
                                        data_key=key, epoch=1, kdf=TEST_KDF, device_secret=None))
    slots.slots, slots.key_epoch = fresh, 1
    slots.compartment_epochs.clear()
    slots.key_history.clear()
    (folder / "keyslots.json").write_bytes(slots.to_bytes())
    (folder / "log-checkpoint.json").unlink(missing_ok=True)
    conn = database.connect(folder / "vault.db", key)
    try:
        with database.transaction(conn):  # a vault of then recorded no recovery slot's key
            conn.execute("DELETE FROM meta WHERE key = 'recovery_slot_public'")
    finally:
        conn.close()


@pytest.mark.parametrize("version", range(2, LATEST + 1))  # version 1 held no people
def test_an_older_vault_splits_on_its_first_sign_in(one_file_vault: Path, tmp_path: Path, version: int) -> None:
    folder = tmp_path / "vault"
    shutil.copytree(one_file_vault, folder)
    if version < LATEST:
        _rebuild_at(folder, version)
    before = _people(folder, _common_key(folder))
    assert len(before) > PEOPLE // 2  # the demo removes a few: they are in the archive, in common
    app = open_app(folder)
    admin = app.auth.sign_in(ACC[Role.ADMIN].username, ACC[Role.ADMIN].password)  # any account's sign-in splits
    app.auth.sign_out(admin)
    _assert_split(folder, before)
    # The SPOC signs in to their BCU alone (an officer, from a version before grants, waits for the SPOC's grant),
    # and the split is in the log.
    spoc = app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    if version >= 6:  # training records arrived then: before, a SPOC had none and the matrix stays closed
        assert app.matrix.list(spoc).ids
    app.auth.sign_out(spoc)
    auditor = app.auth.sign_in(ACC[Role.AUDITOR].username, ACC[Role.AUDITOR].password)
    entries = [e.entry for e in app.audit.recent(auditor, 200)]
    assert any(e.action.value == "vault.split" and e.username == ACC[Role.ADMIN].username for e in entries)
    app.auth.sign_out(auditor)


def split_until_killed(folder: str, step: str) -> None:
    """In a process of its own: sign in (which splits), killing itself with SIGKILL at `step`."""
    def checkpoint(at: str) -> None:
        if at == step:
            os.kill(os.getpid(), signal.SIGKILL)

    original = compartment_split.split

    def split(*args: object, **kwargs: object) -> dict[str, bytes]:
        return original(*args, checkpoint=checkpoint, **kwargs)  # type: ignore[arg-type]  # the real signature

    compartment_split.split = split  # type: ignore[assignment]  # this process only
    app = open_app(Path(folder))
    app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)


STEPS = ["keys", *(f"file {c}" for c in ("CE", "EA", "WA")), "sealed", *(f"moved {c}" for c in ("CE", "NE", "WA")),
         "dropped"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_of_the_split_is_finished_by_the_next_sign_in(one_file_vault: Path, tmp_path: Path,
                                                                        step: str) -> None:
    folder = tmp_path / "vault"
    shutil.copytree(one_file_vault, folder)
    before = _people(folder, _common_key(folder))
    code = (f"from tests.services.test_split_upgrade import split_until_killed; "
            f"split_until_killed({str(folder)!r}, {step!r})")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    app = open_app(folder)
    app.auth.sign_out(app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password))
    _assert_split(folder, before)


def test_a_split_that_meets_a_person_of_no_known_bcu_stops_and_says_so(one_file_vault: Path,
                                                                      tmp_path: Path,
                                                                      make_app: Callable[..., App]) -> None:
    folder = tmp_path / "vault"
    shutil.copytree(one_file_vault, folder)
    conn = database.connect(folder / "vault.db", _common_key(folder))
    try:
        with database.transaction(conn):
            conn.execute("UPDATE nominals SET bcu = 'ZZ' WHERE id = (SELECT min(id) FROM nominals)")
    finally:
        conn.close()
    app = open_app(folder)
    from gvm_desktop.core.errors import VaultCorrupt

    with pytest.raises(VaultCorrupt, match="belong to no known BCU"):
        app.auth.sign_in(ACC[Role.ADMIN].username, ACC[Role.ADMIN].password)
    # Nothing lost: the person is still in common, everyone else in their BCU's file.
    left = database.connect(folder / "vault.db", _common_key(folder))
    try:
        assert left.execute("SELECT count(*) FROM nominals").fetchone()[0] == 1
    finally:
        left.close()
