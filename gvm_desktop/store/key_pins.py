"""Pins of accepted compartment keys: each slot's own record of the keys it accepted, and the
checked opening of a slot's keyring against those pins and the compartments' key histories.

HPKE authenticates no sender and every slot's public key is in the file, so anyone who can
write the vault folder can seal a key of their choosing to any slot, and swap in a
compartment file made with it: an officer of CE could plant a key in an EA officer's slot
and read what that officer writes to EA from then on. Two things refuse such a key:

- Pins. Each slot keeps the fingerprint and epoch of every compartment key it accepted,
  encrypted and authenticated (AES-256-GCM) under a key derived from the slot's own private
  key, so only the password's holder can write them; KEY_PINS_REQUIRED, inside the wrapped
  private key, makes their removal show. A key that does not match its pin is refused.
- Key histories (key_history.py). For each compartment the file keeps, per epoch, its key's
  fingerprint, each one signed by the key of the epoch before (an endorsement). Only a holder of a
  compartment's current key can introduce its next one; a slot pinned at an older epoch
  follows the history link by link to its current key; a slot taking a compartment for
  the first time (a grant, or a vault from before pins) accepts only the key the history
  ends at, and every pinned holder checks the history from its own pin onwards at each
  opening, so a history rewritten to fit a planted key is refused at their next sign-in.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.store.compartment_keys import open_key
from gvm_desktop.store.key_history import KeyLink, compartment_fingerprint, endorse, endorses, speakable_fingerprint
from gvm_desktop.store.slot import KEY_PINS_REQUIRED, KeyAtEpoch, KeySlot, Unlocked, wrap_private
from gvm_desktop.store.slot_file import KeySlotFile
from gvm_desktop.store.slot_format import FINGERPRINT_LENGTH, MAX_COMPARTMENTS, NONCE, check_compartment, check_epoch

# What changed in a slot's pins at an opening, for the caller to log.
FIRST_USE = "first use"  # a compartment key this slot had not accepted before: granted, or pins are new
ROTATED = "rotated"  # the pin moved to a later epoch, every step endorsed by the key before it
RELEASED = "released"  # the slot no longer holds a compartment it had accepted (moved on, agreement ended)


@dataclass(frozen=True)
class KeyPin:
    """A compartment key this slot accepted: its epoch and fingerprint."""

    epoch: int
    fingerprint: bytes


def _pins_to_bytes(pins: Mapping[str, KeyPin]) -> bytes:
    body = {"pins": {name: [pin.epoch, pin.fingerprint.hex()] for name, pin in sorted(pins.items())}}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _pins_from_bytes(data: bytes) -> dict[str, KeyPin]:
    raw = json.loads(data)
    if not isinstance(raw, dict) or raw.keys() != {"pins"} or not isinstance(raw["pins"], dict):
        raise ValueError("malformed key pins")
    if len(raw["pins"]) > MAX_COMPARTMENTS:
        raise ValueError("too many key pins")
    pins: dict[str, KeyPin] = {}
    for name, entry in raw["pins"].items():
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], str):
            raise ValueError("malformed key pin")
        fingerprint = bytes.fromhex(entry[1])
        if len(fingerprint) != FINGERPRINT_LENGTH:
            raise ValueError("malformed key pin")
        pins[check_compartment(name)] = KeyPin(check_epoch(entry[0]), fingerprint)
    return pins


def _key_pins_aead(slot: KeySlot, vault_id: str, private: X25519PrivateKey) -> AESGCM:
    # Its own HKDF context: neither the log pin's key nor the signing-key wrap opens these.
    info = slot._key_pins_info(vault_id)
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(private.private_bytes_raw()))


def read_key_pins(slot: KeySlot, vault_id: str, unlocked: Unlocked) -> dict[str, KeyPin] | None:
    """The slot's pins, authenticated; None for a slot that never held any. VaultCorrupt if removed, altered or forged."""
    if slot.key_pins is None:
        if unlocked.key_pins_required:
            raise VaultCorrupt("This account's pinned compartment keys were removed from its key slot: "
                               "someone rewrote the key-slot file to make it accept other keys.")
        return None
    nonce, body = slot.key_pins[:NONCE], slot.key_pins[NONCE:]
    try:
        plain = _key_pins_aead(slot, vault_id, unlocked.private).decrypt(nonce, body, slot._key_pins_info(vault_id))
    except InvalidTag:
        raise VaultCorrupt("This account's pinned compartment keys were altered or forged "
                           "(they do not open with this account's key).") from None
    try:
        return _pins_from_bytes(plain)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError):
        raise VaultCorrupt("This account's pinned compartment keys are damaged.") from None


