"""`gvm-desktop check`, and a damaged page met in ordinary use: exit 4 and one line, never 1 or a traceback."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.audit import Action
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.store.test_integrity_check import PAGE, SPOTS, flip, pages_of, settled_copy

ACCOUNT = {a.role: a for a in DEMO_ACCOUNTS}

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def gvm(make_app: Callable[..., App]) -> Run:
    """Run the CLI as a demo account on a vault folder; a traceback would escape main() and fail the test."""
    def run(folder: Path, role: Role, *argv: str) -> tuple[int, str, str]:
        account = ACCOUNT[role]
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(folder), "--as", account.username, "--password-stdin"],
                    app_factory=lambda f: make_app(f), stdin=io.StringIO(account.password + "\n"), stdout=out,
                    stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def vault(_demo_template: Path, tmp_path: Path) -> Path:
    return settled_copy(_demo_template, tmp_path / "vault")


def test_an_undamaged_vault_passes_and_the_check_is_logged(gvm: Run, vault: Path, make_app: Callable[..., App]) -> None:
    # The administrator checks common, the one file their key opens; the auditor every BCU's file too.
    def every() -> int:
        return pages_of(vault) + sum(p.stat().st_size // PAGE for p in vault.glob("bcu-*.db"))

    checked = {}
    for role in (Role.ADMIN, Role.AUDITOR):
        code, out, err = gvm(vault, role, "check")
        assert (code, err) == (0, "")
        checked[role] = every() if role is Role.AUDITOR else pages_of(vault)
        assert out.startswith(f"Intact: {checked[role]} pages checked") and out.count("\n") == 1
    app = make_app(vault)
    ws = app.auth.sign_in(ACCOUNT[Role.AUDITOR].username, ACCOUNT[Role.AUDITOR].password)
    checks = [e.entry for e in app.audit.recent(ws, 50) if e.entry.action is Action.VAULT_CHECK]
    app.auth.sign_out(ws)
    assert [(e.username, e.detail) for e in checks] == [
        ("demo.auditor", f"intact: {checked[Role.AUDITOR]} pages checked"),
        ("demo.admin", f"intact: {checked[Role.ADMIN]} pages checked")]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PARTNER, Role.SPOC], ids=lambda r: r.value)
def test_other_roles_are_refused_with_exit_3(gvm: Run, vault: Path, role: Role) -> None:
    code, out, err = gvm(vault, role, "check")
    assert code == 3 and out == ""
    assert err == f"gvm-desktop: The {role.value} role may not check the vault database's integrity.\n"


@pytest.mark.parametrize("spot", list(SPOTS))
def test_check_names_the_damaged_page(gvm: Run, vault: Path, spot: str) -> None:
    page = flip(vault, SPOTS[spot](pages_of(vault)))
    code, out, err = gvm(vault, Role.ADMIN, "check")
    assert code == 4 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("gvm-desktop: The vault database is damaged: ")
    if spot == "p1-salt":
        assert "page 1's salt" in err
    else:
        assert f"page {page}: HMAC check failed (" in err


@pytest.mark.parametrize("spot", list(SPOTS))
def test_ordinary_use_reports_damage_as_exit_4_and_spreads_nothing(gvm: Run, vault: Path, spot: str) -> None:
    page = flip(vault, SPOTS[spot](pages_of(vault)))
    for role, argv in [(Role.ADMIN, ["user", "list"]), (Role.OFFICER, ["matrix", "list"]),
                       (Role.SPOC, ["matrix", "list", "--search", "a"]), (Role.AUDITOR, ["log", "search"]),
                       (Role.AUDITOR, ["matrix", "refs"])]:
        code, _out, err = gvm(vault, role, *argv)
        assert code in (0, 4), f"{' '.join(argv)} as {role.value}: exit {code}: {err}"
        if code == 4:
            assert err.count("\n") == 1 and "damaged" in err and "gvm-desktop check" in err
    # Whatever ordinary use did, the damage is where it was and nowhere else.
    code, _out, err = gvm(vault, Role.AUDITOR, "check")
    assert code == 4
    assert ("page 1's salt" in err) if spot == "p1-salt" else (f"page {page}: HMAC check failed (" in err
                                                                and "; and" not in err and err.count("page ") == 1)


def test_the_check_runs_when_damage_stops_the_sign_in(gvm: Run, vault: Path) -> None:
    flip(vault, 2000)  # page 1: nobody signs in
    code, _out, err = gvm(vault, Role.ADMIN, "user", "list")
    assert code == 4 and "does not open with this key" in err
    code, _out, err = gvm(vault, Role.AUDITOR, "check")
    assert code == 4 and "page 1: HMAC check failed" in err and "stopped the sign-in" in err


def test_the_service_a_backup_calls_in_its_session(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ACCOUNT[Role.ADMIN].username, ACCOUNT[Role.ADMIN].password)
    result = demo_app.integrity.check(admin)
    assert result.intact and result.logged and result.report.pages == pages_of(demo_app.paths.folder)
    demo_app.auth.sign_out(admin)
    officer = demo_app.auth.sign_in(ACCOUNT[Role.OFFICER].username, ACCOUNT[Role.OFFICER].password)
    with pytest.raises(PermissionDenied, match="The officer role may not check"):
        demo_app.integrity.check(officer)
    demo_app.auth.sign_out(officer)


def test_a_damaged_page_met_in_the_session_is_still_reported(demo_app: App) -> None:
    """The session opened before the damage (a disk going bad under a running application)."""
    admin = demo_app.auth.sign_in(ACCOUNT[Role.ADMIN].username, ACCOUNT[Role.ADMIN].password)
    n = pages_of(demo_app.paths.folder)
    page = flip(demo_app.paths.folder, (n // 2) * PAGE + 100)
    result = demo_app.integrity.check(admin)
    assert not result.intact and result.report.damaged_pages == (page,)
    demo_app.auth.sign_out(admin)


def test_the_auditor_s_check_finds_damage_in_a_bcu_s_file(gvm: Run, vault: Path) -> None:
    """Damage in CE's compartment: the auditor, who holds its key, finds and names it; the administrator's check
    covers common, the one file their key opens, and says how many pages that was."""
    ce = vault / "bcu-CE.db"
    data = bytearray(ce.read_bytes())
    data[2 * PAGE + 1500] ^= 0x01
    ce.write_bytes(bytes(data))
    code, _out, err = gvm(vault, Role.AUDITOR, "check")
    assert code == 4 and "in bcu-CE.db" in err and "page 3" in err and "Traceback" not in err
    code, out, _err = gvm(vault, Role.ADMIN, "check")
    assert code == 0 and out.startswith(f"Intact: {pages_of(vault)} pages checked")
