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
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvm_desktop.core.errors import (
    AuthenticationError,
    PermissionDenied,
    ValidationError,
    VaultCorrupt,
    WrongFileType,
)

FILE_FORMAT = "gvm-desktop-keyslots"
FILE_VERSION = 2
# Version 1 held one data key per slot: it reads as a keyring of "common" alone.
_READABLE_VERSIONS = (1, 2)
DATA_KEY_BYTES = 32
_HPKE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default costs about 0.45 s on a 2-core office PC."""

    time_cost: int
    memory_kib: int
    parallelism: int

    def as_dict(self) -> dict[str, int]:
        return {"t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> KdfParams:
        params = cls(_int(raw["t"]), _int(raw["m"]), _int(raw["p"]))
        # A slot file is attacker-writable: a cost of zero crashes argon2 and a huge one
        # would hang or exhaust the workstation, so only sane ranges are read at all.
        if not (1 <= params.time_cost <= _MAX_TIME_COST and 1 <= params.parallelism <= _MAX_PARALLELISM
                and 8 * params.parallelism <= params.memory_kib <= _MAX_MEMORY_KIB):
            raise ValueError("Argon2id cost out of range")
        return params


def _int(value: object) -> int:
    """An integer from JSON, refusing booleans, floats and text (int('7') would quietly pass)."""
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


_MAX_TIME_COST = 64
_MAX_PARALLELISM = 64
_MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB


DEFAULT_KDF = KdfParams(time_cost=4, memory_kib=192 * 1024, parallelism=4)
# Only for test suites, passed explicitly; never chosen by the application.
TEST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
# Finding a slot by username must be cheap next to unlocking it, but not free.
_LOCATOR_KDF = KdfParams(time_cost=2, memory_kib=16 * 1024, parallelism=1)


# -- compartments' names ---------------------------------------------------------

COMMON = "common"
# The names are bound into what is sealed and come from an attacker-writable file, so only
# these shapes are read at all: ASCII, no separator of the sealing context ("|"), no newline.
_COMPARTMENT_NAME = re.compile(r"common|bcu:[A-Z]{2,4}|dsa:[1-9][0-9]{0,17}")  # as store/compartments.py names files
# A slot (the recovery slot holds every compartment) and the file's epochs are bounded, so a
# hostile file cannot make a sign-in decode and try thousands of sealed keys.
MAX_COMPARTMENTS = 512
_MAX_EPOCH = 2**31 - 1


def check_compartment(name: object) -> str:
    """`name` if it is a compartment's name ("common", "bcu:CE", "dsa:7"); ValueError if not."""
    if not isinstance(name, str) or _COMPARTMENT_NAME.fullmatch(name) is None:
        raise ValueError("not a compartment's name")
    return name


def bcu_compartment(code: str) -> str:
    return check_compartment(f"bcu:{code}")


def dsa_compartment(dsa_id: int) -> str:
    return check_compartment(f"dsa:{_int(dsa_id)}")


def _epoch(value: object) -> int:
    epoch = _int(value)
    if not 1 <= epoch <= _MAX_EPOCH:
        raise ValueError("an epoch is out of range")
    return epoch


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, *lengths: int) -> bytes:
    """Base64 from the slot file; with `lengths`, the decoded bytes must have one of them."""
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    data = base64.b64decode(text.encode("ascii"), validate=True)
    if lengths and len(data) not in lengths:
        raise ValueError("a field has the wrong length")
    return data


# Sizes on disk, checked on load so a damaged or hostile file is refused before any
# cryptography sees it: a wrapped private key is nonce + key (+ flags byte) + tag, a sealed
# key is HPKE's encapsulated key + the 32-byte key + tag.
_NONCE = 12
_TAG = 16
_WRAPPED_LENGTHS = (_NONCE + 32 + _TAG, _NONCE + 33 + _TAG)
_SEALED_LENGTH = 32 + 32 + _TAG
_SALT_LENGTH = 16
# Flags kept inside the wrapped private key, so only the password's holder can change them.
PIN_REQUIRED = 0x01


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


