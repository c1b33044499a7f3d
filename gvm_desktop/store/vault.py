"""The vault: an encrypted database plus its key-slot file, opened with one slot.

This module does the mechanics (keys, slots, files, rekey). Who may do what,
lockout and the access log are the services' business.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path

from gvm_desktop.core.audit import LogEntry
from gvm_desktop.core.errors import (
    AuthenticationError,
    VaultCorrupt,
    VaultError,
    VaultExists,
    VaultNotFound,
)
from gvm_desktop.store import database, keyslots, log_chain, meta
from gvm_desktop.store.database import Connection
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.files import VaultPaths, atomic_write
from gvm_desktop.store.keyslots import KdfParams, KeySlot, KeySlotFile
from gvm_desktop.store.migrations import LATEST, current_version, migrate

# A hook the crash-safety tests use to stop a rotation between its steps.
Checkpoint = Callable[[str], None]


def no_checkpoint(_step: str) -> None:
    return None


def load_slots(paths: VaultPaths) -> KeySlotFile:
    if not paths.folder.exists():
        raise VaultNotFound(f"No vault at {paths.folder}: create one with 'gvm-desktop init'.")
    if paths.folder.is_file():
        raise VaultNotFound(f"{paths.folder} is a file; --vault names the vault's folder.")
    try:
        data = paths.keyslots.read_bytes()
    except FileNotFoundError:
        if paths.database.exists():
            raise VaultCorrupt(f"The vault's key-slot file is missing from {paths.folder}.") from None
        raise VaultNotFound(f"No vault at {paths.folder}: create one with 'gvm-desktop init'.") from None
    return KeySlotFile.from_bytes(data)


class Vault:
    """An open vault. Holds the connection and the data key until `close()`."""

    def __init__(
        self, paths: VaultPaths, slots: KeySlotFile, conn: Connection, data_key: bytes, device: DeviceSecrets
    ) -> None:
        self.paths = paths
        self.slots = slots
        self._conn: Connection | None = conn
        self._key = bytearray(data_key)
        self._device = device
        # k[0] of the access log's MAC chain: present only when an auditor's (or the
        # recovery) slot opened this vault. Never written to the database.
        self.log_key0: bytes | None = None
        self._checkpointed: tuple[int, bytes] | None = None

    @property
    def vault_id(self) -> str:
        return self.slots.vault_id

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise VaultError("The vault is closed.")
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        # Best effort: Python may hold copies, but this one does not linger.
        for i in range(len(self._key)):
            self._key[i] = 0
        self.log_key0 = None

    # -- creating ---------------------------------------------------------------

    @classmethod
    def create(cls, paths: VaultPaths, *, device: DeviceSecrets, bind: bool, kdf: KdfParams,
               first_entry: LogEntry) -> tuple[Vault, str]:
        """A new, empty vault (schema at the latest version) and its recovery code.

        Accounts are added by the services; the vault starts with only the
        recovery slot, which is never bound to the workstation. `first_entry`
        (the vault's creation) is appended in the transaction that starts the
        log chain: on an empty log the current MAC key is k[0], so committing the
        chain alone would store k[0] in the database, which it must never hold.
        """
        if paths.exists():
            raise VaultExists(f"A vault already exists at {paths.folder}; refusing to overwrite it.")
        paths.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        vault_id = uuid.uuid4().hex
        data_key = secrets.token_bytes(keyslots.DATA_KEY_BYTES)
        recovery_code = keyslots.new_recovery_code()
        slots = KeySlotFile(
            vault_id=vault_id, locator_salt=secrets.token_bytes(16), key_epoch=1, device_binding=bind
        )
        slots.slots.append(
            keyslots.make_slot(
                vault_id=vault_id, kind="recovery", user_id=0, version=1, locator=None,
                secret=keyslots.normalise_recovery_code(recovery_code), data_key=data_key, epoch=1,
                kdf=kdf, device_secret=None,
            )
        )
        if bind:
            device.create(vault_id)
        conn = database.connect(paths.database, data_key, create=True)
        paths.database.chmod(0o600)  # SQLite gives its -wal and -shm files the same mode
        try:
            migrate(conn)
            with database.transaction(conn):
                meta.set_meta(conn, "vault_id", vault_id)
                key0 = log_chain.start_chain(conn)
                log_chain.append(conn, first_entry)
            for slot in slots.slots:
                keyslots.seal_log_key(slot, vault_id, key0)
            atomic_write(paths.keyslots, slots.to_bytes())
        except BaseException:
            conn.close()
            paths.database.unlink(missing_ok=True)
            raise
        vault = cls(paths, slots, conn, data_key, device)
        vault.log_key0 = key0
        return vault, recovery_code

    # -- opening ----------------------------------------------------------------

    @staticmethod
    def device_secret(slots: KeySlotFile, slot: KeySlot, device: DeviceSecrets) -> bytes | None:
        if not slot.device_bound:
            return None
        secret = device.get(slots.vault_id)
        if secret is None:
            raise VaultError(
                "This vault is bound to a workstation whose credential store is not here; "
                "open it with the recovery code ('gvm-desktop recover')."
            )
        return secret

    @classmethod
    def open_slot(
        cls, paths: VaultPaths, slots: KeySlotFile, slot: KeySlot, secret: str, device: DeviceSecrets, *,
        read_only: bool = False,
    ) -> Vault:
        """Unlock `slot` with its secret and open the database with the data key inside.

        `read_only` (for `log verify`) changes no file: no migration, no finishing of
        an interrupted rotation, and the connection refuses writes.
        """
        private = keyslots.open_private(slot, slots.vault_id, secret, cls.device_secret(slots, slot, device))
        key = keyslots.open_sealed(slot, slots.vault_id, private, slot.sealed)
        try:
            conn = database.connect(paths.database, key, read_only=read_only)
        except VaultCorrupt:
            if slot.sealed_next is None:
                raise
            # A rotation stopped after the rekey: the new key is the live one.
            key = keyslots.open_sealed(slot, slots.vault_id, private, slot.sealed_next)
            conn = database.connect(paths.database, key, read_only=read_only)
            vault = cls(paths, slots, conn, key, device)
            if not read_only:
                vault._finish_rotation()
        else:
            vault = cls(paths, slots, conn, key, device)
        stored_id = meta.get_meta(conn, "vault_id") if _has_meta(conn) else None
        if stored_id != slots.vault_id:
            vault.close()
            raise VaultCorrupt("The key-slot file belongs to another vault than this database.")
        vault.log_key0 = keyslots.open_log_key(slot, slots.vault_id, private)
        if read_only:
            if current_version(conn) != LATEST:
                vault.close()
                raise VaultError("This vault's schema is out of date: sign in once to upgrade it, then verify.")
            return vault
        migrate(conn)
        if not log_chain.has_chain(conn):
            vault._start_log_chain()
        return vault

    def _start_log_chain(self) -> None:
        """Upgrading a vault from before tamper evidence: chain what is there, seal k[0] to auditors."""
        with database.transaction(self.conn):
            key0 = log_chain.start_chain(self.conn)
        auditors = {r[0] for r in self.conn.execute("SELECT id FROM users WHERE role = 'auditor' AND status = 'active'")}
        for slot in self.slots.slots:
            if slot.kind == "recovery" or slot.user_id in auditors:
                keyslots.seal_log_key(slot, self.vault_id, key0)
        atomic_write(self.paths.keyslots, self.slots.to_bytes())
        self.log_key0 = key0 if self.log_key0 is None else self.log_key0
        self.write_checkpoint()

    # -- the log's head, kept outside the database ------------------------------

    def write_checkpoint(self) -> None:
        """Copy the log head beside the database, so a truncated or restored database shows.

        Called after every commit that may have appended; writes only when the head moved.
        """
        current = log_chain.head(self.conn)
        if current == self._checkpointed:
            return
        body = {"format": "gvm-desktop-log-checkpoint", "vault_id": self.vault_id, "seq": current[0],
                "hash": current[1].hex()}
        atomic_write(self.paths.checkpoint, json.dumps(body, sort_keys=True).encode())
        self._checkpointed = current

    def read_checkpoint(self) -> tuple[int, bytes] | None:
        try:
            body = json.loads(self.paths.checkpoint.read_text("utf-8"))
            if body.get("vault_id") != self.vault_id:
                raise VaultCorrupt("The log checkpoint belongs to another vault.")
            return int(body["seq"]), bytes.fromhex(body["hash"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise VaultCorrupt("The log checkpoint file is damaged.") from None

    def grant_log_key(self, user_ids: set[int]) -> list[int]:
        """Seal k[0] to these users' slots (auditors). Needs a session that holds k[0]."""
        if self.log_key0 is None:
            raise VaultError("Only an auditor who holds the log verification key, or the recovery code, can grant it.")
        granted = []
        for slot in self.slots.slots:
            if slot.kind == "user" and slot.user_id in user_ids and slot.log_key is None:
                keyslots.seal_log_key(slot, self.vault_id, self.log_key0)
                granted.append(slot.user_id)
        if granted:
            atomic_write(self.paths.keyslots, self.slots.to_bytes())
        return granted

    # -- slots ------------------------------------------------------------------

    def signing_wrap_key(self, user_id: int, password: str) -> bytes:
        """Re-derive the user's slot from their password and turn it into the key that wraps their signing key.

        Signing needs the password typed again, not just an open session: the slot's
        private key is unwrapped here (Argon2id, the full cost) and only a key derived
        from it leaves this method. A wrong password raises AuthenticationError.
        """
        slots = load_slots(self.paths)
        slot = slots.slot_of_user(user_id)
        if slot is None:
            raise VaultCorrupt("This account has no key slot.")
        private = keyslots.open_private(slot, slots.vault_id, password, self.device_secret(slots, slot, self._device))
        return keyslots.derive_wrap_key(private, slots.vault_id, user_id, slot.version)

    def locator(self, username: str) -> str:
        return keyslots.locator_for(username, self.slots.locator_salt)

    def _bound_secret(self) -> bytes | None:
        if not self.slots.device_binding:
            return None
        return self._device.get_or_create(self.vault_id)

    def put_user_slot(self, user_id: int, version: int, locator: str, password: str, kdf: KdfParams, *,
                      auditor: bool = False) -> None:
        """Write (or rewrite) one user's slot; every other slot is left as it is.

        An auditor's slot gets the log verification key when this session holds it.
        """
        slot = keyslots.make_slot(
            vault_id=self.vault_id, kind="user", user_id=user_id, version=version, locator=locator,
            secret=password, data_key=bytes(self._key), epoch=self.slots.key_epoch, kdf=kdf,
            device_secret=self._bound_secret(),
        )
        if auditor and self.log_key0 is not None:
            keyslots.seal_log_key(slot, self.vault_id, self.log_key0)
        self.slots.replace_slot(slot)
        atomic_write(self.paths.keyslots, self.slots.to_bytes())

    def rotation_pending(self) -> bool:
        """A rotation began (new key sealed) but the database was never rekeyed."""
        return any(s.sealed_next is not None for s in self.slots.slots)

    def revoke_and_rotate(self, user_id: int | None, *, checkpoint: Checkpoint = no_checkpoint) -> None:
        """Remove a user's slot (if any) and move the database to a fresh data key.

        Order matters for crash safety: (1) the slot file gains the new key
        sealed to every remaining slot, beside the old; (2) the database is
        rekeyed; (3) the new key replaces the old in the slot file. A crash
        after (1) or (2) is finished by the next open (see `open_slot`).
        """
        new_key = secrets.token_bytes(keyslots.DATA_KEY_BYTES)
        next_epoch = self.slots.key_epoch + 1
        if user_id is not None:
            self.slots.remove_user_slot(user_id)
        for slot in self.slots.slots:
            slot.sealed_next = keyslots.seal(slot, self.vault_id, new_key, next_epoch)
        atomic_write(self.paths.keyslots, self.slots.to_bytes())
        checkpoint("sealed_next_written")
        database.rekey(self.conn, new_key)
        self._key = bytearray(new_key)
        checkpoint("rekeyed")
        self._finish_rotation()

    def _finish_rotation(self) -> None:
        for slot in self.slots.slots:
            if slot.sealed_next is not None:
                slot.sealed = slot.sealed_next
                slot.sealed_next = None
                self.slots.key_epoch = max(self.slots.key_epoch, slot.sealed.epoch)
        atomic_write(self.paths.keyslots, self.slots.to_bytes())


def _has_meta(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is not None


def check_unlockable(slot: KeySlot | None) -> KeySlot:
    if slot is None:
        raise AuthenticationError("Sign-in failed: the username or password is wrong.")
    return slot


def vault_paths(folder: Path | str) -> VaultPaths:
    return VaultPaths(Path(folder).expanduser())
