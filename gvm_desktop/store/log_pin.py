"""The access log's verification key k[0] in a key slot: delivered sealed to a slot (HPKE), and
pinned (LogPin) where only the slot's own secret can write.

Anyone can seal a key to a slot's public key, so a delivered k[0] is trusted on first use only;
from then on the pin holds it, and PIN_REQUIRED inside the wrapped private key makes its removal show.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.store.slot import PIN_REQUIRED, KeySlot, Unlocked, wrap_private
from gvm_desktop.store.slot_format import HPKE_SUITE, NONCE, check_int


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
        if len(key0) != 32 or len(head_hash) != 32 or check_int(raw["seq"]) < 0:
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
    nonce = secrets.token_bytes(NONCE)
    slot.log_pin = nonce + _pin_aead(slot, vault_id, unlocked.private).encrypt(nonce, pin.to_bytes(),
                                                                               slot._pin_info(vault_id))
    slot.log_key = None  # a pinned slot takes no delivered key any more: one arriving later is an attack
    if not unlocked.pin_required:
        unlocked = Unlocked(unlocked.private, unlocked.kek, unlocked.flags | PIN_REQUIRED)
        wrap_private(slot, vault_id, unlocked, unlocked.flags)
    return unlocked


def read_pin(slot: KeySlot, vault_id: str, unlocked: Unlocked) -> LogPin | None:
    """The slot's pin, authenticated; VaultCorrupt if it was removed, altered or forged."""
    if slot.log_pin is None:
        if unlocked.pin_required:
            raise VaultCorrupt("This account's pinned log verification key was removed from its key slot: "
                               "someone rewrote the key-slot file.")
        return None
    nonce, body = slot.log_pin[:NONCE], slot.log_pin[NONCE:]
    try:
        return LogPin.from_bytes(_pin_aead(slot, vault_id, unlocked.private).decrypt(nonce, body,
                                                                                     slot._pin_info(vault_id)))
    except InvalidTag:
        raise VaultCorrupt("This account's pinned log verification key was altered or forged "
                           "(it does not open with this account's key).") from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise VaultCorrupt("This account's pinned log verification key is damaged.") from None


def seal_log_key(slot: KeySlot, vault_id: str, key0: bytes) -> None:
    public = X25519PublicKey.from_public_bytes(slot.public)
    slot.log_key = HPKE_SUITE.encrypt(key0, public, info=slot._log_info(vault_id))


def open_log_key(slot: KeySlot, vault_id: str, private: X25519PrivateKey) -> bytes | None:
    if slot.log_key is None:
        return None
    try:
        return HPKE_SUITE.decrypt(slot.log_key, private, info=slot._log_info(vault_id))
    except InvalidTag:
        raise VaultCorrupt("This account's copy of the log verification key is damaged.") from None