def store_key_pins(slot: KeySlot, vault_id: str, unlocked: Unlocked, pins: Mapping[str, KeyPin]) -> Unlocked:
    """Write `pins` into the slot and mark it as requiring them. The opened key as it now is."""
    nonce = secrets.token_bytes(NONCE)
    slot.key_pins = nonce + _key_pins_aead(slot, vault_id, unlocked.private).encrypt(
        nonce, _pins_to_bytes(pins), slot._key_pins_info(vault_id))
    if not unlocked.key_pins_required:
        unlocked = Unlocked(unlocked.private, unlocked.kek, unlocked.flags | KEY_PINS_REQUIRED)
        wrap_private(slot, vault_id, unlocked, unlocked.flags)
    return unlocked


@dataclass(frozen=True)
class KeyPinChange:
    """One change to a slot's pins: what the access log records of an opening that moved them."""

    compartment: str
    change: str  # FIRST_USE, ROTATED or RELEASED
    epoch: int  # the epoch now pinned (RELEASED: the one that was)
    fingerprint: str  # speakable
    previous_epoch: int | None = None  # ROTATED: where the pin was

    def describe(self) -> str:
        if self.change == ROTATED:
            return (f"key of compartment {self.compartment} pinned at epoch {self.epoch} "
                    f"(fingerprint {self.fingerprint}), endorsed from epoch {self.previous_epoch}")
        if self.change == RELEASED:
            return f"key of compartment {self.compartment} no longer held (pinned at epoch {self.epoch})"
        return (f"key of compartment {self.compartment} pinned at its first use: epoch {self.epoch}, "
                f"fingerprint {self.fingerprint}")


@dataclass(frozen=True)
class OpenedKeyring:
    """A slot's keys, every one checked against its pins and its compartment's key history.

    `changes` is what the pins say differently from before this opening; `pins` and
    `started` are what `write_key_pins` stores. The caller logs `changes` first, then
    writes: a crash in between reports the same changes at the next opening (logged
    twice, never not at all).
    """

    keys: dict[str, bytes]  # each held compartment's current key
    next_keys: dict[str, bytes]  # the endorsed next key of each rotation under way
    pins: dict[str, KeyPin]
    changes: tuple[KeyPinChange, ...]
    # Key histories this opening begins: compartments whose keys were sealed before histories existed.
    started: dict[str, tuple[KeyLink, ...]]
    needs_writing: bool


def _substituted(name: str, why: str) -> VaultCorrupt:
    return VaultCorrupt(f"This account's key to compartment {name} {why}: "
                        f"someone tried to substitute the key of compartment {name}.")


def _check_held(slots: KeySlotFile, name: str, current: KeyAtEpoch, fingerprint: bytes, nxt: KeyAtEpoch | None,
                pin: KeyPin | None) -> tuple[KeyLink, ...]:
    """Refuse `name`'s keys in one slot unless its pin and the key history vouch for them.

    Returns the history this opening starts, for a compartment that has none yet.
    """
    vault_id = slots.vault_id
    if pin is not None:
        if current.epoch < pin.epoch:
            raise _substituted(name, f"is older (epoch {current.epoch}) than the one it accepted (epoch {pin.epoch})")
        if current.epoch == pin.epoch and fingerprint != pin.fingerprint:
            raise _substituted(name, "is not the one it accepted")
    if nxt is not None and nxt.epoch != current.epoch + 1:
        raise _substituted(name, f"has a next key at epoch {nxt.epoch}, not {current.epoch + 1}")
    last = nxt if nxt is not None else current
    history = slots.key_history.get(name)
    if not history:
        # A compartment whose keys were sealed before histories: trusted on this first use (the caller
        # logs it), then anchored here. A pinned slot's key cannot have moved without a history.
        if pin is not None and (current.epoch != pin.epoch or nxt is not None):
            raise _substituted(name, "changed since it was accepted, endorsed by nobody")
        started = [KeyLink(current.epoch, fingerprint)]
        if nxt is not None:  # a rotation begun before histories: this holder of both keys endorses it
            started.append(endorse(current.key, vault_id, name, nxt.epoch, nxt.key))
        return tuple(started)
    links = {link.epoch: link for link in history}
    head = history[-1].epoch
    if head != last.epoch:
        if head > last.epoch:
            raise _substituted(name, f"is at epoch {last.epoch}, behind the compartment's {head} "
                                     "(an old key put back, or this account left out of a rotation)")
        raise _substituted(name, f"at epoch {last.epoch} was endorsed by no holder of the key before it")
    start = current.epoch if pin is None else pin.epoch
    if start < history[0].epoch:
        raise VaultCorrupt(f"This account accepted the key of compartment {name} at epoch {start}, further back than "
                           f"the compartment's key history reaches ({history[0].epoch}): it cannot be followed. "
                           "The account needs a new password and the compartment granted to it again.")
    if pin is not None and links[pin.epoch].fingerprint != pin.fingerprint:
        raise _substituted(name, f"history was rewritten from epoch {pin.epoch}, the key it accepted")
    for epoch in range(start + 1, head + 1):
        if not endorses(links[epoch - 1], links[epoch], vault_id, name):
            raise _substituted(name, f"at epoch {epoch} carries no valid endorsement by the key before it")
    if links[current.epoch].fingerprint != fingerprint:
        raise _substituted(name, "is not the one its key history holds")
    if nxt is not None and links[nxt.epoch].fingerprint != compartment_fingerprint(nxt.key, vault_id, name, nxt.epoch):
        raise _substituted(name, "has a next key that its key history does not hold")
    return ()


