"""A person's name with an invisible or reordering character is refused: it would make a held person look new to
the duplicate check (the reviewer's bypass: "Quill\u200bbrook" imported beside "Quillbrook") and look like
another name on screen. The joiners Persian and Indic names need still pass."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.people import NominalDraft, validate_draft

TODAY = date(2026, 11, 30)
PERSON = NominalDraft("Tamsin", "Quillbrook", date(2004, 5, 6), "F", "W1", "N", "1 Fictive Row", "ZZ1 1AA",
                      "Hackney", "CE")


@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\u2060", "\ufeff", "\u202e", "\u2066", "\u200f"])
@pytest.mark.parametrize("field", ["given_name", "family_name"])
def test_a_hidden_character_in_a_name_is_refused(hidden: str, field: str) -> None:
    name = getattr(PERSON, field)
    with pytest.raises(ValidationError, match=f"may not contain U\\+{ord(hidden):04X}"):
        validate_draft(replace(PERSON, **{field: name[:3] + hidden + name[3:]}), today=TODAY)


def test_a_hidden_character_in_an_alias_is_refused() -> None:
    with pytest.raises(ValidationError, match="An alias may not contain"):
        validate_draft(replace(PERSON, aliases=("T\u200bQ",)), today=TODAY)


def test_joiners_and_right_to_left_names_pass() -> None:
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a ZWNJ inside, as Persian writes it
    assert validate_draft(replace(PERSON, given_name=persian), today=TODAY).given_name == persian
    assert validate_draft(replace(PERSON, family_name="\u05db\u05d4\u05df"), today=TODAY).family_name == "\u05db\u05d4\u05df"