@dataclass
class Sealed:
    epoch: int
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "ct": _b64(self.ciphertext)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Sealed:
        if not isinstance(raw, dict):
            raise ValueError("malformed sealed key")
        return cls(_epoch(raw["epoch"]), _unb64(raw["ct"], _SEALED_LENGTH))


@dataclass
class CompartmentKey:
    """One compartment's key in one slot: sealed at its current epoch, and the next while a rotation runs."""

    sealed: Sealed
    sealed_next: Sealed | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"sealed": self.sealed.to_json()}
        if self.sealed_next is not None:
            out["sealed_next"] = self.sealed_next.to_json()
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CompartmentKey:
        if not isinstance(raw, dict) or not raw.keys() <= {"sealed", "sealed_next"}:
            raise ValueError("malformed compartment key")
        nxt = raw.get("sealed_next")
        return cls(Sealed.from_json(raw["sealed"]), Sealed.from_json(nxt) if nxt is not None else None)


class KeyAtEpoch(NamedTuple):
    """A compartment's opened key and the epoch it belongs to, for sealing to a new slot."""

    key: bytes
    epoch: int


@dataclass
class KeySlot:
    slot_id: str
    kind: str  # "user" or "recovery"
    user_id: int
    version: int
    locator: str | None
    kdf: KdfParams
    salt: bytes
    device_bound: bool
    wrapped_private: bytes  # nonce || AES-GCM ciphertext
    public: bytes
    # The keyring: compartment name -> its key sealed to `public`. Every slot holds COMMON.
    keys: dict[str, CompartmentKey]
    # The access log's verification key k[0], HPKE-sealed: how a key is *delivered* to an auditor
    # who does not hold it yet (anyone can seal to a public key, so it is trusted only on first use).
    log_key: bytes | None = None
    # The auditor's (or the recovery code's) own pin: k[0] and the last head verified, encrypted
    # and authenticated under a key only this slot's secret opens. See LogPin.
    log_pin: bytes | None = None

    def _aad(self, vault_id: str) -> bytes:
        return f"gvm-desktop/slot/v1|{vault_id}|{self.user_id}|{self.version}".encode()

    def _info(self, vault_id: str, epoch: int) -> bytes:
        return f"gvm-desktop/data-key/v1|{vault_id}|{self.user_id}|{self.version}|{epoch}".encode()

    def _compartment_info(self, vault_id: str, name: str, epoch: int) -> bytes:
        """HPKE's info for `name`'s key at `epoch`: a sealed key opens only as that compartment's, in this slot.

        COMMON keeps version 1's context, so keys sealed before compartments existed still open;
        the two contexts differ in their first field, so neither opens as the other. Only the
        vault id is free text, and it comes first: the fixed-shape fields after it (none holds
        a "|") read back one way only.
        """
        if name == COMMON:
            return self._info(vault_id, epoch)
        return (f"gvm-desktop/compartment-key/v1|{vault_id}|{self.kind}|{self.user_id}|{self.version}|"
                f"{check_compartment(name)}|{epoch}").encode()

    def _log_info(self, vault_id: str) -> bytes:
        return f"gvm-desktop/log-key/v1|{vault_id}|{self.user_id}|{self.version}".encode()

    def _pin_info(self, vault_id: str) -> bytes:
        return f"gvm-desktop/log-pin/v1|{vault_id}|{self.kind}|{self.user_id}|{self.version}".encode()

    # Common's key under version 1's names, which vault.py and the tests read and write.
    @property
    def sealed(self) -> Sealed:
        return self.keys[COMMON].sealed

    @sealed.setter
    def sealed(self, value: Sealed) -> None:
        if COMMON in self.keys:
            self.keys[COMMON].sealed = value
        else:
            self.keys[COMMON] = CompartmentKey(value)

    @property
    def sealed_next(self) -> Sealed | None:
        return self.keys[COMMON].sealed_next

    @sealed_next.setter
    def sealed_next(self, value: Sealed | None) -> None:
        self.keys[COMMON].sealed_next = value

    def compartments(self) -> list[str]:
        """The names of the compartments whose keys this slot holds, COMMON first."""
        return sorted(self.keys, key=lambda name: (name != COMMON, name))

    def holds(self, name: str) -> bool:
        return name in self.keys

    def epoch_of(self, name: str) -> int:
        """The epoch of the key this slot holds for `name` (its current one, not one being rotated in)."""
        return self.keys[name].sealed.epoch

    def pending(self) -> list[str]:
        """The compartments whose next key is sealed here beside the current one: a rotation under way."""
        return [name for name in self.compartments() if self.keys[name].sealed_next is not None]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.slot_id,
            "kind": self.kind,
            "user_id": self.user_id,
            "version": self.version,
            "locator": self.locator,
            "kdf": {**self.kdf.as_dict(), "salt": _b64(self.salt)},
            "device_bound": self.device_bound,
            "wrapped_private": _b64(self.wrapped_private),
            "public": _b64(self.public),
            # Common's key where version 1 kept the one data key; the other compartments beside it.
            **self.keys[COMMON].to_json(),
            "compartments": {name: key.to_json() for name, key in self.keys.items() if name != COMMON},
        }
        if self.log_key is not None:
            out["log_key"] = _b64(self.log_key)
        if self.log_pin is not None:
            out["log_pin"] = _b64(self.log_pin)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any], file_version: int = FILE_VERSION) -> KeySlot:
        """One slot from the file, every field checked for type, range and length (ValueError if not)."""
        if not isinstance(raw, dict):
            raise ValueError("a slot is not an object")
        kind = raw["kind"]
        locator = raw.get("locator")
        if kind not in ("user", "recovery"):
            raise ValueError("unknown slot kind")
        if locator is not None and (not isinstance(locator, str) or not 0 < len(locator) <= 128):
            raise ValueError("malformed locator")
        if not isinstance(raw["device_bound"], bool):
            raise ValueError("malformed device binding")
        slot = cls(
            slot_id=str(raw["id"]),
            kind=kind,
            user_id=_int(raw["user_id"]),
            version=_int(raw["version"]),
            locator=locator,
            kdf=KdfParams.from_dict(raw["kdf"]),
            salt=_unb64(raw["kdf"]["salt"], _SALT_LENGTH),
            device_bound=raw["device_bound"],
            wrapped_private=_unb64(raw["wrapped_private"], *_WRAPPED_LENGTHS),
            public=_unb64(raw["public"], 32),
            keys=_keyring_from_json(raw, file_version),
            log_key=_unb64(raw["log_key"], _SEALED_LENGTH) if raw.get("log_key") else None,
            log_pin=_unb64(raw["log_pin"]) if raw.get("log_pin") else None,
        )
        if slot.user_id < 0 or slot.version < 1:
            raise ValueError("a number is out of range")
        if slot.log_pin is not None and not _NONCE + _TAG < len(slot.log_pin) <= 4096:
            raise ValueError("malformed log pin")
        return slot


