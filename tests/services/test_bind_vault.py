"""Binding an existing vault to this workstation with the recovery code (`gvm-desktop bind`).

The recovery code marks the slot file bound and makes this workstation's device secret; nobody knows the accounts'
passwords then, so each account's slot is bound at its holder's next sign-in here, before the workstation's policy is
asked. A bound slot keeps its key pair, version, keys and pins: only the wrap of its private key changes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail

from gvm_desktop.app import App
from gvm_desktop.core.errors import AuthenticationError, GvmError, PermissionDenied, VaultError
from gvm_desktop.core.machine_policy import NO_POLICY
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.machine_policy import load_machine_policy
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import conn_of, vault_of

ADMIN, ADMIN_PW = "alice.admin", "correct-horse-battery-staple-77"
AUDITOR, AUDITOR_PW = "carol.auditor", "granite-lantern-meadow-42"
NEW_PW = "fresh-mango-telescope-58"


@pytest.fixture
def strict(tmp_path: Path, make_app: Callable[..., App]) -> Callable[[Path], App]:
    """An App on a workstation whose policy requires bound vaults."""
    path = tmp_path / "policy.toml"
    path.write_text("device_binding_required = true\n", encoding="utf-8")
    policy = load_machine_policy(path)
    return lambda folder: make_app(folder, machine_policy=policy)


def _unbound_vault(make_app: Callable[..., App], folder: Path, *, auditor: bool = True) -> tuple[App, str]:
    """A vault made unbound (before the policy), with an auditor who holds the log's verification key."""
    app = make_app(folder, machine_policy=NO_POLICY)
    created = app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW, bind=False)
    assert not created.bound
    if auditor:  # added by the creator's session, which holds k[0]: the auditor's slot is born pinned
        app.accounts.add(created.workspace, username=AUDITOR, display_name="Carol Auditor (synthetic)",
                         role=Role.AUDITOR, bcu=None, password=AUDITOR_PW)
    app.auth.sign_out(created.workspace)
    return app, created.recovery_code


def _slot_file(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "keyslots.json").read_text()))


def _slots(folder: Path) -> dict[int, dict[str, Any]]:
    return {s["user_id"] if s["kind"] == "user" else -1: s for s in _slot_file(folder)["slots"]}


def _binds(ws: Workspace) -> list[tuple[str | None, str | None, str]]:
    rows = conn_of(ws).execute("SELECT username, record_ref, detail FROM access_log WHERE action = 'vault.bind' "
                               "ORDER BY seq").fetchall()
    return [tuple(r) for r in rows]


def _user_id(folder: Path, index: int) -> int:
    """The index-th account's id, in the order the accounts were made (the administrator first)."""
    return sorted(uid for uid in _slots(folder) if uid > 0)[index]


def test_binding_marks_the_vault_makes_the_secret_and_logs_it(
        tmp_path: Path, make_app: Callable[..., App], memory_keyring: MemoryKeyring) -> None:
    folder = tmp_path / "vault"
    app, code = _unbound_vault(make_app, folder)
    assert not memory_keyring.store and app.binding_needed() and not app.bound_here()
    before = _slots(folder)

    done = app.bind(code)

    assert not done.already and done.at_next_sign_in == 2 and done.bound_elsewhere == 0
    assert _slot_file(folder)["device_binding"] is True and app.bound_here() and not app.binding_needed()
    assert list(memory_keyring.store) == [("gvm-desktop", f"device-secret:{_slot_file(folder)['vault_id']}")]
    # Nothing is bound yet: the recovery slot never is, and the accounts' slots wait for their passwords.
    assert _slots(folder) == before
    ws = app.auth.sign_in(AUDITOR, AUDITOR_PW)
    try:
        assert app.audit.verify(ws).intact
        logged = _binds(ws)
    finally:
        app.auth.sign_out(ws)
    assert logged[0][:2] == (None, None)  # the recovery code's act, no account's
    assert "with the recovery code; 2 account(s) bound at their next sign-in here" in logged[0][2]
    assert logged[1][:2] == (AUDITOR, f"user:{_user_id(folder, 1)}")
    assert _slots(folder)[-1] == before[-1] and not _slots(folder)[-1]["device_bound"]
    # The read-only `log verify`, with the auditor's pin now under the bound wrap, still opens and checks.
    assert app.audit.verify_vault(AUDITOR, AUDITOR_PW).intact


