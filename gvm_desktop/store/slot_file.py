"""The key-slot file (keyslots.json beside the vault): its slots, written and read back with every
field checked, so a damaged or hostile file is refused before any key is tried.

Its compartments' epochs, holders and rotations are SlotFileCompartments (compartment_keys.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from gvm_desktop.core.errors import VaultCorrupt, WrongFileType
from gvm_desktop.store.compartment_keys import SlotFileCompartments
from gvm_desktop.store.key_history import KeyLink, history_from_json
from gvm_desktop.store.slot import KeySlot
from gvm_desktop.store.slot_format import (
    COMMON,
    FILE_FORMAT,
    FILE_VERSION,
    MAX_COMPARTMENTS,
    READABLE_VERSIONS,
    SALT_LENGTH,
    b64,
    check_compartment,
    check_epoch,
    unb64,
)


@dataclass
class KeySlotFile(SlotFileCompartments):
    """The sidecar file: vault id, locator salt, slots. No usernames, no names."""

    vault_id: str
    locator_salt: bytes
    key_epoch: int  # common's
    device_binding: bool
    slots: list[KeySlot] = field(default_factory=list)
    # Every other compartment's current epoch: a rotation's next key is sealed at one above it.
    compartment_epochs: dict[str, int] = field(default_factory=dict)
    # Each compartment's key history (see KeyLink), oldest first; none for one sealed before histories.
    key_history: dict[str, list[KeyLink]] = field(default_factory=dict)

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
            "locator_salt": b64(self.locator_salt),
            "key_epoch": self.key_epoch,
            "device_binding": self.device_binding,
            "slots": [s.to_json() for s in self.slots],
            "compartment_epochs": dict(self.compartment_epochs),
            "key_history": {name: [link.to_json() for link in links]
                            for name, links in self.key_history.items() if links},
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
        if type(version) is not int or version not in READABLE_VERSIONS:  # not `True`, which equals 1
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
                locator_salt=unb64(raw["locator_salt"], SALT_LENGTH),
                key_epoch=check_epoch(raw["key_epoch"]),
                device_binding=bool(raw["device_binding"]),
                slots=[KeySlot.from_json(s, version) for s in _list(raw["slots"])],
                compartment_epochs=_epochs_from_json(raw, version),
                key_history=history_from_json(raw, version),
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
    return {name: check_epoch(epoch) for name, epoch in epochs.items()}
