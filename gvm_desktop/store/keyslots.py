"""Key slots: how each user's password (and optionally the workstation) opens the data key.

A slot holds an X25519 key pair. Its private half is wrapped with AES-256-GCM
under a key derived from the user's password with Argon2id (associated data:
vault id, user id, slot version); the data key is sealed to its public half
with HPKE (RFC 9180, X25519 + HKDF-SHA256 + AES-256-GCM). The indirection is
what lets an administrator revoke one user and rotate the data key without
knowing anybody else's password: the new key is sealed to every remaining
public key. Slots name no user: a slot is found by a salted Argon2id locator
of the username.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvm_desktop.core.errors import AuthenticationError, ValidationError, VaultCorrupt, WrongFileType

FILE_FORMAT = "gvm-desktop-keyslots"
FILE_VERSION = 1
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
    sealed: Sealed
    sealed_next: Sealed | None = None
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

    def _log_info(self, vault_id: str) -> bytes:
        return f"gvm-desktop/log-key/v1|{vault_id}|{self.user_id}|{self.version}".encode()

    def _pin_info(self, vault_id: str) -> bytes:
        return f"gvm-desktop/log-pin/v1|{vault_id}|{self.kind}|{self.user_id}|{self.version}".encode()

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
            "sealed": {"epoch": self.sealed.epoch, "ct": _b64(self.sealed.ciphertext)},
        }
        if self.sealed_next is not None:
            out["sealed_next"] = {"epoch": self.sealed_next.epoch, "ct": _b64(self.sealed_next.ciphertext)}
        if self.log_key is not None:
            out["log_key"] = _b64(self.log_key)
        if self.log_pin is not None:
            out["log_pin"] = _b64(self.log_pin)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeySlot:
        """One slot from the file, every field checked for type, range and length (ValueError if not)."""
        nxt = raw.get("sealed_next")
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
            sealed=Sealed(_int(raw["sealed"]["epoch"]), _unb64(raw["sealed"]["ct"], _SEALED_LENGTH)),
            sealed_next=Sealed(_int(nxt["epoch"]), _unb64(nxt["ct"], _SEALED_LENGTH)) if nxt else None,
            log_key=_unb64(raw["log_key"], _SEALED_LENGTH) if raw.get("log_key") else None,
            log_pin=_unb64(raw["log_pin"]) if raw.get("log_pin") else None,
        )
        if slot.user_id < 0 or slot.version < 1 or slot.sealed.epoch < 1:
            raise ValueError("a number is out of range")
        if slot.log_pin is not None and not _NONCE + _TAG < len(slot.log_pin) <= 4096:
            raise ValueError("malformed log pin")
        return slot


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
) -> tuple[KeySlot, Unlocked]:
    """A new slot and its opened key; with `log_pin`, the slot starts out holding (and requiring) that pin."""
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
        sealed=Sealed(epoch, b""),
    )
    unlocked = Unlocked(private, _kek(secret, salt, kdf, device_secret), 0)
    if log_pin is not None:
        unlocked = write_pin(slot, vault_id, unlocked, log_pin)  # also sets PIN_REQUIRED in the wrap
    else:
        _wrap(slot, vault_id, unlocked, 0)
    slot.sealed = seal(slot, vault_id, data_key, epoch)
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
    public = X25519PublicKey.from_public_bytes(slot.public)
    return Sealed(epoch, _HPKE.encrypt(data_key, public, info=slot._info(vault_id, epoch)))


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
    try:
        key = _HPKE.decrypt(sealed.ciphertext, private, info=slot._info(vault_id, sealed.epoch))
    except InvalidTag:
        raise VaultCorrupt("This account's key slot is damaged (the sealed data key does not open).") from None
    if len(key) != DATA_KEY_BYTES:
        raise VaultCorrupt("This account's key slot is damaged (the data key has the wrong length).")
    return key


@dataclass
class KeySlotFile:
    """The sidecar file: vault id, locator salt, slots. No usernames, no names."""

    vault_id: str
    locator_salt: bytes
    key_epoch: int
    device_binding: bool
    slots: list[KeySlot] = field(default_factory=list)

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

    def to_bytes(self) -> bytes:
        body = {
            "format": FILE_FORMAT,
            "format_version": FILE_VERSION,
            "vault_id": self.vault_id,
            "locator_salt": _b64(self.locator_salt),
            "key_epoch": self.key_epoch,
            "device_binding": self.device_binding,
            "slots": [s.to_json() for s in self.slots],
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        # A checksum tells accidental damage apart from a wrong password; it is
        # not the protection (anyone can recompute it): AES-GCM is.
        body["checksum"] = hashlib.sha256(canonical.encode()).hexdigest()
        return (json.dumps(body, sort_keys=True, indent=1) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> KeySlotFile:
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise VaultCorrupt("The vault's key-slot file is damaged: it is not readable.") from None
        if not isinstance(raw, dict) or raw.get("format") != FILE_FORMAT:
            raise WrongFileType("The key-slot file is not a gvm-desktop key-slot file.")
        if raw.get("format_version") != FILE_VERSION:
            raise VaultCorrupt(
                f"The key-slot file has format version {raw.get('format_version')!r}, "
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
                key_epoch=_int(raw["key_epoch"]),
                device_binding=bool(raw["device_binding"]),
                slots=[KeySlot.from_json(s) for s in raw["slots"]],
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise VaultCorrupt("The vault's key-slot file is damaged: a field is missing or malformed.") from None


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
