"""The administrator's backup reminder: the vault's setting, capped by the workstation's policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.machine_policy import MachinePolicy
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS

ACC = {a.role: a for a in DEMO_ACCOUNTS}
ADMIN = ACC[Role.ADMIN]


def test_a_vault_never_backed_up_reminds_its_administrator_and_nobody_else(demo_app: App) -> None:
    ws = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    assert demo_app.backup.last_backup(ws) is None
    assert demo_app.backup.reminder(ws) == ("This vault has never been backed up (this vault asks for one every 7 "
                                            "days). Back up now: Vault › Back up…")
    demo_app.auth.sign_out(ws)
    for role in (Role.OFFICER, Role.SPOC, Role.AUDITOR, Role.PARTNER):
        other = demo_app.auth.sign_in(ACC[role].username, ACC[role].password)
        assert demo_app.backup.reminder(other) is None
        demo_app.auth.sign_out(other)


def test_the_reminder_comes_back_when_the_days_have_passed(demo_app: App, clock: ManualClock, tmp_path: Path) -> None:
    ws = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    made = demo_app.backup.backup(ws, tmp_path / "b.gvmbak")
    last = demo_app.backup.last_backup(ws)
    assert last is not None and last.backup_id == made.manifest.backup_id
    assert demo_app.backup.reminder(ws) is None
    clock.advance(timedelta(days=6, hours=23))
    assert demo_app.backup.reminder(ws) is None
    clock.advance(timedelta(days=5, hours=1))
    assert demo_app.backup.reminder(ws) == ("No backup for 12 days (this vault asks for one every 7 days). "
                                            "Back up now: Vault › Back up…")
    demo_app.settings.change(ws, "backup_reminder_days", 0)
    assert demo_app.backup.reminder(ws) is None
    demo_app.auth.sign_out(ws)


def test_the_workstations_policy_wins_when_stricter(demo_app: App, make_app: Callable[..., App], clock: ManualClock,
                                                    tmp_path: Path) -> None:
    strict = make_app(demo_app.vault_dir, machine_policy=MachinePolicy(backup_reminder_days=3, source="test policy"))
    ws = strict.auth.sign_in(ADMIN.username, ADMIN.password)
    strict.backup.backup(ws, tmp_path / "b.gvmbak")
    assert strict.settings.value(ws, "backup_reminder_days") == 3
    with pytest.raises(ValidationError, match="cannot be 0 \\(off\\): fixed at 3 at most by this workstation's policy"):
        strict.settings.change(ws, "backup_reminder_days", 0)
    with pytest.raises(ValidationError, match="cannot be more than 3"):
        strict.settings.change(ws, "backup_reminder_days", 10)
    strict.settings.change(ws, "backup_reminder_days", 2)
    assert strict.settings.value(ws, "backup_reminder_days") == 2
    clock.advance(timedelta(days=2))
    assert strict.backup.reminder(ws) is not None
    strict.auth.sign_out(ws)
