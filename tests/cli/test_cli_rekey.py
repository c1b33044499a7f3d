"""`gvm-desktop rekey --as ADMIN`: what was rotated now, what waits for its holders; refusals as exit 3."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS

ACC = {a.role: a for a in DEMO_ACCOUNTS}
ADMIN, OFFICER = ACC[Role.ADMIN], ACC[Role.OFFICER]

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(demo_app: App, make_app: Callable[..., App]) -> Run:
    def _run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--password-stdin"],
                    app_factory=lambda folder: make_app(folder), stdin=io.StringIO(stdin), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return _run


def test_rekey_says_what_was_rotated_and_what_is_due(run: Run) -> None:
    code, out, err = run("rekey", "--as", ADMIN.username, stdin=f"{ADMIN.password}\n")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Rotated now: common."
    assert lines[1].startswith("Due at their holders' next sign-in: ") and "bcu:CE" in lines[1]
    assert err == ""


def test_rekey_with_a_wrong_password_is_exit_3_and_one_line(run: Run) -> None:
    code, out, err = run("rekey", "--as", ADMIN.username, stdin="not-the-password-12\n")
    assert code == 3 and out == ""
    assert err == "gvm-desktop: Sign-in failed: the username or password is wrong.\n"


def test_rekey_by_an_officer_is_refused_with_exit_3(run: Run) -> None:
    code, out, err = run("rekey", "--as", OFFICER.username, stdin=f"{OFFICER.password}\n")
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "officer role may not rotate the vault's keys" in err
