"""Tables certificate_authority and signing_keys: the vault's CA and the document-signing keys it issued.

The keys and certificates are made in store/pki.py (pure crypto); this module keeps
them. The CA's private key lives only inside the encrypted vault. A person's signing
key is stored wrapped under a key derived from their own key slot (the password typed
again at signing opens it), bound to this vault and this person, so a copied row opens
for nobody else.
"""

from __future__ import annotations

from datetime import datetime

from gvm_desktop.core.clock import to_iso
from gvm_desktop.store import pki
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound


def authority(conn: Connection) -> pki.CaMaterial | None:
    """The vault's CA, or None for a vault made before version 6 that has not needed one yet."""
    row = conn.execute("SELECT cert, private_key FROM certificate_authority WHERE id = 1").fetchone()
    if row is None:
        return None
    cert, private_key = row
    return pki.CaMaterial(key_der=bytes(private_key), cert_der=bytes(cert))


def create_authority(conn: Connection, vault_id: str, now: datetime) -> pki.CaMaterial:
    """The vault's own CA, made at init: it issues each user's document-signing certificate at their first signed export.

    Its private key lives only inside the encrypted vault; a review sheet's signature
    chains to its certificate, which verification tools are given explicitly.
    """
    ca = pki.create_ca(vault_id, f"GVM Desktop vault {vault_id[:8]}", now)
    conn.execute("INSERT INTO certificate_authority (id, cert, private_key, created_at) VALUES (1, ?, ?, ?)",
                 (ca.cert_der, ca.key_der, to_iso(now)))
    return ca


def _aad(vault_id: str, user_id: int) -> bytes:
    return f"gvm-desktop/signing-key/{vault_id}/{user_id}".encode()


def has_signer(conn: Connection, user_id: int) -> bool:
    """Whether the person holds a signing key, whether or not their current password still opens it."""
    return conn.execute("SELECT 1 FROM signing_keys WHERE user_id = ?", (user_id,)).fetchone() is not None


def signer(conn: Connection, vault_id: str, user_id: int, wrap_key: bytes) -> pki.SignerMaterial | None:
    """The person's signing key and certificate, opened with `wrap_key`.

    None when they hold none, or hold one wrapped under an earlier password (their slot
    changed since it was issued): either way, a new one is issued.
    """
    row = conn.execute("SELECT cert, wrapped_key FROM signing_keys WHERE user_id = ?", (user_id,)).fetchone()
    if row is None:
        return None
    cert, wrapped = row
    try:
        key = pki.unwrap_private_key(bytes(wrapped), wrap_key, _aad(vault_id, user_id))
    except pki.WrappedKeyError:
        return None
    return pki.SignerMaterial(key_der=key, cert_der=bytes(cert))


def issue_signer(conn: Connection, ca: pki.CaMaterial, vault_id: str, user_id: int, *, full_name: str, username: str,
                 role: str, bcu: str | None, wrap_key: bytes, now: datetime) -> pki.SignerMaterial:
    """A new key pair and certificate for the person, issued by `ca` and stored wrapped (replacing any held)."""
    issued = pki.issue_signing_certificate(ca, full_name=full_name, username=username, role=role, bcu=bcu, now=now)
    conn.execute("INSERT OR REPLACE INTO signing_keys (user_id, cert, wrapped_key, issued_at) VALUES (?,?,?,?)",
                 (user_id, issued.cert_der, pki.wrap_private_key(issued.key_der, wrap_key, _aad(vault_id, user_id)),
                  to_iso(now)))
    return issued


class CertificatesRepository(Repository):
    """The vault's certificate authority and the signing keys it issued (tables certificate_authority, signing_keys)."""

    __slots__ = ()

    authority = bound(authority)
    create_authority = bound(create_authority)
    has_signer = bound(has_signer)
    signer = bound(signer)
    issue_signer = bound(issue_signer)
