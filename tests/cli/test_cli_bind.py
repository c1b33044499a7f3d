"""`gvm-desktop bind`: the recovery code on --password-stdin, one line per error, the contract's exit codes."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from keyring.backends import fail

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.machine_policy import NO_POLICY
from gvm_desktop.services.machine_policy import load_machine_policy

ADMIN_PW = "copper-kettle-orbit-91"
Run = Callable[..., tuple[int, str, str]]


def _runner(make_app: Callable[..., App], **overrides: object) -> Run:
    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), app_factory=lambda folder: make_app(folder, **overrides), stdin=io.StringIO(stdin),
                    stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def run(make_app: Callable[..., App]) -> Run:
    return _runner(make_app, machine_policy=NO_POLICY)


@pytest.fixture
def strict_run(tmp_path: Path, make_app: Callable[..., App]) -> Run:
    policy = tmp_path / "policy.toml"
    policy.write_text("device_binding_required = true\n", encoding="utf-8")
    return _runner(make_app, machine_policy=load_machine_policy(policy))


def _init_unbound(run: Run, vault: str) -> str:
    code, out, err = run("init", "--admin", "alice.admin", "--no-device-binding", "--vault", vault, "--password-stdin",
                         stdin=f"{ADMIN_PW}\n")
    assert code == 0, err
    return out.split("safe): ")[1].splitlines()[0].strip()


def test_bind_then_the_policy_admits_the_administrator(run: Run, strict_run: Run, tmp_path: Path) -> None:
    v = str(tmp_path / "v")
    recovery = _init_unbound(run, v)
    code, _out, err = strict_run("user", "list", "--vault", v, "--as", "alice.admin", "--password-stdin",
                                 stdin=f"{ADMIN_PW}\n")
    assert code == 3 and err.count("\n") == 1 and "gvm-desktop bind" in err

    code, out, err = strict_run("bind", "--vault", v, "--password-stdin", stdin=f"{recovery}\n")
    assert code == 0, err
    assert "now bound to this workstation" in out and "(1 still to sign in)" in out and recovery not in out + err

    code, out, err = strict_run("user", "list", "--vault", v, "--as", "alice.admin", "--password-stdin",
                                stdin=f"{ADMIN_PW}\n")
    assert code == 0 and "alice.admin\tadmin" in out, err


def test_an_already_bound_vault_is_said_and_no_code_is_asked(run: Run, tmp_path: Path) -> None:
    v = str(tmp_path / "v")
    recovery = _init_unbound(run, v)
    assert run("bind", "--vault", v, "--password-stdin", stdin=f"{recovery}\n")[0] == 0
    code, out, err = run("bind", "--vault", v, "--password-stdin")  # no line on stdin: none is read
    assert (code, err) == (0, "") and out == "This vault is already bound to this workstation: nothing was changed.\n"


def test_a_wrong_code_is_exit_3_with_one_line(run: Run, tmp_path: Path) -> None:
    v = str(tmp_path / "v")
    _init_unbound(run, v)
    code, out, err = run("bind", "--vault", v, "--password-stdin", stdin="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE\n")
    assert code == 3 and out == "" and err.count("\n") == 1 and "recovery code is wrong" in err
    assert "AAAAA" not in err


def test_no_credential_store_is_exit_1_before_any_code(make_app: Callable[..., App], tmp_path: Path) -> None:
    run = _runner(make_app, machine_policy=NO_POLICY, keyring_backend=fail.Keyring())
    v = str(tmp_path / "v")
    _init_unbound(run, v)
    code, out, err = run("bind", "--vault", v, "--password-stdin")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("gvm-desktop: Binding is impossible on this workstation: no OS credential store")


def test_no_vault_is_exit_1(run: Run, tmp_path: Path) -> None:
    code, _out, err = run("bind", "--vault", str(tmp_path / "none"), "--password-stdin")
    assert code == 1 and "No vault at" in err and err.count("\n") == 1


def test_recover_under_the_policy_points_to_bind(strict_run: Run, run: Run, tmp_path: Path) -> None:
    """Recovering does not bind: it says what does."""
    v = str(tmp_path / "v")
    recovery = _init_unbound(run, v)
    new_pw = "plum-lighthouse-sparrow-64"
    code, out, err = strict_run("recover", "--user", "alice.admin", "--vault", v, "--password-stdin",
                                stdin=f"{recovery}\n{new_pw}\n")
    assert code == 0, err
    assert "bind it with 'gvm-desktop bind'" in out
    code, out, err = run("recover", "--user", "alice.admin", "--vault", v, "--password-stdin",
                         stdin=f"{recovery}\n{ADMIN_PW}\n")
    assert code == 0 and "gvm-desktop bind" not in out  # no policy here asks for it
