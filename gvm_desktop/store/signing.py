"""The auditors' export signing key: Ed25519, derived from the log verification key k[0].

Only sessions that hold k[0] (auditors, the recovery code) can sign; anyone with
the public key, kept in the vault's metadata and in each signature file, can check.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def export_key(key0: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gvm-desktop/audit-export-signing/v1").derive(key0)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_b64(private: Ed25519PrivateKey) -> str:
    return base64.b64encode(private.public_key().public_bytes_raw()).decode()


def fingerprint(public_b64_text: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64_text)).hexdigest()[:16]


def sign(private: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(private.sign(message)).decode()


def check(public_b64_text: str, message: bytes, signature_b64: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64_text)).verify(
            base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True
