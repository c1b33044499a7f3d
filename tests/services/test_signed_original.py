"""Issue 15 defect 1: the signed original is the signing-off SPOC's; a later export is a copy and says so.

Before, the sheet was signed at export by whoever exported it while it named the SPOC who signed off: a second
SPOC of the BCU exporting it made a PDF whose signature was theirs under the first SPOC's name.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from gvm_desktop.app import App
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review_rows import SheetDelivery
from gvm_desktop.reports.pdf_signing import verify_pdf
from tests.reports.pdftools import qpdf_check, tool
from tests.services.test_reviews import ADMIN, OFFICER, SPOC, decide_all, sign_in
from tests.support.vault_access import conn_of

PDF_PASSWORD = "copper-kettle-review-2026"
SECOND = ("second.spoc", "Second Demo SPOC (synthetic)", "orchard-comet-second-61")


def _decided(app: App) -> int:
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    decide_all(app, officer, spoc, review.id)
    return review.id


def _second_spoc(app: App) -> None:
    admin = sign_in(app, ADMIN)
    username, name, password = SECOND
    app.accounts.add(admin, username=username, display_name=name, role=Role.SPOC, bcu="CE", password=password)
    app.auth.sign_out(admin)
    spoc = sign_in(app, SPOC)  # a holder's sign-in delivers the BCU's key to the new account
    today = app.env.clock.now().date()
    app.governance.record_training(spoc, username, completed_on=today - timedelta(days=1),
                                   expires_on=today + timedelta(days=300))
    app.auth.sign_out(spoc)


def _ca(app: App) -> bytes:
    (cert,) = conn_of(sign_in(app, SPOC)).execute("SELECT cert FROM certificate_authority").fetchone()
    return bytes(cert)


def _pdfsig(path: Path, password: str) -> str:
    done = subprocess.run([tool("pdfsig"), "-upw", password, str(path)], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def _text(path: Path, password: str, *, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    done = subprocess.run([tool("pdftotext"), "-upw", password, *pages, str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60)
    return " ".join(done.stdout.split())


def test_the_spoc_signs_the_original_at_sign_off_and_the_vault_keeps_its_hash(demo_app: App, tmp_path: Path) -> None:
    review_id = _decided(demo_app)
    spoc = sign_in(demo_app, SPOC)
    out = tmp_path / "original.pdf"
    demo_app.reviews.sign(spoc, review_id, SPOC.password, sheet=SheetDelivery(out, PDF_PASSWORD))
    data = out.read_bytes()
    assert not list(tmp_path.glob(".*"))  # nothing left under the hidden staging name

    verdict = verify_pdf(data, ca_cert_der=_ca(demo_app), password=PDF_PASSWORD)
    assert verdict.ok, verdict.reason
    assert verdict.signer_username == SPOC.username and verdict.certified
    printed = _pdfsig(out, PDF_PASSWORD)
    assert "Signature is Valid" in printed and "Total document signed" in printed and SPOC.username in printed
    text = _text(out, PDF_PASSWORD)
    assert "This is the signed original" in text and "Later copy" not in text
    assert "Total document signed" in text  # the sheet tells its reader what to check
    assert subprocess.run([tool("qpdf"), f"--password={PDF_PASSWORD}", "--check", str(out)],
                          capture_output=True, timeout=60).returncode == 0

    original = demo_app.reviews.signed_original(spoc, review_id)
    assert original is not None and original.sha256 == hashlib.sha256(data).hexdigest()
    assert original.signer_id == spoc.session.user_id
    reader = PdfFileReader(io.BytesIO(data))
    reader.decrypt(PDF_PASSWORD.encode())
    cert = reader.embedded_regular_signatures[0].signer_cert.dump()
    assert original.cert_sha256 == hashlib.sha256(cert).hexdigest()
    assert original.cert_serial == format(x509.load_der_x509_certificate(cert).serial_number, "x")
    summary = demo_app.reviews.find(spoc)
    assert summary is not None and original.signed_at == summary.signed_at

    conn = conn_of(spoc)
    seq, detail = conn.execute("SELECT seq, detail FROM access_log WHERE action = 'review.export' "
                               "AND outcome = 'allowed'").fetchone()
    assert "signed original" in detail and original.sha256 in detail
    refs = {i.ref for i in demo_app.reviews.items(spoc, review_id)}
    assert {r for (r,) in conn.execute("SELECT ref FROM disclosures WHERE log_seq = ?", (seq,))} == refs
    # The vault keeps no PDF: nothing of its bytes in any table of the common file.
    assert conn.execute("SELECT count(*) FROM reviews WHERE original_sha256 = ?", (original.sha256,)).fetchone()[0] == 1


def test_a_later_export_by_another_spoc_is_a_copy_signed_as_theirs(demo_app: App, tmp_path: Path) -> None:
    review_id = _decided(demo_app)
    spoc = sign_in(demo_app, SPOC)
    demo_app.reviews.sign(spoc, review_id, SPOC.password, sheet=SheetDelivery(tmp_path / "o.pdf", PDF_PASSWORD))
    original = demo_app.reviews.signed_original(spoc, review_id)
    assert original is not None
    _second_spoc(demo_app)
    username, name, password = SECOND
    second = demo_app.auth.sign_in(username, password)
    out = tmp_path / "copy.pdf"
    demo_app.reports.export_review(second, review_id, out, account_password=password, pdf_password=PDF_PASSWORD)

    verdict = verify_pdf(out.read_bytes(), ca_cert_der=_ca(demo_app), password=PDF_PASSWORD)
    assert verdict.ok and verdict.signer_username == username  # the exporter's own signature, certified
    printed = _pdfsig(out, PDF_PASSWORD)
    assert "Signature is Valid" in printed and username in printed and f"pseudonym={SPOC.username}" not in printed
    first = _text(out, PDF_PASSWORD, page=1)
    assert f"Later copy produced by {name} ({username}) on" in first
    assert f"it reproduces the signed original {original.sha256} signed by" in first and SPOC.username in first
    text = _text(out, PDF_PASSWORD)
    assert "This is the signed original" not in text
    assert "It is not the signing-off SPOC's signature" in text
    assert hashlib.sha256(out.read_bytes()).hexdigest() != original.sha256
    detail = conn_of(second).execute("SELECT detail FROM access_log WHERE action = 'review.export' AND username = ?",
                                     (username,)).fetchone()[0]
    assert f"later copy of signed original SHA-256 {original.sha256}" in detail


def test_a_weak_pdf_password_is_refused_before_anything_is_signed(demo_app: App, tmp_path: Path) -> None:
    review_id = _decided(demo_app)
    spoc = sign_in(demo_app, SPOC)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ValidationError, match="too short: use at least 12 characters"):
        demo_app.reviews.sign(spoc, review_id, SPOC.password, sheet=SheetDelivery(folder / "o.pdf", "abc"))
    summary = demo_app.reviews.find(spoc)
    assert summary is not None and summary.signed_at is None and not list(folder.iterdir())
    demo_app.reviews.sign(spoc, review_id, SPOC.password)
    with pytest.raises(ValidationError, match="too short: use at least 12 characters"):
        demo_app.reports.export_review(spoc, review_id, tmp_path / "c.pdf", account_password=SPOC.password,
                                       pdf_password="abc")


def test_a_sheet_that_cannot_be_written_leaves_the_review_unsigned(demo_app: App, tmp_path: Path) -> None:
    review_id = _decided(demo_app)
    spoc = sign_in(demo_app, SPOC)
    with pytest.raises(ValidationError, match="not a folder"):
        demo_app.reviews.sign(spoc, review_id, SPOC.password,
                              sheet=SheetDelivery(tmp_path / "missing" / "o.pdf", PDF_PASSWORD))
    summary = demo_app.reviews.find(spoc)
    assert summary is not None and summary.signed_at is None


def test_a_review_signed_without_an_original_exports_a_copy_that_says_so(demo_app: App, tmp_path: Path) -> None:
    review_id = _decided(demo_app)
    spoc = sign_in(demo_app, SPOC)
    demo_app.reviews.sign(spoc, review_id, SPOC.password)
    assert demo_app.reviews.signed_original(spoc, review_id) is None
    out = tmp_path / "copy.pdf"
    demo_app.reports.export_review(spoc, review_id, out, account_password=SPOC.password, pdf_password=None,
                                   unencrypted=True)
    qpdf_check(out)
    first = " ".join(subprocess.run([tool("pdftotext"), "-f", "1", "-l", "1", str(out), "-"], capture_output=True,
                                    text=True, check=True).stdout.split())
    assert "Later copy produced by" in first and "reproduces no signed original" in first


def test_the_recorded_original_is_as_final_as_the_signed_review(demo_app: App, tmp_path: Path) -> None:
    review_id = _decided(demo_app)
    spoc = sign_in(demo_app, SPOC)
    demo_app.reviews.sign(spoc, review_id, SPOC.password, sheet=SheetDelivery(tmp_path / "o.pdf", PDF_PASSWORD))
    conn = conn_of(spoc)
    for column in ("original_sha256", "original_cert_sha256", "original_cert_serial", "original_signed_at"):
        with pytest.raises(Exception, match="a signed review cannot be changed"):
            conn.execute(f"UPDATE reviews SET {column} = 'forged' WHERE id = ?", (review_id,))
