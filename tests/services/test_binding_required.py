"""A workstation whose policy requires device binding opens no unbound vault: not at creation, nor at sign-in.

A vault made unbound before the policy arrived (or copied in from elsewhere) used to open: the policy was checked only
when a vault was created. The sign-in, the unlock and the read-only open (`log verify`) now refuse it, after the
password (so a stranger learns nothing), with a sentence naming the policy; the refused sign-in is in the vault's log.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.errors import AuthenticationError, PermissionDenied
from gvm_desktop.core.machine_policy import NO_POLICY
from gvm_desktop.core.policy import Role
from gvm_desktop.services.machine_policy import load_machine_policy
from tests.support.vault_access import conn_of

ADMIN, ADMIN_PW = "alice.admin", "correct-horse-battery-staple-77"


@pytest.fixture
def binding_policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text("device_binding_required = true\n", encoding="utf-8")
    return path


def _unbound_vault(make_app: Callable[..., App], folder: Path) -> None:
    """Made before the workstation's policy required binding."""
    app = make_app(folder, machine_policy=NO_POLICY)
    created = app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW, bind=False)
    assert not created.bound
    app.auth.sign_out(created.workspace)


def _refusals(make_app: Callable[..., App], folder: Path) -> list[tuple[str, str, str]]:
    """The refused openings in the vault's log, read where no policy stands in the way."""
    app = make_app(folder, machine_policy=NO_POLICY)
    ws = app.auth.sign_in(ADMIN, ADMIN_PW)
    try:
        rows = conn_of(ws).execute("SELECT action, username, detail FROM access_log WHERE outcome = 'refused' "
                                   "ORDER BY seq").fetchall()
    finally:
        app.auth.sign_out(ws)
    return [tuple(r) for r in rows]


def test_an_unbound_vault_is_refused_at_sign_in_and_the_refusal_logged(
        tmp_path: Path, make_app: Callable[..., App], binding_policy: Path) -> None:
    folder = tmp_path / "vault"
    _unbound_vault(make_app, folder)
    app = make_app(folder, machine_policy=load_machine_policy(binding_policy))
    with pytest.raises(PermissionDenied, match=f"not bound to this workstation.*policy \\({binding_policy}\\)") as err:
        app.auth.sign_in(ADMIN, ADMIN_PW)
    assert "bind it with the recovery code: gvm-desktop bind" in err.value.message  # says what cures it
    assert err.value.exit_code == 3
    logged = _refusals(make_app, folder)
    assert [(action, user) for action, user, _detail in logged] == [("auth.sign_in", ADMIN)]
    assert "not bound to this workstation" in logged[0][2] and str(binding_policy) in logged[0][2]


def test_after_gvm_desktop_bind_the_next_sign_in_is_admitted(
        tmp_path: Path, make_app: Callable[..., App], binding_policy: Path) -> None:
    """The cure the refusal names: the recovery code binds the vault, the sign-in binds the account, then admits it."""
    folder = tmp_path / "vault"
    loose = make_app(folder, machine_policy=NO_POLICY)
    created = loose.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW, bind=False)
    loose.auth.sign_out(created.workspace)
    app = make_app(folder, machine_policy=load_machine_policy(binding_policy))
    with pytest.raises(PermissionDenied, match="gvm-desktop bind"):
        app.auth.sign_in(ADMIN, ADMIN_PW)
    app.bind(created.recovery_code)
    ws = app.auth.sign_in(ADMIN, ADMIN_PW)
    app.auth.lock(ws)
    app.auth.unlock(ws, ADMIN_PW)
    app.auth.sign_out(ws)
    vault, _session = app.auth.open_read_only(ADMIN, ADMIN_PW)
    vault.close()
    assert [action for action, _u, _d in _refusals(make_app, folder)] == ["auth.sign_in"]  # the one before binding


def test_a_wrong_password_is_still_only_a_wrong_password(
        tmp_path: Path, make_app: Callable[..., App], binding_policy: Path) -> None:
    """Checked after the password: without it, nobody learns how the vault is kept."""
    folder = tmp_path / "vault"
    _unbound_vault(make_app, folder)
    app = make_app(folder, machine_policy=load_machine_policy(binding_policy))
    with pytest.raises(AuthenticationError, match="username or password is wrong"):
        app.auth.sign_in(ADMIN, "not-the-password-at-all-42")


def test_the_read_only_open_and_the_unlock_refuse_it_too(
        tmp_path: Path, make_app: Callable[..., App], binding_policy: Path) -> None:
    folder = tmp_path / "vault"
    _unbound_vault(make_app, folder)
    strict = make_app(folder, machine_policy=load_machine_policy(binding_policy))
    with pytest.raises(PermissionDenied, match="not bound to this workstation"):
        strict.auth.open_read_only(ADMIN, ADMIN_PW)
    # A session opened before the policy (another process's, here another App's), locked, then unlocked under it.
    loose = make_app(folder, machine_policy=NO_POLICY)
    ws = loose.auth.sign_in(ADMIN, ADMIN_PW)
    loose.auth.lock(ws)
    with pytest.raises(PermissionDenied, match="not bound to this workstation"):
        strict.auth.unlock(ws, ADMIN_PW)
    assert ws.locked  # no open vault, no key left behind
    loose.auth.unlock(ws, ADMIN_PW)
    loose.auth.sign_out(ws)
    assert [action for action, _u, _d in _refusals(make_app, folder)] == ["auth.unlock"]


def test_a_bound_vault_opens_under_the_policy(tmp_path: Path, make_app: Callable[..., App],
                                              binding_policy: Path) -> None:
    app = make_app(tmp_path / "vault", machine_policy=load_machine_policy(binding_policy))
    created = app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW)
    assert created.bound
    app.auth.sign_out(created.workspace)
    ws = app.auth.sign_in(ADMIN, ADMIN_PW)
    app.auth.lock(ws)
    app.auth.unlock(ws, ADMIN_PW)
    app.auth.sign_out(ws)
    vault, _session = app.auth.open_read_only(ADMIN, ADMIN_PW)
    vault.close()


def test_a_demo_vault_opens_under_the_policy(tmp_path: Path, _demo_template: Path, make_app: Callable[..., App],
                                             binding_policy: Path) -> None:
    """Its passwords are published with it: binding would protect nothing, and refusing it would stop the training
    a BCU does on its managed workstations."""
    shutil.copytree(_demo_template, tmp_path / "demo-vault")
    app = make_app(tmp_path / "demo-vault", machine_policy=load_machine_policy(binding_policy))
    spoc = next(a for a in DEMO_ACCOUNTS if a.role is Role.SPOC)
    app.auth.sign_out(app.auth.sign_in(spoc.username, spoc.password))
