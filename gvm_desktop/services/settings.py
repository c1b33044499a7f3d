"""Vault-wide security settings (typed in core/settings.py, stored in the vault)."""

from __future__ import annotations

from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES, SETTINGS, IntSetting
from gvm_desktop.services.context import Workspace
from gvm_desktop.store.protocols import Unit


def _setting(key: str) -> IntSetting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise ValidationError(f"Unknown setting '{key[:40]}': one of {', '.join(sorted(SETTINGS))}.") from None


class SettingsService:
    def value(self, ws: Workspace, key: str) -> int:
        """Any signed-in user may read a setting: the session needs them to behave."""
        with ws.operation(None, Action.SETTINGS_CHANGE, writes=False) as op:
            return self.value_in(op.store, key)

    def value_in(self, store: Unit, key: str) -> int:
        """A setting read inside a use case already under way (its transaction, its lock)."""
        setting = _setting(key)
        raw = store.meta.get_setting(key)
        return setting.default if raw is None else setting.parse(raw)

    def idle_lock_minutes(self, ws: Workspace) -> int:
        return self.value(ws, IDLE_LOCK_MINUTES.key)

    def change(self, ws: Workspace, key: str, value: str | int) -> int:
        with ws.operation(Permission.SETTINGS_MANAGE, Action.SETTINGS_CHANGE) as op:
            setting = _setting(key)
            parsed = setting.parse(value)
            old = self.value(ws, key)
            op.store.meta.set_setting(key, str(parsed), to_iso(op.env.clock.now()), op.session.user_id)
            op.log(detail=f"{key}: {old} -> {parsed}")
        return parsed
