"""The vault's certificate authority and the SPOCs' document-signing certificates.

At init the vault makes a self-signed CA; each SPOC gets a key pair and a
certificate issued by it, so a review sheet signed with that key can be traced
to a person and checked against the one root the vault trusts. Everything here
is pure (no database): keys leave as PKCS#8 DER, and store/certificates.py keeps
them, a person's key wrapped with `wrap_private_key` under a key derived from
their unlocked key slot.

Keys are ECDSA P-256 with SHA-256 signatures. Poppler's pdfsig (NSS on Debian 12)
reports PAdES signatures made with them as valid, as it does RSA-3072, and P-256
signs about five times faster in pyHanko and makes smaller signatures, so there
is no reason to fall back to RSA.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gvm_desktop.core.errors import ValidationError, VaultCorrupt

CA_LIFETIME = timedelta(days=3653)  # ten years
SIGNER_LIFETIME = timedelta(days=1096)  # three years
# Certificates start a little in the past: the vault moves between workstations whose clocks differ,
# and a sheet signed minutes after issue on a slow-clocked machine must not meet a "not yet valid" certificate.
CLOCK_SKEW = timedelta(hours=1)
ORGANISATION = "GVM Desktop"
NAME_MAX = 64  # RFC 5280's upper bound for a common name or organisational unit

_NONCE_BYTES = 12
_VAULT_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
_WRAPPING_KEY_BYTES = 32
# Document signing: RFC 9336's id-kp-documentSigning, Microsoft's document signing (Adobe Acrobat honours it),
# and emailProtection, which NSS (pdfsig) demands for a signer whenever the certificate names any purpose.
_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
_MS_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")


class WrappedKeyError(VaultCorrupt):
    """A wrapped private key did not open: the wrapping key, the associated data or the bytes do not match."""

    code = "wrapped_key"


@dataclass(frozen=True)
class CaMaterial:
    """The vault CA: its private key (PKCS#8 DER, unencrypted: store it wrapped) and its certificate (DER)."""

    key_der: bytes = field(repr=False)
    cert_der: bytes


@dataclass(frozen=True)
class SignerMaterial:
    """One person's signing key (PKCS#8 DER, unencrypted: store it wrapped) and certificate (DER)."""

    key_der: bytes = field(repr=False)
    cert_der: bytes


def create_ca(vault_id: str, label: str, now: datetime) -> CaMaterial:
    """A self-signed CA for one vault, valid for about ten years from `now`; it only issues end-entity certificates."""
    _require_aware(now)
    key = _new_key()
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, _name_part("CA label", label)),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, _vault_id(vault_id)),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        _builder(name, name, key.public_key(), now - CLOCK_SKEW, now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CaMaterial(key_der=_pkcs8(key), cert_der=cert.public_bytes(serialization.Encoding.DER))


def issue_signing_certificate(ca: CaMaterial, *, full_name: str, username: str, role: str, bcu: str | None,
                              now: datetime) -> SignerMaterial:
    """A fresh key pair for one person and a document-signing certificate for it, valid for about three years.

    The certificate never outlives the CA that issued it.
    """
    _require_aware(now)
    ca_key, ca_cert = _load_ca(ca)
    key = _new_key()
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, _name_part("full name", full_name)),
        x509.NameAttribute(NameOID.PSEUDONYM, _name_part("username", username)),
        x509.NameAttribute(NameOID.USER_ID, username),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _name_part("role", role)),
    ]
    if bcu:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _name_part("BCU", bcu)))
    not_after = min(now + SIGNER_LIFETIME, ca_cert.not_valid_after_utc)
    cert = (
        _builder(x509.Name(attributes), ca_cert.subject, key.public_key(), now - CLOCK_SKEW, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([_DOCUMENT_SIGNING, _MS_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_authority_key_id(ca_cert), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return SignerMaterial(key_der=_pkcs8(key), cert_der=cert.public_bytes(serialization.Encoding.DER))


def wrap_private_key(key_der: bytes, wrapping_key: bytes, aad: bytes) -> bytes:
    """AES-256-GCM under `wrapping_key`, bound to `aad` (say: vault id, user id, certificate serial): nonce + sealed."""
    _check_wrapping_key(wrapping_key)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(wrapping_key).encrypt(nonce, key_der, aad)


def unwrap_private_key(wrapped: bytes, wrapping_key: bytes, aad: bytes) -> bytes:
    """The PKCS#8 DER that `wrap_private_key` sealed; WrappedKeyError if the key, the aad or a byte differs."""
    _check_wrapping_key(wrapping_key)
    nonce, body = wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:]
    if len(nonce) < _NONCE_BYTES:
        raise WrappedKeyError("A stored signing key is truncated.")
    try:
        return AESGCM(wrapping_key).decrypt(nonce, body, aad)
    except InvalidTag:
        # Not chained: there is nothing more to learn from the tag failure, and nothing secret should travel on.
        raise WrappedKeyError("A stored signing key could not be opened with this account's key.") from None


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, not_before: datetime,
             not_after: datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after))


def _key_usage(*, digital_signature: bool = False, content_commitment: bool = False, key_cert_sign: bool = False,
               crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=content_commitment,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False, decipher_only=False)


def _authority_key_id(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _load_ca(ca: CaMaterial) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The CA's key and certificate, refusing a pair that does not belong together or is not a CA."""
    try:
        key = serialization.load_der_private_key(ca.key_der, password=None)
        cert = x509.load_der_x509_certificate(ca.cert_der)
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (ValueError, TypeError, x509.ExtensionNotFound):
        raise VaultCorrupt("The vault's certificate authority is damaged.") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not is_ca or key.public_key() != cert.public_key():
        raise VaultCorrupt("The vault's certificate authority is damaged.")
    return key, cert


def _name_part(what: str, value: str) -> str:
    # The message names the field, never the value: it may be a person's name.
    if not value or not value.strip() or len(value) > NAME_MAX:
        raise ValidationError(f"A certificate's {what} must be 1 to {NAME_MAX} characters.")
    return value


def _vault_id(vault_id: str) -> str:
    # The DN's serialNumber is a PrintableString; a vault id is a UUID's hex digits.
    if not _VAULT_ID.fullmatch(vault_id):
        raise ValidationError("A vault id must be 1 to 64 letters, digits or hyphens.")
    return vault_id


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("certificate times must be timezone-aware")


def _check_wrapping_key(wrapping_key: bytes) -> None:
    if len(wrapping_key) != _WRAPPING_KEY_BYTES:
        raise ValueError("the wrapping key must be 32 bytes (AES-256)")
