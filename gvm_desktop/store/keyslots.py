"""Key slots: how each user's password (and optionally the workstation) opens the keys of their role.

A slot holds an X25519 key pair. Its private half is wrapped with AES-256-GCM
under a key derived from the user's password with Argon2id (associated data:
vault id, user id, slot version). Sealed to its public half with HPKE (RFC 9180,
X25519 + HKDF-SHA256 + AES-256-GCM) is a keyring: one key per compartment the
role needs ("common", the main database, in every slot; "bcu:CE" for a BCU's
people; "dsa:7" for an agreement's preview), each at its own epoch, so one
compartment rotates without touching the others. The indirection is what lets a
holder of a compartment's key revoke one user and rotate that key without
knowing anybody else's password: the new key is sealed to every remaining
holder's public key. Slots name no user: a slot is found by a salted Argon2id
locator of the username.

File format 2 keeps version 1's fields, so a version 1 file is a keyring holding
"common" alone: a slot's `sealed` / `sealed_next` are common's key, its
`compartments` the others (each with the same `sealed` / `sealed_next`), and the
file's `key_epoch` is common's epoch, `compartment_epochs` the others'.

Format 3 adds what stops a key being substituted (HPKE authenticates no sender, so
anyone who can write the folder can seal a key to any slot): each slot's pins of the
compartment keys it accepted (`key_pins`), and each compartment's key history
(`key_history`), in which every next key is endorsed by the key before it. Files of
versions 1 and 2 hold neither and still read; see key_pins.py.

Where each part lives, each module importing only those above it:

- slot_format.py: the file's versions, field encodings and checks, sizes, compartments' names, HPKE suite.
- slot.py: one slot (KeySlot), its Argon2id costs (KdfParams), an opened slot (Unlocked).
- log_pin.py: the access log's key k[0] delivered to a slot, and pinned in it (LogPin).
- key_history.py: compartment keys' fingerprints and the endorsements that chain them.
- compartment_keys.py: compartments' keys sealed to a slot; creation, rotation and grants across slots.
- slot_file.py: the file (KeySlotFile), written and read back.
- key_pins.py: the pins of accepted compartment keys, and a keyring opened against them.
- here: locators, recovery codes, a new slot, unlocking one with its password, binding an unbound one to
  the workstation, common's key sealed to one and opened.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvm_desktop.core.errors import AuthenticationError, PermissionDenied, VaultCorrupt
from gvm_desktop.store.compartment_keys import open_key, seal_compartment, seal_key
from gvm_desktop.store.key_history import compartment_fingerprint
from gvm_desktop.store.key_pins import KeyPin, store_key_pins

# A name imported `as` itself moved out of this module and is still taken from it: services may
# import only this one of the key-slot modules (tests/test_architecture.py), and vault.py,
# database.py and integrity.py import from here until they switch to the modules named.
from gvm_desktop.store.log_pin import LogPin as LogPin
from gvm_desktop.store.log_pin import key_fingerprint as key_fingerprint
from gvm_desktop.store.log_pin import open_log_key as open_log_key
from gvm_desktop.store.log_pin import read_pin as read_pin
from gvm_desktop.store.log_pin import seal_log_key as seal_log_key
from gvm_desktop.store.log_pin import write_pin as write_pin
from gvm_desktop.store.slot import TEST_KDF as TEST_KDF
from gvm_desktop.store.slot import KdfParams as KdfParams
from gvm_desktop.store.slot import KeyAtEpoch, Sealed, wrap_private
from gvm_desktop.store.slot import KeySlot as KeySlot
from gvm_desktop.store.slot import Unlocked as Unlocked
from gvm_desktop.store.slot_file import KeySlotFile as KeySlotFile
from gvm_desktop.store.slot_format import COMMON, NONCE, SALT_LENGTH
from gvm_desktop.store.slot_format import DATA_KEY_BYTES as DATA_KEY_BYTES
from gvm_desktop.store.slot_format import check_data_key as check_data_key

# Finding a slot by username must be cheap next to unlocking it, but not free.
_LOCATOR_KDF = KdfParams(time_cost=2, memory_kib=16 * 1024, parallelism=1)


def _argon2(secret: bytes, salt: bytes, params: KdfParams, length: int = 32) -> bytes:
    return hash_secret_raw(
        secret, salt, params.time_cost, params.memory_kib, params.parallelism, length, Type.ID
    )


def locator_for(username: str, locator_salt: bytes) -> str:
    return _argon2(username.encode("utf-8"), locator_salt, _LOCATOR_KDF, 16).hex()


def new_recovery_code() -> str:
    """25 base32 characters (125 bits) in five groups, easy to write down."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    chars = "".join(secrets.choice(alphabet) for _ in range(25))
    return "-".join(chars[i : i + 5] for i in range(0, 25, 5))


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _kek(secret: str, salt: bytes, kdf: KdfParams, device_secret: bytes | None) -> bytes:
    return _kek_from(_argon2(secret.encode("utf-8"), salt, kdf), device_secret)


