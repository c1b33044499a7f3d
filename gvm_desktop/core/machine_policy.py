"""The workstation administrator's policy: settings neither users nor the vault's administrator can loosen.

Pure: `parse_machine_policy` checks a mapping (a TOML file's table, or the registry key's values) and
says which key is wrong and why; services/machine_policy.py reads it from the machine. A key left out
fixes nothing, so the vault's own setting applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.settings import IDLE_LOCK_MINUTES

# zxcvbn scores run 0 to 4; below 3 is weaker than the product's own password rule already asks.
MIN_PDF_SCORE_FLOOR = 3
MIN_PDF_SCORE_CEILING = 4
MAX_BACKUP_REMINDER_DAYS = 365


class MachinePolicyError(GvmError):
    """The policy could not be read or is wrong: the application does not start on a policy it cannot honour."""


@dataclass(frozen=True)
class MachinePolicy:
    """None everywhere means the workstation fixes nothing; `source` names where the policy was read."""

    max_idle_lock_minutes: int | None = None
    unencrypted_exports: bool | None = None
    device_binding_required: bool | None = None
    min_pdf_password_score: int | None = None
    backup_reminder_days: int | None = None
    source: str = ""

    @property
    def forbids_unencrypted_exports(self) -> bool:
        return self.unencrypted_exports is False

    def capped_idle_lock(self, minutes: int) -> int:
        return minutes if self.max_idle_lock_minutes is None else min(minutes, self.max_idle_lock_minutes)

    def tightened_by(self, other: MachinePolicy) -> MachinePolicy:
        """Both policies at once: each setting at the stricter of the two. A second policy can add to the
        workstation's, never loosen it."""
        def least(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else min(a, b)

        def most(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else max(a, b)

        def forbidden(a: bool | None, b: bool | None) -> bool | None:
            return False if False in (a, b) else (a if a is not None else b)

        def required(a: bool | None, b: bool | None) -> bool | None:
            return True if True in (a, b) else (a if a is not None else b)

        return MachinePolicy(
            max_idle_lock_minutes=least(self.max_idle_lock_minutes, other.max_idle_lock_minutes),
            unencrypted_exports=forbidden(self.unencrypted_exports, other.unencrypted_exports),
            device_binding_required=required(self.device_binding_required, other.device_binding_required),
            min_pdf_password_score=most(self.min_pdf_password_score, other.min_pdf_password_score),
            backup_reminder_days=least(self.backup_reminder_days, other.backup_reminder_days),
            source=" and ".join(s for s in (self.source, other.source) if s))

    def why(self) -> str:
        """The phrase a refusal or a fixed setting ends with: whose rule it is and where it is written."""
        return f"this workstation's policy ({self.source})" if self.source else "this workstation's policy"


NO_POLICY = MachinePolicy()


def _whole_number(key: str, value: object, low: int, high: int) -> int:
    # bool is an int in Python: `true` for a number of minutes is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise MachinePolicyError(f"Machine policy: '{key}' takes a whole number from {low} to {high}.")
    if not low <= value <= high:
        raise MachinePolicyError(f"Machine policy: '{key}' must be from {low} to {high} (got {value}).")
    return value


def _yes_no(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise MachinePolicyError(f"Machine policy: '{key}' takes true or false.")
    return value


def parse_machine_policy(values: Mapping[str, object], source: str = "") -> MachinePolicy:
    """The policy `values` state, or MachinePolicyError naming the first key that is unknown or wrong."""
    known = ("max_idle_lock_minutes", "unencrypted_exports", "device_binding_required",
             "min_pdf_password_score", "backup_reminder_days")
    unknown = sorted(str(k) for k in values if k not in known)
    if unknown:
        # A misspelt key would otherwise fix nothing while the administrator believes it does.
        raise MachinePolicyError(f"Machine policy: unknown key '{unknown[0][:40]}'; the keys are {', '.join(known)}.")

    def number(key: str, low: int, high: int) -> int | None:
        return None if key not in values else _whole_number(key, values[key], low, high)

    def flag(key: str) -> bool | None:
        return None if key not in values else _yes_no(key, values[key])

    return MachinePolicy(
        max_idle_lock_minutes=number("max_idle_lock_minutes", IDLE_LOCK_MINUTES.minimum, IDLE_LOCK_MINUTES.maximum),
        unencrypted_exports=flag("unencrypted_exports"),
        device_binding_required=flag("device_binding_required"),
        min_pdf_password_score=number("min_pdf_password_score", MIN_PDF_SCORE_FLOOR, MIN_PDF_SCORE_CEILING),
        backup_reminder_days=number("backup_reminder_days", 1, MAX_BACKUP_REMINDER_DAYS),
        source=source,
    )


def fixed_settings(policy: MachinePolicy) -> list[str]:
    """Each setting `policy` states, in plain words, in the order an administrator reads them; empty when it
    states none."""
    lines: list[str] = []
    if policy.max_idle_lock_minutes is not None:
        minutes = policy.max_idle_lock_minutes
        lines.append(f"Sessions lock after at most {minutes} minute{'s' if minutes != 1 else ''} without input")
    if policy.unencrypted_exports is not None:
        lines.append("Exports always need a password" if policy.forbids_unencrypted_exports
                     else "Exports without a password are allowed, to the roles that hold that right")
    if policy.device_binding_required is not None:
        lines.append("Vaults must be bound to this workstation (a demo vault excepted)"
                     if policy.device_binding_required else "Vaults need not be bound to this workstation")
    if policy.min_pdf_password_score is not None:
        lines.append(f"PDF passwords at least strength {policy.min_pdf_password_score} of 4")
    if policy.backup_reminder_days is not None:
        days = policy.backup_reminder_days
        lines.append("A backup at least every day" if days == 1 else f"A backup at least every {days} days")
    return lines
