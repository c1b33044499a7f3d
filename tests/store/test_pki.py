"""The vault CA, SPOC signing certificates and wrapped private keys, in isolation."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gvm_desktop.core.errors import ValidationError, VaultCorrupt, VaultError
from gvm_desktop.store import pki
from gvm_desktop.store.pki import CaMaterial, WrappedKeyError

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
VAULT_ID = "3fa2c9e1b7d04e5f9a1c2b3d4e5f6a7b"
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@pytest.fixture(scope="module")
def ca() -> CaMaterial:
    return pki.create_ca(VAULT_ID, "GVM vault CA", NOW)


def _issue(ca: CaMaterial, **overrides: object) -> pki.SignerMaterial:
    args: dict[str, object] = dict(full_name="Jane Smith", username="demo.spoc", role="spoc", bcu="CE", now=NOW)
    args.update(overrides)
    return pki.issue_signing_certificate(ca, **args)  # type: ignore[arg-type]


def _cert(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def _key(der: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.Extension[x509.ExtensionType]:
    return cert.extensions.get_extension_for_class(kind)


def _names(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]


def test_ca_is_self_signed_p256_and_can_only_sign_certificates(ca: CaMaterial) -> None:
    cert, key = _cert(ca.cert_der), _key(ca.key_der)
    cert.verify_directly_issued_by(cert)
    assert isinstance(key.curve, ec.SECP256R1)
    assert key.public_key() == cert.public_key()
    constraints = _ext(cert, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = _ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature and not usage.value.content_commitment
    ski = _ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    assert _names(cert, NameOID.COMMON_NAME) == ["GVM vault CA"]
    assert _names(cert, NameOID.SERIAL_NUMBER) == [VAULT_ID]


def test_ca_lasts_about_ten_years_and_is_valid_now(ca: CaMaterial) -> None:
    cert = _cert(ca.cert_der)
    assert cert.not_valid_before_utc <= NOW - timedelta(minutes=30)  # tolerates a workstation a little behind
    assert timedelta(days=3650) <= cert.not_valid_after_utc - NOW <= timedelta(days=3660)


def test_private_keys_never_show_in_a_repr(ca: CaMaterial) -> None:
    signer = _issue(ca)
    assert "key_der" not in repr(ca) and "key_der" not in repr(signer)
    assert repr(ca.key_der)[2:20] not in repr(ca)


def test_signing_certificate_names_the_person_and_their_role(ca: CaMaterial) -> None:
    cert = _cert(_issue(ca).cert_der)
    assert _names(cert, NameOID.COMMON_NAME) == ["Jane Smith"]
    assert _names(cert, NameOID.PSEUDONYM) == ["demo.spoc"]
    assert _names(cert, NameOID.USER_ID) == ["demo.spoc"]
    assert _names(cert, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["spoc", "CE"]
    assert cert.issuer == _cert(ca.cert_der).subject
    no_bcu = _cert(_issue(ca, bcu=None).cert_der)
    assert _names(no_bcu, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["spoc"]


def test_signing_certificate_is_issued_by_the_ca_for_document_signing_only(ca: CaMaterial) -> None:
    signer = _issue(ca)
    cert, ca_cert = _cert(signer.cert_der), _cert(ca.cert_der)
    cert.verify_directly_issued_by(ca_cert)
    assert _key(signer.key_der).public_key() == cert.public_key()
    assert not _ext(cert, x509.BasicConstraints).value.ca
    usage = _ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign and not usage.value.key_encipherment
    purposes = set(_ext(cert, x509.ExtendedKeyUsage).value)
    assert {DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION} <= purposes
    assert ExtendedKeyUsageOID.SERVER_AUTH not in purposes
    aki = _ext(cert, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == _ext(ca_cert, x509.SubjectKeyIdentifier).value.digest
    assert _ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())


def test_signing_certificate_lasts_about_three_years(ca: CaMaterial) -> None:
    cert = _cert(_issue(ca).cert_der)
    assert cert.not_valid_before_utc < NOW
    assert timedelta(days=1095) <= cert.not_valid_after_utc - NOW <= timedelta(days=1097)


def test_signing_certificate_never_outlives_its_ca(ca: CaMaterial) -> None:
    late = NOW + timedelta(days=9 * 365)
    cert = _cert(_issue(ca, now=late).cert_der)
    assert cert.not_valid_after_utc == _cert(ca.cert_der).not_valid_after_utc


def test_every_issue_makes_a_fresh_key_and_serial(ca: CaMaterial) -> None:
    one, two = _issue(ca), _issue(ca)
    assert one.key_der != two.key_der and one.key_der != ca.key_der
    assert _cert(one.cert_der).serial_number != _cert(two.cert_der).serial_number


# An empty BCU means none (see above); every other blank or over-long part is refused.
_BAD_NAMES = [(field, value) for field in ("full_name", "username", "role", "bcu") for value in ("", "   ", "x" * 65)
              if (field, value) != ("bcu", "")]


@pytest.mark.parametrize(("field", "value"), _BAD_NAMES)
def test_unusable_names_are_refused_without_repeating_them(ca: CaMaterial, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _issue(ca, **{field: value})
    assert value.strip() == "" or value not in str(caught.value)


@pytest.mark.parametrize("vault_id", ["", "has space", "a" * 65, "é"])
def test_unusable_vault_ids_are_refused(vault_id: str) -> None:
    with pytest.raises(ValidationError):
        pki.create_ca(vault_id, "GVM vault CA", NOW)


def test_naive_times_are_refused(ca: CaMaterial) -> None:
    with pytest.raises(ValueError):
        pki.create_ca(VAULT_ID, "GVM vault CA", datetime(2026, 11, 2, 9, 0))
    with pytest.raises(ValueError):
        _issue(ca, now=datetime(2026, 11, 2, 9, 0))


def test_a_ca_whose_key_is_not_its_own_is_refused(ca: CaMaterial) -> None:
    other = pki.create_ca(VAULT_ID, "Another CA", NOW)
    with pytest.raises(VaultCorrupt):
        _issue(CaMaterial(key_der=other.key_der, cert_der=ca.cert_der))
    with pytest.raises(VaultCorrupt):
        _issue(CaMaterial(key_der=ca.key_der, cert_der=b"not a certificate"))
    signer = _issue(ca)
    with pytest.raises(VaultCorrupt):  # an end-entity certificate cannot act as the CA
        _issue(CaMaterial(key_der=signer.key_der, cert_der=signer.cert_der))


def test_wrap_round_trip_with_fresh_nonces() -> None:
    key, wrapping, aad = os.urandom(138), os.urandom(32), b"vault:3fa2|user:7|serial:42"
    first, second = pki.wrap_private_key(key, wrapping, aad), pki.wrap_private_key(key, wrapping, aad)
    assert first != second and first[:12] != second[:12]
    assert len(first) == 12 + len(key) + 16
    assert key not in first
    assert pki.unwrap_private_key(first, wrapping, aad) == key
    assert pki.unwrap_private_key(second, wrapping, aad) == key


def test_unwrap_with_the_wrong_key_or_aad_or_a_changed_byte_fails_clearly() -> None:
    key, wrapping, aad = os.urandom(138), os.urandom(32), b"vault:3fa2|user:7"
    wrapped = pki.wrap_private_key(key, wrapping, aad)
    tampered = bytearray(wrapped)
    tampered[20] ^= 0x01
    attempts = [(wrapped, os.urandom(32), aad), (wrapped, wrapping, b"vault:3fa2|user:8"), (bytes(tampered), wrapping, aad),
                (wrapped[:-1], wrapping, aad), (wrapped[:8], wrapping, aad)]
    for blob, candidate, data in attempts:
        with pytest.raises(WrappedKeyError) as caught:
            pki.unwrap_private_key(blob, candidate, data)
        assert isinstance(caught.value, VaultError)
        assert caught.value.__cause__ is None
        message = str(caught.value)
        assert "signing key" in message and candidate.hex() not in message and key.hex() not in message


def test_wrapping_keys_must_be_aes_256() -> None:
    with pytest.raises(ValueError):
        pki.wrap_private_key(b"key", os.urandom(16), b"")
    with pytest.raises(ValueError):
        pki.unwrap_private_key(os.urandom(40), os.urandom(31), b"")
