"""Password-protect a finished PDF with AES-256 and sign it for a SPOC (PAdES); check such a signature.

Order matters. Encryption rewrites every object, so it comes first: qpdf (through
pikepdf) re-encrypts the whole file with the PDF 2.0 standard security handler
(AES-256, V5 R6), then pyHanko appends the signature as an incremental update
encrypted the same way. The signature's byte range then covers the encrypted
file as it is on disk, so pdfsig and Acrobat can check it, and any byte changed
afterwards shows.

Why two libraries: pyHanko alone can encrypt too, but it parses and rewrites
every object in pure Python (about 0.9 s for a 1.6 MB, 800-page sheet); qpdf does
the same in about 0.15 s. ReportLab's own encryption stops at the deprecated R5.

Every signature certifies the document (a DocMDP signature, "no changes permitted"): a
reader such as Acrobat then flags any update appended after signing, which an ordinary
approval signature lets pass as "valid" with only "not total document signed" beside it.
verify_pdf() is the whole check a reader must make, as one verdict with one reason.

pyHanko and pikepdf take about a second to import, so they are imported on
first use, not when the application starts.
"""

from __future__ import annotations

import stringprep
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gvm_desktop.core.errors import AuthenticationError, ExitCode, GvmError, ValidationError, VaultCorrupt
from gvm_desktop.core.passwords import check_password as check_account_password
from gvm_desktop.core.passwords import strength

if TYPE_CHECKING:
    from asn1crypto.x509 import Certificate
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import BasePdfFileWriter
    from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
    from pyhanko.sign.signers.pdf_signer import PdfSigningSession
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko.sign.validation.status import PdfSignatureStatus

SIGNATURE_FIELD = "SPOCSignature"
# The context a PDF password is judged in by the account password rules: no username, so a word of its own.
PDF_PASSWORD_CONTEXT = "pdf"
# The PDF standard hashes at most 127 bytes of an AES-256 password; longer ones would be cut silently.
PASSWORD_MAX_BYTES = 127


class PdfSigningError(GvmError):
    """The PDF could not be protected or signed: damaged input, or a key that does not fit its certificate."""

    code = "pdf_signing"


class PdfUnreadable(GvmError):
    """The file is not a PDF that can be read, or its signature is malformed."""

    exit_code = ExitCode.INTEGRITY
    code = "pdf_unreadable"


class PdfNotSigned(GvmError):
    """The PDF carries no signature to check."""

    exit_code = ExitCode.INTEGRITY
    code = "pdf_not_signed"


class PdfPasswordError(AuthenticationError):
    """The PDF's password is missing or wrong. The message never repeats what was typed."""

    code = "pdf_password"


@dataclass(frozen=True)
class SignatureCheck:
    """What a signature check found. `ok` only when every part holds."""

    intact: bool  # the signed bytes still hash to the digest the signature was made over
    valid: bool  # the signature value checks out against the signer's certificate
    trusted: bool  # that certificate chains to the vault CA and was usable for signing at the check's time
    whole_file: bool  # the signature covers every byte of the file: nothing was appended after signing
    signer_name: str | None
    signer_username: str | None
    signed_at: datetime | None  # as the signer's clock said; a B-B signature carries no trusted time

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


@dataclass(frozen=True)
class PdfVerdict:
    """verify_pdf's answer: `ok` only when every check a reader must make holds; `reason` says which did not."""

    ok: bool
    reason: str  # one line: what failed, or "" when ok
    signer_name: str | None
    signer_username: str | None
    signed_at: datetime | None
    certified: bool
    updates_after: int  # incremental updates appended after the signed revision

    @property
    def signer(self) -> str:
        """'Jane Smith (demo.spoc)', or whichever of the two the certificate names."""
        if self.signer_name and self.signer_username:
            return f"{self.signer_name} ({self.signer_username})"
        return self.signer_name or self.signer_username or "(no signer named)"