def _keyring_from_json(raw: dict[str, Any], file_version: int) -> dict[str, CompartmentKey]:
    """A slot's keyring: common's key from version 1's fields, the others (version 2 only) by name."""
    keys = {COMMON: CompartmentKey.from_json({k: raw[k] for k in ("sealed", "sealed_next") if k in raw})}
    if file_version < 2:
        if "compartments" in raw:
            raise ValueError("a version 1 slot holds one key")
        return keys
    others = raw.get("compartments", {})
    if not isinstance(others, dict):
        raise ValueError("malformed compartments")
    # Counted before anything is decoded, and bounded with common included.
    if len(others) >= MAX_COMPARTMENTS:
        raise ValueError("too many compartments")
    for name, key in others.items():
        if check_compartment(name) == COMMON:  # common lives in the slot's own fields, once
            raise ValueError("common's key is held twice")
        keys[name] = CompartmentKey.from_json(key)
    return keys


def _kek(secret: str, salt: bytes, kdf: KdfParams, device_secret: bytes | None) -> bytes:
    stretched = _argon2(secret.encode("utf-8"), salt, kdf)
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
) -> tuple[KeySlot, Unlocked]:
    """A new slot and its opened key; with `log_pin`, the slot starts out holding (and requiring) that pin.

    It holds common's key (`data_key` at `epoch`) and, sealed beside it, each of `compartments`.
    """
    private = X25519PrivateKey.generate()
    salt = secrets.token_bytes(_SALT_LENGTH)
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
        _wrap(slot, vault_id, unlocked, 0)
    seal_compartment(slot, vault_id, COMMON, data_key, epoch)
    for name, held in (compartments or {}).items():
        if name == COMMON:
            raise ValueError("common's key is `data_key`")
        seal_compartment(slot, vault_id, name, held.key, held.epoch)
    return slot, unlocked