def test_the_next_sign_in_binds_the_slot_and_the_policy_admits_it(
        tmp_path: Path, make_app: Callable[..., App], strict: Callable[[Path], App]) -> None:
    folder = tmp_path / "vault"
    app, code = _unbound_vault(make_app, folder, auditor=False)
    admin_id = _user_id(folder, 0)
    with pytest.raises(PermissionDenied, match="gvm-desktop bind"):
        strict(folder).auth.sign_in(ADMIN, ADMIN_PW)
    app.auth.sign_out(app.auth.sign_in(ADMIN, ADMIN_PW))  # where no policy stands in the way: the keys are pinned
    app.bind(code)
    before = _slots(folder)[admin_id]
    assert not before["device_bound"] and before["key_pins"]

    ws = strict(folder).auth.sign_in(ADMIN, ADMIN_PW)  # admitted: bound before the policy was asked
    signing_key = vault_of(ws).signing_wrap_key(admin_id, ADMIN_PW)
    strict(folder).auth.sign_out(ws)

    after = _slots(folder)[admin_id]
    assert after["device_bound"]
    # The same slot, wrapped again: key pair, version, keys and pins kept, so the database's record still matches.
    kept = ("public", "version", "locator", "sealed", "compartments", "key_pins", "kdf")
    assert {k: after.get(k) for k in kept} == {k: before.get(k) for k in kept}
    assert after["wrapped_private"] != before["wrapped_private"]
    ws = strict(folder).auth.sign_in(ADMIN, ADMIN_PW)
    try:
        assert vault_of(ws).signing_wrap_key(admin_id, ADMIN_PW) == signing_key  # the signing key survives
        assert [(user, ref) for user, ref, _detail in _binds(ws)] == [(None, None), (ADMIN, f"user:{admin_id}")]
    finally:
        strict(folder).auth.sign_out(ws)


def test_a_bound_slot_opens_only_here_and_the_recovery_code_anywhere(
        tmp_path: Path, make_app: Callable[..., App]) -> None:
    folder = tmp_path / "vault"
    app, code = _unbound_vault(make_app, folder, auditor=False)
    app.bind(code)
    app.auth.sign_out(app.auth.sign_in(ADMIN, ADMIN_PW))  # binds the administrator's slot

    moved = tmp_path / "new-workstation"
    shutil.copytree(folder, moved)
    elsewhere = make_app(moved, keyring_backend=MemoryKeyring())
    with pytest.raises(VaultError, match="recovery code"):
        elsewhere.auth.sign_in(ADMIN, ADMIN_PW)
    elsewhere.recover(code, ADMIN, NEW_PW)  # the recovery slot was never bound
    elsewhere.auth.sign_out(elsewhere.auth.sign_in(ADMIN, NEW_PW))
    app.auth.sign_out(app.auth.sign_in(ADMIN, ADMIN_PW))  # the first workstation's copy is untouched


def test_a_wrong_code_binds_nothing(tmp_path: Path, make_app: Callable[..., App],
                                    memory_keyring: MemoryKeyring) -> None:
    folder = tmp_path / "vault"
    app, _code = _unbound_vault(make_app, folder, auditor=False)
    before = (folder / "keyslots.json").read_bytes()
    with pytest.raises(AuthenticationError, match="recovery code is wrong") as err:
        app.bind("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
    assert err.value.exit_code == 3
    assert (folder / "keyslots.json").read_bytes() == before and not memory_keyring.store


def test_no_credential_store_means_no_binding(tmp_path: Path, make_app: Callable[..., App]) -> None:
    app = make_app(tmp_path / "vault", keyring_backend=fail.Keyring())
    created = app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW)
    assert not created.bound
    app.auth.sign_out(created.workspace)
    with pytest.raises(GvmError, match="impossible on this workstation: no OS credential store") as err:
        app.binding_needed()
    assert err.value.exit_code == 1 and "\n" not in err.value.message
    with pytest.raises(GvmError, match="no OS credential store"):
        app.bind(created.recovery_code)
    assert _slot_file(tmp_path / "vault")["device_binding"] is False


def test_a_vault_bound_here_already_is_left_as_it_is(tmp_path: Path, make_app: Callable[..., App]) -> None:
    app = make_app(tmp_path / "vault")
    created = app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW)
    app.auth.sign_out(created.workspace)
    before = app.paths.keyslots.read_bytes()
    assert not app.binding_needed()
    assert app.bind(created.recovery_code).already
    assert app.paths.keyslots.read_bytes() == before


