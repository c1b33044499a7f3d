"""From a log entry to the audit form that asks why; and PDF audit packs with the head on every page."""

from __future__ import annotations

from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import GvmError, NotFound, ValidationError
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.reports.pdftools import page_count, pages, qpdf_check, text
from tests.services.test_protected_exports import PDF_PASSWORD, decrypted
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
# The pack and the forms leave encrypted and signed with the auditor's own key (issue 15).
PROTECT = {"account_password": ACC[Role.AUDITOR].password, "pdf_password": PDF_PASSWORD}
WHY = Justification.make("intelligence_development", "Developing a synthetic intelligence picture")


def sign_in(app: App, role: Role):
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def text_of(pdf: Path) -> str:
    plain = decrypted(pdf, PDF_PASSWORD)
    qpdf_check(plain)
    return text(plain)


def test_issue_a_form_for_a_record_open_and_record_the_answer(demo_app: App, tmp_path: Path) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu='CE' AND status='active' LIMIT 1").fetchone()[0]
    demo_app.records.open(officer, ref, WHY)
    auditor = sign_in(demo_app, Role.AUDITOR)
    (entry,) = demo_app.log.search(auditor, LogFilter(actions=("record.open",))).entries
    digest = conn_of(auditor).execute("SELECT hex(entry_hash) FROM access_log WHERE seq = ?", (entry.seq,)).fetchone()[0]
    out = tmp_path / "form.pdf"
    form = demo_app.forms.issue(auditor, entry.seq, out, **PROTECT)
    assert (form.subject, form.log_seq, form.answer) == (ACC[Role.OFFICER].username, entry.seq, None)
    text = text_of(out)
    for expected in (ref, "OFFICIAL-SENSITIVE", ACC[Role.OFFICER].username, WHY.text[:30]):
        assert expected in text
    assert digest.lower()[:32] in text.replace("\n", "").replace(" ", "")
    answered = demo_app.forms.record_answer(auditor, form.id, "Preparing the quarterly review, as recorded.")
    assert answered.answer and answered.answered_at
    with pytest.raises(ValidationError, match="already has its answer"):
        demo_app.forms.record_answer(auditor, form.id, "A second answer must not overwrite the first.")
    actions = [e.entry.action.value for e in demo_app.audit.recent(auditor, 10)]
    assert "audit_form.issue" in actions and "audit_form.answer" in actions


def test_form_errors_leave_nothing_behind(demo_app: App, tmp_path: Path) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu='CE' AND status='active' LIMIT 1").fetchone()[0]
    demo_app.records.open(officer, ref, WHY)
    auditor = sign_in(demo_app, Role.AUDITOR)
    (opened,) = demo_app.log.search(auditor, LogFilter(actions=("record.open",))).entries
    with pytest.raises(NotFound, match="no log entry 999999"):
        demo_app.forms.issue(auditor, 999_999, tmp_path / "x.pdf", **PROTECT)
    with pytest.raises(ValidationError, match=r"end in \.pdf"):
        demo_app.forms.issue(auditor, opened.seq, tmp_path / "x.txt", **PROTECT)
    # The form asks why a record was opened: the service refuses any other entry, not only the GUI.
    with pytest.raises(ValidationError, match="is not a record open"):
        demo_app.forms.issue(auditor, 3, tmp_path / "x.pdf", **PROTECT)
    with pytest.raises(OSError):
        demo_app.forms.issue(auditor, opened.seq, tmp_path / "missing-folder" / "x.pdf", **PROTECT)
    assert not (tmp_path / "missing-folder").exists()
    assert demo_app.forms.list(auditor) == []  # the failed issue was rolled back with its file


def test_pdf_audit_pack_has_the_head_on_every_page(demo_app: App, tmp_path: Path) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    out = tmp_path / "pack.pdf"
    count = demo_app.forms.export_pack(auditor, LogFilter(), out, **PROTECT)
    assert count >= 9  # the demo build and this sign-in
    plain = decrypted(out, PDF_PASSWORD)
    qpdf_check(plain)
    all_pages = pages(plain)
    assert all_pages and len(all_pages) == page_count(plain)
    for n, page in enumerate(all_pages, start=1):
        assert "Access log head" in page and page.count("OFFICIAL-SENSITIVE") == 2 and f"Page {n} of {len(all_pages)}" in page


def test_an_audit_pack_is_a_disclosure_of_every_record_its_rows_name(demo_app: App, tmp_path: Path) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu = 'CE' AND status = 'active' LIMIT 1").fetchone()[0]
    demo_app.records.open(officer, ref, WHY)
    auditor = sign_in(demo_app, Role.AUDITOR)
    demo_app.forms.export_pack(auditor, LogFilter(record_ref=ref), tmp_path / "pack.pdf", **PROTECT)
    seq = conn_of(auditor).execute("SELECT max(seq) FROM access_log WHERE action = 'access_log.export'").fetchone()[0]
    assert conn_of(auditor).execute("SELECT ref FROM disclosures WHERE log_seq = ?", (seq,)).fetchall() == [(ref,)]


def _exports(ws: object) -> list[tuple[str, str]]:
    return conn_of(ws).execute("SELECT outcome, detail FROM access_log WHERE action = 'access_log.export' "
                               "ORDER BY seq").fetchall()


def test_a_pack_never_reaches_the_disk_without_its_log_entry(demo_app: App, tmp_path: Path) -> None:
    """Another session holds the write lock: the export fails, and no pack (under any name) is left behind."""
    auditor, other = sign_in(demo_app, Role.AUDITOR), sign_in(demo_app, Role.ADMIN)
    busy = conn_of(other)
    busy.execute("PRAGMA busy_timeout = 0")
    conn_of(auditor).execute("PRAGMA busy_timeout = 200")
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    busy.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(GvmError):
            demo_app.forms.export_pack(auditor, LogFilter(), out_dir / "pack.pdf", **PROTECT)
    finally:
        busy.execute("ROLLBACK")
    assert list(out_dir.iterdir()) == []
    assert _exports(auditor) == []  # nothing left the vault, so nothing is logged as exported


def test_a_pack_that_cannot_be_written_is_logged_as_failed(demo_app: App, tmp_path: Path) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    with pytest.raises(GvmError):
        demo_app.forms.export_pack(auditor, LogFilter(), tmp_path / "missing-folder" / "pack.pdf", **PROTECT)
    (outcome, detail), = _exports(auditor)
    assert outcome == "failed" and "not written" in detail
