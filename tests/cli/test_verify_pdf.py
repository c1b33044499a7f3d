"""`gvm-desktop verify-pdf`: exit 0 for the signed original as the SPOC received it, 4 with the reason otherwise."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from reportlab.lib.pagesizes import A4

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.reports.grid import Grid
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf
from gvm_desktop.reports.pdf_signing import protect_and_sign
from gvm_desktop.store import pki
from tests.cli.test_cli_review import OFFICER, PDF_PASSWORD, SPOC, Run, gvm  # noqa: F401  (gvm is the fixture)
from tests.reports.pdftools import HEAD, tool
from tests.reports.test_certified_sheet import approved_on_page_two
from tests.services.test_reviews import COVERS_EVERY_FLAG


def _no_vault(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    """The command with no vault at all: the factory would fail the test if it were asked for one."""
    def no_app(folder: Path | None) -> App:
        raise AssertionError("verify-pdf --ca opened a vault")

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), app_factory=no_app, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def original(gvm: Run, demo_app: App, tmp_path: Path) -> tuple[Path, Path]:  # noqa: F811
    """The review signed off by the SPOC with --sheet (the PDF password follows theirs), and the vault's CA as PEM."""
    code, out, err = gvm(OFFICER, "review", "show")
    assert code == 0, err
    for ref in [line.split("\t")[0] for line in out.splitlines()]:
        assert gvm(OFFICER, "review", "recommend", ref, "retain", "--rationale",
                   f"{COVERS_EVERY_FLAG} Case note {ref}.")[0] == 0
        assert gvm(SPOC, "review", "decide", ref, "agree")[0] == 0
    sheet = tmp_path / "signed-original.pdf"
    code, out, err = gvm(SPOC, "review", "sign", "--sheet", str(sheet), more=f"{PDF_PASSWORD}\n")
    assert code == 0, err
    assert f"Wrote the signed original to {sheet} (AES-256 encrypted)" in out and "SHA-256" in out
    ws = demo_app.auth.sign_in(*SPOC)
    der = demo_app.reviews.ca_certificate(ws)
    demo_app.auth.sign_out(ws)
    assert der is not None
    ca = tmp_path / "vault-ca.pem"
    ca.write_bytes(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM))
    return sheet, ca


def test_the_signed_original_passes_and_names_its_signer(gvm: Run, original: tuple[Path, Path],  # noqa: F811
                                                         tmp_path: Path) -> None:
    sheet, ca = original
    code, out, err = _no_vault("verify-pdf", str(sheet), "--ca", str(ca), "--password-stdin", stdin=f"{PDF_PASSWORD}\n")
    assert code == 0, err
    assert "valid. Signed by" in out and f"({SPOC[0]})" in out and "certified" in out
    der = tmp_path / "vault-ca.der"
    der.write_bytes(x509.load_pem_x509_certificate(ca.read_bytes()).public_bytes(Encoding.DER))
    assert _no_vault("verify-pdf", str(sheet), "--ca", str(der), "--password-stdin", stdin=f"{PDF_PASSWORD}\n")[0] == 0
    # The CA found in the vault: the SPOC's password first, then the PDF's.
    code, out, err = gvm(SPOC, "verify-pdf", str(sheet), more=f"{PDF_PASSWORD}\n")
    assert code == 0 and f"({SPOC[0]})" in out, err
    # What poppler and qpdf make of the same file.
    sig = subprocess.run([tool("pdfsig"), "-upw", PDF_PASSWORD, str(sheet)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in sig.stdout and "Total document signed" in sig.stdout, sig.stdout
    check = subprocess.run([tool("qpdf"), f"--password={PDF_PASSWORD}", "--check", str(sheet)], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0 and "No syntax or stream encoding errors found" in check.stdout


def test_an_encrypted_sheet_without_its_password_says_so(original: tuple[Path, Path]) -> None:
    sheet, ca = original
    code, out, err = _no_vault("verify-pdf", str(sheet), "--ca", str(ca))
    assert code == 4 and out == ""
    assert err == f"gvm-desktop: {sheet}: NOT VALID: encrypted: give the PDF password on --password-stdin\n"
    code, _out, err = _no_vault("verify-pdf", str(sheet), "--ca", str(ca), "--password-stdin",
                                stdin="not-the-password-at-all\n")
    assert code == 4 and err.endswith("NOT VALID: encrypted: the PDF password given is wrong\n")


def test_text_added_after_signing_is_caught(original: tuple[Path, Path], tmp_path: Path) -> None:
    sheet, ca = original
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(approved_on_page_two(sheet.read_bytes(), PDF_PASSWORD))
    sig = subprocess.run([tool("pdfsig"), "-upw", PDF_PASSWORD, str(edited)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in sig.stdout and "Not total document signed" in sig.stdout  # what a glance sees
    code, _out, err = _no_vault("verify-pdf", str(edited), "--ca", str(ca), "--password-stdin",
                                stdin=f"{PDF_PASSWORD}\n")
    assert code == 4 and err.endswith("NOT VALID: changed after signing: 1 incremental update\n"), err


def test_a_flipped_byte_inside_the_signed_range_is_caught(original: tuple[Path, Path], tmp_path: Path) -> None:
    sheet, ca = original
    data = bytearray(sheet.read_bytes())
    data[data.index(b"stream", len(data) // 3) + 20] ^= 0x01
    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(bytes(data))
    code, _out, err = _no_vault("verify-pdf", str(flipped), "--ca", str(ca), "--password-stdin",
                                stdin=f"{PDF_PASSWORD}\n")
    assert code == 4 and err.endswith("NOT VALID: signature invalid: byte range digest mismatch\n"), err


def test_a_sheet_signed_under_another_vaults_ca_is_caught(original: tuple[Path, Path], tmp_path: Path) -> None:
    _sheet, ca = original
    now = datetime.now(UTC).replace(microsecond=0)
    other_ca = pki.create_ca("7" * 32, "GVM Desktop vault 77777777", now)
    other = pki.issue_signing_certificate(other_ca, full_name="Demo SPOC", username=SPOC[0], role="spoc", bcu="CE",
                                          now=now)
    # A sheet signed and certified by a SPOC of the same name and username in another vault.
    width, _ = body_size(A4)
    grid = Grid(widths=(width,), size=10, leading=13)
    page = io.BytesIO()
    build_pdf(page, PageFurniture(title="Quarterly matrix review", exported_by=SPOC[0],
                                  exported_at="2026-11-02T09:00:00Z", log_head=HEAD),
              [grid.flowable(None, [grid.row(["Signed by Demo SPOC"])])], pagesize=A4)
    forged = tmp_path / "other-vault.pdf"
    forged.write_bytes(protect_and_sign(page.getvalue(), signer_key_der=other.key_der, signer_cert_der=other.cert_der,
                                        ca_cert_der=other_ca.cert_der, password=None, reason="review", location="CE",
                                        signer_name="Demo SPOC", signed_at=now))
    code, _out, err = _no_vault("verify-pdf", str(forged), "--ca", str(ca))
    assert code == 4 and err.endswith("NOT VALID: signed by a certificate from another CA\n"), err


def test_without_a_ca_or_a_vault_it_says_what_to_give(tmp_path: Path) -> None:
    code, _out, err = _no_vault("verify-pdf", str(tmp_path / "x.pdf"))
    assert code == 2 and "--ca FILE" in err