def _wrap(slot: KeySlot, vault_id: str, unlocked: Unlocked, flags: int) -> None:
    """Wrap the private key, with its flags byte, under the password's key (AES-256-GCM)."""
    nonce = secrets.token_bytes(_NONCE)
    plain = unlocked.private.private_bytes_raw() + bytes([flags])
    slot.wrapped_private = nonce + AESGCM(unlocked.kek).encrypt(nonce, plain, slot._aad(vault_id))


@dataclass(frozen=True)
class Unlocked:
    """A slot opened with its secret: the private key, the key that wraps it, and the wrapped flags."""

    private: X25519PrivateKey
    kek: bytes
    flags: int

    @property
    def pin_required(self) -> bool:
        return bool(self.flags & PIN_REQUIRED)


@dataclass(frozen=True)
class LogPin:
    """What one auditor (or the recovery code) trusts about the access log.

    k[0] and the last head this party verified, encrypted and authenticated
    (AES-256-GCM) under a key derived from the slot's private key. Anyone who
    can write the slot file can seal a key of their choosing to a slot's public
    key (HPKE needs no secret to encrypt); nobody without the slot's password
    can write a pin. `recorded` is False until the access log has an entry for
    the pin's latest change (a read-only `log verify` writes none).
    """

    key0: bytes
    seq: int
    head_hash: bytes
    verified_at: str | None
    recorded: bool

    def fingerprint(self) -> str:
        return key_fingerprint(self.key0)

    def to_bytes(self) -> bytes:
        return json.dumps({"k0": self.key0.hex(), "seq": self.seq, "hash": self.head_hash.hex(),
                           "at": self.verified_at, "recorded": self.recorded}, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LogPin:
        raw = json.loads(data)
        key0, head_hash = bytes.fromhex(raw["k0"]), bytes.fromhex(raw["hash"])
        if len(key0) != 32 or len(head_hash) != 32 or _int(raw["seq"]) < 0:
            raise ValueError("malformed pin")
        at = raw["at"]
        if at is not None and not isinstance(at, str):
            raise ValueError("malformed pin")
        return cls(key0, raw["seq"], head_hash, at, bool(raw["recorded"]))


def key_fingerprint(key0: bytes) -> str:
    """A short, speakable commitment to k[0], for auditors to compare with each other out of band."""
    digest = hashlib.sha256(b"gvm-desktop/log-key-fingerprint/v1" + key0).hexdigest()[:20]
    return "-".join(digest[i : i + 4] for i in range(0, 20, 4))


def _pin_aead(slot: KeySlot, vault_id: str, private: X25519PrivateKey) -> AESGCM:
    info = slot._pin_info(vault_id)
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(private.private_bytes_raw()))


