"""The key-slot file's format: its versions, how its fields are encoded and checked, their sizes on
disk, the compartments' names, and the HPKE suite that seals keys to a slot.

Anyone who can write the vault folder can write the slot file, so every field is read through these
checks before any cryptography sees it. The modules that read and write slots share them (see the
map in keyslots.py), so this module imports none of them.
"""

from __future__ import annotations

import base64
import re

from cryptography.hazmat.primitives import hpke

from gvm_desktop.core.errors import ValidationError

FILE_FORMAT = "gvm-desktop-keyslots"
FILE_VERSION = 3
# Version 1 held one data key per slot: it reads as a keyring of "common" alone. Version 2
# had no pins or key histories: it reads as a vault whose keys are all at their first use.
# Code that wrote version 2 would drop the pins of a version 3 file, so it refuses one.
READABLE_VERSIONS = (1, 2, 3)
PINS_SINCE = 3
DATA_KEY_BYTES = 32
HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def check_data_key(key: bytes) -> bytes:
    if len(key) != DATA_KEY_BYTES:
        raise ValidationError("A data key is 32 bytes.")
    return key


def check_int(value: object) -> int:
    """An integer from JSON, refusing booleans, floats and text (int('7') would quietly pass)."""
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


# -- compartments' names ---------------------------------------------------------

COMMON = "common"
# The names are bound into what is sealed and come from an attacker-writable file, so only
# these shapes are read at all: ASCII, no separator of the sealing context ("|"), no newline.
# "status": not a file but the key of common's blind index for "is this person on the matrix?" (status_tags.py).
_COMPARTMENT_NAME = re.compile(r"common|status|bcu:[A-Z]{2,4}|dsa:[1-9][0-9]{0,17}")  # as store/compartments.py names files
# A slot (the recovery slot holds every compartment) and the file's epochs are bounded, so a
# hostile file cannot make a sign-in decode and try thousands of sealed keys.
MAX_COMPARTMENTS = 512
_MAX_EPOCH = 2**31 - 1


def check_compartment(name: object) -> str:
    """`name` if it is a compartment's name ("common", "status", "bcu:CE", "dsa:7"); ValueError if not."""
    if not isinstance(name, str) or _COMPARTMENT_NAME.fullmatch(name) is None:
        raise ValueError("not a compartment's name")
    return name


def bcu_compartment(code: str) -> str:
    return check_compartment(f"bcu:{code}")


def dsa_compartment(dsa_id: int) -> str:
    return check_compartment(f"dsa:{check_int(dsa_id)}")


def check_epoch(value: object) -> int:
    epoch = check_int(value)
    if not 1 <= epoch <= _MAX_EPOCH:
        raise ValueError("an epoch is out of range")
    return epoch


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, *lengths: int) -> bytes:
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
NONCE = 12
TAG = 16
WRAPPED_LENGTHS = (NONCE + 32 + TAG, NONCE + 33 + TAG)
SEALED_LENGTH = 32 + 32 + TAG
SALT_LENGTH = 16
# A fingerprint is an Ed25519 public key, an endorsement its signature.
FINGERPRINT_LENGTH = 32
ENDORSEMENT_LENGTH = 64
