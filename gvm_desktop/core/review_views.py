"""What the review service hands the screens and the command line: a review's summary, its people, the overdue ones.

Unlike core/review_rows.py (codes as stored), these carry the review's own types (flags,
recommendations, verdicts), ready to be worded with core/labels.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.review import FocusFlag, Recommendation, SheetPerson, Verdict


@dataclass(frozen=True)
class ReviewSummary:
    id: int
    bcu: str
    quarter: str
    opened_at: str
    signed_at: str | None
    signed_by: str | None
    supersedes: int | None
    people: int
    recommended: int
    decided: int
    flagged: int
    overdue: bool


@dataclass(frozen=True)
class ReviewItem:
    ref: str
    name: str
    age: int | None  # None: the person has left the matrix
    harm_score: int
    harm_band: str
    victim_band: str
    flags: tuple[FocusFlag, ...]
    recommendation: Recommendation | None
    rationale: str
    recommended_by: str | None
    verdict: Verdict | None
    decision: Recommendation | None
    override_reason: str
    verdict_by: str | None
    removed: bool = False  # left the matrix: only the reference and the decisions remain


@dataclass(frozen=True)
class OverdueReview:
    bcu: str
    quarter: str
    review_id: int | None  # None: no review was opened at all
    people: int


@dataclass(frozen=True)
class ReviewWaiting:
    """An open review of the SPOC's BCU and how many of its people are left, as counts: no person."""

    review_id: int
    quarter: str
    to_decide: int  # recommended, with no verdict yet: the SPOC's to agree with or override
    to_recommend: int  # no recommendation yet: an officer's (or the SPOC's) to make first
    overdue: bool


# Highest risk first: the bands in order of risk, then anything the policy may add, unbanded last.
_BAND_RANK = {"Red": 0, "Amber": 1, "Green": 2}


def risk_order(person: SheetPerson) -> tuple[int, int, int, str, str]:
    """Sort key for the sheet's people: harm band (Red first), harm score (highest first), then victim-risk score."""
    victim = person.victim_score if person.victim_score is not None else 0
    return (_BAND_RANK.get(person.harm_band, len(_BAND_RANK)), -person.harm_score, -victim, person.name.casefold(),
            person.ref)