def write_pin(slot: KeySlot, vault_id: str, unlocked: Unlocked, pin: LogPin) -> Unlocked:
    """Store `pin` in the slot and mark the slot as requiring one, so removing the pin later shows.

    Returns the opened key as it now is (with the flag set)."""
    nonce = secrets.token_bytes(_NONCE)
    slot.log_pin = nonce + _pin_aead(slot, vault_id, unlocked.private).encrypt(nonce, pin.to_bytes(),
                                                                               slot._pin_info(vault_id))
    slot.log_key = None  # a pinned slot takes no delivered key any more: one arriving later is an attack
    if not unlocked.pin_required:
        unlocked = Unlocked(unlocked.private, unlocked.kek, unlocked.flags | PIN_REQUIRED)
        _wrap(slot, vault_id, unlocked, unlocked.flags)
    return unlocked


def read_pin(slot: KeySlot, vault_id: str, unlocked: Unlocked) -> LogPin | None:
    """The slot's pin, authenticated; VaultCorrupt if it was removed, altered or forged."""
    if slot.log_pin is None:
        if unlocked.pin_required:
            raise VaultCorrupt("This account's pinned log verification key was removed from its key slot: "
                               "someone rewrote the key-slot file.")
        return None
    nonce, body = slot.log_pin[:_NONCE], slot.log_pin[_NONCE:]
    try:
        return LogPin.from_bytes(_pin_aead(slot, vault_id, unlocked.private).decrypt(nonce, body,
                                                                                     slot._pin_info(vault_id)))
    except InvalidTag:
        raise VaultCorrupt("This account's pinned log verification key was altered or forged "
                           "(it does not open with this account's key).") from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise VaultCorrupt("This account's pinned log verification key is damaged.") from None


def seal(slot: KeySlot, vault_id: str, data_key: bytes, epoch: int) -> Sealed:
    """Common's key sealed to `slot` (not stored: the caller puts it in `sealed` or `sealed_next`)."""
    return _seal(slot, vault_id, COMMON, data_key, epoch)


def _seal(slot: KeySlot, vault_id: str, name: str, key: bytes, epoch: int) -> Sealed:
    check_data_key(key)
    public = X25519PublicKey.from_public_bytes(slot.public)
    return Sealed(_epoch(epoch), _HPKE.encrypt(key, public, info=slot._compartment_info(vault_id, name, epoch)))


def seal_compartment(slot: KeySlot, vault_id: str, name: str, key: bytes, epoch: int) -> None:
    """Put `name`'s key at `epoch` in the slot's keyring, replacing the key it held there.

    A next key already sealed beside it (a rotation under way) is kept: the rotation's promotion
    decides which one the slot ends with.
    """
    sealed = _seal(slot, vault_id, check_compartment(name), key, epoch)
    held = slot.keys.get(name)
    if held is None:
        if len(slot.keys) >= MAX_COMPARTMENTS:
            raise ValueError("a slot holds at most MAX_COMPARTMENTS keys")
        slot.keys[name] = CompartmentKey(sealed)
    else:
        held.sealed = sealed


def seal_next(slot: KeySlot, vault_id: str, name: str, key: bytes, epoch: int) -> None:
    """Step 1 of rotating `name`: its next key sealed beside the current one (only to a slot holding it)."""
    if name not in slot.keys:
        raise ValueError("a rotation seals the next key only to the current key's holders")
    slot.keys[name].sealed_next = _seal(slot, vault_id, name, key, epoch)


def promote(slot: KeySlot, name: str) -> Sealed | None:
    """The last step of rotating `name`: its next key becomes the current one. The promoted key, if any."""
    held = slot.keys.get(name)
    if held is None or held.sealed_next is None:
        return None
    held.sealed, held.sealed_next = held.sealed_next, None
    return held.sealed


def remove_compartment(slot: KeySlot, name: str) -> bool:
    """Take `name`'s key out of the slot's keyring (common's never goes). Whether it was there."""
    if name == COMMON:
        raise ValueError("every slot holds common's key")
    return slot.keys.pop(name, None) is not None