def open_checked_keyring(slots: KeySlotFile, slot: KeySlot, unlocked: Unlocked) -> OpenedKeyring:
    """Every compartment key `slot` holds, refused (VaultCorrupt) unless its pin and key history vouch for it.

    This is how a session opens its keys; `open_keyring` and `open_compartment` check nothing.
    A key the slot accepted before must match its pin, or follow from it through endorsements;
    a key it has not accepted before (a grant, or a slot from before pins) must be the one the
    compartment's key history ends at (trust on first use, anchored by that history, which
    every pinned holder checks) and is reported as FIRST_USE. Nothing is written here.
    """
    vault_id = slots.vault_id
    pinned = read_key_pins(slot, vault_id, unlocked)
    keys: dict[str, bytes] = {}
    next_keys: dict[str, bytes] = {}
    pins: dict[str, KeyPin] = {}
    changes: list[KeyPinChange] = []
    started: dict[str, tuple[KeyLink, ...]] = {}
    for name in slot.compartments():
        held = slot.keys[name]
        current = KeyAtEpoch(open_key(slot, vault_id, unlocked.private, name, held.sealed), held.sealed.epoch)
        nxt = None if held.sealed_next is None else KeyAtEpoch(
            open_key(slot, vault_id, unlocked.private, name, held.sealed_next), held.sealed_next.epoch)
        fingerprint = compartment_fingerprint(current.key, vault_id, name, current.epoch)
        pin = (pinned or {}).get(name)
        begun = _check_held(slots, name, current, fingerprint, nxt, pin)
        if begun:
            started[name] = begun
        keys[name] = current.key
        if nxt is not None:
            next_keys[name] = nxt.key
        pins[name] = KeyPin(current.epoch, fingerprint)
        if pin is None:
            changes.append(KeyPinChange(name, FIRST_USE, current.epoch, speakable_fingerprint(fingerprint)))
        elif pin.epoch != current.epoch:
            changes.append(KeyPinChange(name, ROTATED, current.epoch, speakable_fingerprint(fingerprint), pin.epoch))
    for name, pin in sorted((pinned or {}).items()):
        if name not in slot.keys:
            changes.append(KeyPinChange(name, RELEASED, pin.epoch, speakable_fingerprint(pin.fingerprint)))
    return OpenedKeyring(keys, next_keys, pins, tuple(changes), started,
                         needs_writing=bool(changes or started) or pinned is None or not unlocked.key_pins_required)


def write_key_pins(slots: KeySlotFile, slot: KeySlot, unlocked: Unlocked, ring: OpenedKeyring) -> Unlocked:
    """Store `ring`'s pins in `slot` (of `slots`, re-read since the check is fine) and start its histories.

    Returns the opened key as it now is (KEY_PINS_REQUIRED set). VaultCorrupt if the slot is not
    the one `unlocked` opens, or if a history started meanwhile disagrees with this opening's.
    """
    if slot.public != unlocked.private.public_key().public_bytes_raw():
        raise VaultCorrupt("This account's key slot changed while it was open; sign in again.")
    for name, links in ring.started.items():
        history = slots.key_history.get(name)
        if not history:
            slots.key_history[name] = list(links)
            continue
        theirs = {link.epoch: link.fingerprint for link in history}
        if any(theirs.get(link.epoch, link.fingerprint) != link.fingerprint for link in links):
            raise _substituted(name, "is not the one another holder anchored its key history to")
    return store_key_pins(slot, slots.vault_id, unlocked, ring.pins)


def pin_keyring(slots: KeySlotFile, slot: KeySlot, unlocked: Unlocked) -> tuple[OpenedKeyring, Unlocked]:
    """`open_checked_keyring`, then (when anything moved) `write_key_pins` on the same file, in memory."""
    ring = open_checked_keyring(slots, slot, unlocked)
    if ring.needs_writing:
        unlocked = write_key_pins(slots, slot, unlocked, ring)
    return ring, unlocked
