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
        return cls(int(raw["t"]), int(raw["m"]), int(raw["p"]))


DEFAULT_KDF = KdfParams(time_cost=4, memory_kib=192 * 1024, parallelism=4)
# Only for test suites, passed explicitly; never chosen by the application.
TEST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
# Finding a slot by username must be cheap next to unlocking it, but not free.
_LOCATOR_KDF = KdfParams(time_cost=2, memory_kib=16 * 1024, parallelism=1)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


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
    log_key: bytes | None = None  # the access log's verification key, HPKE-sealed (auditors, recovery)

    def _aad(self, vault_id: str) -> bytes:
        return f"gvm-desktop/slot/v1|{vault_id}|{self.user_id}|{self.version}".encode()

    def _info(self, vault_id: str, epoch: int) -> bytes:
        return f"gvm-desktop/data-key/v1|{vault_id}|{self.user_id}|{self.version}|{epoch}".encode()

    def _log_info(self, vault_id: str) -> bytes:
        return f"gvm-desktop/log-key/v1|{vault_id}|{self.user_id}|{self.version}".encode()

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
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeySlot:
        nxt = raw.get("sealed_next")
        return cls(
            slot_id=str(raw["id"]),
            kind=str(raw["kind"]),
            user_id=int(raw["user_id"]),
            version=int(raw["version"]),
            locator=raw.get("locator"),
            kdf=KdfParams.from_dict(raw["kdf"]),
            salt=_unb64(raw["kdf"]["salt"]),
            device_bound=bool(raw["device_bound"]),
            wrapped_private=_unb64(raw["wrapped_private"]),
            public=_unb64(raw["public"]),
            sealed=Sealed(int(raw["sealed"]["epoch"]), _unb64(raw["sealed"]["ct"])),
            sealed_next=Sealed(int(nxt["epoch"]), _unb64(nxt["ct"])) if nxt else None,
            log_key=_unb64(raw["log_key"]) if raw.get("log_key") else None,
        )


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


def make_slot(
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
) -> KeySlot:
    private = X25519PrivateKey.generate()
    salt = secrets.token_bytes(16)
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
    nonce = secrets.token_bytes(12)
    kek = _kek(secret, salt, kdf, device_secret)
    slot.wrapped_private = nonce + AESGCM(kek).encrypt(nonce, private.private_bytes_raw(), slot._aad(vault_id))
    slot.sealed = seal(slot, vault_id, data_key, epoch)
    return slot


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


def open_private(slot: KeySlot, vault_id: str, secret: str, device_secret: bytes | None) -> X25519PrivateKey:
    """Unwrap a slot's private key; a wrong password and a tampered slot both fail here."""
    kek = _kek(secret, slot.salt, slot.kdf, device_secret)
    nonce, body = slot.wrapped_private[:12], slot.wrapped_private[12:]
    try:
        raw = AESGCM(kek).decrypt(nonce, body, slot._aad(vault_id))
    except InvalidTag:
        raise AuthenticationError("Sign-in failed: the username or password is wrong.") from None
    private = X25519PrivateKey.from_private_bytes(raw)
    if private.public_key().public_bytes_raw() != slot.public:
        raise VaultCorrupt("This account's key slot is damaged (its public key does not match).")
    return private


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
                locator_salt=_unb64(raw["locator_salt"]),
                key_epoch=int(raw["key_epoch"]),
                device_binding=bool(raw["device_binding"]),
                slots=[KeySlot.from_json(s) for s in raw["slots"]],
            )
        except (KeyError, TypeError, ValueError):
            raise VaultCorrupt("The vault's key-slot file is damaged: a field is missing or malformed.") from None


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