def _kek_from(stretched: bytes, device_secret: bytes | None) -> bytes:
    # The device secret is mixed in after the costly step: without it the
    # password alone derives nothing useful, and with it nothing is weakened.
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=device_secret or b"",
        info=b"gvm-desktop/kek/v1",
    ).derive(stretched)


def make_slot(**fields: Any) -> KeySlot:
    """A new slot (see `new_slot`), when the caller has no use for its opened key."""
    return new_slot(**fields)[0]


def new_slot(
    *,
    vault_id: str,
    kind: str,
    user_id: int,
    version: int,
    locator: str | None,
    secret: str,
    data_key: bytes,
    epoch: int,
    kdf: KdfParams,
    device_secret: bytes | None,
    log_pin: LogPin | None = None,
    compartments: Mapping[str, KeyAtEpoch] | None = None,
    pin_keys: bool = False,
) -> tuple[KeySlot, Unlocked]:
    """A new slot and its opened key; with `log_pin`, the slot starts out holding (and requiring) that pin.

    It holds common's key (`data_key` at `epoch`) and, sealed beside it, each of `compartments`.
    With `pin_keys` it is born pinned to those keys (and requires pins from then on): its creator
    holds them and its private key, so no first use is left for anyone to plant a key into.
    """
    private = X25519PrivateKey.generate()
    salt = secrets.token_bytes(SALT_LENGTH)
    slot = KeySlot(
        slot_id=secrets.token_hex(8),
        kind=kind,
        user_id=user_id,
        version=version,
        locator=locator,
        kdf=kdf,
        salt=salt,
        device_bound=device_secret is not None,
        wrapped_private=b"",
        public=private.public_key().public_bytes_raw(),
        keys={},
    )
    unlocked = Unlocked(private, _kek(secret, salt, kdf, device_secret), 0)
    if log_pin is not None:
        unlocked = write_pin(slot, vault_id, unlocked, log_pin)  # also sets PIN_REQUIRED in the wrap
    else:
        wrap_private(slot, vault_id, unlocked, 0)
    seal_compartment(slot, vault_id, COMMON, data_key, epoch)
    for name, held in (compartments or {}).items():
        if name == COMMON:
            raise ValueError("common's key is `data_key`")
        seal_compartment(slot, vault_id, name, held.key, held.epoch)
    if pin_keys:
        held_keys = {COMMON: KeyAtEpoch(data_key, epoch), **(compartments or {})}
        unlocked = store_key_pins(slot, vault_id, unlocked, {
            name: KeyPin(held.epoch, compartment_fingerprint(held.key, vault_id, name, held.epoch))
            for name, held in held_keys.items()})
    return slot, unlocked


def seal(slot: KeySlot, vault_id: str, data_key: bytes, epoch: int) -> Sealed:
    """Common's key sealed to `slot` (not stored: the caller puts it in `sealed` or `sealed_next`)."""
    return seal_key(slot, vault_id, COMMON, data_key, epoch)


def unlock(slot: KeySlot, vault_id: str, secret: str, device_secret: bytes | None) -> Unlocked:
    """Unwrap a slot's private key; a wrong password and a tampered slot both fail here."""
    kek = _kek(secret, slot.salt, slot.kdf, device_secret)
    nonce, body = slot.wrapped_private[:NONCE], slot.wrapped_private[NONCE:]
    try:
        raw = AESGCM(kek).decrypt(nonce, body, slot._aad(vault_id))
    except InvalidTag:
        raise AuthenticationError("Sign-in failed: the username or password is wrong.") from None
    # Slots written before pins existed wrap the bare 32-byte key: no flags.
    flags = raw[32] if len(raw) == 33 else 0
    private = X25519PrivateKey.from_private_bytes(raw[:32])
    if private.public_key().public_bytes_raw() != slot.public:
        raise VaultCorrupt("This account's key slot is damaged (its public key does not match).")
    return Unlocked(private, kek, flags)


def open_private(slot: KeySlot, vault_id: str, secret: str, device_secret: bytes | None) -> X25519PrivateKey:
    return unlock(slot, vault_id, secret, device_secret).private


