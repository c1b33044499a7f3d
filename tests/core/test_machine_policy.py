"""The workstation policy's parsing: every key checked, and a wrong one named."""

from __future__ import annotations

import pytest

from gvm_desktop.core.machine_policy import NO_POLICY, MachinePolicy, MachinePolicyError, parse_machine_policy


def test_an_empty_policy_fixes_nothing() -> None:
    policy = parse_machine_policy({})
    assert policy == NO_POLICY
    assert policy.capped_idle_lock(25) == 25
    assert not policy.forbids_unencrypted_exports


def test_every_key_is_read() -> None:
    policy = parse_machine_policy({
        "max_idle_lock_minutes": 5, "unencrypted_exports": False, "device_binding_required": True,
        "min_pdf_password_score": 4, "backup_reminder_days": 7,
    }, "/etc/gvm-desktop/policy.toml")
    assert policy == MachinePolicy(5, False, True, 4, 7, "/etc/gvm-desktop/policy.toml")
    assert policy.capped_idle_lock(25) == 5 and policy.capped_idle_lock(3) == 3
    assert policy.forbids_unencrypted_exports
    assert policy.why() == "this workstation's policy (/etc/gvm-desktop/policy.toml)"


def test_allowing_unencrypted_exports_forbids_nothing() -> None:
    assert not parse_machine_policy({"unencrypted_exports": True}).forbids_unencrypted_exports


def test_an_unknown_key_is_named() -> None:
    with pytest.raises(MachinePolicyError, match="unknown key 'max_idle_minutes'"):
        parse_machine_policy({"max_idle_minutes": 5})


@pytest.mark.parametrize(("key", "value", "says"), [
    ("max_idle_lock_minutes", 0, "from 1 to 30"),
    ("max_idle_lock_minutes", 31, "from 1 to 30"),
    ("max_idle_lock_minutes", "5", "whole number"),
    ("max_idle_lock_minutes", True, "whole number"),
    ("max_idle_lock_minutes", 5.0, "whole number"),
    ("min_pdf_password_score", 2, "from 3 to 4"),
    ("min_pdf_password_score", 5, "from 3 to 4"),
    ("backup_reminder_days", 0, "from 1 to 365"),
    ("unencrypted_exports", 0, "true or false"),
    ("device_binding_required", "yes", "true or false"),
])
def test_a_bad_value_is_refused_naming_its_key(key: str, value: object, says: str) -> None:
    with pytest.raises(MachinePolicyError, match=f"'{key}'.*{says}"):
        parse_machine_policy({key: value})
