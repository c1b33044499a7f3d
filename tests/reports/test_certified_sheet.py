"""Issue 15 defect 2: a signed sheet edited afterwards must not pass as signed.

An incremental update (pyHanko's IncrementalPdfFileWriter, "ALL RETAINED - APPROVED" written on page 2)
leaves the signed bytes intact: pdfsig still says "Signature is Valid", with only "Not total document
signed" beside it, and the old check (verify_signature) found the signature intact and valid. The sheet is
now certified, no changes permitted, and verify_pdf fails the edited copy with the reason.
"""

from __future__ import annotations

import io
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import read_certification_data
from reportlab.lib.pagesizes import A4
from reportlab.platypus import PageBreak

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.passwords import generated_passphrase
from gvm_desktop.reports.grid import Grid
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf
from gvm_desktop.reports.pdf_signing import (
    PdfPasswordError,
    check_password,
    encrypt_only,
    protect_and_sign,
    verify_pdf,
    verify_signature,
)
from gvm_desktop.store import pki
from gvm_desktop.store.pki import CaMaterial, SignerMaterial
from tests.reports.pdftools import HEAD, tool

NOW = datetime.now(UTC).replace(microsecond=0)
SIGNED_AT = NOW - timedelta(minutes=2)
TAMPER = "ALL RETAINED - APPROVED"
PASSWORD = "amber-lantern-quarry-58"


@pytest.fixture(scope="module")
def ca() -> CaMaterial:
    return pki.create_ca("5b1c2d3e4f5061728394a5b6c7d8e9f0", "GVM Desktop vault 5b1c2d3e", NOW)


@pytest.fixture(scope="module")
def spoc(ca: CaMaterial) -> SignerMaterial:
    return pki.issue_signing_certificate(ca, full_name="Jane Smith", username="demo.spoc", role="spoc", bcu="CE", now=NOW)


@pytest.fixture(scope="module")
def two_pages() -> bytes:
    width, _ = body_size(A4)
    grid = Grid(widths=(width,), size=10, leading=13)
    out = io.BytesIO()
    furniture = PageFurniture(title="Quarterly review sheet", exported_by="demo.spoc",
                              exported_at="2026-11-02T09:00:00Z", log_head=HEAD)
    build_pdf(out, furniture, [grid.flowable(None, [grid.row(["Page one"])]), PageBreak(),
                               grid.flowable(None, [grid.row(["Page two: decisions"])])], pagesize=A4)
    return out.getvalue()


def _signed(pdf: bytes, ca: CaMaterial, signer: SignerMaterial, password: str | None = None) -> bytes:
    return protect_and_sign(pdf, signer_key_der=signer.key_der, signer_cert_der=signer.cert_der,
                            ca_cert_der=ca.cert_der, password=password, reason="Quarterly review",
                            location="BCU CE", signer_name="Jane Smith", signed_at=SIGNED_AT)


@pytest.fixture(scope="module")
def signed(two_pages: bytes, ca: CaMaterial, spoc: SignerMaterial) -> bytes:
    return _signed(two_pages, ca, spoc)


