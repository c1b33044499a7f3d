"""Harm (as offender) and risk (as victim) scores from dated events, under a versioned policy.

The two scores are never added together: a person's classification (offender,
victim, both, neither) is always shown beside them, so a victim is never read
as a perpetrator from a single number.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Any

from gvm_desktop.core.errors import ValidationError


class Band(StrEnum):
    RED = "Red"
    AMBER = "Amber"
    GREEN = "Green"


class Classification(StrEnum):
    OFFENDER = "offender"
    VICTIM = "victim"
    BOTH = "offender and victim"
    NEITHER = "no scored events"


@dataclass(frozen=True)
class Window:
    within_days: int
    weight: int


@dataclass(frozen=True)
class EventRule:
    kind: str
    label: str
    side: str  # "harm" or "victim"
    windows: tuple[Window, ...]

    def points(self, age_days: int) -> int:
        for window in self.windows:
            if age_days <= window.within_days:
                return window.weight
        return 0


@dataclass(frozen=True)
class Thresholds:
    red: int
    amber: int

    def band(self, score: int) -> Band:
        if score >= self.red:
            return Band.RED
        if score >= self.amber:
            return Band.AMBER
        return Band.GREEN


@dataclass(frozen=True)
class ScoringPolicy:
    version: str
    description: str
    rules: Mapping[str, EventRule]
    harm_bands: Thresholds
    victim_bands: Thresholds
    corroboration_sources: int = 2
    corroboration_window_days: int = 730


@dataclass(frozen=True)
class ScoringEvent:
    """One dated thing that happened, as the scorer sees it (no names)."""

    event_id: int
    kind: str
    on: date


@dataclass(frozen=True)
class Contribution:
    event_id: int
    kind: str
    on: date
    side: str
    points: int


@dataclass(frozen=True)
class ScoreCard:
    harm: int
    victim: int
    harm_band: Band
    victim_band: Band
    classification: Classification
    policy_version: str
    computed_on: date
    contributions: tuple[Contribution, ...]

    @property
    def zero_harm(self) -> bool:
        return self.harm == 0


def _fail(what: str) -> ValidationError:
    return ValidationError(f"Scoring policy: {what}.")


def _windows(kind: str, raw: Any) -> tuple[Window, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(f"'{kind}' needs a non-empty list of windows")
    out: list[Window] = []
    for w in raw:
        try:
            days, weight = int(w["within_days"]), int(w["weight"])
        except (KeyError, TypeError, ValueError):
            raise _fail(f"each window of '{kind}' needs whole numbers within_days and weight") from None
        if days <= 0 or weight < 0:
            raise _fail(f"'{kind}' has a window with days <= 0 or a negative weight")
        if out and days <= out[-1].within_days:
            raise _fail(f"the windows of '{kind}' must be in increasing order of days")
        out.append(Window(days, weight))
    return tuple(out)


def _thresholds(side: str, raw: Any) -> Thresholds:
    try:
        red, amber = int(raw["red"]), int(raw["amber"])
    except (KeyError, TypeError, ValueError):
        raise _fail(f"bands.{side} needs whole numbers red and amber") from None
    if not 0 < amber < red:
        raise _fail(f"bands.{side} needs 0 < amber < red")
    return Thresholds(red, amber)


def parse_policy(text: str) -> ScoringPolicy:
    """Read and check a policy; a malformed one is refused with the reason, never half-used."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(f"not valid TOML ({exc})") from None
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip():
        raise _fail("a non-empty 'version' is required")
    rules: dict[str, EventRule] = {}
    for side in ("harm", "victim"):
        table = raw.get(side)
        if not isinstance(table, dict) or not table:
            raise _fail(f"a [{side}.<event type>] table is required")
        for kind, spec in table.items():
            if kind in rules:
                raise _fail(f"'{kind}' is scored on both sides")
            if not isinstance(spec, dict):
                raise _fail(f"'{side}.{kind}' must be a table")
            rules[kind] = EventRule(kind, str(spec.get("label", kind)), side, _windows(kind, spec.get("windows")))
    bands = raw.get("bands", {})
    corroboration = raw.get("corroboration", {})
    try:
        sources = int(corroboration.get("min_sources", 2))
        window = int(corroboration.get("window_days", 730))
    except (TypeError, ValueError, AttributeError):
        raise _fail("corroboration needs whole numbers min_sources and window_days") from None
    if sources < 2 or window <= 0:
        raise _fail("corroboration needs min_sources >= 2 and window_days > 0")
    return ScoringPolicy(
        version=version.strip(),
        description=str(raw.get("description", "")),
        rules=MappingProxyType(rules),
        harm_bands=_thresholds("harm", bands.get("harm")),
        victim_bands=_thresholds("victim", bands.get("victim")),
        corroboration_sources=sources,
        corroboration_window_days=window,
    )


def default_policy() -> ScoringPolicy:
    text = resources.files("gvm_desktop.resources").joinpath("scoring_policy.toml").read_text("utf-8")
    return parse_policy(text)


def score(events: Iterable[ScoringEvent], on: date, policy: ScoringPolicy) -> ScoreCard:
    """Both scores as of `on`. Events after `on`, or of kinds the policy does not score, count nothing."""
    contributions: list[Contribution] = []
    totals = {"harm": 0, "victim": 0}
    for event in events:
        rule = policy.rules.get(event.kind)
        age = (on - event.on).days
        if rule is None or age < 0:
            continue
        points = rule.points(age)
        if points:
            totals[rule.side] += points
            contributions.append(Contribution(event.event_id, event.kind, event.on, rule.side, points))
    harm, victim = totals["harm"], totals["victim"]
    if harm and victim:
        classification = Classification.BOTH
    elif harm:
        classification = Classification.OFFENDER
    elif victim:
        classification = Classification.VICTIM
    else:
        classification = Classification.NEITHER
    return ScoreCard(
        harm=harm, victim=victim, harm_band=policy.harm_bands.band(harm), victim_band=policy.victim_bands.band(victim),
        classification=classification, policy_version=policy.version, computed_on=on,
        contributions=tuple(sorted(contributions, key=lambda c: (c.on, c.event_id))),
    )
