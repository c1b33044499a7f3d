"""clean() and fold() take shortcuts for the usual text (printable, ASCII): the same answer as the full path, always.

Both run on every person's name, address and summary (an import calls them tens of thousands of times), so
they were made faster; the originals are kept here, verbatim, and compared with the shipped ones over
arbitrary Unicode text, including surrogates, controls, combining marks and every kind of space.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from gvm_desktop.core import text as shipped
from gvm_desktop.core.errors import ValidationError


def reference_clean(value: str | None, field: str, *, limit: int, required: bool = True,
                    multiline: bool = False) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if required and not text:
        raise ValidationError(f"{field} is required.")
    if len(text) > limit:
        raise ValidationError(f"{field} is {len(text):,} characters long; the limit is {limit:,}.")
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise ValidationError(f"{field} contains a control character.")
    return text


def reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _outcome(clean: Callable[..., str], value: str | None, limit: int, required: bool,
             multiline: bool) -> tuple[str, str]:
    try:
        return "text", clean(value, "The field", limit=limit, required=required, multiline=multiline)
    except ValidationError as exc:
        return "refused", exc.message


# Any code point (surrogates too: a str can hold them), with the characters the shortcuts turn on drawn often.
_ANY = st.characters(exclude_categories=())
_EDGES = st.sampled_from(["\t", "\n", "\r", "\x00", "\x1f", " ", "\x7f", "\x80", "\x85", "\x9f", "\xa0", "\u2028",
                          "\u3000", "\u200b", "\ufeff", "\u0301", "\u0308", "e", "E", "\u00df", "\u0130", "\ufb01",
                          "\u212b", "\u1e9e", "\U0001d400", "\ud800", "\udcff"])
# Printable text that NFC or NFKD still changes (combining marks, singletons, ligatures): the shortcuts must not
# mistake printable for already normalised.
_PRINTABLE = st.characters(categories=["L", "M", "N", "P", "S"]) | st.sampled_from(
    ["e", "A", " ", "\u0301", "\u0308", "\u0327", "\u212b", "\u2126", "\ufb01", "\u00df", "\u1e9e", "\u0130"])
TEXTS = st.text(st.one_of(_ANY, _EDGES, st.characters(max_codepoint=0x7F)), max_size=40) | st.text(_PRINTABLE,
                                                                                                   max_size=20)


@settings(max_examples=3000, deadline=None)
@given(TEXTS | st.none(), st.integers(min_value=0, max_value=45), st.booleans(), st.booleans())
def test_clean_gives_what_the_full_path_gives(value: str | None, limit: int, required: bool, multiline: bool) -> None:
    assert _outcome(shipped.clean, value, limit, required, multiline) == _outcome(
        reference_clean, value, limit, required, multiline)


@settings(max_examples=3000, deadline=None)
@given(TEXTS)
def test_fold_gives_what_the_full_path_gives(text: str) -> None:
    assert shipped.fold(text) == reference_fold(text)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=0x7F), max_size=60), st.booleans())
def test_plain_ascii_takes_the_same_way_through(text: str, multiline: bool) -> None:
    assert _outcome(shipped.clean, text, 60, True, multiline) == _outcome(reference_clean, text, 60, True, multiline)
    assert shipped.fold(text) == reference_fold(text)


def test_the_control_classes_are_exactly_unicodes_control_characters() -> None:
    # Over every code point, not a sample: the classes replace a per-character category lookup.
    for cp in range(0x110000):
        ch = chr(cp)
        control = unicodedata.category(ch) == "Cc"
        assert bool(shipped._CONTROL.match(ch)) == control, hex(cp)
        assert bool(shipped._CONTROL_BUT_LINES.match(ch)) == (control and ch not in "\n\t"), hex(cp)
        if control:
            assert not ch.isprintable(), hex(cp)  # clean() skips the search for printable text


def test_every_ascii_character_folds_as_the_full_path_folds_it() -> None:
    every = "".join(chr(cp) for cp in range(0x80))
    assert shipped.fold(every) == reference_fold(every)
    for cp in range(0x80):
        assert shipped.fold(chr(cp)) == reference_fold(chr(cp))
