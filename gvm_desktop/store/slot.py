"""One key slot: its fields as the slot file holds them, the keyring sealed to it, and the wrap of its
private key under the key its password derives (the design is in keyslots.py).

The HPKE and AES-GCM contexts that bind a sealed key, a pin or the wrap to one slot of one vault
are KeySlot's methods, so every module that seals or opens something in a slot uses the same ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gvm_desktop.store.slot_format import (
    COMMON,
    FILE_VERSION,
    MAX_COMPARTMENTS,
    NONCE,
    PINS_SINCE,
    SALT_LENGTH,
    SEALED_LENGTH,
    TAG,
    WRAPPED_LENGTHS,
    b64,
    check_compartment,
    check_epoch,
    check_int,
    unb64,
)


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
        params = cls(check_int(raw["t"]), check_int(raw["m"]), check_int(raw["p"]))
        # A slot file is attacker-writable: a cost of zero crashes argon2 and a huge one
        # would hang or exhaust the workstation, so only sane ranges are read at all.
        if not (1 <= params.time_cost <= _MAX_TIME_COST and 1 <= params.parallelism <= _MAX_PARALLELISM
                and 8 * params.parallelism <= params.memory_kib <= _MAX_MEMORY_KIB):
            raise ValueError("Argon2id cost out of range")
        return params


_MAX_TIME_COST = 64
_MAX_PARALLELISM = 64
_MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB


DEFAULT_KDF = KdfParams(time_cost=4, memory_kib=192 * 1024, parallelism=4)
# Only for test suites, passed explicitly; never chosen by the application.
TEST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)


# Flags kept inside the wrapped private key, so only the password's holder can change them.
PIN_REQUIRED = 0x01  # the access log's key k[0] is pinned (LogPin)
# Compartment keys are pinned (`key_pins`). A flag of its own: most slots hold no log pin.
KEY_PINS_REQUIRED = 0x02
# A pin is about 100 bytes of JSON per compartment, and a slot holds at most MAX_COMPARTMENTS.
_MAX_KEY_PINS = 96 * 1024


@dataclass
class Sealed:
    epoch: int
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "ct": b64(self.ciphertext)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Sealed:
        if not isinstance(raw, dict):
            raise ValueError("malformed sealed key")
        return cls(check_epoch(raw["epoch"]), unb64(raw["ct"], SEALED_LENGTH))


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
    # and authenticated under a key only this slot's secret opens. See LogPin (log_pin.py).
    log_pin: bytes | None = None
    # The fingerprints of the compartment keys this slot accepted, encrypted and authenticated the
    # same way (nonce || AES-GCM). See key_pins.py.
    key_pins: bytes | None = None

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

    def _key_pins_info(self, vault_id: str) -> bytes:
        return f"gvm-desktop/key-pins/v1|{vault_id}|{self.kind}|{self.user_id}|{self.version}".encode()

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
            "kdf": {**self.kdf.as_dict(), "salt": b64(self.salt)},
            "device_bound": self.device_bound,
            "wrapped_private": b64(self.wrapped_private),
            "public": b64(self.public),
            # Common's key where version 1 kept the one data key; the other compartments beside it.
            **self.keys[COMMON].to_json(),
            "compartments": {name: key.to_json() for name, key in self.keys.items() if name != COMMON},
        }
        if self.log_key is not None:
            out["log_key"] = b64(self.log_key)
        if self.log_pin is not None:
            out["log_pin"] = b64(self.log_pin)
        if self.key_pins is not None:
            out["key_pins"] = b64(self.key_pins)
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
            user_id=check_int(raw["user_id"]),
            version=check_int(raw["version"]),
            locator=locator,
            kdf=KdfParams.from_dict(raw["kdf"]),
            salt=unb64(raw["kdf"]["salt"], SALT_LENGTH),
            device_bound=raw["device_bound"],
            wrapped_private=unb64(raw["wrapped_private"], *WRAPPED_LENGTHS),
            public=unb64(raw["public"], 32),
            keys=_keyring_from_json(raw, file_version),
            log_key=unb64(raw["log_key"], SEALED_LENGTH) if raw.get("log_key") else None,
            log_pin=unb64(raw["log_pin"]) if raw.get("log_pin") else None,
            key_pins=unb64(raw["key_pins"]) if raw.get("key_pins") else None,
        )
        if slot.user_id < 0 or slot.version < 1:
            raise ValueError("a number is out of range")
        if slot.log_pin is not None and not NONCE + TAG < len(slot.log_pin) <= 4096:
            raise ValueError("malformed log pin")
        if "key_pins" in raw and file_version < PINS_SINCE:
            raise ValueError("a version 1 or 2 slot holds no key pins")
        if slot.key_pins is not None and not NONCE + TAG < len(slot.key_pins) <= _MAX_KEY_PINS:
            raise ValueError("malformed key pins")
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

def wrap_private(slot: KeySlot, vault_id: str, unlocked: Unlocked, flags: int) -> None:
    """Wrap the private key, with its flags byte, under the password's key (AES-256-GCM)."""
    nonce = secrets.token_bytes(NONCE)
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

    @property
    def key_pins_required(self) -> bool:
        return bool(self.flags & KEY_PINS_REQUIRED)
