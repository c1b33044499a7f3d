"""The vault: an encrypted database plus its key-slot file, opened with one slot.

This module does the mechanics (keys, slots, files, rekey). Who may do what,
lockout and the access log are the services' business.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import keyring.errors

from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.audit import LogEntry
from gvm_desktop.core.errors import (
    GvmError,
    VaultCorrupt,
    VaultError,
    VaultExists,
    VaultNotFound,
)
from gvm_desktop.core.people import BCUS
from gvm_desktop.store import accounts, compartment_split, compartments, database, keyslots, log_chain, meta, previews, status_tags
from gvm_desktop.store.compartment_keys import remove_compartment, seal_compartment
from gvm_desktop.store.database import Connection
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.file_lock import FileLock
from gvm_desktop.store.files import VaultPaths, atomic_write
from gvm_desktop.store.held_compartments import (
    HeldCompartments,
    agreement_key_name,
    agreement_of,
    code_of,
    id_index,
    key_name,
)
from gvm_desktop.store.key_pins import KeyPinChange, OpenedKeyring, open_checked_keyring, write_key_pins
from gvm_desktop.store.keyslots import KdfParams, KeySlot, KeySlotFile, LogPin, Unlocked
from gvm_desktop.store.migrations import LATEST, LOG_BACKFILL_MARK, current_version, migrate
from gvm_desktop.store.slot_format import COMMON

if TYPE_CHECKING:
    from gvm_desktop.store.integrity import IntegrityReport

# The recovery slot's public key, kept inside the encrypted database: a rotation seals the new
# data key to that recovery slot only, not to any other slot calling itself one.
RECOVERY_PUBLIC = "recovery_slot_public"

# A rotation holds the slot lock from sealing to promoting (an Argon2id-free rekey, seconds at most).
SLOT_LOCK_SECONDS = 60.0

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
        self, paths: VaultPaths, slots: KeySlotFile, conn: Connection, data_key: bytes, device: DeviceSecrets,
        compartment_keys: Mapping[str, bytes] | None = None, next_keys: Mapping[str, bytes] | None = None,
    ) -> None:
        self.paths = paths
        self.slots = slots
        self._conn: Connection | None = conn
        # Every compartment key this session holds, common's (the main database's) among them.
        self._keys: dict[str, bytearray] = {name: bytearray(k) for name, k in (compartment_keys or {}).items()}
        self._keys[COMMON] = bytearray(data_key)
        self._next_keys: dict[str, bytes] = dict(next_keys or {})
        self.held = HeldCompartments(conn, paths.folder)
        # What this opening found different in the slot's key pins, for the sign-in to log, then pin.
        self.key_changes: tuple[KeyPinChange, ...] = ()
        self.split_now: str | None = None  # what this opening's split of an older vault did, to log
        self.new_bcus: list[str] = []  # BCUs whose compartments this opening made, to log
        self._ring: OpenedKeyring | None = None
        self._device = device
        # k[0] of the access log's MAC chain: present only when an auditor's (or the
        # recovery) slot opened this vault. Never written to the database.
        self.log_key0: bytes | None = None
        # That slot's own pin (k[0] and the last head it verified), and what rewrites it.
        self.log_pin: LogPin | None = None
        self._own: tuple[str, int] | None = None  # (kind, user id) of the slot that opened the vault
        self._unlocked: Unlocked | None = None
        self._checkpointed: tuple[int, bytes] | None = None
        # keyslots.lock: one writer of the slot file at a time, across processes and sessions.
        self._slot_lock = FileLock(paths.keyslots.with_suffix(".lock"), what="Changing the key slots",
                                   timeout=SLOT_LOCK_SECONDS)

    @property
    def vault_id(self) -> str:
        return self.slots.vault_id

    @property
    def _key(self) -> bytearray:
        """Common's key: the main database's."""
        return self._keys[COMMON]

    @_key.setter
    def _key(self, key: bytes | bytearray) -> None:
        self._keys[COMMON] = bytearray(key)

    def derive_from_common(self, derive: Callable[[bytes], bytes]) -> bytes:
        """A one-way derivation of common's key (e.g. HKDF for a backup manifest's MAC key); the key itself
        never leaves the vault object. `derive` must be one-way: it sees the key, and only its result leaves."""
        return derive(bytes(self._keys[COMMON]))

    def held_bcus(self) -> list[str]:
        """The BCUs whose compartment keys this session holds."""
        return sorted(c for c in (code_of(n) for n in self._keys) if c is not None)

    def holds(self, name: str) -> bool:
        return name in self._keys

    def hold_bcu(self, code: str) -> None:
        """Attach BCU `code`'s compartment for the next operation (outside a transaction), if not attached."""
        if self.held.ensure(code, self._plain_keys(), self._next_keys):
            self._finish_rotation([key_name(code)])

    def _plain_keys(self) -> dict[str, bytes]:
        return {name: bytes(key) for name, key in self._keys.items()}

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
        # Best effort: Python may hold copies, but these do not linger.
        for key in self._keys.values():
            for i in range(len(key)):
                key[i] = 0
        self._keys = {COMMON: bytearray(keyslots.DATA_KEY_BYTES)}
        self._next_keys = {}
        self.log_key0 = None
        self.log_pin = None
        self._unlocked = None

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
        if bind:
            device.create(vault_id)
        conn = database.connect(paths.database, data_key, create=True)
        paths.database.chmod(0o600)  # SQLite gives its journal the same mode
        try:
            migrate(conn)
            recovery, opened = keyslots.new_slot(
                vault_id=vault_id, kind="recovery", user_id=0, version=1, locator=None,
                secret=keyslots.normalise_recovery_code(recovery_code), data_key=data_key, epoch=1,
                kdf=kdf, device_secret=None,
            )
            with database.transaction(conn):
                meta.set_meta(conn, "vault_id", vault_id)
                meta.set_meta(conn, RECOVERY_PUBLIC, recovery.public.hex())
                meta.delete_meta(conn, LOG_BACKFILL_MARK)  # a new log has nothing to backfill
                key0 = log_chain.start_chain(conn)
                log_chain.append(conn, first_entry)
                head_seq, head_hash = log_chain.head(conn)
            # The recovery code is the vault's first pinned verifier: a party no insider can impersonate.
            keyslots.write_pin(recovery, vault_id, opened,
                               LogPin(key0, head_seq, head_hash, first_entry.at_utc, recorded=True))
            slots.slots.append(recovery)
            # Born split: every BCU's compartment, its key sealed to the recovery slot alone. Accounts
            # receive keys from a holder (here the creator, for the accounts it makes).
            bcu_keys = compartment_split.split(conn, paths.folder, lambda change: change(slots),
                                               lambda file, _name: [s for s in file.slots if s.kind == "recovery"])
            atomic_write(paths.keyslots, slots.to_bytes())
        except BaseException:
            conn.close()
            for path in (paths.database, *paths.folder.glob("bcu-*.db"), *paths.folder.glob(".bcu-*")):
                path.unlink(missing_ok=True)
            raise
        vault = cls(paths, slots, conn, data_key, device, compartment_keys=bcu_keys)
        vault._use_status_key()
        vault.held.install()
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
        unlocked = keyslots.unlock(slot, slots.vault_id, secret, cls.device_secret(slots, slot, device))
        ring = open_checked_keyring(slots, slot, unlocked)
        key = ring.keys[COMMON]
        rotated = False
        try:
            conn = database.connect(paths.database, key, read_only=read_only)
        except VaultCorrupt:
            if COMMON not in ring.next_keys:
                raise
            # A rotation stopped after the rekey: the new key is the live one.
            key = ring.next_keys[COMMON]
            conn = database.connect(paths.database, key, read_only=read_only)
            rotated = True
        vault = cls(paths, slots, conn, key, device, compartment_keys=ring.keys, next_keys=ring.next_keys)
        try:
            if rotated and not read_only:
                vault._finish_rotation([COMMON])
            stored_id = meta.get_meta(conn, "vault_id") if _has_meta(conn) else None
            if stored_id != slots.vault_id:
                raise VaultCorrupt("The key-slot file belongs to another vault than this database.")
            vault._own, vault._unlocked = (slot.kind, slot.user_id), unlocked
            vault._ring, vault.key_changes = ring, ring.changes
            vault._take_log_key(slot, unlocked)
            if read_only:
                if current_version(conn) != LATEST or compartment_split.needs_split(conn):
                    raise VaultError("This vault's schema is out of date: sign in once to upgrade it, then verify.")
                # Nothing is written here, not even a first pin: `log verify` pins only an intact log.
                return vault
            migrate(conn)
            if meta.get_meta(conn, LOG_BACKFILL_MARK) is not None:
                vault._backfill_log_chain()
            else:
                vault._check_log_state()
            if vault.log_pin is None and vault.log_key0 is not None:
                vault.pin_log_key()
            vault.open_compartments()
        except BaseException:
            vault.close()
            raise
        return vault

    @classmethod
    def with_keys(cls, paths: VaultPaths, slots: KeySlotFile, keys: Mapping[str, bytes], device: DeviceSecrets) -> Vault:
        """The vault opened with keys already unwrapped (the bench's figures that start after Argon2id)."""
        vault = cls(paths, slots, database.connect(paths.database, keys[COMMON]), keys[COMMON], device,
                    compartment_keys={n: k for n, k in keys.items() if n != COMMON})
        vault._use_status_key()
        vault.held.attach_all(vault._plain_keys(), vault._next_keys)
        return vault

    def open_compartments(self) -> None:
        """After opening: split an older vault, then attach the held BCUs' compartments.

        The split is the one time a session makes keys it may not keep: each new key is sealed
        to the recovery slot and the slots of the accounts entitled to it (core.policy.bcus_keyed),
        and this session keeps only those its own slot received.
        """
        conn = self.conn
        if compartment_split.needs_split(conn):
            holders = self._entitled_holders()
            with self._slot_lock.hold():
                made = compartment_split.split(conn, self.paths.folder, self._rewrite_slots, holders)
            self.split_now = (f"people moved from common into {len(made)} BCU compartments, each key sealed to the "
                              "recovery slot and the accounts entitled to it")
            own = self._own_slot(self.slots)
            for name, key in made.items():
                if own is not None and own.holds(name) and name not in self._keys:
                    self._keys[name] = bytearray(key)
            self._reopen_ring()
        self._make_new_bcus()
        self._use_status_key()
        for code in self.held.attach_all(self._plain_keys(), self._next_keys):
            self._finish_rotation([key_name(code)])
        compartments.remove_stale_super_journals(self.paths.database)

    def _entitled_holders(self) -> Callable[[KeySlotFile, str], list[KeySlot]]:
        """Who receives a new compartment's key: the recorded recovery slot and the entitled accounts' own slots."""
        conn = self.conn
        keyed = accounts.keyed_bcus(conn)
        owners = self._slot_owners()
        recovery_public = meta.get_meta(conn, RECOVERY_PUBLIC)

        def holders(slots: KeySlotFile, name: str) -> list[KeySlot]:
            def entitled(user_id: int) -> bool:
                codes = keyed.get(user_id, frozenset())
                return bool(codes) if name == status_tags.STATUS else code_of(name) in codes

            return [s for s in _vouched_slots(slots, owners, recovery_public)
                    if s.kind == "recovery" or entitled(s.user_id)]

        return holders

    def _make_new_bcus(self) -> None:
        """A BCU of the list with no compartment yet (added by an update of gvm-desktop): made by the first
        session that may hold every BCU's key, the recovery slot's or an auditor's, and sealed by it to the
        recovery slot and the accounts entitled to it. Nobody else can: whoever makes a key knows it.

        A file left by a creation that crashed before its key was sealed holds nothing: it is made again.
        """
        if self._own is None:
            return
        kind, user_id = self._own
        if kind != "recovery" and accounts.keyed_bcus(self.conn).get(user_id) != frozenset(BCUS):
            return
        folder = self.paths.folder
        missing = [code for code in sorted(BCUS) if key_name(code) not in self._keys
                   and not self.slots.holders(key_name(code)) and not self.slots.key_history.get(key_name(code))]
        if not missing:
            return
        holders = self._entitled_holders()
        made: list[str] = []
        with self._slot_lock.hold():
            for code in missing:
                name, compartment = key_name(code), compartments.bcu(code)
                fresh = load_slots(self.paths)
                if fresh.holders(name) or fresh.key_history.get(name):
                    continue  # another session made it meanwhile
                compartment.path(folder).unlink(missing_ok=True)
                key = secrets.token_bytes(keyslots.DATA_KEY_BYTES)
                compartments.create_compartment(folder, compartment, key, id_index=id_index(code))

                def seal(slots: KeySlotFile, name: str = name, key: bytes = key) -> None:
                    slots.add_compartment(name, key, compartment_split.FIRST_EPOCH, holders(slots, name))

                self._rewrite_slots(seal)
                self._keys[name] = bytearray(key)
                made.append(code)
        if made:
            self.new_bcus = made
            self._reopen_ring()

    def _use_status_key(self) -> None:
        """Let this connection keep status tags (status_tags.py), if the session holds the key."""
        key = self._keys.get(status_tags.STATUS)
        if key is not None:
            status_tags.register(self.conn, bytes(key))
            self.held.status_tags = True

    def status_tag(self, given: str, family: str, date_of_birth: str) -> bytes:
        """The blind index's tag of an identity (names normalised as the matrix keeps them); needs the status key."""
        from gvm_desktop.store.nominals import search_key

        key = self._keys.get(status_tags.STATUS)
        if key is None:
            raise VaultError("This session holds no key to ask whether someone is on the matrix.")
        return status_tags.tag(bytes(key), search_key(given, family), date_of_birth)

    def release_compartments(self) -> None:
        """Forget every BCU key this session holds but its slot does not (the creator's, after building a vault)."""
        own = self._own_slot(self.slots)
        for name in [n for n in self._keys if n != COMMON and (own is None or not own.holds(n))]:
            code = code_of(name)
            if code is not None:
                self.held.detach(code)
            key = self._keys.pop(name)
            for i in range(len(key)):
                key[i] = 0
        if status_tags.STATUS not in self._keys and self.held.status_tags:
            self.held.status_tags = False
            self.conn.create_function(status_tags.FUNCTION, 2, None)  # the key leaves with the function
        self.held.install()

    def _own_slot(self, slots: KeySlotFile) -> KeySlot | None:
        if self._own is None or self._unlocked is None:
            return None
        kind, user_id = self._own
        public = self._unlocked.private.public_key().public_bytes_raw()
        return next((s for s in slots.slots if s.kind == kind and s.user_id == user_id and s.public == public), None)

    def _reopen_ring(self) -> None:
        """This slot's keys as the file now holds them (after a split or a delivery), checked against its pins."""
        own = self._own_slot(self.slots)
        if own is None or self._unlocked is None:
            return
        ring = open_checked_keyring(self.slots, own, self._unlocked)
        for name, key in ring.keys.items():
            if name != COMMON:
                self._keys[name] = bytearray(key)
        self._next_keys.update(ring.next_keys)
        self._ring, self.key_changes = ring, ring.changes

    def take_new_keys(self) -> tuple[KeyPinChange, ...]:
        """Keys sealed to this session's slot since it opened (a grant, a new preview): checked, held, attached.

        Outside a transaction. Returns what the slot's pins say changed, for the caller to log
        before `pin_keys` writes them; nothing when no new key arrived.
        """
        if self.conn.in_transaction:
            raise RuntimeError("New keys are taken outside a transaction.")
        before = set(self._keys)
        self.slots = load_slots(self.paths)
        self._reopen_ring()
        if set(self._keys) == before:
            return ()
        self._use_status_key()
        self.held.attach_all(self._plain_keys(), self._next_keys)
        return self.key_changes

    def pin_keys(self) -> None:
        """Pin the keys this opening accepted in the session's own slot (after the sign-in logged `key_changes`)."""
        if self._unlocked is None or self._ring is None:
            return
        unlocked = self._unlocked

        def write(slots: KeySlotFile) -> None:
            own = self._own_slot(slots)
            if own is None:
                raise VaultCorrupt("This account's key slot changed while it was open; sign in again.")
            ring = open_checked_keyring(slots, own, unlocked)
            if ring.needs_writing:
                self._unlocked = write_key_pins(slots, own, unlocked, ring)

        self._rewrite_slots(write)
        self.key_changes = ()

    # -- the access log's verification key ---------------------------------------

    def _take_log_key(self, slot: KeySlot, unlocked: Unlocked) -> None:
        """k[0] from the slot's own pin, or (first use only) as delivered sealed to the slot."""
        pin = keyslots.read_pin(slot, self.vault_id, unlocked)
        delivered = keyslots.open_log_key(slot, self.vault_id, unlocked.private)
        if pin is None:
            self.log_key0 = delivered
            return
        if delivered is not None and delivered != pin.key0:
            # A pinned slot is never sent a key again, so this one came from outside the application.
            raise VaultCorrupt("A different access-log verification key was sealed to this account's key slot "
                               "than the one it holds: someone tried to substitute the key that checks the log.")
        self.log_pin, self.log_key0 = pin, pin.key0

    def pin_log_key(self, head: tuple[int, bytes] | None = None, *, verified_at: str | None = None,
                    recorded: bool = False) -> None:
        """Pin k[0] in this session's own slot (first use), or move the pin to a newly verified head."""
        if self.log_key0 is None or self._own is None or self._unlocked is None:
            return
        seq, head_hash = head if head is not None else (
            (self.log_pin.seq, self.log_pin.head_hash) if self.log_pin else (0, log_chain.GENESIS))
        pin = LogPin(self.log_key0, seq, head_hash,
                     verified_at if head is not None else (self.log_pin.verified_at if self.log_pin else None),
                     recorded)
        kind, user_id = self._own
        unlocked = self._unlocked

        def write(slots: KeySlotFile) -> None:
            own = next((s for s in slots.slots if s.kind == kind and s.user_id == user_id
                        and s.public == unlocked.private.public_key().public_bytes_raw()), None)
            if own is None:
                raise VaultCorrupt("This account's key slot changed while it was open; sign in again.")
            self._unlocked = keyslots.write_pin(own, self.vault_id, unlocked, pin)

        self._rewrite_slots(write)
        self.log_pin = pin

    def pin_problems(self) -> list[str]:
        """What this session's pin says against the log as it is now (cheap: one row)."""
        pin = self.log_pin
        if pin is None or pin.seq == 0:
            return []
        try:
            stored = log_chain.hash_at(self.conn, pin.seq)
        except (TypeError, ValueError):
            stored = None
        if stored != pin.head_hash:
            return [f"entry {pin.seq}, the head you verified{' on ' + pin.verified_at if pin.verified_at else ''}, "
                    "is not in this log as it was: the log was rewritten or rolled back since then"]
        return []

    def _check_log_state(self) -> None:
        """Before any work: the log's state is there, agrees with its first and last entries, and with the pin.

        A vault at the current schema always has a chained log from entry 1. Anything
        else was done outside the application and is reported, never repaired.
        """
        head_seq, head_hash, _next_key = log_chain.read_state(self.conn)
        first, last = self.conn.execute("SELECT min(seq), max(seq) FROM access_log").fetchone()
        if last is None:
            if head_seq != 0:
                raise VaultCorrupt(f"The access log is empty but its state says it ends at entry {head_seq}: "
                                   "it was emptied outside the application.")
        elif first != 1:
            raise VaultCorrupt(f"The access log starts at entry {first}, not 1: entries were removed outside the "
                               "application. An auditor should run 'gvm-desktop log verify'.")
        elif last != head_seq or log_chain.hash_at(self.conn, last) != head_hash:
            raise VaultCorrupt(f"The access log's recorded head (entry {head_seq}) does not match its last entry "
                               f"({last}): entries were removed or added outside the application. An auditor should "
                               "run 'gvm-desktop log verify'.")
        problems = self.pin_problems()
        if problems:
            raise VaultCorrupt(f"The access log is NOT intact: {problems[0]}. Run 'gvm-desktop log verify'.")

    def _backfill_log_chain(self) -> None:
        """Upgrading a vault from before tamper evidence: chain what is there, once, and say so in the log.

        Runs only while the mark set by the schema's own upgrade to version 4 is
        present, and refuses if any entry already carries a hash (a chained log is
        never re-chained). k[0] is sealed to the auditors and the recovery slot in
        the same transaction, before it commits: a crash before the commit leaves
        the mark, and the next open starts again with a fresh key.
        """
        from gvm_desktop.core.audit import Action, Outcome  # one-off, at an upgrade

        conn = self.conn
        with database.transaction(conn):
            if conn.execute("SELECT 1 FROM access_log WHERE entry_hash IS NOT NULL LIMIT 1").fetchone() is not None:
                raise VaultCorrupt("The access log is already chained, yet the vault asks for it to be chained again: "
                                   "refusing to rewrite it. An auditor should run 'gvm-desktop log verify'.")
            if conn.execute("SELECT count(*) FROM log_state").fetchone()[0]:
                raise VaultCorrupt("The access log already has a chain state; refusing to start another.")
            if any(s.log_pin is not None for s in load_slots(self.paths).slots):
                # Pins exist only once the log is chained: a vault holding one asks to be chained again
                # only because someone put the upgrade's mark back.
                raise VaultCorrupt("The access log was chained before (a verification key is pinned), yet the vault "
                                   "asks for it to be chained again: refusing. An auditor should run "
                                   "'gvm-desktop log verify'.")
            entries = conn.execute("SELECT count(*) FROM access_log").fetchone()[0]
            key0 = log_chain.start_chain(conn)
            from gvm_desktop.core.audit import LogEntry

            last = conn.execute("SELECT at_utc, tz, workstation FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
            at, tz, workstation = last if last else ("1970-01-01T00:00:00Z", "UTC", "-")
            log_chain.append(conn, LogEntry(
                at_utc=at, tz=tz, workstation=workstation, action=Action.LOG_CHAIN_START, outcome=Outcome.ALLOWED,
                detail=f"tamper evidence started on upgrade: {entries} earlier entries chained"))
            meta.delete_meta(conn, LOG_BACKFILL_MARK)
            auditors = {r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'auditor' AND status = 'active'")}
            for slot in self.slots.slots:
                if slot.kind == "recovery" or slot.user_id in auditors:
                    keyslots.seal_log_key(slot, self.vault_id, key0)
            atomic_write(self.paths.keyslots, self.slots.to_bytes())
        self.log_key0 = key0 if self.log_key0 is None else self.log_key0
        self.write_checkpoint()

    def drop_old_pages(self) -> None:
        """After a removal or a purge has committed: leave none of the removed rows' old pages on disk.

        With rollback journals the commit itself did it: secure_delete zeroed the freed
        pages in the database file, and the journal, which held the changed pages as they
        were, was deleted by the commit. So this only acts if the file is in WAL mode after
        all (an older version of the program opened it since and moved it back): then the
        old pages sit in the database until a checkpoint, which TRUNCATE runs and empties
        the WAL after. Errors here must not undo a committed removal.
        """
        conn = self.conn
        with contextlib.suppress(database.DatabaseError, GvmError):
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                return
            # Without waiting: another session reading must not stall this one's removal. What
            # is left is checkpointed by the next writer, and the WAL goes when the last
            # connection closes.
            (waited,) = conn.execute("PRAGMA busy_timeout").fetchone()
            conn.execute("PRAGMA busy_timeout = 0")
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(waited)}")

    # The services' name for it (changes.py, reviews.py, retention.py) until they call drop_old_pages.
    flush_wal = drop_old_pages

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
        except FileNotFoundError:
            return None
        except (OSError, ValueError, UnicodeDecodeError):
            raise VaultCorrupt("The log checkpoint file is damaged: it is not readable.") from None
        if not isinstance(body, dict) or body.get("format") != "gvm-desktop-log-checkpoint":
            raise VaultCorrupt("The log checkpoint file is damaged: it is not a gvm-desktop log checkpoint.")
        if body.get("vault_id") != self.vault_id:
            raise VaultCorrupt("The log checkpoint belongs to another vault.")
        seq, digest = body.get("seq"), body.get("hash")
        if type(seq) is not int or seq < 0 or not isinstance(digest, str) or len(digest) != 64:
            raise VaultCorrupt("The log checkpoint file is damaged: its head is malformed.")
        try:
            return seq, bytes.fromhex(digest)
        except ValueError:
            raise VaultCorrupt("The log checkpoint file is damaged: its head is malformed.") from None

    def grant_log_key(self, user_ids: set[int]) -> list[int]:
        """Seal k[0] to these users' slots (auditors) that neither hold a pin nor a sealed key.

        Needs a session that holds k[0]. The receiving auditor pins it at their next
        sign-in; a slot that already holds a pin is never sent a key again.
        """
        if self.log_key0 is None:
            raise VaultError("Only an auditor who holds the log verification key, or the recovery code, can grant it.")
        key0 = self.log_key0
        granted: list[int] = []

        def seal(slots: KeySlotFile) -> None:
            for slot in slots.slots:
                # A slot that is not pinned yet may hold a key someone else sealed to it (anyone can): a
                # holder of the true k[0] seals it again, so the first use pins the right one.
                if slot.kind == "user" and slot.user_id in user_ids and slot.log_pin is None:
                    keyslots.seal_log_key(slot, self.vault_id, key0)
                    granted.append(slot.user_id)

        if any(s.kind == "user" and s.user_id in user_ids and s.log_pin is None for s in load_slots(self.paths).slots):
            self._rewrite_slots(seal)
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

    def bind_to_workstation(self) -> None:
        """Mark the vault bound to this workstation and make sure its device secret is here (the recovery session).

        From then on every slot written here is bound (`_bound_secret`), and each account's slot is bound at its
        holder's next sign-in (`bind_own_slot`): only the password's holder can wrap a slot again. The recovery
        slot is never bound, so a lost workstation loses no data. The secret is made before the file is marked:
        a crash in between leaves an unused secret, never a vault marked bound with no secret anywhere.
        """
        if self._own is None or self._own[0] != "recovery":
            raise VaultError("Only the recovery code binds a vault to a workstation.")
        try:
            self._device.get_or_create(self.vault_id)
        except keyring.errors.KeyringError:
            raise GvmError("The OS credential store refused to keep the vault's device secret: the vault was not "
                           "bound. Unlock the credential store and try again.") from None

        def mark(slots: KeySlotFile) -> None:
            slots.device_binding = True

        self._rewrite_slots(mark)

    def bind_own_slot(self, password: str) -> bool:
        """Bind this session's own unbound user slot to this workstation, where the vault is bound to it.

        Only where this workstation holds the vault's device secret (made by `bind_to_workstation` here, or by a
        restore here): a bound vault's folder copied to another workstation binds nobody to that one. `password`
        is the one that opened this session. The slot keeps its key pair, version, keys and pins (see
        keyslots.bind_slot), so nothing in the database changes. True if the slot was bound now.
        """
        own = self._own_slot(self.slots)
        if own is None or own.kind != "user" or own.device_bound or not self.slots.device_binding:
            return False
        device_secret = self._device.get(self.vault_id)
        if device_secret is None or self._unlocked is None:
            return False
        opened = self._unlocked
        bound: list[Unlocked] = []

        def rebind(slots: KeySlotFile) -> None:
            bound.clear()
            fresh = self._own_slot(slots)
            if fresh is None:
                raise VaultCorrupt("This account's key slot changed while it was open; sign in again.")
            if slots.device_binding and not fresh.device_bound:  # not bound meanwhile by another of its sessions
                bound.append(keyslots.bind_slot(fresh, self.vault_id, opened, password, device_secret))

        self._rewrite_slots(rebind)
        if not bound:
            return False
        # Every later wrap of this slot (a first pin) must use the bound key, or it would unbind the slot unreadably.
        self._unlocked = bound[0]
        return True

    def put_user_slot(self, user_id: int, version: int, locator: str, password: str, kdf: KdfParams, *,
                      auditor: bool = False) -> None:
        """Write (or rewrite) one user's slot; every other slot is left as it is.

        An auditor's slot is born pinned when this session holds k[0]: with this
        session's own verified head if it is the same auditor's new password,
        otherwise with k[0] alone.
        """
        pin = None
        if auditor and self.log_key0 is not None:
            own = self.log_pin if self._own == ("user", user_id) else None
            pin = (LogPin(self.log_key0, own.seq, own.head_hash, own.verified_at, recorded=True) if own
                   else LogPin(self.log_key0, 0, log_chain.GENESIS, None, recorded=True))
        # The data key this session holds belongs to the epoch it opened at; had another process
        # rotated since, this session would be stale and its writes refused.
        slot, unlocked = keyslots.new_slot(
            vault_id=self.vault_id, kind="user", user_id=user_id, version=version, locator=locator,
            secret=password, data_key=bytes(self._key), epoch=self.slots.key_epoch, kdf=kdf,
            device_secret=self._bound_secret(), log_pin=pin,
        )

        def replace(slots: KeySlotFile) -> None:
            # A new password keeps the keys the account held, as far as this session holds them too;
            # any other comes back from a holder (deliver), like a new account's.
            before = slots.slot_of_user(user_id)
            for name in (before.compartments() if before else []):
                if name != COMMON and name in self._keys:
                    seal_compartment(slot, self.vault_id, name, bytes(self._keys[name]), slots.epoch_of(name))
            slots.replace_slot(slot)

        self._rewrite_slots(replace)
        # In the caller's transaction: the database vouches for this slot (and no other) for the account.
        self.conn.execute("UPDATE users SET slot_public = ? WHERE id = ?", (slot.public, user_id))
        if self._own == ("user", user_id):  # this session's own new password: its pin moves with it
            self._unlocked, self.log_pin = (unlocked, pin) if pin is not None else (None, None)

    def rotation_pending(self) -> bool:
        """A rotation began (new key sealed) but was never finished."""
        return bool(self.slots.rotation_pending())

    def revoke_and_rotate(self, user_id: int | None, *, checkpoint: Checkpoint = no_checkpoint,
                          names: list[str] | None = None, common: bool = True) -> list[str]:
        """Remove a user's slot (if any) and move the compartments it held to fresh keys.

        Rotated now: common (every slot holds it; not with `common=False`, for a grant withdrawn
        from an account that stays active) and each compartment the user held that this session
        holds too (or `names`, if given, of those this session holds). The others are
        returned, for the caller to record as due: only a holder of a compartment's key can
        endorse its next one. Order matters for crash safety: (1) the slot file gains each new
        key sealed to every remaining holder, beside the old; (2) each file is rekeyed; (3) the
        new keys replace the old in the slot file. A crash after (1) or (2) is finished by the
        next opening that holds the key (see `open_slot` and `hold_bcu`).
        """
        if self.conn.in_transaction:
            # SQLCipher rekeys inside an open transaction without a word, and a rollback then would
            # leave the slot file and the database on different keys: a rotation is never part of one.
            raise RuntimeError("A key rotation cannot run inside a transaction.")
        before = load_slots(self.paths)
        revoked = before.slot_of_user(user_id) if user_id is not None else None
        wanted = set(names if names is not None else (revoked.compartments() if revoked else []))
        # The status key is not rotated: without common's key, rotated here, its tags cannot be read.
        wanted.discard(status_tags.STATUS)
        if common:  # an account disabled held common's key; one that only lost a grant keeps it
            wanted.add(COMMON)
        rotate = sorted((n for n in wanted if n in self._keys), key=lambda n: (n != COMMON, n))
        due = sorted(n for n in wanted if n not in self._keys)
        new_keys = {name: secrets.token_bytes(keyslots.DATA_KEY_BYTES) for name in rotate}
        owners = self._slot_owners()
        recovery_public = meta.get_meta(self.conn, RECOVERY_PUBLIC)

        def seal_next(slots: KeySlotFile) -> None:
            if user_id is not None:
                slots.remove_user_slot(user_id)
            slots.slots = _vouched_slots(slots, owners, recovery_public)
            for name in rotate:
                # A rotation stopped before its rekey left next keys the file never took (this session opened
                # the file with the current key; one stopped after it was finished at opening): they go.
                for held in slots.holders(name):
                    held.keys[name].sealed_next = None
                slots.seal_next(name, new_keys[name], current=bytes(self._keys[name]))

        # The slot file stays locked from sealing to promoting: a password changed or a pin moved
        # in between would be sealed with the old key, or would overwrite the new one.
        with self._slot_lock.hold():
            self._rewrite_slots(seal_next)
            checkpoint("sealed_next_written")
            for name in rotate:
                code = code_of(name)
                dsa_id = agreement_of(name)
                if name == COMMON:
                    database.rekey(self.conn, new_keys[name])
                elif code is not None:
                    self.hold_bcu(code)
                    database.rekey_attached(self.conn, compartments.bcu(code).schema, new_keys[name])
                elif dsa_id is not None:
                    self.held.attach_agreement(dsa_id, bytes(self._keys[name]))
                    database.rekey_attached(self.conn, compartments.agreement(dsa_id).schema, new_keys[name])
                self._keys[name] = bytearray(new_keys[name])
            checkpoint("rekeyed")
            self._finish_rotation(rotate)
        return due

    def _finish_rotation(self, names: list[str]) -> None:
        def promote(slots: KeySlotFile) -> None:
            slots.promote(names)

        self._rewrite_slots(promote)
        for name in names:
            self._next_keys.pop(name, None)

    def deliver(self, recipients: Mapping[str, list[int]]) -> dict[str, list[int]]:
        """Seal each compartment key this session holds to the listed accounts' slots that lack it.

        Only slots the database vouches for (an active account's own) receive a key. Returns,
        per compartment, the accounts that received it now (for the caller to log).
        """
        owners = self._slot_owners()
        delivered: dict[str, list[int]] = {}
        wanted = {name: set(ids) for name, ids in recipients.items() if name in self._keys and name != COMMON}
        if not any(wanted.values()):
            return delivered

        def seal(slots: KeySlotFile) -> None:
            delivered.clear()
            for name, ids in sorted(wanted.items()):
                targets = [s for s in slots.slots if s.kind == "user" and s.user_id in ids and not s.holds(name)
                           and _vouched(owners.get(s.user_id), s)]
                if targets:
                    slots.grant(name, bytes(self._keys[name]), targets, next_key=self._next_keys.get(name))
                    delivered[name] = sorted(s.user_id for s in targets)

        if any(s.kind == "user" and s.user_id in ids and not s.holds(name)
               for name, ids in wanted.items() for s in load_slots(self.paths).slots):
            self._rewrite_slots(seal)
        return delivered

    def deliver_keyed(self, keyed: Mapping[int, frozenset[str]]) -> dict[str, list[int]]:
        """`deliver`, from each account's entitled compartments (accounts.keyed_compartments)."""
        wanted: dict[str, list[int]] = {}
        for user_id, names in keyed.items():
            for name in names:
                wanted.setdefault(name, []).append(user_id)
        return self.deliver(wanted)

    def create_preview(self, agreement: Agreement, holders: list[int]) -> bool:
        """A new agreement's preview compartment, made by a holder of its BCU's key, sealed to the
        recovery slot and `holders` (the accounts entitled to it). False if it exists already."""
        if key_name(agreement.bcu) not in self._keys or self.conn.in_transaction:
            raise RuntimeError("A preview is created by a session holding its BCU's key, outside a transaction.")
        name = agreement_key_name(agreement.id)
        if compartments.agreement(agreement.id).path(self.paths.folder).exists():
            return False
        key = secrets.token_bytes(keyslots.DATA_KEY_BYTES)
        owners = self._slot_owners()
        recovery_public = meta.get_meta(self.conn, RECOVERY_PUBLIC)
        with self._slot_lock.hold():
            previews.create_preview(self.paths.folder, agreement.id, key, agreement.fields)

            def seal(slots: KeySlotFile) -> None:
                if slots.holders(name) or slots.key_history.get(name):
                    raise VaultCorrupt(f"The compartment {name} has keys but no file: restore it from a backup.")
                chosen = [s for s in _vouched_slots(slots, owners, recovery_public)
                          if s.kind == "recovery" or s.user_id in holders]
                slots.add_compartment(name, key, 1, chosen)

            try:
                self._rewrite_slots(seal)
            except BaseException:
                # Its key was sealed to nobody: the empty file is useless to anyone, and in the way of a retry.
                compartments.agreement(agreement.id).path(self.paths.folder).unlink(missing_ok=True)
                raise
        self._keys[name] = bytearray(key)
        self.held.attach_agreement(agreement.id, key)
        return True

    def check_compartments(self) -> list[IntegrityReport]:
        """Every compartment file this session holds a key to, checked page by page (vault.check's reach)."""
        from gvm_desktop.store.integrity import check_compartment  # integrity imports this module

        reports = []
        for name in sorted(self._keys):
            code, dsa_id = code_of(name), agreement_of(name)
            compartment = (compartments.bcu(code) if code is not None
                           else compartments.agreement(dsa_id) if dsa_id is not None else None)
            if compartment is not None and compartment.path(self.paths.folder).exists():
                reports.append(check_compartment(compartment.path(self.paths.folder), bytes(self._keys[name])))
        return reports

    def attached_agreements(self) -> list[int]:
        return list(self.held.agreements)

    def held_by(self, user_id: int) -> list[str]:
        """The compartments (common aside) whose keys the account's slot holds, as the file is now."""
        slot = load_slots(self.paths).slot_of_user(user_id)
        return [n for n in slot.compartments() if n != COMMON] if slot is not None else []

    def rotatable(self, names: list[str]) -> list[str]:
        """Of `names`, those a rotation would move (the status key never is; see status_tags.py)."""
        return [n for n in names if n not in (COMMON, status_tags.STATUS)]

    def withdraw(self, user_id: int, names: list[str]) -> list[str]:
        """Take compartments out of one account's slot (a grant revoked); the caller then rotates them."""
        taken: list[str] = []

        def take(slots: KeySlotFile) -> None:
            taken.clear()
            slot = slots.slot_of_user(user_id)
            for name in names:
                if slot is not None and name != COMMON and remove_compartment(slot, name):
                    taken.append(name)

        self._rewrite_slots(take)
        return taken

    def _slot_owners(self) -> dict[int, tuple[int, str, bytes | None]]:
        """Active accounts' slot version, locator and slot public key, as the encrypted database records them."""
        return {int(uid): (int(version), str(locator), bytes(public) if public is not None else None)
                for uid, version, locator, public in
                self.conn.execute("SELECT id, slot_version, locator, slot_public FROM users WHERE status = 'active'")}

    def record_own_slot(self) -> None:
        """Inside the caller's transaction: remember the public key of the slot that opened this session.

        Accounts made before the database kept slot keys get theirs recorded at their next sign-in
        (the slot their own password opened is theirs); likewise the recovery slot at its next use.
        """
        if self._own is None or self._unlocked is None:
            return
        public = self._unlocked.private.public_key().public_bytes_raw()
        kind, user_id = self._own
        if kind == "user":
            self.conn.execute("UPDATE users SET slot_public = ? WHERE id = ? AND slot_public IS NULL", (public, user_id))
        elif meta.get_meta(self.conn, RECOVERY_PUBLIC) is None:
            meta.set_meta(self.conn, RECOVERY_PUBLIC, public.hex())

    def _rewrite_slots(self, change: Callable[[KeySlotFile], None]) -> None:
        """Re-read the slot file, make one change, write it back.

        Never this session's copy from sign-in over the file: another window or command may
        have changed a password, pinned a head or added an account since.
        """
        with self._slot_lock.hold():  # one reader-writer of the file at a time, across processes
            fresh = load_slots(self.paths)
            if fresh.vault_id != self.vault_id:
                raise VaultCorrupt("The key-slot file was replaced by another vault's while this session was open.")
            change(fresh)
            atomic_write(self.paths.keyslots, fresh.to_bytes())
        self.slots = fresh


def _vouched_slots(slots: KeySlotFile, owners: Mapping[int, tuple[int, str, bytes | None]],
                   recovery_public: str | None) -> list[KeySlot]:
    """The recorded recovery slot and the active accounts' own slots: the only ones a new key goes to.

    The slot file is not authenticated: anyone who held a key could have added a slot of their
    own to it. The encrypted database vouches for an active account's own slot, by its public key.
    """
    recoveries = [s for s in slots.slots if s.kind == "recovery"]
    if recovery_public is None and len(recoveries) > 1:
        raise VaultCorrupt("The key-slot file holds more than one recovery slot and the vault has no record "
                           "of the real one: someone added a slot. Restore keyslots.json from a backup.")
    recovery = [s for s in recoveries if recovery_public is None or s.public.hex() == recovery_public][:1]
    if not recovery:
        # Rotating now would leave the vault without a recovery code that opens it, silently.
        raise VaultCorrupt("The key-slot file holds no recovery slot that the vault records as its own: "
                           "the key is not rotated. Restore keyslots.json from a backup.")
    kept: dict[int, KeySlot] = {}
    for s in slots.slots:
        if s.kind == "user" and _vouched(owners.get(s.user_id), s):
            if s.user_id in kept:
                # Two slots the database would vouch for (an account not signed in since slots were
                # recorded by public key): one is a copy, and the first one found must not simply win.
                raise VaultCorrupt(f"The key-slot file holds two slots for account user:{s.user_id}: "
                                   "someone added a slot. Restore keyslots.json from a backup.")
            kept[s.user_id] = s
    return recovery + list(kept.values())


def _vouched(owner: tuple[int, str, bytes | None] | None, slot: KeySlot) -> bool:
    """Is `slot` the one the database records for this active account? By public key once recorded;
    before that (an account not signed in since), by slot version and locator."""
    if owner is None:
        return False
    version, locator, public = owner
    if public is not None:
        return slot.public == public and slot.version == version
    return slot.version == version and slot.locator == locator


def _has_meta(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is not None
