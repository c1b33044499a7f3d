"""Compartments' keys: each sealed to one slot under its own HPKE context (put, opened, rotated in,
promoted, taken out), and, across the slot file, each compartment's epoch, holders and key history
as it is created, rotated, granted and ended (SlotFileCompartments, a part of KeySlotFile).

None of this checks a key against the slot's pins: a session opens its keys through
key_pins.open_checked_keyring.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from gvm_desktop.core.errors import PermissionDenied, VaultCorrupt
from gvm_desktop.store.key_history import KeyLink, compartment_fingerprint, endorse, endorses, extend_history
from gvm_desktop.store.slot import CompartmentKey, KeySlot, Sealed
from gvm_desktop.store.slot_format import (
    COMMON,
    DATA_KEY_BYTES,
    HPKE_SUITE,
    MAX_COMPARTMENTS,
    check_compartment,
    check_data_key,
    check_epoch,
)


def seal_key(slot: KeySlot, vault_id: str, name: str, key: bytes, epoch: int) -> Sealed:
    """`name`'s key at `epoch` sealed to `slot`, opening only as that compartment's there (not stored)."""
    check_data_key(key)
    public = X25519PublicKey.from_public_bytes(slot.public)
    return Sealed(check_epoch(epoch), HPKE_SUITE.encrypt(key, public, info=slot._compartment_info(vault_id, name, epoch)))


def seal_compartment(slot: KeySlot, vault_id: str, name: str, key: bytes, epoch: int) -> None:
    """Put `name`'s key at `epoch` in the slot's keyring, replacing the key it held there.

    A next key already sealed beside it (a rotation under way) is kept: the rotation's promotion
    decides which one the slot ends with.
    """
    sealed = seal_key(slot, vault_id, check_compartment(name), key, epoch)
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
    slot.keys[name].sealed_next = seal_key(slot, vault_id, name, key, epoch)


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


def open_key(slot: KeySlot, vault_id: str, private: X25519PrivateKey, name: str, sealed: Sealed) -> bytes:
    """`name`'s key from `sealed`, one of `slot`'s; VaultCorrupt if it does not open as that."""
    # The password already opened `private` and it matched the slot's public key, so a sealed
    # key that does not open was changed (or moved here) in the file: damage, not a wrong password.
    what = "the sealed data key" if name == COMMON else f"the sealed key of compartment {name}"
    try:
        key = HPKE_SUITE.decrypt(sealed.ciphertext, private, info=slot._compartment_info(vault_id, name, sealed.epoch))
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
    return open_key(slot, vault_id, private, name, _held(slot, name).sealed)


def open_next(slot: KeySlot, vault_id: str, private: X25519PrivateKey, name: str) -> bytes | None:
    """`name`'s next key while a rotation is under way (the live one once that file was rekeyed), else None."""
    nxt = _held(slot, name).sealed_next
    return None if nxt is None else open_key(slot, vault_id, private, name, nxt)


def open_keyring(slot: KeySlot, vault_id: str, private: X25519PrivateKey) -> dict[str, bytes]:
    """Every compartment key the slot holds, current epochs, by name, as sealed: no pin or history is
    checked, so a planted key opens here too. A session opens its keys with key_pins.open_checked_keyring."""
    return {name: open_compartment(slot, vault_id, private, name) for name in slot.compartments()}