def seal_log_key(slot: KeySlot, vault_id: str, key0: bytes) -> None:
    public = X25519PublicKey.from_public_bytes(slot.public)
    slot.log_key = _HPKE.encrypt(key0, public, info=slot._log_info(vault_id))


def open_log_key(slot: KeySlot, vault_id: str, private: X25519PrivateKey) -> bytes | None:
    if slot.log_key is None:
        return None
    try:
        return _HPKE.decrypt(slot.log_key, private, info=slot._log_info(vault_id))
    except InvalidTag:
        raise VaultCorrupt("This account's copy of the log verification key is damaged.") from None


def unlock(slot: KeySlot, vault_id: str, secret: str, device_secret: bytes | None) -> Unlocked:
    """Unwrap a slot's private key; a wrong password and a tampered slot both fail here."""
    kek = _kek(secret, slot.salt, slot.kdf, device_secret)
    nonce, body = slot.wrapped_private[:_NONCE], slot.wrapped_private[_NONCE:]
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


def open_sealed(slot: KeySlot, vault_id: str, private: X25519PrivateKey, sealed: Sealed) -> bytes:
    """Common's key from `sealed` (the slot's `sealed` or `sealed_next`)."""
    return _open(slot, vault_id, private, COMMON, sealed)


def _open(slot: KeySlot, vault_id: str, private: X25519PrivateKey, name: str, sealed: Sealed) -> bytes:
    # The password already opened `private` and it matched the slot's public key, so a sealed
    # key that does not open was changed (or moved here) in the file: damage, not a wrong password.
    what = "the sealed data key" if name == COMMON else f"the sealed key of compartment {name}"
    try:
        key = _HPKE.decrypt(sealed.ciphertext, private, info=slot._compartment_info(vault_id, name, sealed.epoch))
    except InvalidTag:
        raise VaultCorrupt(f"This account's key slot is damaged ({what} does not open).") from None
    if len(key) != DATA_KEY_BYTES:
        raise VaultCorrupt(f"This account's key slot is damaged ({what} has the wrong length).")
    return key


def _held(slot: KeySlot, name: str) -> CompartmentKey:
    held = slot.keys.get(check_compartment(name))
    if held is None:
        # Not a permission check: this slot's password opens no key to the compartment at all.
        raise PermissionDenied(f"This account's key slot holds no key to the compartment {name}.")
    return held


def open_compartment(slot: KeySlot, vault_id: str, private: X25519PrivateKey, name: str) -> bytes:
    """`name`'s current key; PermissionDenied if the slot holds none, VaultCorrupt if it does not open."""
    return _open(slot, vault_id, private, name, _held(slot, name).sealed)


def open_next(slot: KeySlot, vault_id: str, private: X25519PrivateKey, name: str) -> bytes | None:
    """`name`'s next key while a rotation is under way (the live one once that file was rekeyed), else None."""
    nxt = _held(slot, name).sealed_next
    return None if nxt is None else _open(slot, vault_id, private, name, nxt)


def open_keyring(slot: KeySlot, vault_id: str, private: X25519PrivateKey) -> dict[str, bytes]:
    """Every compartment key the slot holds, current epochs, by name."""
    return {name: open_compartment(slot, vault_id, private, name) for name in slot.compartments()}