def protect_and_sign(pdf: bytes, *, signer_key_der: bytes, signer_cert_der: bytes, ca_cert_der: bytes,
                     password: str | None, reason: str, location: str, signer_name: str, signed_at: datetime) -> bytes:
    """Encrypt `pdf` with `password` (AES-256, R6; None leaves it unencrypted), then sign it (PAdES B-B, invisible field).

    The CA certificate travels in the signature's certificate set, so a checker needs only to trust it.
    """
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise ValueError("signed_at must be timezone-aware")
    if password is not None:
        check_password(password)
    signer = _signer(signer_key_der, signer_cert_der, ca_cert_der)
    protected = pdf if password is None else _encrypt(pdf, password)
    return _sign(protected, signer, password=password, reason=reason, location=location, signer_name=signer_name,
                 signed_at=signed_at)


def verify_signature(pdf: bytes, *, ca_cert_der: bytes, password: str | None, at: datetime | None = None) -> SignatureCheck:
    """Check the PDF's (first) signature with the vault CA as the only trust root, at `at` (default: now)."""
    ca = _asn1_certificate(ca_cert_der, VaultCorrupt("The vault CA certificate is damaged."))
    reader = _open_for_reading(pdf, password)
    try:
        signatures = reader.embedded_regular_signatures
    except _UNREADABLE as exc:
        raise PdfUnreadable("The PDF's signature fields cannot be read.") from exc
    if not signatures:
        raise PdfNotSigned("This PDF carries no signature.")
    return _summarise(_validate(signatures[0], ca, at))


def verify_pdf(pdf: bytes, *, ca_cert_der: bytes, password: str | None, at: datetime | None = None) -> PdfVerdict:
    """Everything a reader must check, in the order a failure is most telling, the first failure the reason.

    The signature's digest and value hold; nothing was appended after it (no incremental update: the
    certification permits none); the document is certified with "no changes permitted"; the signer's
    certificate chains to `ca_cert_der` and was valid at `at` (default: now); and it names the signer.
    Raises PdfPasswordError (encrypted, no or a wrong password), PdfUnreadable, PdfNotSigned.
    """
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation.pdf_embedded import read_certification_data

    ca = _asn1_certificate(ca_cert_der, ValidationError("The CA certificate given is not a certificate."))
    reader = _open_for_reading(pdf, password)
    try:
        signatures = reader.embedded_regular_signatures
        total_revisions = reader.xrefs.total_revisions
    except _UNREADABLE as exc:
        raise PdfUnreadable("The PDF's signature fields cannot be read.") from exc
    if not signatures:
        raise PdfNotSigned("This PDF carries no signature.")
    signature = signatures[0]
    status = _validate(signature, ca, at)
    check = _summarise(status)
    try:
        certification = read_certification_data(reader)
        certified = (certification is not None and certification.permission is MDPPerm.NO_CHANGES
                     and signature.docmdp_level is MDPPerm.NO_CHANGES)
        updates_after = max(0, total_revisions - 1 - signature.signed_revision)
    except _UNREADABLE as exc:
        raise PdfUnreadable("The PDF's certification cannot be read.") from exc
    reason = _first_failure(check, certified=certified, updates_after=updates_after, signer_der=status.signing_cert.dump(),
                            ca_cert_der=ca_cert_der, has_certification=certification is not None)
    return PdfVerdict(ok=not reason, reason=reason, signer_name=check.signer_name, signer_username=check.signer_username,
                      signed_at=check.signed_at, certified=certified, updates_after=updates_after)


def _first_failure(check: SignatureCheck, *, certified: bool, updates_after: int, signer_der: bytes,
                   ca_cert_der: bytes, has_certification: bool) -> str:
    if not check.intact:
        return "signature invalid: byte range digest mismatch"
    if not check.valid:
        return "signature invalid: the signature value does not match the signer's certificate"
    if updates_after:
        return f"changed after signing: {updates_after} incremental update{'s' if updates_after != 1 else ''}"
    if not check.whole_file:
        return "changed after signing: bytes appended after the signature"
    if not certified:
        return "certified, but the certification permits changes" if has_certification else "not certified"
    if not check.trusted:
        if not _issued_by(signer_der, ca_cert_der):
            return "signed by a certificate from another CA"
        return "the signer's certificate was not valid at the time of the check (expired, or not yet valid)"
    if not (check.signer_name or check.signer_username):
        return "the signature names no signer"
    return ""


