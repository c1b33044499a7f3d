"""The command-line contract: commands, --password-stdin order, one-line errors, exit codes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop import __version__
from gvm_desktop.app import App
from gvm_desktop.cli import main

ADMIN_PW = "copper-kettle-orbit-91"
OFFICER_PW = "velvet-anchor-comet-33"


@pytest.fixture
def run(make_app: Callable[..., App]) -> Callable[..., tuple[int, str, str]]:
    def _run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), app_factory=lambda folder: make_app(folder), stdin=io.StringIO(stdin),
                    stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return _run


def test_init_user_add_and_acting_as_the_new_user(run: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    v = str(tmp_path / "v")
    code, out, err = run("init", "--admin", "alice.admin", "--vault", v, "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert code == 0, err
    assert "Recovery code" in out and "bound to this workstation" in out
    code, out, err = run("user", "add", "bob.officer", "--role", "officer", "--bcu", "CE", "--vault", v,
                         "--as", "alice.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n{OFFICER_PW}\n")
    assert code == 0, err
    assert "Added bob.officer (officer in CE)" in out
    code, out, err = run("user", "list", "--vault", v, "--as", "bob.officer", "--password-stdin", stdin=f"{OFFICER_PW}\n")
    assert code == 3 and err.count("\n") == 1 and "officer role may not list accounts" in err
    code, out, err = run("user", "list", "--vault", v, "--as", "alice.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert code == 0 and "bob.officer\tofficer\tCE\tactive" in out


def test_wrong_password_is_exit_3_with_one_line(run: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    v = str(tmp_path / "v")
    run("init", "--admin", "alice.admin", "--vault", v, "--password-stdin", stdin=f"{ADMIN_PW}\n")
    code, out, err = run("user", "list", "--vault", v, "--as", "alice.admin", "--password-stdin", stdin="nope\n")
    assert code == 3
    assert err == "gvm-desktop: Sign-in failed: the username or password is wrong.\n"
    assert "nope" not in out + err


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["user", "frobnicate"], 2, "invalid choice"),
        (["init"], 2, "--admin"),
        (["user", "list", "--password-stdin"], 2, "give --as NAME"),
        (["user", "add", "x", "--role", "wizard"], 2, "invalid choice"),
    ],
)
def test_usage_errors_are_exit_2(run: Callable[..., tuple[int, str, str]], tmp_path: Path, argv: list[str], code: int,
                                 fragment: str) -> None:
    got, _out, err = run(*argv, "--vault", str(tmp_path / "v"))
    assert got == code and fragment in err and err.count("\n") == 1


def test_missing_vault_and_corrupt_vault(run: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    v = tmp_path / "v"
    code, _o, err = run("user", "list", "--vault", str(v), "--as", "a.b", "--password-stdin", stdin="x\n")
    assert code == 1 and "No vault at" in err
    run("init", "--admin", "alice.admin", "--vault", str(v), "--password-stdin", stdin=f"{ADMIN_PW}\n")
    (v / "vault.db").write_bytes(bytes(8192))
    code, _o, err = run("user", "list", "--vault", str(v), "--as", "alice.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert code == 4 and "all zeros" in err and "Traceback" not in err


def test_passwd_disable_settings_and_recover(run: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    v = str(tmp_path / "v")
    _c, out, _e = run("init", "--admin", "alice.admin", "--vault", v, "--password-stdin", stdin=f"{ADMIN_PW}\n")
    recovery = out.split("safe): ")[1].splitlines()[0].strip()
    run("user", "add", "bob.officer", "--role", "officer", "--bcu", "CE", "--vault", v, "--as", "alice.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n{OFFICER_PW}\n")
    new_pw = "plum-lighthouse-sparrow-64"
    code, out, err = run("user", "passwd", "--vault", v, "--as", "bob.officer", "--password-stdin",
                         stdin=f"{OFFICER_PW}\n{new_pw}\n")
    assert code == 0 and "Your password was changed" in out, err
    code, out, err = run("settings", "set", "idle_lock_minutes", "31", "--vault", v, "--as", "alice.admin",
                         "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert code == 1 and "must be from 1 to 30 (got 31)" in err
    code, out, err = run("settings", "set", "idle_lock_minutes", "25", "--vault", v, "--as", "alice.admin",
                         "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert code == 0 and "idle_lock_minutes = 25" in out
    code, out, err = run("user", "disable", "bob.officer", "--vault", v, "--as", "alice.admin", "--password-stdin",
                         stdin=f"{ADMIN_PW}\n")
    assert code == 0 and "data key was rotated" in out
    code, out, err = run("user", "list", "--vault", v, "--as", "bob.officer", "--password-stdin", stdin=f"{new_pw}\n")
    assert code == 3
    code, out, err = run("recover", "--user", "alice.admin", "--vault", v, "--password-stdin",
                         stdin=f"{recovery}\n{new_pw}\n")
    assert code == 0, err
    code, out, err = run("user", "list", "--vault", v, "--as", "alice.admin", "--password-stdin", stdin=f"{new_pw}\n")
    assert code == 0 and "bob.officer\tofficer\tCE\tdisabled" in out


def test_demo_lists_accounts_and_refuses_to_overwrite(run: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    v = str(tmp_path / "d")
    code, out, err = run("demo", "--nominals", "25", "--vault", v)
    assert code == 0 and "DEMO vault of 25 synthetic people" in out and "demo.officer" in out
    code, out, err = run("demo", "--nominals", "25", "--vault", v)
    assert code == 1 and "already exists" in err


def test_version() -> None:
    out = subprocess.run([sys.executable, "-m", "gvm_desktop", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"gvm-desktop {__version__}"


def test_end_to_end_in_a_real_process_with_default_argon2(tmp_path: Path) -> None:
    """The newcomer's path, with the real (costly) key derivation and no credential store."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    v = str(tmp_path / "v")

    def gvm(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gvm_desktop", *args, "--vault", v, "--password-stdin"],
                              input=stdin, capture_output=True, text=True, env=env, timeout=120)

    r = gvm("init", "--admin", "alice.admin", stdin=f"{ADMIN_PW}\n")
    assert r.returncode == 0, r.stderr
    assert "No OS credential store" in r.stdout
    r = gvm("user", "add", "bob.officer", "--role", "officer", "--bcu", "NE", "--as", "alice.admin",
            stdin=f"{ADMIN_PW}\n{OFFICER_PW}\n")
    assert r.returncode == 0, r.stderr
    r = gvm("settings", "list", "--as", "bob.officer", stdin=f"{OFFICER_PW}\n")
    assert r.returncode == 0 and "idle_lock_minutes = 10" in r.stdout, r.stderr
    r = gvm("settings", "list", "--as", "bob.officer", stdin="wrong-password-123\n")
    assert r.returncode == 3 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_matrix_commands_open_asks_why_and_partners_have_no_export(run: Callable[..., tuple[int, str, str]],
                                                                   demo_app: App, tmp_path: Path) -> None:
    v = str(demo_app.vault_dir)
    officer = ("--vault", v, "--as", "demo.officer", "--password-stdin")
    stdin = "lantern-quarry-officer-7\n"
    code, out, err = run("matrix", "list", "--limit", "5", *officer, stdin=stdin)
    assert code == 0, err
    assert out.splitlines()[0].startswith("Ref\tName\tAge") and "of" in out.splitlines()[-1]
    ref = out.splitlines()[1].split("\t")[0]
    code, out, err = run("record", "open", ref, *officer, stdin=stdin)
    assert code == 2 and "--reason" in err  # no justification, no record
    code, out, err = run("record", "open", ref, "--reason", "other", "--why", "short", *officer, stdin=stdin)
    assert code == 1 and "at least 10 characters" in err
    code, out, err = run("record", "open", ref, "--reason", "safeguarding", "--why", "Welfare check after referral",
                         *officer, stdin=stdin)
    assert code == 0 and out.startswith(ref) and "classification:" in out and "evidence (" in out
    code, out, err = run("status-check", "--given", "No", "--family", "Body", "--dob", "2001-02-03", "--reason",
                         "safeguarding", "--why", "Check before a home visit", *officer, stdin=stdin)
    assert code == 0 and out == "Not on the matrix.\n"
    code, out, err = run("matrix", "list", "--vault", v, "--as", "demo.partner", "--password-stdin",
                         stdin="orchard-copper-partner-5\n")
    assert code == 3 and "partner role may not see the matrix" in err
    code, out, err = run("record", "open", "N-999999", "--reason", "safeguarding", "--why", "Welfare check again",
                         *officer, stdin=stdin)
    assert code == 1 and "no live record N-999999" in err