@dataclass
class KeySlotFile:
    """The sidecar file: vault id, locator salt, slots. No usernames, no names."""

    vault_id: str
    locator_salt: bytes
    key_epoch: int  # common's
    device_binding: bool
    slots: list[KeySlot] = field(default_factory=list)
    # Every other compartment's current epoch: a rotation's next key is sealed at one above it.
    compartment_epochs: dict[str, int] = field(default_factory=dict)

    def find_user_slot(self, locator: str) -> KeySlot | None:
        return next((s for s in self.slots if s.kind == "user" and s.locator == locator), None)

    def slot_of_user(self, user_id: int) -> KeySlot | None:
        return next((s for s in self.slots if s.kind == "user" and s.user_id == user_id), None)

    def recovery_slot(self) -> KeySlot | None:
        return next((s for s in self.slots if s.kind == "recovery"), None)

    def replace_slot(self, slot: KeySlot) -> None:
        self.slots = [s for s in self.slots if not (s.kind == slot.kind and s.user_id == slot.user_id)]
        self.slots.append(slot)

    def remove_user_slot(self, user_id: int) -> bool:
        before = len(self.slots)
        self.slots = [s for s in self.slots if not (s.kind == "user" and s.user_id == user_id)]
        return len(self.slots) != before

    # -- compartments --------------------------------------------------------------

    def compartments(self) -> list[str]:
        """Every compartment the file knows of (held by a slot or with an epoch recorded), COMMON first."""
        names = {COMMON, *self.compartment_epochs}.union(*(s.keys for s in self.slots))
        return sorted(names, key=lambda name: (name != COMMON, name))

    def holders(self, name: str) -> list[KeySlot]:
        return [s for s in self.slots if s.holds(name)]

    def epoch_of(self, name: str) -> int:
        """`name`'s current epoch: as recorded, or as a slot holds it if higher; 0 for one never sealed."""
        recorded = self.key_epoch if name == COMMON else self.compartment_epochs.get(check_compartment(name), 0)
        return max([recorded, *(s.epoch_of(name) for s in self.holders(name))])

    def note_epoch(self, name: str, epoch: int) -> None:
        """Record that `name`'s current key is at `epoch` (never moves backwards)."""
        if name == COMMON:
            self.key_epoch = max(self.key_epoch, _epoch(epoch))
            return
        if check_compartment(name) not in self.compartment_epochs and len(self.compartment_epochs) >= MAX_COMPARTMENTS:
            raise ValueError("the file records at most MAX_COMPARTMENTS compartments")
        self.compartment_epochs[name] = max(self.compartment_epochs.get(name, 0), _epoch(epoch))

    def add_compartment(self, name: str, key: bytes, epoch: int, holders: list[KeySlot]) -> None:
        """A new compartment's key at `epoch`, sealed to `holders` (slots of this file) and its epoch recorded."""
        for slot in holders:
            seal_compartment(slot, self.vault_id, name, key, epoch)
        self.note_epoch(name, epoch)

    def seal_next(self, name: str, key: bytes) -> int:
        """Step 1 of rotating `name`: `key` sealed beside the current one to every slot holding it. Its epoch.

        The caller first removes the slots that are to lose the compartment (and any it does not
        vouch for); step 2 rekeys the compartment's file; step 3 is `promote`. A crash after step 1
        leaves both keys in each holder's slot, so whichever the file is at still opens.
        """
        epoch = self.epoch_of(name) + 1
        for slot in self.holders(name):
            seal_next(slot, self.vault_id, name, key, epoch)
        return epoch

    def promote(self, names: list[str] | None = None) -> list[str]:
        """Step 3: every next key (of `names`, or of every compartment) becomes current. The names promoted."""
        promoted: set[str] = set()
        for slot in self.slots:
            for name in slot.pending():
                if names is None or name in names:
                    sealed = promote(slot, name)
                    if sealed is not None:
                        self.note_epoch(name, sealed.epoch)
                        promoted.add(name)
        return sorted(promoted, key=lambda name: (name != COMMON, name))

    def rotation_pending(self) -> list[str]:
        """The compartments a rotation began on (a next key is sealed) and has not finished."""
        return sorted({name for s in self.slots for name in s.pending()}, key=lambda name: (name != COMMON, name))

    def remove_compartment(self, name: str) -> int:
        """Forget `name` (an agreement that ended): its key goes from every slot. How many held it."""
        removed = sum(remove_compartment(s, name) for s in self.slots)
        self.compartment_epochs.pop(name, None)
        return removed

    def to_bytes(self) -> bytes:
        body = {
            "format": FILE_FORMAT,
            "format_version": FILE_VERSION,
            "vault_id": self.vault_id,
            "locator_salt": _b64(self.locator_salt),
            "key_epoch": self.key_epoch,
            "device_binding": self.device_binding,
            "slots": [s.to_json() for s in self.slots],
            "compartment_epochs": dict(self.compartment_epochs),
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        # A checksum tells accidental damage apart from a wrong password; it is
        # not the protection (anyone can recompute it): AES-GCM is.
        body["checksum"] = hashlib.sha256(canonical.encode()).hexdigest()
        return (json.dumps(body, sort_keys=True, indent=1) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> KeySlotFile:
        try:
            raw = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_fields)
        except _DuplicateField:
            raise VaultCorrupt("The vault's key-slot file is damaged: a field or compartment appears twice.") from None
        except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: json's errors, huge numbers
            raise VaultCorrupt("The vault's key-slot file is damaged: it is not readable.") from None
        if not isinstance(raw, dict) or raw.get("format") != FILE_FORMAT:
            raise WrongFileType("The key-slot file is not a gvm-desktop key-slot file.")
        version = raw.get("format_version")
        if type(version) is not int or version not in _READABLE_VERSIONS:  # not `True`, which equals 1
            raise VaultCorrupt(
                f"The key-slot file has format version {repr(version)[:20]}, "
                f"which this version of gvm-desktop does not read."
            )
        checksum = raw.pop("checksum", None)
        canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"))
        if checksum != hashlib.sha256(canonical.encode()).hexdigest():
            raise VaultCorrupt("The vault's key-slot file is damaged: its checksum does not match.")
        try:
            return cls(
                vault_id=str(raw["vault_id"]),
                locator_salt=_unb64(raw["locator_salt"], _SALT_LENGTH),
                key_epoch=_epoch(raw["key_epoch"]),
                device_binding=bool(raw["device_binding"]),
                slots=[KeySlot.from_json(s, version) for s in _list(raw["slots"])],
                compartment_epochs=_epochs_from_json(raw, version),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise VaultCorrupt("The vault's key-slot file is damaged: a field is missing or malformed.") from None


class _DuplicateField(ValueError):
    pass


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose names are all different: with a name twice, which one counts would
    depend on the parser, so a file holding two keys for one compartment is refused."""
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise _DuplicateField
    return fields


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _epochs_from_json(raw: dict[str, Any], file_version: int) -> dict[str, int]:
    if file_version < 2:
        if "compartment_epochs" in raw:
            raise ValueError("a version 1 file has one key epoch")
        return {}
    epochs = raw.get("compartment_epochs", {})
    if not isinstance(epochs, dict) or len(epochs) >= MAX_COMPARTMENTS:
        raise ValueError("malformed compartment epochs")
    if any(check_compartment(name) == COMMON for name in epochs):
        raise ValueError("common's epoch is key_epoch")
    return {name: _epoch(epoch) for name, epoch in epochs.items()}


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


def export_plaintext(database: Path, data_key: bytes, target: Path) -> None:
    """An unencrypted copy of the vault's database at `target`, through SQLCipher's own export.

    For `gvm-desktop bench` alone (its plain-SQLite baseline reads the same data without the
    cipher); `target` then holds every person in clear, so it belongs in a throw-away folder.
    """
    from gvm_desktop.store import database as db  # database imports this module for check_data_key

    conn = db.connect(database, data_key)
    try:
        conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(target),))
        conn.execute("SELECT sqlcipher_export('plaintext')")
        conn.execute("DETACH DATABASE plaintext")
    finally:
        conn.close()


def check_data_key(key: bytes) -> bytes:
    if len(key) != DATA_KEY_BYTES:
        raise ValidationError("A data key is 32 bytes.")
    return key


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
