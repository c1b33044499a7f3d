"""Auditing and governance from the command line."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main

AUDITOR = ("demo.auditor", "granite-meadow-audit-19")
SPOC = ("demo.spoc", "harbour-violet-spoc-42")
OFFICER = ("demo.officer", "lantern-quarry-officer-7")


@pytest.fixture
def gvm(demo_app: App) -> Callable[..., tuple[int, str, str]]:
    def run(who: tuple[str, str], *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--as", who[0], "--password-stdin"],
                    app_factory=lambda folder: demo_app, stdin=io.StringIO(who[1] + "\n"), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def test_search_flags_and_a_signed_export_round_trip(gvm: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    code, out, _ = gvm(OFFICER, "matrix", "list", "--limit", "2")
    ref = out.splitlines()[1].split("\t")[0]
    assert gvm(OFFICER, "record", "open", ref, "--reason", "safeguarding", "--why", "Welfare check after a referral")[0] == 0
    code, out, err = gvm(AUDITOR, "log", "search", "--user", "demo.officer", "--action", "record.open")
    assert code == 0 and ref in out and "record.open" in out and "(1 shown)" in out
    code, out, err = gvm(AUDITOR, "log", "search", "--since", "2026-11-03", "--until", "2026-11-01")
    assert code == 1 and "date range is reversed" in err
    code, out, err = gvm(AUDITOR, "log", "search", "--user", "nobody.here")
    assert code == 1 and "no account 'nobody.here'" in err
    code, out, err = gvm(AUDITOR, "log", "flags", "--since", "2026-11-01", "--until", "2026-11-30")
    assert code == 0 and "Record opened with no linked operation" in out
    target = tmp_path / "opens.csv"
    code, out, err = gvm(AUDITOR, "log", "export", "--action", "record.open", "--csv", str(target))
    assert code == 0 and "Wrote 1 entry to" in out, err
    checked = io.StringIO()
    assert main(["log", "verify-export", str(target)], stdout=checked) == 0 and "Valid: signed by demo.auditor" in \
        checked.getvalue()
    target.write_text(target.read_text().replace(ref, "N-999999"))
    err_buf = io.StringIO()
    assert main(["log", "verify-export", str(target)], stdout=io.StringIO(), stderr=err_buf) == 4
    assert "changed after it was signed" in err_buf.getvalue()
    code, out, err = gvm(OFFICER, "log", "search")
    assert code == 3


def test_governance_commands(gvm: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = gvm(SPOC, "governance", "training", "demo.officer", "--completed", "2026-10-01", "--expires",
                         "2027-10-01")
    assert code == 0 and "Recorded training" in out, err
    assert gvm(SPOC, "governance", "revoke", "demo.officer")[0] == 0
    code, out, err = gvm(OFFICER, "matrix", "list")
    assert code == 3 and "has not granted you access" in err
    assert gvm(SPOC, "governance", "grant", "demo.officer")[0] == 0
    assert gvm(OFFICER, "matrix", "list")[0] == 0
    code, out, err = gvm(AUDITOR, "governance", "inactive")
    assert code == 0 and "(0 accounts unused for six months)" in out
    code, out, err = gvm(SPOC, "governance", "monthly", "--bcu", "CE", "--month", "2026-11")
    assert code == 0 and "System audit of BCU CE, 2026-11" in out and "governance.grant" in out
