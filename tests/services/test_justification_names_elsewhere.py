"""The 'write why, not who' rule holds for the status check and the subject access pack too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.services.records import NamesThePerson
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.support.vault_access import conn_of

SPOC_PASSWORD = next(a for a in DEMO_ACCOUNTS if a.role.value == "spoc").password  # signs the pack (issue 15)

ACC = {a.role: a for a in DEMO_ACCOUNTS}


def _last(ws, action: str) -> tuple[str, str | None, str | None]:  # type: ignore[no-untyped-def]
    return conn_of(ws).execute("SELECT outcome, justification, detail FROM access_log WHERE action = ? "
                           "ORDER BY seq DESC LIMIT 1", (action,)).fetchone()


def test_a_status_check_whose_reason_names_the_person_asked_about_is_refused_and_not_logged(demo_app: App) -> None:
    officer = demo_app.auth.sign_in(ACC[Role.OFFICER].username, ACC[Role.OFFICER].password)
    why = Justification.make("safeguarding", "Referral from school about Tamsin Quillmere-Testcase today")
    with pytest.raises(NamesThePerson, match="write why, not who"):
        demo_app.matrix.status_check(officer, "Tamsin", "Quillmere-Testcase", date(2007, 5, 6), why)
    dob = Justification.make("safeguarding", "Referral from school, pupil born 06/05/2007, welfare")
    with pytest.raises(NamesThePerson):
        demo_app.matrix.status_check(officer, "Tamsin", "Quillmere-Testcase", date(2007, 5, 6), dob)
    outcome, text, detail = _last(officer, "matrix.status_check")
    assert outcome == "refused" and text is None and "Quillmere" not in (detail or "")
    fine = Justification.make("safeguarding", "Referral from a school welfare officer this morning")
    assert demo_app.matrix.status_check(officer, "Tamsin", "Quillmere-Testcase", date(2007, 5, 6), fine) is not None


def test_a_subject_access_pack_whose_reason_names_the_person_is_refused_before_any_work(demo_app: App,
                                                                                         tmp_path: Path) -> None:
    spoc = demo_app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    ref, given = conn_of(spoc).execute("SELECT ref, given_name FROM nominals WHERE bcu = 'CE' AND status = 'active' "
                                   "LIMIT 1").fetchone()
    why = Justification.make("other", f"Subject access request from {given} by letter")
    out = tmp_path / "sar.pdf"
    with pytest.raises(NamesThePerson):
        demo_app.reports.subject_access(spoc, ref, why, out, request_ref="SAR-2026-001",
                                        account_password=SPOC_PASSWORD, pdf_password=None,
                                        unencrypted=True)
    assert not out.exists()
    outcome, text, _ = _last(spoc, "report.subject_access")
    assert outcome == "refused" and text is None


@pytest.mark.parametrize("request_ref", ["SAR \x1b[31mRED\x1b[0m-2", "SAR-\u202e41-0", "x", "SAR;DROP TABLE access_log--"])
def test_a_subject_access_request_reference_is_a_reference_not_free_text(demo_app: App, tmp_path: Path,
                                                                          request_ref: str) -> None:
    from gvm_desktop.core.errors import ValidationError

    spoc = demo_app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    ref = conn_of(spoc).execute("SELECT ref FROM nominals WHERE bcu = 'CE' AND status = 'active' LIMIT 1").fetchone()[0]
    why = Justification.make("other", "Subject access request received by post this week")
    with pytest.raises(ValidationError, match="request's reference"):
        demo_app.reports.subject_access(spoc, ref, why, tmp_path / "sar.pdf", request_ref=request_ref,
                                        account_password=SPOC_PASSWORD, pdf_password=None, unencrypted=True)


def test_a_subject_access_request_reference_naming_the_person_is_refused(demo_app: App, tmp_path: Path) -> None:
    spoc = demo_app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    ref, family = conn_of(spoc).execute("SELECT ref, family_name FROM nominals WHERE bcu = 'CE' AND status = 'active' "
                                    "LIMIT 1").fetchone()
    why = Justification.make("other", "Subject access request received by post this week")
    with pytest.raises(NamesThePerson):
        demo_app.reports.subject_access(spoc, ref, why, tmp_path / "sar.pdf", request_ref=f"SAR {family} 2026",
                                        account_password=SPOC_PASSWORD, pdf_password=None, unencrypted=True)
    assert conn_of(spoc).execute("SELECT count(*) FROM access_log WHERE detail LIKE ?", (f"%{family}%",)).fetchone()[0] == 0
