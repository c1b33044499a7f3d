"""A justification is words someone can read: two real words at least, in any script, and not filler."""

from __future__ import annotations

import pytest

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.justification import MIN_TEXT, Justification


@pytest.mark.parametrize("junk", [
    "xxxxxxxxxx",  # the example
    "xxxxx xxxxx",
    "XXXXXxxxxx!!",
    "ab ab ab ab ab",
    "asdasdasdasd",  # a short pattern, even when it does not end on a whole repeat:
    "asdasdasda",
    "check check",
    "Welfare check. Welfare check.",
    "测试测试测试测试测试",  # Chinese ideographs count as words, so a repeat must still be caught
    "1234512345",
])
def test_one_character_or_pattern_repeated_is_refused(junk: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Justification.make("other", junk)
    message = refused.value.message
    assert message.startswith("Write at least two words saying why you need this record")
    assert "not one character or pattern repeated" in message and "e.g. " in message
    assert junk not in message  # what was typed is not echoed


@pytest.mark.parametrize("few", [
    "Safeguarding",  # one word
    "Safeguarding!!",
    "2026-11-02 09:00",  # digits and punctuation only
    "x y z a b c d",  # letters, but no word of two
    "xx yy zz aa bb",  # a word is not one letter repeated
    "OP-12345 / 678 x",
])
def test_fewer_than_two_real_words_is_refused_saying_what_is_expected(few: str) -> None:
    assert len(few) >= MIN_TEXT
    with pytest.raises(ValidationError) as refused:
        Justification.make("safeguarding", few)
    assert refused.value.message == ('Write at least two words saying why you need this record, e.g. "checking their '
                                     'address before a home visit".')


@pytest.mark.parametrize(("sound", "junk"), [
    ("Welfare check after a referral", "Welfare Welfare Welfare"),
    ("Op 123 check now", "Op 123 Op 123 Op 123"),  # digits sit between words
    ("Проверка адреса перед визитом", "аааааааааааа"),  # Cyrillic
    ("التحقق من العنوان قبل الزيارة", "ممممممممممم"),  # Arabic, with its own spacing
    ("هذا للتحقق من سلامته", "من من من من من"),
    ("कारण: पते की जाँच करना", "कककककककककक"),  # Devanagari: vowel signs belong to their letters
    ("地址確認のため訪問前", "測測測測測測測測測測"),  # Chinese and Japanese have no spaces: each ideograph or kana is a word
    ("訪問の前に住所を確認します。", "確認確認確認確認確認"),
    ("방문 전에 주소를 확인합니다", "확인 확인 확인 확인"),  # Korean is written with spaces
    ("Zoë's welfare visit", "ëëëëëëëëëë"),  # accents
])
def test_real_words_in_any_script_are_accepted_and_filler_in_it_is_not(sound: str, junk: str) -> None:
    assert Justification.make("safeguarding", sound).text == sound
    with pytest.raises(ValidationError, match=r"^Write at least two words"):
        Justification.make("safeguarding", junk)


def test_the_ten_character_minimum_is_kept_and_said_first_then_words_are_asked_for() -> None:
    with pytest.raises(ValidationError, match=f"^Say why in at least {MIN_TEXT} characters.$"):
        Justification.make("other", "xxxxxxx")
    with pytest.raises(ValidationError, match=f"at least {MIN_TEXT} characters"):
        Justification.make("other", "他人の記録")  # five words, but five characters
    with pytest.raises(ValidationError, match=r"^Write at least two words"):
        Justification.make("other", "x" * MIN_TEXT)


@pytest.mark.parametrize("filler", [
    "asdfghjkl qwertyuiop",  # a run of neighbouring keys along one row
    "fjfjfjfj dkdkdkdk",  # one pair of keys repeated
    "qwerty asdfgh",
    "poiuyt lkjhgf",  # runs go either way
    "zxcvbnm asdfjkl",  # or several runs
    "hahahaha dkdk!!",
])
def test_keyboard_filler_is_not_words(filler: str) -> None:
    with pytest.raises(ValidationError, match=r"^Write at least two words"):
        Justification.make("other", filler)


@pytest.mark.parametrize("sound", [
    "Typewriter ribbon found at the property",  # "typewriter" is all top-row keys, but no run of neighbours
    "Checking the address after a referral",
    "Visit to mama and papa at home",  # a pair repeated, four letters with a vowel: real words
    "Welfare check; asdfgh typed by mistake",  # filler beside two real words does not hide them
])
def test_real_words_that_look_like_keyboard_runs_are_accepted(sound: str) -> None:
    assert Justification.make("other", sound).text == sound


def test_invisible_padding_and_punctuation_do_not_reach_the_ten_characters() -> None:
    with pytest.raises(ValidationError, match=f"^Say why in at least {MIN_TEXT} characters.$"):
        Justification.make("other", "\u200d" * 10 + "ab cd")  # a joiner is allowed, but counts for nothing
    with pytest.raises(ValidationError, match=f"^Say why in at least {MIN_TEXT} characters.$"):
        Justification.make("other", "ab, cd!!!!!!!!")


@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\u2060", "\ufeff", "\u202e", "\u2066", "\U000e0041"])
def test_an_invisible_format_character_is_refused_saying_which(hidden: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Justification.make("other", f"Welfare visit{hidden} planned for this week")
    assert refused.value.message == (f"The justification contains an invisible character (U+{ord(hidden):04X}): "
                                     "type the reason as plain words.")
    with pytest.raises(ValidationError, match="invisible character"):
        Justification.make("other", hidden * 10 + "ab cd")  # invisible padding is refused outright


def test_the_joiners_and_marks_real_writing_needs_are_accepted() -> None:
    persian = "می\u200cخواهم آدرس را پیش از بازدید بررسی کنم"  # ZWNJ is part of Persian spelling
    assert Justification.make("other", persian).text == persian
    mixed = "بررسی آدرس \u200fOp DEMO/26\u200f قبل از بازدید"  # right-to-left marks around a Latin reference
    assert Justification.make("other", mixed).text == mixed


@pytest.mark.parametrize("hidden", ["\u034f", "\ufe00", "\u3164", "\u115f", "\u2800", "\uffa0", "\U000e0100"])
def test_a_default_ignorable_character_outside_category_cf_is_refused_too(hidden: str) -> None:
    # The Unicode Default_Ignorable_Code_Point set (and the Braille blank) shows as nothing, whatever its category.
    with pytest.raises(ValidationError) as refused:
        Justification.make("other", f"Welfare visit{hidden} planned for this week")
    assert refused.value.message == (f"The justification contains an invisible character (U+{ord(hidden):04X}): "
                                     "type the reason as plain words.")


def test_an_emoji_presentation_selector_is_accepted_but_not_after_a_letter() -> None:
    warned = "\u26a0\ufe0f Welfare concern raised by the school"  # ⚠️: the selector belongs to the symbol
    assert Justification.make("other", warned).text == warned
    with pytest.raises(ValidationError, match=r"invisible character \(U\+FE0F\)"):
        Justification.make("other", "Welfare\ufe0f concern raised by the school")
