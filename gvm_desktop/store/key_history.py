"""Each compartment's key history: per epoch its key's fingerprint, each one endorsed (signed) by the key
of the epoch before. Why it exists, and how a slot's pins follow it, is in key_pins.py.

A fingerprint is the public half of an Ed25519 key whose seed is derived (HKDF) from the
compartment key, the vault, the compartment's name and the epoch: a one-way, keyed
commitment to the key, against which anybody can check an endorsement. An HMAC under the
current key would do for the signer's side, but only a holder of that key could check it,
and once a rotation is promoted a slot whose owner was away holds only the next key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvm_desktop.store.slot_format import (
    ENDORSEMENT_LENGTH,
    FINGERPRINT_LENGTH,
    MAX_COMPARTMENTS,
    PINS_SINCE,
    b64,
    check_compartment,
    check_data_key,
    check_epoch,
    unb64,
)

# A slot pinned further back than this many rotations of one compartment cannot follow it
# (see key_pins.open_checked_keyring); the history stays bounded in a file anyone can write.
MAX_HISTORY = 256


def _endorser(key: bytes, vault_id: str, name: str, epoch: int) -> Ed25519PrivateKey:
    info = f"gvm-desktop/compartment-endorser/v1|{vault_id}|{check_compartment(name)}|{check_epoch(epoch)}".encode()
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(check_data_key(key))
    return Ed25519PrivateKey.from_private_bytes(seed)


def compartment_fingerprint(key: bytes, vault_id: str, name: str, epoch: int) -> bytes:
    """What a pin and a key history hold of `name`'s key at `epoch`: a commitment to it, never the key."""
    return _endorser(key, vault_id, name, epoch).public_key().public_bytes_raw()


def speakable_fingerprint(fingerprint: bytes) -> str:
    """A short form of a compartment key's fingerprint, for the access log and for people to compare."""
    digest = hashlib.sha256(b"gvm-desktop/compartment-fingerprint/v1" + fingerprint).hexdigest()[:20]
    return "-".join(digest[i : i + 4] for i in range(0, 20, 4))


def _endorsed_text(vault_id: str, name: str, epoch: int, fingerprint: bytes) -> bytes:
    return f"gvm-desktop/compartment-endorsement/v1|{vault_id}|{name}|{epoch}|".encode() + fingerprint


@dataclass(frozen=True)
class KeyLink:
    """One epoch of a compartment's key history: its key's fingerprint, endorsed by the epoch before.

    The first link of a history has no endorsement (nothing came before it, or what did was
    dropped after MAX_HISTORY rotations): it is trusted as the history's anchor only.
    """

    epoch: int
    fingerprint: bytes
    endorsement: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"epoch": self.epoch, "key": b64(self.fingerprint)}
        if self.endorsement is not None:
            out["endorsement"] = b64(self.endorsement)
        return out

    @classmethod
    def from_json(cls, raw: object) -> KeyLink:
        if not isinstance(raw, dict) or not {"epoch", "key"} <= raw.keys() <= {"epoch", "key", "endorsement"}:
            raise ValueError("malformed key history")
        endorsement = raw.get("endorsement")
        return cls(check_epoch(raw["epoch"]), unb64(raw["key"], FINGERPRINT_LENGTH),
                   None if endorsement is None else unb64(endorsement, ENDORSEMENT_LENGTH))


def endorse(current: bytes, vault_id: str, name: str, next_epoch: int, next_key: bytes) -> KeyLink:
    """The link that introduces `next_key` at `next_epoch`, signed with the key of the epoch before it."""
    fingerprint = compartment_fingerprint(next_key, vault_id, name, next_epoch)
    signer = _endorser(current, vault_id, name, next_epoch - 1)
    return KeyLink(next_epoch, fingerprint, signer.sign(_endorsed_text(vault_id, name, next_epoch, fingerprint)))


def endorses(before: KeyLink, link: KeyLink, vault_id: str, name: str) -> bool:
    if link.endorsement is None or link.epoch != before.epoch + 1:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(before.fingerprint).verify(
            link.endorsement, _endorsed_text(vault_id, name, link.epoch, link.fingerprint))
    except (InvalidSignature, ValueError):
        return False
    return True


def history_from_json(raw: dict[str, Any], file_version: int) -> dict[str, list[KeyLink]]:
    if file_version < PINS_SINCE:
        if "key_history" in raw:
            raise ValueError("a version 1 or 2 file keeps no key history")
        return {}
    histories = raw.get("key_history", {})
    if not isinstance(histories, dict) or len(histories) > MAX_COMPARTMENTS:
        raise ValueError("malformed key history")
    out: dict[str, list[KeyLink]] = {}
    for name, links in histories.items():
        # Counted before anything is decoded; an empty history is no history, so it is not written.
        if not isinstance(links, list) or not 1 <= len(links) <= MAX_HISTORY:
            raise ValueError("malformed key history")
        history = [KeyLink.from_json(link) for link in links]
        # One link per epoch, in order: a later link without an endorsement would be a second anchor.
        if any(b.epoch != a.epoch + 1 or b.endorsement is None for a, b in pairwise(history)):
            raise ValueError("a key history skips, repeats or leaves unendorsed an epoch")
        out[check_compartment(name)] = history
    return out


def extend_history(history: list[KeyLink], link: KeyLink) -> list[KeyLink]:
    """`history` and then `link`, its oldest links dropped beyond MAX_HISTORY (the oldest kept is the anchor)."""
    return [*history, link][-MAX_HISTORY:]
