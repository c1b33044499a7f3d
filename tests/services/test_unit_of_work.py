"""The session is the unit of work: one way in, one transaction per use case, a refusal logged after rollback."""

from __future__ import annotations

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.errors import GvmError, PermissionDenied, SessionLocked, ValidationError
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import unit
from gvm_desktop.store.vault import Vault
from tests.support.vault_access import vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}


def _count(ws: Workspace) -> int:
    return unit.reading(vault_of(ws)).log.count()


def _setting(ws: Workspace) -> str | None:
    return unit.reading(vault_of(ws)).meta.get_setting("idle_lock_minutes")


def test_the_work_and_its_log_entry_commit_together(admin_ws: Workspace) -> None:
    before = _count(admin_ws)
    with admin_ws.operation(Permission.SETTINGS_MANAGE, Action.SETTINGS_CHANGE) as op:
        op.store.meta.set_setting("idle_lock_minutes", "7", "2026-01-01T00:00:00Z", op.session.user_id)
        op.log(detail="idle_lock_minutes: 10 -> 7")
    assert _setting(admin_ws) == "7"
    assert _count(admin_ws) == before + 1


def test_a_failure_midway_leaves_neither_the_work_nor_its_entry(admin_ws: Workspace) -> None:
    before = _count(admin_ws)
    with pytest.raises(ValidationError), \
            admin_ws.operation(Permission.SETTINGS_MANAGE, Action.SETTINGS_CHANGE) as op:
        op.store.meta.set_setting("idle_lock_minutes", "7", "2026-01-01T00:00:00Z", op.session.user_id)
        op.log(detail="idle_lock_minutes: 10 -> 7")
        raise ValidationError("something after the write was wrong")
    assert _setting(admin_ws) is None
    assert _count(admin_ws) == before


def test_a_refusal_inside_the_use_case_rolls_back_then_is_logged_alone(admin_ws: Workspace) -> None:
    before = _count(admin_ws)
    with pytest.raises(PermissionDenied, match="not yours"), \
            admin_ws.operation(Permission.SETTINGS_MANAGE, Action.SETTINGS_CHANGE) as op:
        op.store.meta.set_setting("idle_lock_minutes", "7", "2026-01-01T00:00:00Z", op.session.user_id)
        raise op.refuse(PermissionDenied("not yours"), logged_reason="the true reason, for the auditor")
    assert _setting(admin_ws) is None
    last = unit.reading(vault_of(admin_ws)).log.recent(1)[0]
    assert _count(admin_ws) == before + 1
    assert (last.entry.action, last.entry.outcome, last.entry.detail) == (
        Action.SETTINGS_CHANGE, Outcome.REFUSED, "the true reason, for the auditor")


def test_a_role_without_the_permission_is_refused_and_logged_before_any_work(demo_app: App) -> None:
    ws = demo_app.auth.sign_in(ACC[Role.PARTNER].username, ACC[Role.PARTNER].password)
    before = _count(ws)
    ran = []
    with pytest.raises(PermissionDenied), ws.operation(Permission.SETTINGS_MANAGE, Action.SETTINGS_CHANGE):
        ran.append(True)
    assert ran == []
    last = unit.reading(vault_of(ws)).log.recent(1)[0]
    assert _count(ws) == before + 1 and last.entry.outcome == Outcome.REFUSED


def test_an_operation_inside_another_joins_its_transaction(admin_ws: Workspace) -> None:
    before = _count(admin_ws)
    with pytest.raises(ValidationError), \
            admin_ws.operation(Permission.SETTINGS_MANAGE, Action.SETTINGS_CHANGE) as outer:
        outer.store.meta.set_setting("idle_lock_minutes", "7", "2026-01-01T00:00:00Z", outer.session.user_id)
        with admin_ws.operation(None, Action.DSA_ADD) as inner:
            assert inner.store is outer.store  # the same transaction
            inner.log(detail="logged by the inner use case")
        raise ValidationError("the outer use case fails after the inner one finished")
    assert _setting(admin_ws) is None and _count(admin_ws) == before  # both rolled back together


def test_a_read_cannot_write_the_log(admin_ws: Workspace) -> None:
    with pytest.raises(RuntimeError, match="read-only"), \
            admin_ws.operation(None, Action.SETTINGS_CHANGE, writes=False) as op:
        op.log(detail="not allowed")


def test_a_locked_session_has_no_way_in(admin_ws: Workspace, app: App) -> None:
    app.auth.lock(admin_ws)
    with pytest.raises(SessionLocked), admin_ws.operation(None, Action.SETTINGS_CHANGE, writes=False):
        pass


class _Boom(GvmError):
    pass


@pytest.mark.parametrize("where", ["hook", "admission"])
def test_sign_in_leaves_no_vault_open_when_anything_after_the_unlock_raises(
    demo_app: App, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    opened: list[Vault] = []
    real_open = Vault.open_slot

    def spy(*args: object, **kwargs: object) -> Vault:
        vault = real_open(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(vault)
        return vault

    monkeypatch.setattr(Vault, "open_slot", staticmethod(spy))

    def boom(_ws: Workspace) -> None:
        raise _Boom("a hook failed")

    (demo_app.auth.after_sign_in if where == "hook" else demo_app.auth.admission_checks).append(boom)
    with pytest.raises(_Boom):
        demo_app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    assert len(opened) == 1 and not opened[0].is_open


def test_sign_in_leaves_no_vault_open_when_building_the_session_fails(
    demo_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Vault] = []
    real_open = Vault.open_slot

    def spy(*args: object, **kwargs: object) -> Vault:
        vault = real_open(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(vault)
        return vault

    def interrupted(*_args: object, **_kwargs: object) -> object:
        raise KeyboardInterrupt  # not even an Exception: the vault must still close

    monkeypatch.setattr(Vault, "open_slot", staticmethod(spy))
    monkeypatch.setattr("gvm_desktop.services.auth.Session", interrupted)
    with pytest.raises(KeyboardInterrupt):
        demo_app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    assert len(opened) == 1 and not opened[0].is_open


def test_a_key_rotation_refuses_to_run_inside_a_transaction(admin_ws: Workspace) -> None:
    """SQLCipher would rekey silently inside the transaction; a rollback would then split file and slots."""
    with admin_ws.operation(None, Action.KEY_ROTATE) as op:
        with pytest.raises(RuntimeError, match="inside a transaction"):
            op.vault.revoke_and_rotate(None)
        op.log(detail="nothing rotated")
    with admin_ws.operation(None, Action.KEY_ROTATE, writes=False) as op:
        op.vault.revoke_and_rotate(None)  # as vault work, outside any transaction, it runs
    with admin_ws.operation(None, Action.KEY_ROTATE, writes=False) as op:
        assert op.store.accounts.by_id(op.session.user_id) is not None  # the vault reads on the new key


def test_vault_work_refuses_to_join_a_write(admin_ws: Workspace) -> None:
    """A WAL flush or a VACUUM inside a write would silently do nothing or be undone by a rollback."""
    with admin_ws.operation(None, Action.KEY_ROTATE) as op:
        with pytest.raises(RuntimeError, match="vault work cannot run inside a write"), \
                admin_ws.operation(None, Action.PURGE, writes=False, alone=True):
            pass
        op.log(detail="the write goes on")
    with admin_ws.operation(None, Action.PURGE, writes=False) as outer, \
            admin_ws.operation(None, Action.PURGE, writes=False, alone=True) as inner:
        assert inner.store is outer.store  # inside a read (no transaction) it joins
