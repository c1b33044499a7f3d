from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.scoring import Band, Classification, ScoringEvent, default_policy, parse_policy, score

TODAY = date(2026, 11, 2)
POLICY = default_policy()


def ev(i: int, kind: str, days_ago: int) -> ScoringEvent:
    return ScoringEvent(i, kind, TODAY - timedelta(days=days_ago))


def test_policy_file_is_versioned_and_complete() -> None:
    assert POLICY.version == "2026.1"
    assert set(POLICY.rules) == {"violent_offence", "weapons_offence", "weapons_access", "victimisation"}
    assert POLICY.corroboration_sources == 2


def test_recent_events_weigh_more_and_old_ones_stop_counting() -> None:
    assert score([ev(1, "violent_offence", 10)], TODAY, POLICY).harm == 10
    assert score([ev(1, "violent_offence", 366)], TODAY, POLICY).harm == 5
    assert score([ev(1, "violent_offence", 1095)], TODAY, POLICY).harm == 5
    assert score([ev(1, "violent_offence", 1096)], TODAY, POLICY).harm == 0


def test_a_score_falls_to_zero_as_time_passes() -> None:
    events = [ev(1, "weapons_offence", 0), ev(2, "violent_offence", 0)]
    now = score(events, TODAY, POLICY)
    later = score(events, TODAY + timedelta(days=1096), POLICY)
    assert now.harm == 18 and later.harm == 0
    assert later.zero_harm and later.harm_band is Band.GREEN and later.contributions == ()


def test_victim_and_offender_scores_are_separate_and_classified() -> None:
    victim = score([ev(1, "victimisation", 5)], TODAY, POLICY)
    assert (victim.harm, victim.victim, victim.classification) == (0, 10, Classification.VICTIM)
    both = score([ev(1, "victimisation", 5), ev(2, "weapons_access", 5)], TODAY, POLICY)
    assert both.classification is Classification.BOTH and (both.harm, both.victim) == (3, 10)
    assert score([], TODAY, POLICY).classification is Classification.NEITHER


def test_bands_from_thresholds() -> None:
    four_violent = [ev(i, "violent_offence", 30) for i in range(4)]
    assert score(four_violent, TODAY, POLICY).harm_band is Band.RED
    assert score(four_violent[:2], TODAY, POLICY).harm_band is Band.AMBER
    assert score(four_violent[:1], TODAY, POLICY).harm_band is Band.GREEN


def test_future_and_unscored_events_count_nothing() -> None:
    card = score([ev(1, "violent_offence", -5), ev(2, "gang_association", 1)], TODAY, POLICY)
    assert card.harm == 0 and card.contributions == ()


def test_contributions_name_the_events_and_policy_version() -> None:
    card = score([ev(7, "violent_offence", 10), ev(3, "victimisation", 400)], TODAY, POLICY)
    assert [(c.event_id, c.points, c.side) for c in card.contributions] == [(3, 5, "victim"), (7, 10, "harm")]
    assert card.policy_version == "2026.1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = ", "not valid TOML"),
        ("[harm.x]\nwindows=[{within_days=1,weight=1}]", "'version' is required"),
        ('version="1"\n[harm.x]\nwindows=[]', "non-empty list of windows"),
        ('version="1"\n[harm.x]\nwindows=[{within_days=10,weight=1},{within_days=5,weight=1}]', "increasing order"),
        ('version="1"\n[harm.x]\nwindows=[{within_days=10,weight=-1}]', "negative weight"),
        ('version="1"\n[harm.x]\nwindows=[{within_days=10,weight=1}]\n[victim.x]\nwindows=[{within_days=10,weight=1}]',
         "scored on both sides"),
        ('version="1"\n[harm.x]\nwindows=[{within_days=10,weight=1}]\n[victim.y]\nwindows=[{within_days=10,weight=1}]\n'
         '[bands.harm]\nred=5\namber=9\n[bands.victim]\nred=9\namber=5', "0 < amber < red"),
    ],
)
def test_a_malformed_policy_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_policy(text)
