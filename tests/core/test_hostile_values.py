"""Hostile values refused by the pure rules, each with one specific sentence (issue 10)."""

from __future__ import annotations

from datetime import date

import pytest

from gvm_desktop.core.dates import EARLIEST, check_date, latest, parse_month
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.passwords import check_display_name, check_password, check_username
from gvm_desktop.core.text import clean

TODAY = date(2026, 11, 2)
# Overrides and embeddings, isolates, and the marks: each can move the text beside it on screen.
REORDERING = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
INVISIBLE = [0x200B, 0x2060, 0xFEFF, 0x00AD, 0xE0041]


@pytest.mark.parametrize("cp", REORDERING, ids=lambda cp: f"U+{cp:04X}")
def test_usernames_refuse_reordering_controls_by_code_point(cp: int) -> None:
    with pytest.raises(ValidationError) as caught:
        check_username(f"eve{chr(cp)}admin")
    message = caught.value.message
    assert message.startswith(f"A username may not contain U+{cp:04X} (")
    assert message.endswith("it can reorder the text around it in the access log.")


@pytest.mark.parametrize("cp", REORDERING, ids=lambda cp: f"U+{cp:04X}")
def test_display_names_refuse_reordering_controls_by_code_point(cp: int) -> None:
    with pytest.raises(ValidationError) as caught:
        check_display_name(f"Eve {chr(cp)}Admin (synthetic)")
    message = caught.value.message
    assert message.startswith(f"A display name may not contain U+{cp:04X} (")
    assert message.endswith("it can reorder the text around it in the access log.")


@pytest.mark.parametrize("cp", INVISIBLE, ids=lambda cp: f"U+{cp:04X}")
def test_display_names_refuse_invisible_characters(cp: int) -> None:
    with pytest.raises(ValidationError) as caught:
        check_display_name(f"Eve{chr(cp)} Admin")
    assert caught.value.message.startswith(f"A display name may not contain U+{cp:04X} (")
    assert "invisible" in caught.value.message


def test_display_names_keep_right_to_left_letters_and_joiners() -> None:
    # Arabic, Hebrew, and Persian with its zero-width non-joiner: letters, not controls.
    for name in ("يوسف الحكيم", "נועה כהן", "زهرا\u200cزاده", "  Alice Admin (synthetic) "):
        assert check_display_name(name) == name.strip()


def test_display_names_keep_their_other_rules() -> None:
    with pytest.raises(ValidationError, match=r"^A display name is required\.$"):
        check_display_name("   ")
    with pytest.raises(ValidationError, match="at most 80 characters"):
        check_display_name("x" * 81)
    for ch in ("\x07", "\x7f", "\x85"):  # C0, DEL and C1 controls alike
        with pytest.raises(ValidationError, match="control characters"):
            check_display_name(f"Eve{ch}Admin")


def test_a_persons_name_on_the_matrix_may_still_be_right_to_left() -> None:
    assert clean("فاطمة", "The given name", limit=100) == "فاطمة"


def test_a_username_with_ordinary_bad_characters_keeps_its_message() -> None:
    with pytest.raises(ValidationError, match="3 to 32 characters"):
        check_username("eve admin")


def test_a_password_may_not_contain_nul() -> None:
    with pytest.raises(ValidationError) as caught:
        check_password("copper-kettle\x00orbit-91", "alice.admin")
    assert caught.value.message == "The password may not contain a NUL character."
    check_password("copper-kettle-orbit-91", "alice.admin")  # the same without it passes


def test_dates_typed_by_people_stay_between_1900_and_ten_years_ahead() -> None:
    assert date(1900, 1, 1) == EARLIEST
    assert latest(TODAY) == date(2036, 11, 2)
    assert latest(date(2028, 2, 29)) == date(2038, 2, 28)  # a leap day ten years on does not exist
    assert check_date(EARLIEST, "The completion date", TODAY) == EARLIEST
    assert check_date(date(2036, 11, 2), "The expiry date", TODAY) == date(2036, 11, 2)
    for bad in (date(1899, 12, 31), date(1, 1, 1), date(2036, 11, 3), date(9999, 12, 31)):
        with pytest.raises(ValidationError) as caught:
            check_date(bad, "The expiry date", TODAY)
        assert caught.value.message == f"The expiry date must be from 1900-01-01 to 2036-11-02 (got {bad.isoformat()})."


def test_months_parse_strictly_and_stay_in_range() -> None:
    november = parse_month("2026-11", TODAY)
    assert (november.first, november.last, str(november)) == (date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    assert parse_month("2026-12", TODAY).last == date(2026, 12, 31)
    assert parse_month("1900-01", TODAY).first == EARLIEST
    assert parse_month("2036-11", TODAY).last == date(2036, 11, 30)
    for bad in ("9999-12", "1899-12", "2036-12", "0000-01"):
        with pytest.raises(ValidationError) as caught:
            parse_month(bad, TODAY)
        assert caught.value.message == f"The month must be from 1900-01 to 2036-11 (got {bad})."
    for bad in ("2026-13", "2026-00", "2026-1", "2026-W45", "2026-11-01", "", "26-11", "２０２６-11"):
        with pytest.raises(ValidationError) as caught:
            parse_month(bad, TODAY)
        assert caught.value.message == f"A month is YYYY-MM (got '{bad}')."


@pytest.mark.parametrize("ch", ["\u3164", "\u115f", "\u2800", "\u034f", "\ufe0f"])
def test_default_ignorable_characters_are_refused_in_account_names_too(ch: str) -> None:
    from gvm_desktop.core.passwords import check_username

    with pytest.raises(ValidationError, match="invisible"):
        check_username(f"eve{ch}admin")