class SlotFileCompartments:
    """KeySlotFile's compartments (slot_file.py declares these fields): their epochs and holders,
    a new one, a rotation across every slot that holds one, a grant, and one that ended."""

    vault_id: str
    key_epoch: int  # common's
    slots: list[KeySlot]
    compartment_epochs: dict[str, int]
    key_history: dict[str, list[KeyLink]]

    def compartments(self) -> list[str]:
        """Every compartment the file knows of (held by a slot or with an epoch recorded), COMMON first."""
        names = {COMMON, *self.compartment_epochs, *self.key_history}.union(*(s.keys for s in self.slots))
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
            self.key_epoch = max(self.key_epoch, check_epoch(epoch))
            return
        if check_compartment(name) not in self.compartment_epochs and len(self.compartment_epochs) >= MAX_COMPARTMENTS:
            raise ValueError("the file records at most MAX_COMPARTMENTS compartments")
        self.compartment_epochs[name] = max(self.compartment_epochs.get(name, 0), check_epoch(epoch))

    def add_compartment(self, name: str, key: bytes, epoch: int, holders: list[KeySlot]) -> None:
        """A new compartment's key at `epoch`, sealed to `holders` (slots of this file) and its epoch recorded.

        Its key history starts here, anchored at this key; the creator then pins it in its own
        slot (`pin_keyring`), so the first key is pinned at creation by its creator. A name
        that already has keys or a history is refused: re-creating one would replace its anchor.
        """
        if self.key_history.get(check_compartment(name)) or self.holders(name):
            raise ValueError(f"the compartment {name} already has keys")
        for slot in holders:
            seal_compartment(slot, self.vault_id, name, key, epoch)
        self.note_epoch(name, epoch)
        self.key_history[name] = [KeyLink(check_epoch(epoch), compartment_fingerprint(key, self.vault_id, name, epoch))]

    def history(self, name: str) -> list[KeyLink]:
        return list(self.key_history.get(name, []))

    def _anchor_current(self, name: str, current: bytes) -> int:
        """Check `current` is `name`'s current key by its history (or start the history with it). Its epoch.

        Links beyond the current epoch that no slot holds a key for (a rotation nobody was left
        to finish) are dropped; a history that stops short of the keys, or names another key
        for this epoch, is refused: the caller's key is not the compartment's.
        """
        epoch = self.epoch_of(name)
        fingerprint = compartment_fingerprint(current, self.vault_id, name, epoch)
        history = [link for link in self.key_history.get(name, []) if link.epoch <= epoch]
        if not history:
            history = [KeyLink(epoch, fingerprint)]
        elif history[-1].epoch != epoch or history[-1].fingerprint != fingerprint:
            raise VaultCorrupt(f"The key given for compartment {name} is not its current key (epoch {epoch}) "
                               "as its key history holds it.")
        self.key_history[name] = history
        return epoch

    def seal_next(self, name: str, key: bytes, *, current: bytes | None = None) -> int:
        """Step 1 of rotating `name`: `key` sealed beside the current one to every slot holding it. Its epoch.

        With `current` (the compartment's current key: only a holder can rotate) the next key is
        endorsed in the key history, and every holder accepts it; without, only a compartment
        that has no history yet (sealed before histories) can be rotated, and holders that pinned
        its key refuse the result. The caller first removes the slots that are to lose the
        compartment (and any it does not vouch for); step 2 rekeys the compartment's file; step 3
        is `promote`. A crash after step 1 leaves both keys in each holder's slot, so whichever
        the file is at still opens.
        """
        epoch = self.epoch_of(name) + 1
        if current is not None:
            if name in self.rotation_pending():
                raise ValueError(f"a rotation of {name} is under way: finish it before beginning another")
            self._anchor_current(name, current)
            self.key_history[name] = extend_history(self.key_history[name],
                                                    endorse(current, self.vault_id, name, epoch, key))
        elif self.key_history.get(name):
            raise ValueError(f"rotating {name} needs its current key, to endorse the next one")
        for slot in self.holders(name):
            seal_next(slot, self.vault_id, name, key, epoch)
        return epoch

    def grant(self, name: str, current: bytes, recipients: list[KeySlot], *, next_key: bytes | None = None) -> int:
        """Seal `name`'s current key (and the next, while a rotation is under way) to `recipients`. Its epoch.

        A grant is a holder's act: `current` must be the key the history ends at (or, for a
        compartment from before histories, the history starts with it). A recipient that has no
        pin for the compartment accepts the key at its next opening as a first use, and only if
        it is the one the history ends at; no one without the current key can make it so
        without rewriting the history, which every pinned holder then refuses.
        """
        pending = name in self.rotation_pending()
        if pending != (next_key is not None):
            raise ValueError(f"a grant of {name} carries its next key exactly while a rotation of it is under way")
        history = self.key_history.get(name, [])
        if next_key is None:
            epoch = self._anchor_current(name, current)
        elif not history:
            # A rotation begun before histories: the granter holds both keys and endorses the next.
            epoch = self._anchor_current(name, current)
            self.key_history[name].append(endorse(current, self.vault_id, name, epoch + 1, next_key))
        else:
            epoch = self.epoch_of(name)
            links = {link.epoch: link.fingerprint for link in history}
            if (links.get(epoch) != compartment_fingerprint(current, self.vault_id, name, epoch)
                    or links.get(epoch + 1) != compartment_fingerprint(next_key, self.vault_id, name, epoch + 1)):
                raise VaultCorrupt(f"The keys given for compartment {name} are not the ones its key history holds.")
        for slot in recipients:
            seal_compartment(slot, self.vault_id, name, current, epoch)
            if next_key is not None:
                seal_next(slot, self.vault_id, name, next_key, epoch + 1)
        return epoch

    def promote(self, names: list[str] | None = None) -> list[str]:
        """Step 3: every next key (of `names`, or of every compartment) becomes current. The names promoted.

        A compartment with a key history promotes only next keys it endorses: a next key planted
        in a slot is refused (VaultCorrupt) before anything moves. Whether each slot's next key is
        the endorsed one its holder checks at the next opening (only the holder can open it).
        """
        for slot in self.slots:
            for name in slot.pending():
                nxt = slot.keys[name].sealed_next
                if (names is None or name in names) and self.key_history.get(name) and nxt is not None:
                    self._check_endorsed(name, slot.keys[name], nxt)
        promoted: set[str] = set()
        for slot in self.slots:
            for name in slot.pending():
                if names is None or name in names:
                    sealed = promote(slot, name)
                    if sealed is not None:
                        self.note_epoch(name, sealed.epoch)
                        promoted.add(name)
        return sorted(promoted, key=lambda name: (name != COMMON, name))

    def _check_endorsed(self, name: str, held: CompartmentKey, nxt: Sealed) -> None:
        links = {link.epoch: link for link in self.key_history[name]}
        epoch = nxt.epoch
        before, link = links.get(epoch - 1), links.get(epoch)
        if (held.sealed.epoch != epoch - 1 or before is None or link is None
                or not endorses(before, link, self.vault_id, name)):
            raise VaultCorrupt(f"A next key of compartment {name} (epoch {epoch}) carries no valid endorsement by "
                               f"its current key: someone tried to plant a key of compartment {name}. "
                               "Nothing was promoted.")

    def rotation_pending(self) -> list[str]:
        """The compartments a rotation began on (a next key is sealed) and has not finished."""
        return sorted({name for s in self.slots for name in s.pending()}, key=lambda name: (name != COMMON, name))

    def remove_compartment(self, name: str) -> int:
        """Forget `name` (an agreement that ended): its key goes from every slot. How many held it."""
        removed = sum(remove_compartment(s, name) for s in self.slots)
        self.compartment_epochs.pop(name, None)
        self.key_history.pop(name, None)
        return removed
