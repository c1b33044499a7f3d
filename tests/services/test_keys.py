"""Key slots through the services: password change, revocation with rotation, binding, recovery."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import AuthenticationError, NotFound, ValidationError, VaultCorrupt, VaultError
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database
from tests.conftest import ADMIN, ADMIN_PW
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
ADMIN_D, OFFICER, SPOC = ACC[Role.ADMIN], ACC[Role.OFFICER], ACC[Role.SPOC]
NEW_PW = "fresh-mango-telescope-58"


def _slots(app: App) -> dict[int, dict]:  # type: ignore[type-arg]
    raw = json.loads(app.paths.keyslots.read_text())
    return {s["user_id"] if s["kind"] == "user" else -1: s for s in raw["slots"]}


def test_password_change_rewrites_only_that_users_slot(demo_app: App) -> None:
    before = _slots(demo_app)
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    demo_app.accounts.change_own_password(ws, OFFICER.password, NEW_PW)
    after = _slots(demo_app)
    me = ws.session.user_id
    assert after[me] != before[me] and after[me]["version"] == before[me]["version"] + 1
    assert {k: v for k, v in after.items() if k != me} == {k: v for k, v in before.items() if k != me}
    demo_app.auth.sign_out(ws)
    with pytest.raises(AuthenticationError):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    demo_app.auth.sign_out(demo_app.auth.sign_in(OFFICER.username, NEW_PW))


def test_password_change_checks_the_current_password_and_the_rules(demo_app: App) -> None:
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    with pytest.raises(AuthenticationError):
        demo_app.accounts.change_own_password(ws, "not-my-password-77", NEW_PW)
    with pytest.raises(ValidationError, match="too short"):
        demo_app.accounts.change_own_password(ws, OFFICER.password, "short")
    with pytest.raises(ValidationError, match="differ"):
        demo_app.accounts.change_own_password(ws, OFFICER.password, OFFICER.password)


def _data_key_epoch(app: App) -> int:
    return int(json.loads(app.paths.keyslots.read_text())["key_epoch"])


def test_disable_removes_the_slot_and_rotates_the_data_key(demo_app: App) -> None:
    # What a departing officer could have kept: their own unwrapped data key.
    officer_ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    old_key = bytes(vault_of(officer_ws)._key)
    officer_id = officer_ws.session.user_id
    demo_app.auth.sign_out(officer_ws)
    epoch = _data_key_epoch(demo_app)

    admin = demo_app.auth.sign_in(ADMIN_D.username, ADMIN_D.password)
    disabled = demo_app.accounts.disable(admin, OFFICER.username)
    assert disabled.status == "disabled"
    assert officer_id not in _slots(demo_app)
    assert _data_key_epoch(demo_app) == epoch + 1
    demo_app.auth.sign_out(admin)
    with pytest.raises(VaultCorrupt, match="does not open with this key"):
        database.connect(demo_app.paths.database, old_key)
    # Everybody else still gets in, with the new key sealed to their slot.
    for acct in DEMO_ACCOUNTS:
        if acct is not OFFICER:
            demo_app.auth.sign_out(demo_app.auth.sign_in(acct.username, acct.password))


def test_disable_refuses_self_last_admin_and_unknown(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ADMIN_D.username, ADMIN_D.password)
    with pytest.raises(ValidationError, match="your own account"):
        demo_app.accounts.disable(admin, ADMIN_D.username)
    with pytest.raises(NotFound, match=r"no account 'ghost\.user'"):
        demo_app.accounts.disable(admin, "ghost.user")


@pytest.mark.parametrize("stop_at", ["sealed_next_written", "rekeyed"])
def test_rotation_interrupted_at_any_step_loses_nothing(demo_app: App, make_app: Callable[..., App], stop_at: str) -> None:
    class Crash(Exception):
        pass

    def checkpoint(step: str) -> None:
        if step == stop_at:
            raise Crash(step)

    officer_ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    old_key = bytes(vault_of(officer_ws)._key)
    demo_app.auth.sign_out(officer_ws)
    admin = demo_app.auth.sign_in(ADMIN_D.username, ADMIN_D.password)
    with pytest.raises(Crash):
        demo_app.accounts.disable(admin, OFFICER.username, checkpoint=checkpoint)
    vault_of(admin).close()  # the process dies here
    restarted = make_app(demo_app.vault_dir)
    for acct in DEMO_ACCOUNTS:
        if acct is OFFICER:
            with pytest.raises(AuthenticationError):
                restarted.auth.sign_in(acct.username, acct.password)
        else:
            ws = restarted.auth.sign_in(acct.username, acct.password)
            restarted.auth.sign_out(ws)
    # The next sign-in finished the job: no half-rotation left, and the old key opens nothing.
    assert not any("sealed_next" in s for s in _slots(restarted).values())
    with pytest.raises(VaultCorrupt):
        database.connect(restarted.paths.database, old_key)


def test_device_bound_vault_needs_this_workstations_secret(
    make_app: Callable[..., App], tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    app = make_app()
    created = app.init_vault(ADMIN, "Admin", ADMIN_PW)
    assert created.bound and created.notice is None
    app.auth.sign_out(created.workspace)
    assert memory_keyring.store, "the device secret went to the credential store"
    app.auth.sign_out(app.auth.sign_in(ADMIN, ADMIN_PW))

    # The same files on another workstation (an empty credential store): the password alone fails.
    elsewhere = make_app(app.vault_dir, keyring_backend=MemoryKeyring())
    with pytest.raises(VaultError, match="recovery code"):
        elsewhere.auth.sign_in(ADMIN, ADMIN_PW)
    # The recovery code re-binds the account to the new workstation.
    elsewhere.recover(created.recovery_code.lower().replace("-", " "), ADMIN, NEW_PW)
    elsewhere.auth.sign_out(elsewhere.auth.sign_in(ADMIN, NEW_PW))


def test_a_wrong_recovery_code_opens_nothing(app: App) -> None:
    created = app.init_vault(ADMIN, "Admin", ADMIN_PW)
    app.auth.sign_out(created.workspace)
    with pytest.raises(AuthenticationError):
        app.recover("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", ADMIN, NEW_PW)
    app.auth.sign_out(app.auth.sign_in(ADMIN, ADMIN_PW))


def test_no_credential_store_means_unbound_with_one_clear_line(make_app: Callable[..., App]) -> None:
    from keyring.backends import fail

    app = make_app(keyring_backend=fail.Keyring())
    created = app.init_vault(ADMIN, "Admin", ADMIN_PW)
    assert not created.bound
    assert created.notice and "No OS credential store" in created.notice and "\n" not in created.notice
    app.auth.sign_out(created.workspace)
    app.auth.sign_out(app.auth.sign_in(ADMIN, ADMIN_PW))


def test_init_refuses_to_overwrite_and_weak_admin_password(app: App) -> None:
    with pytest.raises(ValidationError, match="too short"):
        app.init_vault(ADMIN, "Admin", "short")
    assert not app.vault_exists()
    app.auth.sign_out(app.init_vault(ADMIN, "Admin", ADMIN_PW).workspace)
    with pytest.raises(VaultError, match="already exists"):
        app.init_vault(ADMIN, "Admin", ADMIN_PW)


def test_settings_change_is_bounded_and_logged(admin_ws, app: App) -> None:
    assert app.settings.idle_lock_minutes(admin_ws) == 10
    with pytest.raises(ValidationError, match="from 1 to 30"):
        app.settings.change(admin_ws, "idle_lock_minutes", 45)
    assert app.settings.change(admin_ws, "idle_lock_minutes", "20") == 20
    assert app.settings.idle_lock_minutes(admin_ws) == 20
    with pytest.raises(ValidationError, match="Unknown setting"):
        app.settings.change(admin_ws, "'; DROP TABLE settings; --", 1)


def test_add_user_validates_everything_and_half_writes_nothing(admin_ws, app: App) -> None:
    slots_before = app.paths.keyslots.read_bytes()
    bad = [
        dict(username="x", role=Role.OFFICER, bcu="CE"),
        dict(username="ok.name", role=Role.OFFICER, bcu=None),
        dict(username="ok.name", role=Role.AUDITOR, bcu="CE"),
        dict(username="ok.name", role=Role.OFFICER, bcu="CE", display_name="x" * 10_000),
        dict(username="ok.name", role=Role.OFFICER, bcu="CE", password="ok.name-is-my-pass-77"),
        dict(username=ADMIN, role=Role.OFFICER, bcu="CE"),
    ]
    for case in bad:
        kwargs = {"display_name": "Robert'); DROP TABLE users;-- 🙂", "password": NEW_PW, **case}
        with pytest.raises(ValidationError):
            app.accounts.add(admin_ws, **kwargs)  # type: ignore[arg-type]
    assert app.paths.keyslots.read_bytes() == slots_before
    assert [a.username for a in app.accounts.list(admin_ws)] == [ADMIN]
    # A quote, SQL and an emoji in a display name are just text.
    acct = app.accounts.add(admin_ws, username="o.brien", display_name="Seán O'Brien-🙂 '; DROP TABLE users;--",
                            role=Role.OFFICER, bcu="ce", password=NEW_PW)
    assert acct.display_name.startswith("Seán O'Brien") and acct.bcu == "CE"
