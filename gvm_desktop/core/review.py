"""The quarterly review: quarters, focus flags, decisions and the rules a decision must meet.

Every BCU reviews everyone active on its matrix at least once a calendar quarter.
Some people need a closer look (the regulator's and MOPAC's findings: Green-band
and zero-harm people kept for years, people never scored, children): those carry
focus flags, and retaining a flagged person needs a rationale that says why the
flag does not mean removal. The SPOC agrees with or overrides each recommendation
and signs the review; a signed review never changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from gvm_desktop.core.errors import ValidationError

MIN_RATIONALE = 20
MAX_RATIONALE = 4000
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip())
        if not match:
            raise ValidationError(f"Not a quarter: {text[:20]!r} (expected e.g. 2026Q3)")
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            raise ValidationError(f"Quarter year {year} is out of range")
        return cls(year, int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def starts(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def ends(self) -> date:
        """The last day of the quarter."""
        nxt = self.next()
        return nxt.starts - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


class FocusFlag(StrEnum):
    GREEN_BAND = "green_band"
    ZERO_HARM = "zero_harm"
    NEVER_SCORED = "never_scored"
    UNDER_18 = "under_18"
    NO_CORROBORATION = "no_corroboration"
    IN_CUSTODY = "in_custody"


FLAG_LABELS: dict[FocusFlag, str] = {
    FocusFlag.GREEN_BAND: "Green band",
    FocusFlag.ZERO_HARM: "Zero harm score",
    FocusFlag.NEVER_SCORED: "Never scored",
    FocusFlag.UNDER_18: "Under 18",
    FocusFlag.NO_CORROBORATION: "No corroborating intelligence in window",
    FocusFlag.IN_CUSTODY: "In custody",
}

# Words a rationale for retaining a flagged person must touch on, so "retain, still active" cannot
# pass for a Green-band child: the officer has to write about the thing the flag is about.
FLAG_TERMS: dict[FocusFlag, tuple[str, ...]] = {
    FocusFlag.GREEN_BAND: ("green", "band", "low"),
    FocusFlag.ZERO_HARM: ("zero", "harm", "no score", "score"),
    FocusFlag.NEVER_SCORED: ("scor", "never"),
    FocusFlag.UNDER_18: ("under 18", "under-18", "child", "young", "age", "minor", "juvenile", "safeguard"),
    FocusFlag.NO_CORROBORATION: ("corroborat", "intelligence", "intel", "evidence", "source"),
    FocusFlag.IN_CUSTODY: ("custody", "prison", "release", "remand", "custodial"),
}


class Recommendation(StrEnum):
    RETAIN = "retain"
    REMOVE = "remove"
    RESCORE = "rescore"


class Verdict(StrEnum):
    AGREE = "agree"
    OVERRIDE = "override"


@dataclass(frozen=True)
class PersonFacts:
    """What the flags are computed from, as the review saw the person when it was opened."""

    age: int
    harm_score: int
    harm_band: str
    ever_scored: bool
    corroborated: bool
    in_custody: bool


def focus_flags(facts: PersonFacts) -> tuple[FocusFlag, ...]:
    flags: list[FocusFlag] = []
    if facts.harm_band == "Green":
        flags.append(FocusFlag.GREEN_BAND)
    if facts.harm_score == 0:
        flags.append(FocusFlag.ZERO_HARM)
    if not facts.ever_scored:
        flags.append(FocusFlag.NEVER_SCORED)
    if facts.age < 18:
        flags.append(FocusFlag.UNDER_18)
    if not facts.corroborated:
        flags.append(FocusFlag.NO_CORROBORATION)
    if facts.in_custody:
        flags.append(FocusFlag.IN_CUSTODY)
    return tuple(flags)


def check_rationale(recommendation: Recommendation, rationale: str, flags: tuple[FocusFlag, ...]) -> str:
    """Return the cleaned rationale, or say exactly what is missing from it."""
    text = " ".join(rationale.split())
    if len(text) < MIN_RATIONALE:
        raise ValidationError(f"The rationale must be at least {MIN_RATIONALE} characters (it has {len(text)})")
    if len(text) > MAX_RATIONALE:
        raise ValidationError(f"The rationale is too long ({len(text):,} characters; at most {MAX_RATIONALE:,})")
    if recommendation is Recommendation.RETAIN:
        folded = text.casefold()
        unaddressed = [FLAG_LABELS[f] for f in flags if not any(term in folded for term in FLAG_TERMS[f])]
        if unaddressed:
            raise ValidationError("Retaining this person needs a rationale that addresses: " + "; ".join(unaddressed))
    return text


def check_override_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if len(text) < MIN_RATIONALE:
        raise ValidationError(f"An override needs a reason of at least {MIN_RATIONALE} characters (it has {len(text)})")
    if len(text) > MAX_RATIONALE:
        raise ValidationError(f"The override reason is too long ({len(text):,} characters; at most {MAX_RATIONALE:,})")
    return text


@dataclass(frozen=True)
class SheetPerson:
    """One row of the review sheet: who, what the review saw, and what was decided."""

    ref: str
    name: str
    age: int
    harm_band: str
    harm_score: int
    victim_band: str
    flags: tuple[FocusFlag, ...]
    recommendation: Recommendation | None
    rationale: str
    recommended_by: str
    verdict: Verdict | None
    override_reason: str
    outcome: Recommendation | None  # the decision that stands: the SPOC's on override, else the officer's


@dataclass(frozen=True)
class ReviewSheet:
    """Everything the PDF review sheet prints. Built by the services from a (usually signed) review."""

    review_id: int
    bcu: str
    bcu_name: str
    quarter: str
    opened_at: str
    signed_at: str | None
    signed_by_name: str | None
    signed_by_username: str | None
    counts_by_band: dict[str, int]
    flag_counts: dict[FocusFlag, int]
    added_since_last: tuple[tuple[str, str], ...]  # (ref, name)
    removed_since_last: tuple[tuple[str, str], ...]
    people: tuple[SheetPerson, ...]