def test_a_new_auditor_gets_the_verification_key_with_the_recovery_code(run: Callable[..., tuple[int, str, str]],
                                                                        tmp_path: Path) -> None:
    v = str(tmp_path / "v")
    _c, init_out, _e = run("init", "--admin", "alice.admin", "--vault", v, "--password-stdin", stdin=f"{ADMIN_PW}\n")
    recovery = init_out.split("safe): ")[1].splitlines()[0].strip()
    auditor_pw = "quartz-meadow-lantern-27"
    code, out, err = run("user", "add", "ann.auditor", "--role", "auditor", "--vault", v, "--as", "alice.admin",
                         "--password-stdin", stdin=f"{ADMIN_PW}\n{auditor_pw}\n")
    assert code == 0, err
    code, out, err = run("log", "verify", "--vault", v, "--as", "ann.auditor", "--password-stdin", stdin=f"{auditor_pw}\n")
    assert code == 3 and "does not hold the log verification key" in err
    code, out, err = run("log", "grant", "--auditor", "ann.auditor", "--vault", v, "--password-stdin",
                         stdin=f"{recovery}\n")
    assert code == 0 and "The log verification key was sealed to ann.auditor" in out, err
    fingerprint = init_out.split("fingerprint: ")[1].split(" ")[0]
    code, out, err = run("log", "verify", "--vault", v, "--as", "ann.auditor", "--password-stdin", stdin=f"{auditor_pw}\n")
    assert code == 0 and out.startswith("Intact:"), err
    assert f"Verification key {fingerprint}" in out  # the same key the recovery code was given at init
    code, out, err = run("log", "grant", "--auditor", "ann.auditor", "--vault", v, "--password-stdin",
                         stdin=f"{recovery}\n")
    assert code == 0 and "already holds a pinned log verification key" in out, err
