"""Focus flags from the dated events under the policy, and what a rationale must be (issue 11, item 7)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.review import (
    REUSED_RATIONALE_PEOPLE,
    FocusFlag,
    PersonFacts,
    Recommendation,
    check_rationale,
    ever_harm_scored,
    focus_flags,
    green_throughout,
    rationale_key,
    reused_rationales,
)
from gvm_desktop.core.scoring import ScoringEvent, default_policy, score

POLICY = default_policy()  # violent offence 10 (<= 365 days) then 5 (<= 1095); weapons offence 8 then 4; Amber from 15
APPROVED = date(2025, 6, 1)
TODAY = date(2026, 11, 2)


def event(n: int, kind: str, on: date) -> ScoringEvent:
    return ScoringEvent(n, kind, on)


def facts(**kw: object) -> PersonFacts:
    base: dict[str, object] = dict(age=25, harm_score=0, harm_band="Green", ever_harm_scored=False,
                                   green_throughout=True, corroborated=True, in_custody=False)
    base.update(kw)
    return PersonFacts(**base)  # type: ignore[arg-type]


# -- never scored: harm only ------------------------------------------------------------------------------------------

def test_a_victim_with_no_harm_event_was_never_scored() -> None:
    victim_only = [event(1, "victimisation", TODAY - timedelta(days=30)), event(2, "victimisation", date(2024, 1, 5)),
                   event(3, "gang_association", TODAY - timedelta(days=20))]
    assert score(victim_only, TODAY, POLICY).victim > 0  # a victim score, and nothing else
    assert not ever_harm_scored(victim_only, POLICY, TODAY)
    assert FocusFlag.NEVER_SCORED in focus_flags(facts(ever_harm_scored=False))


def test_an_old_harm_event_that_no_longer_counts_was_still_a_harm_score() -> None:
    long_ago = [event(1, "weapons_access", date(2019, 3, 1)), event(2, "victimisation", TODAY)]
    assert score(long_ago, TODAY, POLICY).harm == 0  # zero harm today...
    assert ever_harm_scored(long_ago, POLICY, TODAY)  # ...but not never scored
    assert FocusFlag.NEVER_SCORED not in focus_flags(facts(ever_harm_scored=True))
    assert not ever_harm_scored(long_ago, POLICY, date(2019, 2, 28))  # judged on a day before it happened


# -- Green for their entire time on the matrix ------------------------------------------------------------------------

def test_green_throughout_means_green_on_every_day_since_approval() -> None:
    # Always below Amber (15): 8 at most, from a weapons offence that has since fallen to 4.
    always_green = [event(1, "weapons_offence", date(2025, 9, 1)), event(2, "victimisation", date(2025, 10, 1))]
    assert green_throughout(always_green, POLICY, APPROVED, TODAY)
    assert FocusFlag.GREEN_THROUGHOUT in focus_flags(facts(green_throughout=True, ever_harm_scored=True))
    assert FocusFlag.GREEN_THROUGHOUT not in focus_flags(facts(green_throughout=False, ever_harm_scored=True))
    # Nobody with no harm event at all is ever anything but Green.
    assert green_throughout([event(1, "victimisation", date(2025, 9, 1))], POLICY, APPROVED, TODAY)


def test_amber_once_since_approval_is_not_green_throughout_though_green_today() -> None:
    # 10 + 8 = 18 (Amber) from 2025-09-01 to 2026-09-01 (365 days old still counts in full), then 5 + 4 = 9.
    amber_last_year = [event(1, "violent_offence", date(2025, 9, 1)), event(2, "weapons_offence", date(2025, 9, 1))]
    assert score(amber_last_year, TODAY, POLICY).harm_band.value == "Green"
    assert score(amber_last_year, date(2026, 9, 1), POLICY).harm_band.value == "Amber"
    assert score(amber_last_year, date(2026, 9, 2), POLICY).harm_band.value == "Green"
    assert not green_throughout(amber_last_year, POLICY, APPROVED, TODAY)
    # Approved on its last Amber day: on the matrix while Amber, if only for a day.
    assert not green_throughout(amber_last_year, POLICY, date(2026, 9, 1), TODAY)
    assert green_throughout(amber_last_year, POLICY, date(2026, 9, 2), TODAY)  # approved after it fell


def test_amber_only_before_approval_does_not_count() -> None:
    # Amber in 2023 (two events together), long fallen to Green before the 2025 approval.
    before = [event(1, "violent_offence", date(2023, 1, 10)), event(2, "weapons_offence", date(2023, 1, 10))]
    assert score(before, APPROVED, POLICY).harm_band.value == "Green"
    assert green_throughout(before, POLICY, APPROVED, TODAY)
    # An Amber score carried into the approval day counts: the day of approval is on the matrix.
    carried = [event(1, "violent_offence", date(2025, 5, 1)), event(2, "weapons_offence", date(2025, 5, 1))]
    assert not green_throughout(carried, POLICY, APPROVED, date(2025, 6, 1))


def test_green_throughout_agrees_with_scoring_every_single_day() -> None:
    """The turning-day shortcut against the slow truth: the band on each day of the period, one by one."""
    histories = [
        [event(1, "violent_offence", date(2025, 7, 1)), event(2, "weapons_access", date(2025, 12, 1))],
        [event(1, "violent_offence", date(2024, 8, 1)), event(2, "violent_offence", date(2025, 6, 20))],
        [event(1, "weapons_offence", date(2025, 6, 2)), event(2, "weapons_offence", date(2026, 6, 1)),
         event(3, "victimisation", date(2026, 1, 1))],
        [event(1, "weapons_access", date(2025, 8, 1)), event(2, "weapons_access", date(2025, 8, 2))],
    ]
    for history in histories:
        days = (APPROVED + timedelta(days=n) for n in range((TODAY - APPROVED).days + 1))
        truth = all(score(history, d, POLICY).harm_band.value == "Green" for d in days)
        assert green_throughout(history, POLICY, APPROVED, TODAY) is truth, history
    assert {green_throughout(h, POLICY, APPROVED, TODAY) for h in histories} == {True, False}  # both answers tested


# -- a rationale is a reason, about this person --------------------------------------------------------------------------

FLAGS = (FocusFlag.GREEN_BAND, FocusFlag.ZERO_HARM, FocusFlag.NEVER_SCORED, FocusFlag.GREEN_THROUGHOUT,
         FocusFlag.UNDER_18)


@pytest.mark.parametrize("text", [
    "Retain: never scored, aged 18, green band, zero harm.",
    "Green band and zero harm score considered; under 18 and never scored, green throughout; retained after review.",
    "NEVER SCORED / GREEN / UNDER-18 / ZERO HARM — noted, retain",
])
def test_a_retain_rationale_that_only_restates_the_flags_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match=r"only restates the focus flags is not a reason: say why this person"):
        check_rationale(Recommendation.RETAIN, text, FLAGS)


def test_a_retain_rationale_with_a_reason_of_its_own_is_accepted() -> None:
    text = ("Green band and never scored, but under 18 and seen carrying a knife with the group in October; "
            "zero harm only because nothing was charged.")
    assert check_rationale(Recommendation.RETAIN, text, FLAGS) == text
    # A removal may rest on the flags alone: they are what MOPAC says to remove for.
    assert check_rationale(Recommendation.REMOVE, "Never scored, green band, zero harm.", FLAGS)


# -- one rationale for many people ------------------------------------------------------------------------------------

def test_the_same_words_in_another_case_punctuation_spacing_or_order_are_the_same_rationale() -> None:
    same = ["Still active with the group; seen at two stops.", "still ACTIVE with the group seen at two stops",
            "  Still active, with the group -- seen at two stops!!", "Seen at two stops, still active with the group."]
    assert len({rationale_key(t) for t in same}) == 1
    assert rationale_key("Still active with the group; seen at three stops.") != rationale_key(same[0])
    assert rationale_key("Still active with the group; seen at two stops. Still active.") != rationale_key(same[0])


def test_three_people_with_one_rationale_are_a_reused_group_two_are_not() -> None:
    assert REUSED_RATIONALE_PEOPLE == 3
    given = [("SYN-00003", "Still active with the group; seen at two stops."),
             ("SYN-00001", "still active with the group, seen at two stops"),
             ("SYN-00002", "STILL ACTIVE WITH THE GROUP — SEEN AT TWO STOPS."),
             ("SYN-00004", "Arrested with a bladed article in September; two reports since."),
             ("SYN-00005", "Arrested with a bladed article in September, two reports since"),
             ("SYN-00006", ""), ("SYN-00007", ""), ("SYN-00008", "")]
    groups = reused_rationales(given)
    assert len(groups) == 1
    assert groups[0].refs == ("SYN-00001", "SYN-00002", "SYN-00003")
    assert groups[0].text == "still active with the group, seen at two stops"  # as the first reference wrote it
    assert groups[0].sentence == "The same rationale was given for 3 people: SYN-00001, SYN-00002, SYN-00003."
