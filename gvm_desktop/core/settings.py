"""Typed declarations of the vault-wide security settings.

Each setting says its default, its bounds and what it is for; the GUI and the
CLI read the description for their help text. Values live in the vault, never
in QSettings, so nobody can weaken them by editing a file in the home folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gvm_desktop.core.errors import ValidationError


@dataclass(frozen=True)
class IntSetting:
    key: str
    default: int
    minimum: int
    maximum: int
    description: str

    def parse(self, raw: str | int) -> int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(f"{self.key} takes a whole number from {self.minimum} to {self.maximum}.") from None
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(f"{self.key} must be from {self.minimum} to {self.maximum} (got {value}).")
        return value


IDLE_LOCK_MINUTES = IntSetting(
    "idle_lock_minutes", 10, 1, 30, "Minutes without input before the session locks itself."
)
RETENTION_YEARS = IntSetting(
    "retention_years", 4, 1, 10, "Years an archive record of a removed person is kept before it is purged."
)

AUTO_DISABLE_INACTIVE = IntSetting(
    "auto_disable_inactive", 0, 0, 1,
    "1: accounts with no sign-in for six months are disabled automatically when an administrator signs in; "
    "0: listed only. (Matrix access unused for six months is always withdrawn; the SPOC can restore it.)",
)

BACKUP_REMINDER_DAYS = IntSetting(
    "backup_reminder_days", 7, 0, 365,
    "Days after the last backup before the administrator is reminded, at sign-in, to make one; 0: no reminder "
    "(a workstation's policy that sets one still applies).",
)

SETTINGS: Mapping[str, IntSetting] = MappingProxyType(
    {s.key: s for s in (IDLE_LOCK_MINUTES, RETENTION_YEARS, AUTO_DISABLE_INACTIVE, BACKUP_REMINDER_DAYS)}
)

# Fixed by policy, not settings: relaxing them is not an administrator's call.
LOCKOUT_THRESHOLD = 5
LOCKOUT_MINUTES = 15
