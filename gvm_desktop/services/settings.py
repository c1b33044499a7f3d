"""Vault-wide security settings (typed in core/settings.py, stored in the vault)."""

from __future__ import annotations

from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES, SETTINGS, IntSetting
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, meta


def _setting(key: str) -> IntSetting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise ValidationError(f"Unknown setting '{key[:40]}': one of {', '.join(sorted(SETTINGS))}.") from None


class SettingsService:
    def value(self, ws: Workspace, key: str) -> int:
        """Any signed-in user may read a setting: the session needs them to behave."""
        setting = _setting(key)
        raw = meta.get_setting(ws.conn, key)
        return setting.default if raw is None else setting.parse(raw)

    def idle_lock_minutes(self, ws: Workspace) -> int:
        return self.value(ws, IDLE_LOCK_MINUTES.key)

    def change(self, ws: Workspace, key: str, value: str | int) -> int:
        ws.authorize(Permission.SETTINGS_MANAGE, Action.SETTINGS_CHANGE)
        setting = _setting(key)
        parsed = setting.parse(value)
        old = self.value(ws, key)
        with ws.write() as conn:
            meta.set_setting(conn, key, str(parsed), to_iso(ws.env.clock.now()), ws.session.user_id)
            access_log.append(conn, ws.entry(Action.SETTINGS_CHANGE, detail=f"{key}: {old} -> {parsed}"))
        return parsed
