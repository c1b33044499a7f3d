"""Issue 15 defect 4: every PDF that carries people's data leaves encrypted (AES-256, R6) and signed by its exporter.

The audit pack, an audit form, the monthly audit, the disproportionality report and the
subject access pack, each from a real export: pikepdf opens it only with its password, the
signature is valid, certified, covers the whole file, chains to the vault's CA and names the
user who exported it. --unencrypted is refused (and logged) for a role without the right, and
logged when used. The disproportionality report suppresses small numbers and says the date
its reference figures refer to.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pikepdf
import pytest

from gvm_desktop.app import App
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.disproportionality import ETHNIC_GROUPS, SUPPRESSED
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Role
from gvm_desktop.reports.pdf_signing import verify_pdf
from gvm_desktop.services.context import Workspace
from tests.reports.pdftools import tool
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
PDF_PASSWORD = "copper-kettle-review-2026"
WHY = Justification.make("intelligence_development", "Developing a synthetic intelligence picture")
CENSUS_DAY = date(2021, 3, 21)


def sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def decrypted(pdf: Path, password: str) -> Path:
    """A plain copy beside `pdf` for the text tools (the original stays as exported)."""
    plain = pdf.with_name(pdf.stem + ".plain.pdf")
    with pikepdf.open(pdf, password=password) as document:
        document.save(plain)
    return plain


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(args[0]), *args[1:]], capture_output=True, text=True, timeout=120)


def _load_reference(app: App, tmp_path: Path, *, as_of: date | None = CENSUS_DAY) -> None:
    lines = ["borough,dimension,group,population"]
    lines += [f"{b},ethnicity,{g},{n}" for b in BCUS["CE"][1]
              for g, n in zip(ETHNIC_GROUPS, (40_000, 60_000, 15_000, 110_000, 20_000), strict=True)]
    path = tmp_path / "reference.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app.reports.load_reference(sign_in(app, Role.ADMIN), path, source="ONS Census 2021 TS021", as_of=as_of)


def _opened_record(app: App) -> int:
    """A record open by the officer: the entry an audit form asks about."""
    officer = sign_in(app, Role.OFFICER)
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu='CE' AND status='active' LIMIT 1").fetchone()[0]
    app.records.open(officer, ref, WHY)
    auditor = sign_in(app, Role.AUDITOR)
    entry = app.log.search(auditor, LogFilter(actions=("record.open",), record_ref=ref)).entries[0]
    return entry.seq


def _ce_ref(app: App, ws: Workspace) -> str:
    return str(conn_of(ws).execute("SELECT ref FROM nominals WHERE bcu='CE' AND status='active' LIMIT 1").fetchone()[0])


Export = Callable[[App, Workspace, Path, str | None, bool], object]

EXPORTS: dict[str, tuple[Role, Export]] = {
    "audit pack": (Role.AUDITOR, lambda app, ws, out, pdf, plain: app.forms.export_pack(
        ws, LogFilter(), out, account_password=ACC[Role.AUDITOR].password, pdf_password=pdf, unencrypted=plain)),
    "audit form": (Role.AUDITOR, lambda app, ws, out, pdf, plain: app.forms.issue(
        ws, _opened_record(app), out, account_password=ACC[Role.AUDITOR].password, pdf_password=pdf,
        unencrypted=plain)),
    "monthly audit": (Role.AUDITOR, lambda app, ws, out, pdf, plain: app.governance.export_monthly_pdf(
        ws, "CE", app.env.clock.now().strftime("%Y-%m"), out, account_password=ACC[Role.AUDITOR].password,
        pdf_password=pdf, unencrypted=plain)),
    "disproportionality": (Role.SPOC, lambda app, ws, out, pdf, plain: app.reports.export_disproportionality(
        ws, out, account_password=ACC[Role.SPOC].password, pdf_password=pdf, unencrypted=plain)),
    "subject access": (Role.SPOC, lambda app, ws, out, pdf, plain: app.reports.subject_access(
        ws, _ce_ref(app, ws), WHY, out, request_ref="SAR-2026-0415", account_password=ACC[Role.SPOC].password,
        pdf_password=pdf, unencrypted=plain)),
}


def _ca(app: App) -> bytes:
    ca = app.reviews.ca_certificate(sign_in(app, Role.SPOC))
    assert ca is not None
    return ca


@pytest.mark.parametrize("kind", list(EXPORTS))
def test_each_pdf_is_encrypted_and_signed_by_its_exporter(demo_app: App, tmp_path: Path, kind: str) -> None:
    role, export = EXPORTS[kind]
    _load_reference(demo_app, tmp_path)
    ws = sign_in(demo_app, role)
    out = tmp_path / f"{kind.replace(' ', '-')}.pdf"
    export(demo_app, ws, out, PDF_PASSWORD, False)

    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out)
    with pikepdf.open(out, password=PDF_PASSWORD) as document:
        assert document.encryption.R == 6 and document.encryption.bits == 256
        assert document.encryption.stream_method.name == "aesv3"  # AES-256
    verdict = verify_pdf(out.read_bytes(), ca_cert_der=_ca(demo_app), password=PDF_PASSWORD)
    assert verdict.ok, verdict.reason
    assert verdict.certified and verdict.signer_username == ACC[role].username
    sig = _run("pdfsig", "-upw", PDF_PASSWORD, str(out))
    assert "Signature is Valid" in sig.stdout and "Total document signed" in sig.stdout, sig.stdout + sig.stderr
    check = _run("qpdf", f"--password={PDF_PASSWORD}", "--check", str(out))
    assert check.returncode == 0 and "No syntax or stream encoding errors found" in check.stdout
    assert _run("pdftotext", str(out), "-").returncode != 0  # no password, no text
    assert "OFFICIAL-SENSITIVE" in _run("pdftotext", "-upw", PDF_PASSWORD, str(out), "-").stdout
    details = [d for (d,) in conn_of(ws).execute("SELECT detail FROM access_log WHERE outcome = 'allowed' "
                                                 "AND detail LIKE '%AES-256, signed%'")]
    assert details, "the export's log entry says how the file left"


@pytest.mark.parametrize("kind", list(EXPORTS))
def test_a_weak_or_missing_pdf_password_is_refused_before_any_work(demo_app: App, tmp_path: Path, kind: str) -> None:
    role, export = EXPORTS[kind]
    ws = sign_in(demo_app, role)
    out = tmp_path / "x.pdf"
    for weak in (None, "abc"):
        with pytest.raises(ValidationError):
            export(demo_app, ws, out, weak, False)
    assert not out.exists()


@pytest.mark.parametrize("kind", ["audit pack", "audit form", "monthly audit"])
def test_unencrypted_is_refused_and_logged_for_a_role_without_the_right(demo_app: App, tmp_path: Path,
                                                                        kind: str) -> None:
    role, export = EXPORTS[kind]
    ws = sign_in(demo_app, role)
    out = tmp_path / "plain.pdf"
    with pytest.raises(PermissionDenied):
        export(demo_app, ws, out, None, True)
    assert not out.exists()
    refused = conn_of(ws).execute("SELECT count(*) FROM access_log WHERE outcome = 'refused' AND username = ?",
                                  (ACC[role].username,)).fetchone()[0]
    assert refused >= 1


@pytest.mark.parametrize("kind", ["disproportionality", "subject access"])
def test_unencrypted_is_logged_when_used_and_still_signed(demo_app: App, tmp_path: Path, kind: str) -> None:
    role, export = EXPORTS[kind]
    _load_reference(demo_app, tmp_path)
    ws = sign_in(demo_app, role)
    out = tmp_path / "plain.pdf"
    export(demo_app, ws, out, None, True)
    with pikepdf.open(out) as document:
        assert not document.is_encrypted
    verdict = verify_pdf(out.read_bytes(), ca_cert_der=_ca(demo_app), password=None)
    assert verdict.ok and verdict.signer_username == ACC[role].username, verdict.reason
    logged = conn_of(ws).execute("SELECT count(*) FROM access_log WHERE detail LIKE '%UNENCRYPTED, signed%'").fetchone()
    assert logged[0] == 1


def test_the_auditor_and_admin_are_issued_signing_keys(demo_app: App, tmp_path: Path) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    EXPORTS["audit pack"][1](demo_app, auditor, tmp_path / "pack.pdf", PDF_PASSWORD, False)
    issued = conn_of(auditor).execute("SELECT username FROM access_log WHERE action = 'review.signing_key_issue'").fetchall()
    assert (ACC[Role.AUDITOR].username,) in issued


def test_the_disproportionality_pdf_suppresses_small_numbers_and_dates_its_reference(
        demo_app: App, tmp_path: Path) -> None:
    _load_reference(demo_app, tmp_path)
    spoc = sign_in(demo_app, Role.SPOC)
    on_screen = demo_app.reports.disproportionality(spoc)  # inside the vault: exact counts
    small = [r for t in on_screen.current.dimensions for r in t.rows if 0 < r.matrix_count < 5]
    out = tmp_path / "disproportionality.pdf"
    EXPORTS["disproportionality"][1](demo_app, spoc, out, PDF_PASSWORD, False)
    text = " ".join(_run("pdftotext", "-upw", PDF_PASSWORD, str(out), "-").stdout.split())
    assert f"Reference figures as of {CENSUS_DAY.isoformat()}" in text
    assert "ONS Census 2021 TS021" in text and "Small numbers are suppressed" in text
    if small:
        assert SUPPRESSED in text


def test_a_reference_loaded_without_its_date_says_so(demo_app: App, tmp_path: Path) -> None:
    _load_reference(demo_app, tmp_path, as_of=None)
    report = demo_app.reports.disproportionality(sign_in(demo_app, Role.SPOC))
    assert report.reference_as_of.startswith("not recorded (loaded ")
    assert report.reference_source == "ONS Census 2021 TS021"


def test_the_command_line_reads_the_pdf_password_after_the_users_own(demo_app: App, tmp_path: Path) -> None:
    """`log export --pdf`, `log form issue`, `governance monthly --pdf`, `report disproportionality --out`: the
    account password first (it signs), then the PDF's; --unencrypted for a role without the right exits 3."""
    import io

    from gvm_desktop.cli.main import main

    def gvm(role: Role, *argv: str, more: str = "") -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--as", ACC[role].username, "--password-stdin"],
                    app_factory=lambda _folder: demo_app, stdin=io.StringIO(ACC[role].password + "\n" + more),
                    stdout=out, stderr=err)
        return code, out.getvalue() + err.getvalue()

    pack = tmp_path / "pack.pdf"
    code, said = gvm(Role.AUDITOR, "log", "export", "--pdf", str(pack), more=PDF_PASSWORD + "\n")
    assert code == 0 and "AES-256 encrypted" in said, said
    assert verify_pdf(pack.read_bytes(), ca_cert_der=_ca(demo_app), password=PDF_PASSWORD).ok
    code, said = gvm(Role.AUDITOR, "log", "export", "--pdf", str(tmp_path / "plain.pdf"), "--unencrypted")
    assert code == 3 and not (tmp_path / "plain.pdf").exists(), said
    csv = tmp_path / "reference.csv"
    csv.write_text("borough,dimension,group,population\n" + "".join(
        f"{b},ethnicity,{g},1000\n" for b in BCUS["CE"][1] for g in ETHNIC_GROUPS), encoding="utf-8")
    code, said = gvm(Role.ADMIN, "report", "reference", str(csv), "--as-of", CENSUS_DAY.isoformat())
    assert code == 0 and f"figures as of {CENSUS_DAY.isoformat()}" in said, said
    report = tmp_path / "report.pdf"
    code, said = gvm(Role.SPOC, "report", "disproportionality", "--out", str(report), more=PDF_PASSWORD + "\n")
    assert code == 0 and "AES-256 encrypted" in said, said
