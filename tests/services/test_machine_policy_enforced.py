"""The workstation's policy, read from a file in a temp folder, holds against the vault's own administrator."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.machine_policy import NO_POLICY, MachinePolicyError
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES
from gvm_desktop.reports import pdf_signing
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.machine_policy import POLICY_ENV, load_machine_policy
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
# Meets the account password rule (zxcvbn 3) but not a policy asking 4.
FAIR_PASSWORD = "Summer2026!abc"


def _policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _demo_under_policy(tmp_path: Path, template: Path, make_app: Callable[..., App], policy: Path) -> App:
    shutil.copytree(template, tmp_path / "demo-vault")
    return make_app(tmp_path / "demo-vault", machine_policy=load_machine_policy(policy))


def _sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def test_no_file_means_no_policy(tmp_path: Path) -> None:
    assert load_machine_policy(tmp_path / "absent.toml") == NO_POLICY


def test_a_broken_file_stops_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       make_app: Callable[..., App]) -> None:
    monkeypatch.setenv(POLICY_ENV, str(_policy_file(tmp_path, "max_idle_lock_minutes = [")))
    with pytest.raises(MachinePolicyError, match="not valid TOML"):
        make_app()
    monkeypatch.setenv(POLICY_ENV, str(_policy_file(tmp_path, "max_idle_lock_minutes = 45\n")))
    with pytest.raises(MachinePolicyError, match=r"'max_idle_lock_minutes' must be from 1 to 30.*policy\.toml"):
        make_app()


def test_the_env_var_names_the_policy_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          make_app: Callable[..., App]) -> None:
    path = _policy_file(tmp_path, "max_idle_lock_minutes = 5\n")
    monkeypatch.setenv(POLICY_ENV, str(path))
    assert make_app().env.machine_policy.max_idle_lock_minutes == 5


def test_the_idle_lock_is_capped_and_a_longer_one_refused(tmp_path: Path, make_app: Callable[..., App]) -> None:
    path = _policy_file(tmp_path, "max_idle_lock_minutes = 5\n")
    app = make_app(machine_policy=load_machine_policy(path))
    ws = app.init_vault("alice.admin", "Alice Admin (synthetic)", "correct-horse-battery-staple-77").workspace
    assert app.settings.idle_lock_minutes(ws) == 5  # the vault's default, 10, is above the cap
    assert app.settings.fixed_maximum(ws, IDLE_LOCK_MINUTES.key) == 5
    with pytest.raises(ValidationError, match=f"cannot be more than 5: fixed by this workstation's policy \\({path}\\)"):
        app.settings.change(ws, IDLE_LOCK_MINUTES.key, 6)
    refused = conn_of(ws).execute("SELECT count(*) FROM access_log WHERE outcome = 'refused' "
                                  "AND detail LIKE '%workstation''s policy%'").fetchone()[0]
    assert refused == 1
    assert app.settings.change(ws, IDLE_LOCK_MINUTES.key, 3) == 3
    assert app.settings.idle_lock_minutes(ws) == 3


def test_unencrypted_exports_are_refused_and_logged_under_policy(tmp_path: Path, _demo_template: Path,
                                                                make_app: Callable[..., App]) -> None:
    policy = _policy_file(tmp_path, "unencrypted_exports = false\n")
    app = _demo_under_policy(tmp_path, _demo_template, make_app, policy)
    ws = _sign_in(app, Role.SPOC)  # a role that holds the right: the policy still wins
    out = tmp_path / "plain.pdf"
    with pytest.raises(PermissionDenied, match="forbidden by this workstation's policy"):
        app.reports.export_disproportionality(ws, out, account_password=ACC[Role.SPOC].password,
                                              pdf_password=None, unencrypted=True)
    assert not out.exists()
    refused = conn_of(ws).execute("SELECT count(*) FROM access_log WHERE outcome = 'refused' AND username = ? "
                                  "AND detail LIKE '%workstation''s policy%'", (ACC[Role.SPOC].username,)).fetchone()
    assert refused[0] == 1


def test_a_fair_pdf_password_is_refused_under_a_stricter_minimum(tmp_path: Path) -> None:
    pdf_signing.check_password(FAIR_PASSWORD)  # the product's own rule lets it through
    minimum = load_machine_policy(_policy_file(tmp_path, "min_pdf_password_score = 4\n")).min_pdf_password_score
    with pytest.raises(ValidationError, match="policy asks a stronger PDF password"):
        pdf_signing.check_password(FAIR_PASSWORD, minimum)
    pdf_signing.check_password("galley-mosaic-silver-meadow-brook-beetle", minimum)


def test_device_binding_required_refuses_an_unbound_vault(tmp_path: Path, make_app: Callable[..., App]) -> None:
    app = make_app(machine_policy=load_machine_policy(_policy_file(tmp_path, "device_binding_required = true\n")))
    with pytest.raises(MachinePolicyError, match="Binding the vault to this workstation is required"):
        app.init_vault("alice.admin", "Alice Admin (synthetic)", "correct-horse-battery-staple-77", bind=False)
    assert not app.vault_exists()
    assert app.init_vault("alice.admin", "Alice Admin (synthetic)", "correct-horse-battery-staple-77").bound


def test_an_export_under_a_stricter_minimum_refuses_a_fair_pdf_password(tmp_path: Path, _demo_template: Path,
                                                                       make_app: Callable[..., App]) -> None:
    policy = _policy_file(tmp_path, "min_pdf_password_score = 4\n")
    app = _demo_under_policy(tmp_path, _demo_template, make_app, policy)
    ws = _sign_in(app, Role.SPOC)
    out = tmp_path / "report.pdf"
    with pytest.raises(ValidationError, match="policy asks a stronger PDF password"):
        app.reports.export_disproportionality(ws, out, account_password=ACC[Role.SPOC].password,
                                              pdf_password=FAIR_PASSWORD)
    assert not out.exists()


def test_a_named_policy_file_tightens_the_workstations_never_loosens_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user can set GVM_DESKTOP_POLICY; it must not let them escape /etc/gvm-desktop/policy.toml."""
    from gvm_desktop.services import machine_policy

    system = tmp_path / "etc-policy.toml"
    system.write_text("max_idle_lock_minutes = 5\nunencrypted_exports = false\n", encoding="utf-8")
    monkeypatch.setattr(machine_policy, "LINUX_POLICY_FILE", system)
    looser = _policy_file(tmp_path, "max_idle_lock_minutes = 20\nunencrypted_exports = true\n"
                                    "min_pdf_password_score = 4\n")
    monkeypatch.setenv(machine_policy.POLICY_ENV, str(looser))
    policy = load_machine_policy()
    assert policy.max_idle_lock_minutes == 5 and policy.forbids_unencrypted_exports
    assert policy.min_pdf_password_score == 4  # what the named file adds stands
    assert str(system) in policy.why() and str(looser) in policy.why()


