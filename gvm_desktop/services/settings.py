"""Vault-wide security settings (typed in core/settings.py, stored in the vault).

The workstation's machine policy (core/machine_policy.py) sits above them: the idle lock in effect is the
vault's value or the policy's maximum, whichever is shorter, and the vault's value cannot be set above it.
The backup reminder likewise: at most the policy's days apart, and not off (0) where the policy sets it.
"""

from __future__ import annotations

from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.machine_policy import MachinePolicy
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.settings import BACKUP_REMINDER_DAYS, IDLE_LOCK_MINUTES, SETTINGS, IntSetting
from gvm_desktop.services.context import Workspace
from gvm_desktop.store.protocols import Unit


def _setting(key: str) -> IntSetting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise ValidationError(f"Unknown setting '{key[:40]}': one of {', '.join(sorted(SETTINGS))}.") from None


def _capped(key: str, value: int, fixed: int | None) -> int:
    """`value` as the policy lets it stand: at most `fixed`; for the reminder, 0 (off) is the loosest of all."""
    if fixed is None:
        return value
    if key == BACKUP_REMINDER_DAYS.key and value == 0:
        return fixed
    return min(value, fixed)


class SettingsService:
    def value(self, ws: Workspace, key: str) -> int:
        """Any signed-in user may read a setting, as it is in effect: the session needs them to behave."""
        with ws.operation(None, Action.SETTINGS_CHANGE, writes=False) as op:
            stored = self.value_in(op.store, key)
        return _capped(key, stored, self.fixed_maximum(ws, key))

    def fixed_maximum(self, ws: Workspace, key: str) -> int | None:
        """The most the workstation's policy allows for `key`, if it fixes one (None: the vault's bounds only)."""
        _setting(key)
        policy = ws.env.machine_policy
        if key == IDLE_LOCK_MINUTES.key:
            return policy.max_idle_lock_minutes
        if key == BACKUP_REMINDER_DAYS.key:
            return policy.backup_reminder_days
        return None

    def machine_policy(self, ws: Workspace) -> MachinePolicy:
        """The workstation's policy this session runs under, for a window that shows what it fixes (the services
        enforce it; showing it needs no permission)."""
        return ws.env.machine_policy

    def fixed_because(self, ws: Workspace) -> str:
        """Whose rule fixes a setting, for the sentence that shows it fixed: the policy and where it is written."""
        return ws.env.machine_policy.why()

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
            fixed = self.fixed_maximum(ws, key)
            if fixed is not None and _capped(key, parsed, fixed) != parsed:
                raise op.refuse(ValidationError(
                    f"{key} cannot be {'0 (off)' if parsed == 0 else 'more than ' + str(fixed)}: "
                    f"fixed{' at ' + str(fixed) + ' at most' if parsed == 0 else ''} by {self.fixed_because(ws)}."))
            old = self.value(ws, key)
            op.store.meta.set_setting(key, str(parsed), to_iso(op.env.clock.now()), op.session.user_id)
            op.log(detail=f"{key}: {old} -> {parsed}")
        return parsed
