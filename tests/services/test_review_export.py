"""The signed, encrypted review sheet as a person checks it: pdfsig, qpdf, pdftotext, one altered byte."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.errors import AuthenticationError, GvmError, ValidationError
from gvm_desktop.core.justification import Justification, ReasonCategory
from tests.reports.pdftools import tool
from tests.services.test_reviews import OFFICER, SPOC, decide_all, sign_in
from tests.support.vault_access import conn_of

SPOC_PASSWORD = next(a for a in DEMO_ACCOUNTS if a.role.value == "spoc").password  # signs the pack (issue 15)

PDF_PASSWORD = "copper-kettle-review-2026"


def _signed_review(app: App) -> tuple[int, list[str], str]:
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    refs = [i.ref for i in app.reviews.items(officer, review.id)]
    removed = refs[0]
    decide_all(app, officer, spoc, review.id, remove={removed})
    app.reviews.sign(spoc, review.id, SPOC.password)
    return review.id, refs, removed


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(args[0]), *args[1:]], capture_output=True, text=True, timeout=120)


def test_the_sheet_is_signed_encrypted_and_says_what_was_decided(demo_app: App, tmp_path: Path) -> None:
    review_id, refs, removed = _signed_review(demo_app)
    spoc = sign_in(demo_app, SPOC)
    out = tmp_path / "review.pdf"
    exported = demo_app.reports.export_review(spoc, review_id, out, account_password=SPOC.password,
                                              pdf_password=PDF_PASSWORD)
    assert exported.encrypted and exported.people == len(refs) and out.read_bytes().startswith(b"%PDF")

    sig = _run("pdfsig", "-upw", PDF_PASSWORD, str(out))
    assert "Signature is Valid" in sig.stdout, sig.stdout + sig.stderr
    assert "Total document signed" in sig.stdout
    assert "Demo SPOC" in sig.stdout or SPOC.username in sig.stdout
    check = _run("qpdf", f"--password={PDF_PASSWORD}", "--check", str(out))
    assert check.returncode == 0 and "No syntax or stream encoding errors found" in check.stdout
    assert "R = 6" in _run("qpdf", f"--password={PDF_PASSWORD}", "--show-encryption", str(out)).stdout
    assert _run("pdftotext", str(out), "-").returncode != 0  # no password, no text

    text = " ".join(_run("pdftotext", "-upw", PDF_PASSWORD, str(out), "-").stdout.split())
    seq, digest = conn_of(spoc).execute("SELECT seq, hex(entry_hash) FROM access_log WHERE action = 'review.sign' "
                                    "AND outcome = 'allowed'").fetchone()
    assert "OFFICIAL-SENSITIVE" in text and "Page 1 of" in text and f"Exported by {SPOC.username}" in text
    assert "Access log head" in text
    for ref in refs:
        assert ref in text
    # The removed person's rationale (free text about them) left the vault with them: the sheet shows their
    # reference and the decision only.
    assert "No longer meets the criteria at all." not in text and "(removed from the matrix)" in text
    assert "remove" in text and "retain" in text
    assert seq > 0 and digest

    # The export is logged with the people it disclosed.
    row = conn_of(spoc).execute("SELECT seq, outcome FROM access_log WHERE action = 'review.export' ORDER BY seq DESC").fetchone()
    assert row[1] == "allowed"
    disclosed = {r[0] for r in conn_of(spoc).execute("SELECT ref FROM disclosures WHERE log_seq = ?", (row[0],))}
    assert disclosed == set(refs) and removed in disclosed


def test_one_altered_byte_breaks_the_signature(demo_app: App, tmp_path: Path) -> None:
    review_id, _refs, _removed = _signed_review(demo_app)
    spoc = sign_in(demo_app, SPOC)
    out = tmp_path / "plain.pdf"
    demo_app.reports.export_review(spoc, review_id, out, account_password=SPOC.password, pdf_password=None,
                                   unencrypted=True)
    assert "Signature is Valid" in _run("pdfsig", str(out)).stdout
    data = bytearray(out.read_bytes())
    where = data.index(b"stream", len(data) // 3) + 20  # inside a page stream, within the signed range
    data[where] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    result = _run("pdfsig", str(tampered))
    assert "Signature is Valid" not in result.stdout
    assert "Digest Mismatch" in result.stdout or "Invalid" in result.stdout, result.stdout


def test_bad_exports_are_refused_and_leave_nothing(demo_app: App, tmp_path: Path) -> None:
    review_id, _refs, _removed = _signed_review(demo_app)
    spoc = sign_in(demo_app, SPOC)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(ValidationError, match="password for the PDF"):
        demo_app.reports.export_review(spoc, review_id, tmp_path / "a.pdf", account_password=SPOC.password,
                                       pdf_password=None)
    with pytest.raises(AuthenticationError, match="nothing was signed"):
        demo_app.reports.export_review(spoc, review_id, tmp_path / "b.pdf", account_password="wrong-password-here",
                                       pdf_password=PDF_PASSWORD)
    with pytest.raises(GvmError, match="Cannot write"):
        demo_app.reports.export_review(spoc, review_id, tmp_path / "missing" / "c.pdf", account_password=SPOC.password,
                                       pdf_password=PDF_PASSWORD)
    assert sorted(p.name for p in tmp_path.rglob("*")) == []
    failed = conn_of(spoc).execute("SELECT count(*) FROM access_log WHERE action = 'review.export' AND outcome = 'failed'")
    assert failed.fetchone()[0] == 1
    # An unsigned review has no sheet.
    new_id = demo_app.reviews.open(spoc)
    with pytest.raises(ValidationError, match="not signed"):
        demo_app.reports.export_review(spoc, new_id, tmp_path / "d.pdf", account_password=SPOC.password,
                                       pdf_password=PDF_PASSWORD)


def test_subject_access_lists_the_review_export_as_a_disclosure(demo_app: App, tmp_path: Path) -> None:
    review_id, refs, _removed = _signed_review(demo_app)
    spoc = sign_in(demo_app, SPOC)
    demo_app.reports.export_review(spoc, review_id, tmp_path / "r.pdf", account_password=SPOC.password,
                                   pdf_password=PDF_PASSWORD)
    why = Justification.make(ReasonCategory.OTHER, "Subject access request received by the DPO")
    out = tmp_path / "sar.pdf"
    result = demo_app.reports.subject_access(spoc, refs[1], why, out, request_ref="SAR-2026-0001",
                                             account_password=SPOC_PASSWORD, pdf_password=PDF_PASSWORD)
    assert result.encrypted and out.exists()
    text = " ".join(_run("pdftotext", "-upw", PDF_PASSWORD, str(out), "-").stdout.split())
    assert refs[1] in text and "SAR-2026-0001" in text
    assert "1 disclosure" in text, "the review sheet export that included this person is a disclosure"
    assert _run("qpdf", f"--password={PDF_PASSWORD}", "--check", str(out)).returncode == 0


def test_the_officer_cannot_export_a_sheet(demo_app: App, tmp_path: Path) -> None:
    review_id, _refs, _removed = _signed_review(demo_app)
    officer = sign_in(demo_app, OFFICER)
    from gvm_desktop.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        demo_app.reports.export_review(officer, review_id, tmp_path / "x.pdf", account_password=OFFICER.password,
                                       pdf_password=PDF_PASSWORD)
