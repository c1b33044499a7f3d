"""Issue 14, item 9: every access-log action has plain words on screen ("Opened a record", not record.open)."""

from __future__ import annotations

from gvm_desktop.core.audit import Action
from gvm_desktop.core.labels import ACTION_LABELS, action_label


def test_every_action_has_a_label_in_plain_words() -> None:
    assert set(ACTION_LABELS) == {a.value for a in Action}
    for action in Action:
        label = action_label(action.value)
        assert label != action.value and "." not in label and "_" not in label and label[0].isupper(), action
    assert len(set(ACTION_LABELS.values())) == len(ACTION_LABELS)  # no two actions read alike


def test_an_unknown_code_from_an_old_entry_reads_as_itself() -> None:
    assert action_label("matrix.retired_action") == "matrix.retired_action"
    assert action_label(None) == "-"


def test_a_count_of_people_reads_as_english() -> None:
    from gvm_desktop.core.labels import people_text

    assert [people_text(n) for n in (0, 1, 2, 1200)] == ["0 people", "1 person", "2 people", "1,200 people"]