def _issued_by(cert_der: bytes, ca_cert_der: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(cert_der).verify_directly_issued_by(x509.load_der_x509_certificate(ca_cert_der))
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_password(password: str, min_score: int | None = None) -> None:
    """Refuse a PDF password that would not open the file the same way in every reader.

    `min_score` is a zxcvbn score the workstation's policy may ask beyond the account rule's
    (MachinePolicy.min_pdf_password_score); None asks the account rule's only.

    Acrobat prepares AES-256 passwords with SASLprep (RFC 4013) before hashing, qpdf and poppler use the bytes
    as typed: a password SASLprep would change (compatibility forms, odd spaces, invisible or control
    characters) could open the file in one reader and not another.
    """
    if not password:
        raise ValidationError("A PDF password cannot be empty; export unencrypted instead, if that is intended.")
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise ValidationError(f"A PDF password can be at most {PASSWORD_MAX_BYTES} bytes long (UTF-8).")
    if unicodedata.normalize("NFKC", password) != password or any(map(_unstable_character, password)):
        raise ValidationError("A PDF password cannot contain special spaces, invisible or control characters,"
                              " or compatibility forms of letters.")
    # An OFFICIAL-SENSITIVE sheet travels without the vault round it: its password is all that protects it, so it
    # meets the account password rules (length, guessability), or is a generated passphrase, which does.
    check_account_password(password, PDF_PASSWORD_CONTEXT)
    if min_score is not None and strength(password, PDF_PASSWORD_CONTEXT) < min_score:
        raise ValidationError(f"This workstation's policy asks a stronger PDF password (zxcvbn score {min_score} of 4):"
                              " use a longer passphrase, or the generated one.")


def _unstable_character(ch: str) -> bool:
    # Mapped away (B.1), mapped to a space (C.1.2), or prohibited by SASLprep (controls, private use, surrogates...).
    return (stringprep.in_table_b1(ch) or stringprep.in_table_c12(ch) or stringprep.in_table_c21_c22(ch)
            or stringprep.in_table_c3(ch) or stringprep.in_table_c4(ch) or stringprep.in_table_c5(ch)
            or stringprep.in_table_c6(ch) or stringprep.in_table_c7(ch) or stringprep.in_table_c8(ch)
            or stringprep.in_table_c9(ch))


# --- protecting and signing ---------------------------------------------------------------------------------

def encrypt_only(pdf: bytes, password: str) -> bytes:
    """AES-256 (R6) encryption without a signature, for documents that carry none (the subject access pack)."""
    check_password(password)
    return _encrypt(pdf, password)


def _encrypt(pdf: bytes, password: str) -> bytes:
    import pikepdf

    # The owner password is the user's password too: pikepdf's default owner password is empty, and an empty
    # owner password would open the file for anyone.
    encryption = pikepdf.Encryption(owner=password, user=password, R=6, aes=True, metadata=True)
    out = BytesIO()
    try:
        with pikepdf.open(BytesIO(pdf)) as document:
            # ReportLab already deflated every stream; left to its default, qpdf would inflate and deflate each
            # again, doubling the time for a file 0.2% smaller. Off, it copies the compressed bytes as they are.
            document.save(out, encryption=encryption, compress_streams=False)
    except pikepdf.PdfError as exc:
        # qpdf's messages name objects and offsets, never the password it was given for the output.
        raise PdfSigningError("The PDF to protect is damaged; it was not exported.") from exc
    return out.getvalue()


def _sign(pdf: bytes, signer: Signer, *, password: str | None, reason: str, location: str, signer_name: str,
          signed_at: datetime) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.general import SigningError

    # Certified, no changes permitted: a reader then reports any later update as breaking the certification.
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location=location, name=signer_name, certify=True, docmdp_permissions=MDPPerm.NO_CHANGES)
    out = BytesIO()
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        if password is not None:
            # The update must be encrypted like the file it extends; the same bytes qpdf hashed (see check_password).
            writer.encrypt(password.encode("utf-8"))
        pdf_signer = _dated_pdf_signer(meta, signer, signed_at)
        pdf_signer.sign_pdf(writer, output=out)
    except (PdfError, SigningError, ValueError) as exc:
        raise PdfSigningError("The PDF could not be signed; it was not exported.") from exc
    return out.getvalue()


