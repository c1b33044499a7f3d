"""AES-256 protection and the SPOC's PAdES signature, checked by poppler (pdfsig, pdftotext), qpdf and pyHanko.

pdfsig checks the signature with NSS, whose store does not hold the vault CA, so alongside "Signature is Valid."
it reports "Certificate issuer isn't Trusted.": expected. verify_signature trusts the vault CA alone.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.lib.pagesizes import A4

from gvm_desktop.core.errors import AuthenticationError, GvmError, ValidationError, VaultCorrupt
from gvm_desktop.reports.grid import Grid
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf
from gvm_desktop.reports.pdf_signing import (
    PdfNotSigned,
    PdfPasswordError,
    PdfSigningError,
    PdfUnreadable,
    SignatureCheck,
    protect_and_sign,
    verify_signature,
)
from gvm_desktop.store import pki
from gvm_desktop.store.pki import CaMaterial, SignerMaterial
from tests.reports.pdftools import HEAD, qpdf_check, text, tool

PASSWORD = "amber-lantern-quarry-58"
BODY = "Quarterly review body 7Q4X"
NOW = datetime.now(UTC).replace(microsecond=0)
SIGNED_AT = NOW - timedelta(minutes=3)
FURNITURE = PageFurniture(title="Quarterly review sheet", exported_by="demo.spoc", exported_at="2026-11-02T09:00:00Z",
                          log_head=HEAD)


@pytest.fixture(scope="module")
def ca() -> CaMaterial:
    return pki.create_ca("3fa2c9e1b7d04e5f9a1c2b3d4e5f6a7b", "GVM vault CA", NOW)


@pytest.fixture(scope="module")
def spoc(ca: CaMaterial) -> SignerMaterial:
    return pki.issue_signing_certificate(ca, full_name="Jane Smith", username="demo.spoc", role="spoc", bcu="CE", now=NOW)


@pytest.fixture(scope="module")
def sheet() -> bytes:
    width, _ = body_size(A4)
    grid = Grid(widths=(width,), size=10, leading=13)
    out = io.BytesIO()
    build_pdf(out, FURNITURE, [grid.flowable(None, [grid.row([BODY])])], pagesize=A4)
    return out.getvalue()


def _sign(sheet: bytes, ca: CaMaterial, spoc: SignerMaterial, password: str | None, **overrides: object) -> bytes:
    args: dict[str, object] = dict(
        signer_key_der=spoc.key_der, signer_cert_der=spoc.cert_der, ca_cert_der=ca.cert_der, password=password,
        reason="Quarterly review of the matrix", location="CE BCU", signer_name="Jane Smith", signed_at=SIGNED_AT)
    args.update(overrides)
    return protect_and_sign(sheet, **args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def encrypted(sheet: bytes, ca: CaMaterial, spoc: SignerMaterial) -> bytes:
    return _sign(sheet, ca, spoc, PASSWORD)


@pytest.fixture(scope="module")
def plain(sheet: bytes, ca: CaMaterial, spoc: SignerMaterial) -> bytes:
    return _sign(sheet, ca, spoc, None)


def _write(tmp_path: Path, data: bytes, name: str = "signed.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def pdfsig(pdf: Path, password: str | None = None) -> str:
    args = [tool("pdfsig")] + (["-upw", password] if password is not None else []) + [str(pdf)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, "TZ": "UTC"})
    return result.stdout + result.stderr


def qpdf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("qpdf"), *args], capture_output=True, text=True, timeout=60)


def pdftotext(pdf: Path, password: str | None = None) -> subprocess.CompletedProcess[str]:
    args = [tool("pdftotext"), "-enc", "UTF-8"] + (["-upw", password] if password is not None else []) + [str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def _assert_pdfsig_valid(out: str) -> None:
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Total document signed" in out, out
    assert "Signature Field Name: SPOCSignature" in out
    assert "Signer Certificate Common Name: Jane Smith" in out
    assert "pseudonym=demo.spoc" in out
    assert "Signature Type: ETSI.CAdES.detached" in out  # PAdES
    assert "Signing Hash Algorithm: SHA-256" in out
    assert f"Signing Time: {SIGNED_AT:%b %d %Y %H:%M:%S}" in out
    # NSS does not know the vault CA; this is the expected verdict on the chain (see the module docstring).
    assert "Certificate Validation: Certificate issuer isn't Trusted." in out, out


def _assert_check_ok(check: SignatureCheck) -> None:
    assert check == SignatureCheck(intact=True, valid=True, trusted=True, whole_file=True, signer_name="Jane Smith",
                                   signer_username="demo.spoc", signed_at=SIGNED_AT)
    assert check.ok


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match, "no /ByteRange"
    a, b, c, d = (int(x) for x in match.groups())
    return a, b, c, d


def _flip(pdf: bytes, position: int) -> bytes:
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


def _positions_inside_the_signed_ranges(pdf: bytes) -> Iterator[tuple[str, int, bool]]:
    """Where to change a byte, and whether pyHanko can still parse the file afterwards."""
    start, first_len, second_start, second_len = _byte_range(pdf)
    assert start == 0 and second_start + second_len == len(pdf)  # the ranges run from the first byte to the last
    page_stream = pdf.index(b"stream", 200) + 40  # inside the first content stream's (encrypted) bytes
    assert page_stream < first_len
    yield "page stream", page_stream, True
    yield "after the signature", second_start + second_len // 2, True
    yield "end of file marker", len(pdf) - 3, False  # "%%EOG": poppler reads on, pyHanko refuses the file


# --- encrypted ------------------------------------------------------------------------------------------------

def test_pdfsig_reports_the_encrypted_sheet_signature_valid(tmp_path: Path, encrypted: bytes) -> None:
    _assert_pdfsig_valid(pdfsig(_write(tmp_path, encrypted), PASSWORD))


def test_encryption_is_aes_256_revision_6(tmp_path: Path, encrypted: bytes) -> None:
    path = _write(tmp_path, encrypted)
    shown = qpdf(f"--password={PASSWORD}", "--show-encryption", str(path))
    assert shown.returncode == 0, shown.stderr
    assert "R = 6" in shown.stdout
    for kind in ("stream", "string", "file"):
        assert f"{kind} encryption method: AESv3" in shown.stdout, shown.stdout  # qpdf's name for AES-256 (V5)
    assert b"/V 5" in encrypted and b"/R 6" in encrypted
    check = qpdf(f"--password={PASSWORD}", "--check", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout


def test_the_text_needs_the_password(tmp_path: Path, encrypted: bytes) -> None:
    path = _write(tmp_path, encrypted)
    for attempt in (None, "", "wrong-password"):
        refused = pdftotext(path, attempt)
        assert refused.returncode != 0 and BODY not in refused.stdout
        assert "password" in refused.stderr.lower()
    opened = pdftotext(path, PASSWORD)
    assert opened.returncode == 0 and BODY in opened.stdout
    assert qpdf("--check", str(path)).returncode != 0  # qpdf cannot read it without the password either
    assert BODY.encode() not in encrypted and b"Jane Smith" not in encrypted  # not even the signer's /Name


def test_verify_agrees_with_pdfsig_on_the_encrypted_sheet(encrypted: bytes, ca: CaMaterial) -> None:
    _assert_check_ok(verify_signature(encrypted, ca_cert_der=ca.cert_der, password=PASSWORD))


def test_non_ascii_passwords_open_in_poppler_and_pyhanko(tmp_path: Path, sheet: bytes, ca: CaMaterial,
                                                         spoc: SignerMaterial) -> None:
    password = "grün-Äpfel-Straße-9"
    path = _write(tmp_path, _sign(sheet, ca, spoc, password))
    _assert_pdfsig_valid(pdfsig(path, password))
    assert BODY in pdftotext(path, password).stdout
    assert verify_signature(path.read_bytes(), ca_cert_der=ca.cert_der, password=password).ok


# --- unencrypted ----------------------------------------------------------------------------------------------

def test_pdfsig_reports_the_plain_sheet_signature_valid(tmp_path: Path, plain: bytes, ca: CaMaterial) -> None:
    path = _write(tmp_path, plain)
    _assert_pdfsig_valid(pdfsig(path))
    qpdf_check(path)
    assert "File is not encrypted" in qpdf("--show-encryption", str(path)).stdout
    assert BODY in text(path)
    _assert_check_ok(verify_signature(plain, ca_cert_der=ca.cert_der, password=None))
    _assert_check_ok(verify_signature(plain, ca_cert_der=ca.cert_der, password="ignored when not encrypted"))


def test_the_signature_carries_the_ca_certificate(plain: bytes, ca: CaMaterial, spoc: SignerMaterial) -> None:
    # Certificates are not encrypted in the /Contents string: both appear whole, so a checker needs nothing else.
    contents = bytes.fromhex(re.search(rb"/Contents\s*<([0-9a-fA-F]+)>", plain).group(1).decode())  # type: ignore[union-attr]
    assert ca.cert_der in contents and spoc.cert_der in contents


# --- tampering ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password", [PASSWORD, None], ids=["encrypted", "plain"])
def test_one_changed_byte_breaks_the_signature(tmp_path: Path, encrypted: bytes, plain: bytes, ca: CaMaterial,
                                               password: str | None) -> None:
    signed = encrypted if password else plain
    for where, position, parses in _positions_inside_the_signed_ranges(signed):
        tampered = _flip(signed, position)
        out = pdfsig(_write(tmp_path, tampered, "tampered.pdf"), password)
        assert "Signature Validation: Digest Mismatch." in out, (where, out)
        assert "Signature is Valid" not in out, where
        if parses:
            check = verify_signature(tampered, ca_cert_der=ca.cert_der, password=password)
            assert not check.intact and not check.ok, where
        else:
            with pytest.raises(PdfUnreadable):
                verify_signature(tampered, ca_cert_der=ca.cert_der, password=password)


def test_an_update_appended_after_signing_shows(tmp_path: Path, plain: bytes, ca: CaMaterial) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(plain))
    writer.root["/PageMode"] = generic.NameObject("/UseNone")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    printed = pdfsig(_write(tmp_path, out.getvalue(), "appended.pdf"))
    assert "Not total document signed" in printed and "Signature is Valid." in printed, printed
    check = verify_signature(out.getvalue(), ca_cert_der=ca.cert_der, password=None)
    assert check.intact and check.valid and not check.whole_file and not check.ok


# --- trust ----------------------------------------------------------------------------------------------------

def test_another_vaults_ca_does_not_vouch_for_the_signer(encrypted: bytes) -> None:
    stranger = pki.create_ca("0" * 32, "Another vault CA", NOW)
    check = verify_signature(encrypted, ca_cert_der=stranger.cert_der, password=PASSWORD)
    assert check.intact and check.valid and not check.trusted and not check.ok


def test_an_expired_certificate_is_not_trusted(plain: bytes, ca: CaMaterial) -> None:
    later = verify_signature(plain, ca_cert_der=ca.cert_der, password=None, at=NOW + timedelta(days=4 * 365))
    assert later.intact and later.valid and not later.trusted
    assert verify_signature(plain, ca_cert_der=ca.cert_der, password=None, at=NOW + timedelta(days=365)).trusted


# --- errors ---------------------------------------------------------------------------------------------------

def _messages(error: BaseException) -> str:
    """Every message down the chain of causes: none may carry the password."""
    seen: list[str] = []
    current: BaseException | None = error
    while current is not None:
        seen.append(str(current))
        current = current.__cause__ or current.__context__
    return "\n".join(seen)


@pytest.mark.parametrize("attempt", ["wrong-password-41", None])
def test_verify_without_the_right_password_says_so(encrypted: bytes, ca: CaMaterial, attempt: str | None) -> None:
    with pytest.raises(PdfPasswordError) as caught:
        verify_signature(encrypted, ca_cert_der=ca.cert_der, password=attempt)
    assert isinstance(caught.value, AuthenticationError)
    assert "password" in str(caught.value)
    assert PASSWORD not in _messages(caught.value)
    assert attempt is None or attempt not in _messages(caught.value)


@pytest.mark.parametrize("damage", ["not a pdf", "truncated", "empty"])
def test_verify_refuses_a_corrupt_file(encrypted: bytes, ca: CaMaterial, damage: str) -> None:
    data = {"not a pdf": b"%PDF-1.7\nthis is not a PDF at all\n", "truncated": encrypted[:4000], "empty": b""}[damage]
    with pytest.raises(PdfUnreadable) as caught:
        verify_signature(data, ca_cert_der=ca.cert_der, password=PASSWORD)
    assert PASSWORD not in _messages(caught.value)


def test_verify_refuses_a_damaged_ca_certificate(plain: bytes) -> None:
    with pytest.raises(VaultCorrupt):
        verify_signature(plain, ca_cert_der=b"not a certificate", password=None)


def test_verify_says_when_there_is_no_signature(sheet: bytes, ca: CaMaterial) -> None:
    with pytest.raises(PdfNotSigned):
        verify_signature(sheet, ca_cert_der=ca.cert_der, password=None)


def test_signing_a_corrupt_file_fails_without_the_password(ca: CaMaterial, spoc: SignerMaterial) -> None:
    for password in (PASSWORD, None):
        with pytest.raises(PdfSigningError) as caught:
            _sign(b"%PDF-1.4\nnot really\n", ca, spoc, password)
        assert PASSWORD not in _messages(caught.value)


def test_a_key_that_is_not_the_certificates_is_refused(sheet: bytes, ca: CaMaterial, spoc: SignerMaterial) -> None:
    other = pki.issue_signing_certificate(ca, full_name="John Roe", username="demo.other", role="spoc", bcu=None, now=NOW)
    with pytest.raises(PdfSigningError):
        _sign(sheet, ca, spoc, PASSWORD, signer_key_der=other.key_der)
    with pytest.raises(PdfSigningError):
        _sign(sheet, ca, spoc, PASSWORD, signer_key_der=b"garbage")
    with pytest.raises(PdfSigningError):
        _sign(sheet, ca, spoc, PASSWORD, ca_cert_der=b"garbage")


@pytest.mark.parametrize("password", ["", "x" * 128, "non\u00a0breaking", "tab\there", "\ufb01sh-ligature", "soft\u00adhyphen"])
def test_passwords_readers_would_disagree_on_are_refused(sheet: bytes, ca: CaMaterial, spoc: SignerMaterial,
                                                         password: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _sign(sheet, ca, spoc, password)
    assert not password or password not in str(caught.value)


def test_the_signing_time_must_carry_a_zone(sheet: bytes, ca: CaMaterial, spoc: SignerMaterial) -> None:
    with pytest.raises(ValueError):
        _sign(sheet, ca, spoc, PASSWORD, signed_at=datetime(2026, 11, 2, 9, 0))


def test_errors_are_gvm_errors() -> None:
    for kind in (PdfNotSigned, PdfPasswordError, PdfSigningError, PdfUnreadable):
        assert issubclass(kind, GvmError)