def test_a_vault_bound_to_another_workstation_is_bound_here_instead(
        tmp_path: Path, make_app: Callable[..., App]) -> None:
    """Its folder moved here: the accounts bound there need new passwords here, and the command says how many."""
    first = make_app(tmp_path / "vault")
    created = first.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW)
    first.auth.sign_out(created.workspace)
    shutil.copytree(tmp_path / "vault", tmp_path / "moved")
    here = make_app(tmp_path / "moved", keyring_backend=MemoryKeyring())
    assert here.binding_needed()
    done = here.bind(created.recovery_code)
    assert not done.already and done.bound_elsewhere == 1 and done.at_next_sign_in == 0
    here.recover(created.recovery_code, ADMIN, NEW_PW)
    ws = here.auth.sign_in(ADMIN, NEW_PW)
    try:
        assert "it was bound to another workstation, where 1 account(s) stay bound" in _binds(ws)[0][2]
    finally:
        here.auth.sign_out(ws)


def test_failed_sign_ins_before_the_binding_one_keep_their_order_and_the_chain(
        tmp_path: Path, make_app: Callable[..., App], clock: Any) -> None:
    from datetime import timedelta

    folder = tmp_path / "vault"
    app, code = _unbound_vault(make_app, folder)
    app.bind(code)
    with pytest.raises(AuthenticationError):
        app.auth.sign_in(ADMIN, "not-the-password-at-all-42")
    clock.advance(timedelta(minutes=1))
    app.auth.sign_out(app.auth.sign_in(ADMIN, ADMIN_PW))
    ws = app.auth.sign_in(AUDITOR, AUDITOR_PW)
    try:
        rows = conn_of(ws).execute("SELECT action, username, detail FROM access_log WHERE username = ? "
                                   "ORDER BY seq", (ADMIN,)).fetchall()
        assert app.audit.verify(ws).intact
    finally:
        app.auth.sign_out(ws)
    actions = [r[0] for r in rows]
    failed = actions.index("auth.sign_in_failed")
    assert actions[failed:failed + 3] == ["auth.sign_in_failed", "vault.bind", "auth.sign_in"]
    assert "recorded as at" not in rows[failed][2]  # the failure keeps its own time


def test_an_unlock_binds_a_session_opened_before_the_binding(
        tmp_path: Path, make_app: Callable[..., App], strict: Callable[[Path], App]) -> None:
    folder = tmp_path / "vault"
    app, code = _unbound_vault(make_app, folder, auditor=False)
    ws = app.auth.sign_in(ADMIN, ADMIN_PW)
    app.auth.lock(ws)
    app.bind(code)
    strict(folder).auth.unlock(ws, ADMIN_PW)
    try:
        assert not ws.locked and _slots(folder)[ws.session.user_id]["device_bound"]
        assert [user for user, _ref, _detail in _binds(ws)] == [None, ADMIN]
    finally:
        app.auth.sign_out(ws)


def test_the_read_only_open_asks_for_one_sign_in_first(
        tmp_path: Path, make_app: Callable[..., App], strict: Callable[[Path], App]) -> None:
    """`log verify` writes no file, so it cannot bind the auditor's slot: it says what will."""
    folder = tmp_path / "vault"
    app, code = _unbound_vault(make_app, folder)
    app.bind(code)
    with pytest.raises(PermissionDenied, match="sign in once"):
        strict(folder).auth.open_read_only(AUDITOR, AUDITOR_PW)
    strict(folder).auth.sign_out(strict(folder).auth.sign_in(AUDITOR, AUDITOR_PW))
    vault, _session = strict(folder).auth.open_read_only(AUDITOR, AUDITOR_PW)
    vault.close()


def test_a_sign_in_refused_after_binding_still_logs_the_binding(
        tmp_path: Path, make_app: Callable[..., App]) -> None:
    folder = tmp_path / "vault"
    app, code = _unbound_vault(make_app, folder, auditor=False)
    app.bind(code)

    def closed(_ws: Workspace) -> None:
        raise PermissionDenied("closed for the test")

    app.auth.admission_checks.append(closed)
    with pytest.raises(PermissionDenied, match="closed for the test"):
        app.auth.sign_in(ADMIN, ADMIN_PW)
    app.auth.admission_checks.remove(closed)
    assert _slots(folder)[_user_id(folder, 0)]["device_bound"]
    ws = app.auth.sign_in(ADMIN, ADMIN_PW)
    try:
        assert [user for user, _ref, _detail in _binds(ws)] == [None, ADMIN]  # once: this sign-in bound nothing
    finally:
        app.auth.sign_out(ws)