def _dated_pdf_signer(meta: PdfSignatureMetadata, signer: Signer, signed_at: datetime) -> PdfSigner:
    from pyhanko.sign import fields, signers

    class DatedPdfSigner(signers.PdfSigner):
        # pyHanko dates the signature (/M) from the system clock and offers no argument for it; the sheet prints
        # the export time, and the two must agree, so the session is given the caller's time.
        def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = signed_at
            return session

    return DatedPdfSigner(meta, signer, new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD))


def _signer(key_der: bytes, cert_der: bytes, ca_cert_der: bytes) -> Signer:
    from asn1crypto import keys
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    _require_matching_pair(key_der, cert_der)
    damaged = PdfSigningError("The signing certificate is damaged.")
    return signers.SimpleSigner(
        signing_cert=_asn1_certificate(cert_der, damaged),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(ca_cert_der, damaged)]),
    )


def _require_matching_pair(key_der: bytes, cert_der: bytes) -> None:
    # A key that is not the certificate's makes a signature every reader rejects: refuse before exporting one.
    try:
        key = serialization.load_der_private_key(key_der, password=None)
        cert = x509.load_der_x509_certificate(cert_der)
    except (ValueError, TypeError):
        raise PdfSigningError("The signing key or its certificate is damaged.") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) or key.public_key() != cert.public_key():
        raise PdfSigningError("The signing key does not belong to the signing certificate.")


def _asn1_certificate(der: bytes, error: GvmError) -> Certificate:
    from asn1crypto import x509 as asn1_x509

    try:
        x509.load_der_x509_certificate(der)  # asn1crypto parses lazily; let a strict parser reject bad bytes now
    except ValueError:
        raise error from None
    return asn1_x509.Certificate.load(der)


# --- checking -----------------------------------------------------------------------------------------------

# What reading a hostile or damaged file can raise in pyHanko and asn1crypto (both raise plain ValueErrors too).
# mypy does not accept a starred tuple written in an except clause: joined ones are named first.
_UNREADABLE: tuple[type[Exception], ...] = (ValueError, LookupError, TypeError, AttributeError, EOFError)


def _open_for_reading(pdf: bytes, password: str | None) -> PdfFileReader:
    from pyhanko.pdf_utils.crypt import AuthStatus
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    unreadable: tuple[type[Exception], ...] = (PdfError, *_UNREADABLE)
    try:
        reader = PdfFileReader(BytesIO(pdf))
        encrypted = reader.encrypted
    except unreadable as exc:
        raise PdfUnreadable("This file is not a readable PDF.") from exc
    if not encrypted:
        return reader
    if password is None:
        raise PdfPasswordError("This PDF is encrypted: its password is needed to check the signature.")
    try:
        status = reader.decrypt(password.encode("utf-8")).status
    except unreadable:
        raise PdfUnreadable("This PDF's encryption settings cannot be read.") from None
    if status is AuthStatus.FAILED:
        raise PdfPasswordError("The PDF password is wrong.")
    return reader


def _validate(signature: EmbeddedPdfSignature, ca: Certificate, at: datetime | None) -> PdfSignatureStatus:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    # Offline: the vault CA is the only root, nothing is fetched, and with no CRL to consult revocation is skipped.
    context = ValidationContext(trust_roots=[ca], allow_fetching=False, revocation_mode="soft-fail", moment=at)
    unreadable: tuple[type[Exception], ...] = (PdfError, *_UNREADABLE)
    try:
        return validate_pdf_signature(signature, signer_validation_context=context)
    except unreadable as exc:
        raise PdfUnreadable("The PDF's signature is malformed.") from exc


def _summarise(status: PdfSignatureStatus) -> SignatureCheck:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    subject = status.signing_cert.subject.native
    return SignatureCheck(
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        whole_file=status.coverage is SignatureCoverageLevel.ENTIRE_FILE,
        signer_name=subject.get("common_name"), signer_username=subject.get("pseudonym"),
        signed_at=status.signer_reported_dt,
    )

