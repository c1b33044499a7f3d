from __future__ import annotations

import pytest

from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.passwords import check_password, check_username
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import POLICY, Permission, Role, allows, require, validate_bcu


def test_every_permission_has_a_row_in_the_table() -> None:
    assert set(POLICY) == set(Permission)


def test_admin_cannot_see_the_matrix_separation_of_duties() -> None:
    assert not allows(Role.ADMIN, Permission.MATRIX_VIEW)
    with pytest.raises(PermissionDenied, match="admin role may not see the matrix"):
        require(Role.ADMIN, Permission.MATRIX_VIEW)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SPOC, Role.PARTNER])
def test_bcu_roles_need_a_known_bcu(role: Role) -> None:
    assert validate_bcu(role, "ce", frozenset(BCUS)) == "CE"
    with pytest.raises(ValidationError, match="needs a BCU"):
        validate_bcu(role, None, frozenset(BCUS))
    with pytest.raises(ValidationError, match="Unknown BCU"):
        validate_bcu(role, "ZZ", frozenset(BCUS))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_cross_bcu_roles_take_no_bcu(role: Role) -> None:
    assert validate_bcu(role, None, frozenset(BCUS)) is None
    with pytest.raises(ValidationError, match="takes no BCU"):
        validate_bcu(role, "CE", frozenset(BCUS))


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-1", "too short"),
        ("x" * 257, "too long"),
        ("my-name-is-jo.bloggs-ok", "must not contain the username"),
        ("password12345", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("qwertyuiop1234", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        check_password(password, "jo.bloggs")


def test_a_strong_passphrase_passes() -> None:
    check_password("copper-kettle-orbit-91", "jo.bloggs")


@pytest.mark.parametrize("name", ["a", "9lives", "robert'); drop table users;--", "émile", "x" * 33, "has space"])
def test_bad_usernames_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="A username is 3 to 32 characters"):
        check_username(name)


def test_usernames_are_normalised() -> None:
    assert check_username("  Alice.Admin ") == "alice.admin"


def test_every_role_and_reason_has_its_one_label() -> None:
    """The enums read their words from core/labels.py, the one set the screens and the PDFs share."""
    from gvm_desktop.core import labels
    from gvm_desktop.core.justification import ReasonCategory

    assert set(labels.ROLE_LABELS) == {r.value for r in Role}
    assert set(labels.REASON_LABELS) == {c.value for c in ReasonCategory}
    assert all(r.label == labels.ROLE_LABELS[r.value] for r in Role)
    assert all(c.label == labels.REASON_LABELS[c.value] for c in ReasonCategory)


def test_a_long_passphrase_is_judged_never_a_crash() -> None:
    """zxcvbn refuses input over 72 characters (ValueError): a 73-to-256-character passphrase was an
    "Unexpected error" at every service that checks a password."""
    for length in (72, 73, 100, 256):
        words = ("quarry lantern harbour violet " * 10)[:length]
        check_password(words, "demo.officer")  # long and varied: accepted, not raised on
    with pytest.raises(ValidationError, match="too long"):
        check_password("x" * 257, "demo.officer")
