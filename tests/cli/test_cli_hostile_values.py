"""Hostile values on the command line: one line on stderr, the contract's exit code, nothing written (issue 10)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from tests.support.vault_access import conn_of

AUDITOR = ("demo.auditor", "granite-meadow-audit-19")
SPOC = ("demo.spoc", "harbour-violet-spoc-42")
OFFICER = ("demo.officer", "lantern-quarry-officer-7")
ADMIN = ("demo.admin", "compass-thistle-admin-88")
NEW_PW = "velvet-anchor-comet-33"
Gvm = Callable[..., tuple[int, str, str]]


@pytest.fixture
def gvm(demo_app: App) -> Gvm:
    def run(who: tuple[str, str], *argv: str, more: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--as", who[0], "--password-stdin"],
                    app_factory=lambda folder: demo_app, stdin=io.StringIO(f"{who[1]}\n{more}"), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("gvm-desktop: ") and "Traceback" not in err, err
    return err[len("gvm-desktop: "):].rstrip("\n")


def rows(demo_app: App, table: str) -> int:
    ws = demo_app.auth.sign_in(*ADMIN)
    try:
        return int(conn_of(ws).execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        demo_app.auth.sign_out(ws)


def test_account_names_with_a_right_to_left_override_are_exit_1(gvm: Gvm, demo_app: App) -> None:
    before = rows(demo_app, "users")
    code, _out, err = gvm(ADMIN, "user", "add", "eve\u202enimda", "--role", "officer", "--bcu", "CE", more=f"{NEW_PW}\n")
    assert code == 1
    assert one_line(err) == ("A username may not contain U+202E (RIGHT-TO-LEFT OVERRIDE): "
                             "it can reorder the text around it in the access log.")
    code, _out, err = gvm(ADMIN, "user", "add", "eve.officer", "--display-name", "Eve \u2067Admin", "--role", "officer",
                          "--bcu", "CE", more=f"{NEW_PW}\n")
    assert code == 1
    assert one_line(err) == ("A display name may not contain U+2067 (RIGHT-TO-LEFT ISOLATE): "
                             "it can reorder the text around it in the access log.")
    assert rows(demo_app, "users") == before


def test_a_new_password_with_nul_is_exit_1(gvm: Gvm, demo_app: App) -> None:
    code, _out, err = gvm(ADMIN, "user", "passwd", more="velvet-anchor\x00comet-33\n")
    assert code == 1 and one_line(err) == "The password may not contain a NUL character."
    assert gvm(ADMIN, "user", "list")[0] == 0  # the old password still signs in


def test_training_dates_out_of_range_are_exit_1(gvm: Gvm, demo_app: App) -> None:
    before = rows(demo_app, "training")
    code, _out, err = gvm(SPOC, "governance", "training", "demo.officer", "--completed", "1899-12-31", "--expires",
                          "2027-06-01")
    assert code == 1 and one_line(err) == "The completion date must be from 1900-01-01 to 2036-11-02 (got 1899-12-31)."
    code, _out, err = gvm(SPOC, "governance", "training", "demo.officer", "--completed", "2026-10-01", "--expires",
                          "9999-12-31")
    assert code == 1 and one_line(err) == "The expiry date must be from 1900-01-01 to 2036-11-02 (got 9999-12-31)."
    assert rows(demo_app, "training") == before


def test_dsa_dates_out_of_range_are_exit_1(gvm: Gvm, demo_app: App) -> None:
    before = rows(demo_app, "dsa")
    code, _out, err = gvm(ADMIN, "dsa", "add", "--organisation", "Synthetic Youth Service", "--bcu", "CE", "--fields",
                          "ref,age", "--from", "0001-01-01", "--to", "2027-01-01")
    assert code == 1 and one_line(err) == "The agreement's start date must be from 1900-01-01 to 2036-11-02 (got 0001-01-01)."
    code, _out, err = gvm(ADMIN, "dsa", "add", "--organisation", "Synthetic Youth Service", "--bcu", "CE", "--fields",
                          "ref,age", "--from", "2026-11-01", "--to", "2999-01-01")
    assert code == 1 and one_line(err) == "The agreement's end date must be from 1900-01-01 to 2036-11-02 (got 2999-01-01)."
    assert rows(demo_app, "dsa") == before


@pytest.mark.parametrize(("month", "message"), [
    ("9999-12", "The month must be from 1900-01 to 2036-11 (got 9999-12)."),
    ("1899-12", "The month must be from 1900-01 to 2036-11 (got 1899-12)."),
    ("2026-13", "A month is YYYY-MM (got '2026-13')."),
])
def test_the_monthly_audit_of_an_impossible_month_is_exit_1(gvm: Gvm, month: str, message: str) -> None:
    code, out, err = gvm(AUDITOR, "governance", "monthly", "--bcu", "CE", "--month", month)
    assert code == 1 and out == "" and one_line(err) == message


def test_another_bcus_reference_reads_like_a_missing_one(gvm: Gvm, demo_app: App) -> None:
    ws = demo_app.auth.sign_in(*OFFICER)
    other = conn_of(ws).execute("SELECT ref FROM person_index WHERE bcu <> 'CE' AND status = 'active' LIMIT 1").fetchone()[0]
    demo_app.auth.sign_out(ws)
    why = ("--reason", "safeguarding", "--why", "Welfare check after a referral")
    code_missing, out_missing, err_missing = gvm(OFFICER, "record", "open", "N-999999", *why)
    code_other, out_other, err_other = gvm(OFFICER, "record", "open", other, *why)
    assert code_missing == code_other == 1 and out_missing == out_other == ""
    assert one_line(err_other) == f"There is no live record {other}."
    assert err_other.replace(other, "REF") == err_missing.replace("N-999999", "REF")