def test_the_settings_a_policy_states_are_said_in_plain_words(tmp_path: Path) -> None:
    """What the administrator's window lists: each key the file states, loosening ones too; nothing for no file."""
    from gvm_desktop.core.machine_policy import fixed_settings

    assert fixed_settings(NO_POLICY) == []
    stated = load_machine_policy(_policy_file(tmp_path, "max_idle_lock_minutes = 1\nunencrypted_exports = true\n"
                                                        "device_binding_required = false\nbackup_reminder_days = 1\n"))
    assert fixed_settings(stated) == [
        "Sessions lock after at most 1 minute without input",
        "Exports without a password are allowed, to the roles that hold that right",
        "Vaults need not be bound to this workstation",
        "A backup at least every day",
    ]


def _load_in_a_child(path: Path) -> str:
    """load_machine_policy(path) in a child capped at 1 GiB and 20 s: a regression hangs or eats memory there,
    and fails here."""
    import resource
    import subprocess
    import sys

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    code = ("import sys, pathlib\nfrom gvm_desktop.services.machine_policy import load_machine_policy\n"
            "try:\n    print(load_machine_policy(pathlib.Path(sys.argv[1])))\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=20,
                          preexec_fn=cap_memory, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "folder"])
def test_a_policy_that_is_not_a_regular_file_stops_the_start_without_hanging(tmp_path: Path, kind: str) -> None:
    import os

    path = tmp_path / "policy.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path(kind)
    said = _load_in_a_child(path)
    assert said.startswith("MachinePolicyError") and str(path) in said and "regular file" in said, said


def test_a_policy_file_too_large_to_be_one_stops_the_start(tmp_path: Path) -> None:
    path = _policy_file(tmp_path, "# padding\n" * 10_000 + "max_idle_lock_minutes = 5\n")
    with pytest.raises(MachinePolicyError, match=f"{path}.*larger than"):
        load_machine_policy(path)