def approved_on_page_two(pdf: bytes, password: str | None = None) -> bytes:
    """The tamper: text drawn on page 2 in an update appended after the signature, the signed bytes untouched."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if password is not None:
        writer.encrypt(password.encode())
    font = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")})
    resources = generic.DictionaryObject({generic.NameObject("/Font"): generic.DictionaryObject(
        {generic.NameObject("/FTamper"): writer.add_object(font)})})
    stream = generic.StreamObject(stream_data=f"BT /FTamper 28 Tf 60 400 Td ({TAMPER}) Tj ET".encode())
    writer.add_stream_to_page(1, writer.add_object(stream), resources=resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdfsig(path: Path, password: str | None = None) -> str:
    args = [tool("pdfsig"), *(["-upw", password] if password else []), str(path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, "TZ": "UTC"})
    return done.stdout + done.stderr


def test_the_signature_certifies_the_sheet_with_no_changes_permitted(signed: bytes, ca: CaMaterial) -> None:
    reader = PdfFileReader(io.BytesIO(signed))
    certification = read_certification_data(reader)
    assert certification is not None and certification.permission is MDPPerm.NO_CHANGES
    assert reader.embedded_regular_signatures[0].docmdp_level is MDPPerm.NO_CHANGES
    verdict = verify_pdf(signed, ca_cert_der=ca.cert_der, password=None)
    assert verdict.ok and verdict.reason == "" and verdict.certified and verdict.updates_after == 0
    assert verdict.signer == "Jane Smith (demo.spoc)" and verdict.signed_at == SIGNED_AT


def test_text_added_on_page_two_after_signing_fails_the_check(tmp_path: Path, signed: bytes, ca: CaMaterial) -> None:
    edited = approved_on_page_two(signed)
    path = tmp_path / "edited.pdf"
    path.write_bytes(edited)
    assert TAMPER in subprocess.run([tool("pdftotext"), "-f", "2", "-l", "2", str(path), "-"], capture_output=True,
                                    text=True, check=True).stdout
    # What a reader who looks only at "Signature is Valid" sees, and what the old check said: intact.
    printed = _pdfsig(path)
    assert "Signature is Valid." in printed and "Not total document signed" in printed, printed
    old = verify_signature(edited, ca_cert_der=ca.cert_der, password=None)
    assert old.intact and old.valid and old.trusted
    verdict = verify_pdf(edited, ca_cert_der=ca.cert_der, password=None)
    assert not verdict.ok and verdict.reason == "changed after signing: 1 incremental update"


def test_an_uncertified_signature_is_not_enough(two_pages: bytes, ca: CaMaterial, spoc: SignerMaterial) -> None:
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from gvm_desktop.reports.pdf_signing import _asn1_certificate

    signer = signers.SimpleSigner(signing_cert=_asn1_certificate(spoc.cert_der, ValidationError("x")),
                                  signing_key=__import__("asn1crypto.keys").keys.PrivateKeyInfo.load(spoc.key_der),
                                  cert_registry=SimpleCertificateStore.from_certs(
                                      [_asn1_certificate(ca.cert_der, ValidationError("x"))]))
    out = io.BytesIO()
    signers.PdfSigner(signers.PdfSignatureMetadata(field_name="Approval", subfilter=fields.SigSeedSubFilter.PADES),
                      signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(two_pages)), output=out)
    assert verify_signature(out.getvalue(), ca_cert_der=ca.cert_der, password=None).ok  # the old check passed it
    verdict = verify_pdf(out.getvalue(), ca_cert_der=ca.cert_der, password=None)
    assert not verdict.ok and verdict.reason == "not certified"


def test_a_byte_flipped_inside_the_signed_range_fails(signed: bytes, ca: CaMaterial) -> None:
    changed = bytearray(signed)
    changed[signed.index(b"stream", 200) + 40] ^= 0x01
    verdict = verify_pdf(bytes(changed), ca_cert_der=ca.cert_der, password=None)
    assert not verdict.ok and verdict.reason == "signature invalid: byte range digest mismatch"


def test_another_vaults_ca_is_named_as_such(signed: bytes) -> None:
    stranger = pki.create_ca("0" * 32, "GVM Desktop vault 00000000", NOW)
    verdict = verify_pdf(signed, ca_cert_der=stranger.cert_der, password=None)
    assert not verdict.ok and verdict.reason == "signed by a certificate from another CA"


def test_an_encrypted_sheet_needs_its_password(tmp_path: Path, two_pages: bytes, ca: CaMaterial,
                                               spoc: SignerMaterial) -> None:
    encrypted = _signed(two_pages, ca, spoc, PASSWORD)
    with pytest.raises(PdfPasswordError):
        verify_pdf(encrypted, ca_cert_der=ca.cert_der, password=None)
    assert verify_pdf(encrypted, ca_cert_der=ca.cert_der, password=PASSWORD).ok
    path = tmp_path / "encrypted.pdf"
    path.write_bytes(encrypted)
    printed = _pdfsig(path, PASSWORD)
    assert "Signature is Valid." in printed and "Total document signed" in printed, printed


# --- defect 5: PDF passwords ---------------------------------------------------------------------------------

@pytest.mark.parametrize("weak", ["abc", "password1234", "qwertyuiop12"])
def test_a_weak_pdf_password_is_refused_with_the_account_rule(two_pages: bytes, weak: str) -> None:
    with pytest.raises(ValidationError, match=r"too short|too easy to guess"):
        check_password(weak)
    with pytest.raises(ValidationError, match=r"too short|too easy to guess"):
        encrypt_only(two_pages, weak)


def test_a_generated_passphrase_passes_the_rule() -> None:
    seen = {generated_passphrase() for _ in range(50)}
    assert len(seen) == 50
    for phrase in seen:
        check_password(phrase)
        assert phrase.count("-") == 5 and phrase.isascii()