def bind_slot(slot: KeySlot, vault_id: str, unlocked: Unlocked, secret: str, device_secret: bytes) -> Unlocked:
    """Wrap an unbound slot's private key again, so that it opens only with `device_secret` beside its password.

    Only the wrap changes: the key pair, the version, the keys sealed to the slot and its pins stay,
    so the database's record of the slot (public key, version) and the account's signing key, whose
    wrap derives from the private key and the version, still match. The salt and the Argon2id cost
    stay too: one derivation both proves `secret` is the password that opened `unlocked` (a wrong one
    would lock the account out for good) and gives the bound key. The flags are read back from the
    slot as the file holds it now, not as `unlocked` remembers them. Returns the slot's new opened key.
    """
    if slot.device_bound or slot.public != unlocked.private.public_key().public_bytes_raw():
        raise ValueError("only the unbound slot that `unlocked` opened is bound")
    stretched = _argon2(secret.encode("utf-8"), slot.salt, slot.kdf)
    if not hmac.compare_digest(_kek_from(stretched, None), unlocked.kek):
        raise AuthenticationError("Sign-in failed: the username or password is wrong.")
    nonce, body = slot.wrapped_private[:NONCE], slot.wrapped_private[NONCE:]
    try:
        raw = AESGCM(unlocked.kek).decrypt(nonce, body, slot._aad(vault_id))
    except InvalidTag:
        raise VaultCorrupt("This account's key slot changed while it was open; sign in again.") from None
    bound = Unlocked(unlocked.private, _kek_from(stretched, device_secret), raw[32] if len(raw) == 33 else 0)
    slot.device_bound = True
    wrap_private(slot, vault_id, bound, bound.flags)
    return bound


def open_sealed(slot: KeySlot, vault_id: str, private: X25519PrivateKey, sealed: Sealed) -> bytes:
    """Common's key from `sealed` (the slot's `sealed` or `sealed_next`)."""
    return open_key(slot, vault_id, private, COMMON, sealed)


def open_data_key(slots: KeySlotFile, username: str, secret: str, device_secret: bytes | None) -> bytes:
    """The live data key, opened from `username`'s slot with its password (the username as stored).

    For `gvm-desktop bench` alone: some of its figures start after the key derivation
    (opening the database, the first screen) and its plain baseline is a decrypted copy,
    so it holds the key a sign-in derives instead of reaching into an open vault.
    The application never needs the key outside `Vault`.
    """
    slot = slots.find_user_slot(locator_for(username, slots.locator_salt))
    if slot is None:
        raise AuthenticationError("Sign-in failed: the username or password is wrong.")
    private = unlock(slot, slots.vault_id, secret, device_secret).private
    return open_sealed(slot, slots.vault_id, private, slot.sealed)


def open_keyring_with_password(slots: KeySlotFile, username: str, secret: str,
                               device_secret: bytes | None) -> dict[str, bytes]:
    """Every compartment key `username`'s slot holds, by name (for `gvm-desktop bench`, as open_data_key)."""
    from gvm_desktop.store.compartment_keys import open_keyring

    slot = slots.find_user_slot(locator_for(username, slots.locator_salt))
    if slot is None:
        raise AuthenticationError("Sign-in failed: the username or password is wrong.")
    return open_keyring(slot, slots.vault_id, unlock(slot, slots.vault_id, secret, device_secret).private)


def export_plaintext(database: Path, data_key: bytes, target: Path,
                     compartments: Mapping[Path, bytes] | None = None) -> None:
    """An unencrypted copy of the vault's database at `target`, through SQLCipher's own export.

    For `gvm-desktop bench` alone (its plain-SQLite baseline reads the same data without the
    cipher); `target` then holds every person in clear, so it belongs in a throw-away folder.
    A vault that is not marked DEMO is refused: the product has no unlogged way to take a
    real matrix out in clear, not even one a password holder could call from Python.
    """
    from gvm_desktop.store import database as db  # database imports this module for check_data_key
    from gvm_desktop.store.meta import get_meta

    conn = db.connect(database, data_key)
    try:
        if get_meta(conn, "demo") != "1":
            raise PermissionDenied("Only a demo vault of synthetic people is ever copied out unencrypted.")
        conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(target),))
        conn.execute("SELECT sqlcipher_export('plaintext')")
        # A BCU's compartment beside common, into the same file: one plain database, as before the split.
        for number, (path, key) in enumerate(sorted((compartments or {}).items())):
            schema = f"source{number}"
            conn.execute(f"ATTACH DATABASE ? AS {schema} KEY ?", (str(path), "x'" + check_data_key(key).hex() + "'"))
            conn.execute(f"SELECT sqlcipher_export('plaintext', '{schema}')")
            conn.execute(f"DETACH DATABASE {schema}")
        conn.execute("DETACH DATABASE plaintext")
    finally:
        conn.close()


def burn(kdf: KdfParams) -> None:
    """Spend what an unlock would, so an unknown username answers as slowly as a wrong password."""
    _argon2(b"unknown-user", b"gvm-desktop-burn", kdf)


def derive_wrap_key(private: X25519PrivateKey, vault_id: str, user_id: int, version: int) -> bytes:
    """The 256-bit key that wraps this user's document-signing key: HKDF over the slot's private key.

    Bound to the vault, the user and the slot version, so a new password (a new slot)
    means a new signing key rather than a key that silently outlives the old password.
    """
    info = f"gvm-desktop/signing-key-wrap/v1|{vault_id}|{user_id}|{version}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(private.private_bytes_raw())
