"""Withholding from a subject access pack (DPA 2018 s45(4)): what is withheld is left out of the pack, the
pack says that something was withheld and under what, and the export's log entry lists it."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.core.subject_access import Withholding, parse_withholding
from gvm_desktop.services.records import NamesThePerson
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.support.vault_access import conn_of

SPOC_PASSWORD = next(a for a in DEMO_ACCOUNTS if a.role.value == "spoc").password  # signs the pack (issue 15)

ACC = {a.role: a for a in DEMO_ACCOUNTS}
SAR_WHY = Justification.make("other", "Subject access request received by post this week")
SECRET_WHY = "Covert tasking QZX-SECRET-771 needs this record today"


def _sign_in(app: App, role: Role):  # type: ignore[no-untyped-def]
    account = ACC[role]
    return app.auth.sign_in(account.username, account.password)


def _person(spoc) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """A CE person no demo account but the SPOC has touched: the officer's one open below is then theirs alone."""
    return conn_of(spoc).execute(
        "SELECT ref, family_name, address FROM nominals n WHERE bcu = 'CE' AND status = 'active' AND NOT EXISTS ("
        "SELECT 1 FROM access_log a WHERE a.record_ref = n.ref AND a.username = 'demo.officer') LIMIT 1").fetchone()


def _text(pdf: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
                    .stdout.split())


def _last(ws, action: str) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    return conn_of(ws).execute("SELECT outcome, detail FROM access_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
                               (action,)).fetchone()


def test_a_withheld_entry_and_field_are_left_out_said_and_logged(demo_app: App, tmp_path: Path) -> None:
    spoc = _sign_in(demo_app, Role.SPOC)
    ref, _family, address = _person(spoc)
    officer = _sign_in(demo_app, Role.OFFICER)
    demo_app.records.open(officer, ref, Justification.make("safeguarding", SECRET_WHY))
    seq = conn_of(spoc).execute("SELECT max(seq) FROM access_log WHERE record_ref = ? AND action = 'record.open'",
                                (ref,)).fetchone()[0]
    out = tmp_path / "sar.pdf"
    demo_app.reports.subject_access(
        spoc, ref, SAR_WHY, out, request_ref="SAR-2026-0077",
        account_password=SPOC_PASSWORD, pdf_password=None, unencrypted=True,
        withheld=[Withholding("DPA2018-s45(4)(b)", seq=seq, reason="Live investigation, op ref 26-118"),
                  Withholding("DPA2018-s45(4)(e)", field="address")])
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True).returncode == 0
    flat = _text(out)
    assert "QZX-SECRET-771" not in flat and "demo.officer" not in flat
    assert address not in flat
    assert "1 access-log entry and 1 field of your personal details were withheld under DPA 2018 s45(4)(b)" in flat
    assert "Withheld under DPA 2018 s45(4)(b)" in flat and "Withheld under DPA 2018 s45(4)(e)" in flat
    outcome, detail = _last(spoc, "report.subject_access")
    assert outcome == "allowed"
    assert detail is not None and (f"withheld: seq {seq} DPA2018-s45(4)(b) (Live investigation, op ref 26-118), "
                                   "field address DPA2018-s45(4)(e)") in detail


def test_an_entry_that_is_not_the_persons_cannot_be_withheld(demo_app: App, tmp_path: Path) -> None:
    spoc = _sign_in(demo_app, Role.SPOC)
    ref = _person(spoc)[0]
    other = conn_of(spoc).execute("SELECT max(seq) FROM access_log WHERE record_ref IS NOT NULL AND record_ref <> ?",
                                  (ref,)).fetchone()[0]
    out = tmp_path / "sar.pdf"
    with pytest.raises(ValidationError, match="only this person's own entries"):
        demo_app.reports.subject_access(spoc, ref, SAR_WHY, out, request_ref="SAR-2026-0078",
                                        account_password=SPOC_PASSWORD, pdf_password=None,
                                        unencrypted=True, withheld=[Withholding("DPA2018-s45(4)(a)", seq=other)])
    assert not out.exists()
    outcome, detail = _last(spoc, "report.subject_access")
    assert outcome == "refused" and str(other) in (detail or "")


def test_a_withholding_reason_that_names_the_person_is_refused_and_logged_without_it(demo_app: App,
                                                                                     tmp_path: Path) -> None:
    spoc = _sign_in(demo_app, Role.SPOC)
    ref, family, _ = _person(spoc)
    out = tmp_path / "sar.pdf"
    with pytest.raises(NamesThePerson):
        demo_app.reports.subject_access(
            spoc, ref, SAR_WHY, out, request_ref="SAR-2026-0079",
            account_password=SPOC_PASSWORD, pdf_password=None, unencrypted=True,
            withheld=[Withholding("DPA2018-s45(4)(e)", field="address", reason=f"{family} family at risk")])
    assert not out.exists()
    outcome, detail = _last(spoc, "report.subject_access")
    assert outcome == "refused" and "withholding's reason" in (detail or "") and family not in (detail or "")


@pytest.mark.parametrize(("typed", "wanted"), [
    ("2005:DPA2018-s45(4)(b):live op", Withholding("DPA2018-s45(4)(b)", seq=2005, reason="live op")),
    ("address:e", Withholding("DPA2018-s45(4)(e)", field="address")),
])
def test_a_withholding_is_typed_as_target_exemption_and_reason(typed: str, wanted: Withholding) -> None:
    assert parse_withholding(typed) == wanted


@pytest.mark.parametrize("typed", ["2005:s99", "password:e", "2005:a:bad\u202etext", "x"])
def test_a_withholding_outside_the_fixed_lists_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        parse_withholding(typed)


def test_the_command_line_withholds_with_repeated_options(demo_app: App, tmp_path: Path) -> None:
    spoc = _sign_in(demo_app, Role.SPOC)
    ref, _family, address = _person(spoc)
    demo_app.records.open(_sign_in(demo_app, Role.OFFICER), ref, Justification.make("safeguarding", SECRET_WHY))
    seq = conn_of(spoc).execute("SELECT max(seq) FROM access_log WHERE record_ref = ?", (ref,)).fetchone()[0]
    demo_app.auth.sign_out(spoc)
    out, err, pdf = io.StringIO(), io.StringIO(), tmp_path / "sar.pdf"
    code = main(["report", "subject-access", ref, "--request", "SAR-2026-0080", "--reason-category", "other",
                 "--justification", "Subject access request received by post this week", "--out", str(pdf),
                 "--unencrypted", "--withhold", f"{seq}:b:Live investigation", "--withhold", "address:e",
                 "--vault", str(demo_app.vault_dir), "--as", ACC[Role.SPOC].username, "--password-stdin"],
                app_factory=lambda folder: demo_app, stdin=io.StringIO(ACC[Role.SPOC].password + "\n"), stdout=out,
                stderr=err)
    assert code == 0, err.getvalue()
    flat = _text(pdf)
    assert address not in flat and "Withheld under DPA 2018 s45(4)(b)" in flat
    assert main(["report", "subject-access", ref, "--request", "SAR-2026-0081", "--reason-category", "other",
                 "--justification", "Subject access request received by post this week", "--out", str(pdf),
                 "--unencrypted", "--withhold", "address:z", "--vault", str(demo_app.vault_dir),
                 "--as", ACC[Role.SPOC].username, "--password-stdin"],
                app_factory=lambda folder: demo_app, stdin=io.StringIO(ACC[Role.SPOC].password + "\n"),
                stdout=io.StringIO(), stderr=err) != 0
    assert "Unknown exemption" in err.getvalue()
