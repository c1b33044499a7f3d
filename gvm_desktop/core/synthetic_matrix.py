"""Synthetic matrix detail for demo vaults: evidence, custody, interventions, police activity.

Seeded and reproducible like `synthetic.py`. Profiles are drawn so a demo shows
what the product must handle: Red, Amber and Green people, zero-harm people,
victims, people who are both, proposals still waiting for corroboration,
people in custody and people due for removal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType

_GANGS = ("Demo Crew North", "Synthetic Set 7", "Placeholder Boys", "Fictive Firm", "Exemplar Estate Crew",
          "Sample Street Gang")
_PROVIDERS = ("Demo Youth Service", "Synthetic Mentoring Trust", "Placeholder Employment Project",
              "Fictive Family Support")
_REFERRALS = ("Mentoring", "Employment support", "Education", "Family support", "Mental health")
_SOURCES_FOR_CORROBORATION = (SourceType.POLICE, SourceType.PARTNER, SourceType.COMMUNITY)
# (profile, weight): what kind of person this is on the demo matrix.
_PROFILES = (("red", 8), ("amber", 20), ("green", 25), ("zero_harm", 15), ("victim", 10), ("both", 10),
             ("proposed", 7), ("remove", 5))


@dataclass
class MatrixExtras:
    status: str  # "active", "proposed" or "remove" (active, then removed by the demo builder)
    evidence: list[EvidenceDraft] = field(default_factory=list)
    gangs: tuple[str, ...] = ()
    in_custody: bool = False
    custody_from: date | None = None
    interventions: list[tuple[str, str, date, bool, str]] = field(default_factory=list)
    activity: list[tuple[str, date]] = field(default_factory=list)


def _grading(rng: random.Random, good: bool) -> Grading:
    if good:
        return Grading(rng.choice("12"), rng.choice("ABC"), rng.choice("PC"))
    return Grading(rng.choice("123"), rng.choice("ABCDE"), rng.choice("PC"))


def _entry(rng: random.Random, kind: EvidenceType, source: SourceType, on: date, good: bool = True) -> EvidenceDraft:
    note = None
    if kind is EvidenceType.SOCIAL_MEDIA or source is SourceType.OPEN_SOURCE:
        note = "Synthetic: public post seen by the demo officer; account matched by handle history."
    return EvidenceDraft(
        kind=kind, source_type=source, source_ref=f"DEMO/{rng.randrange(10_000, 99_999)}/{on.year % 100:02d}",
        grading=_grading(rng, good), on=on, summary=f"Synthetic {kind.label.lower()} entry for the demo.",
        social_media_note=note,
    )


def _days_ago(rng: random.Random, today: date, low: int, high: int, born: date) -> date:
    when = today - timedelta(days=rng.randint(low, high))
    return max(when, born + timedelta(days=13 * 365))


def extras_for(people_dobs: list[date], *, seed: int, today: date) -> list[MatrixExtras]:
    """One MatrixExtras per person (by their date of birth, to keep events after it)."""
    rng = random.Random(seed ^ 0x5EED)
    names, weights = zip(*_PROFILES, strict=True)
    out: list[MatrixExtras] = []
    for born in people_dobs:
        profile = rng.choices(names, weights)[0]
        x = MatrixExtras(status="proposed" if profile == "proposed" else ("remove" if profile == "remove" else "active"))
        sources = rng.sample(_SOURCES_FOR_CORROBORATION, 2)
        # Corroboration: two acceptable gang-association entries from different sources.
        x.evidence.append(_entry(rng, EvidenceType.GANG_ASSOCIATION, sources[0], _days_ago(rng, today, 10, 600, born)))
        if profile != "proposed":
            x.evidence.append(_entry(rng, EvidenceType.GANG_ASSOCIATION, sources[1],
                                     _days_ago(rng, today, 10, 600, born)))
        else:
            x.evidence.append(_entry(rng, EvidenceType.SOCIAL_MEDIA, SourceType.OPEN_SOURCE,
                                     _days_ago(rng, today, 10, 300, born), good=False))
        harm_events = {"red": 6, "amber": 3, "green": 1, "both": 2, "remove": 1}.get(profile, 0)
        for _ in range(harm_events):
            kind = rng.choice((EvidenceType.VIOLENT_OFFENCE, EvidenceType.WEAPONS_OFFENCE, EvidenceType.WEAPONS_ACCESS))
            old = profile in ("green", "remove")
            x.evidence.append(_entry(rng, kind, SourceType.POLICE,
                                     _days_ago(rng, today, 400 if old else 5, 1000 if old else 360, born)))
        if profile in ("victim", "both"):
            for _ in range(rng.randint(1, 3)):
                x.evidence.append(_entry(rng, EvidenceType.VICTIMISATION, rng.choice((SourceType.POLICE,
                                         SourceType.PARTNER)), _days_ago(rng, today, 5, 600, born)))
        if profile == "zero_harm":
            # Old events that have left every window: the score has fallen to zero.
            x.evidence.append(_entry(rng, EvidenceType.VIOLENT_OFFENCE, SourceType.POLICE,
                                     _days_ago(rng, today, 1200, 1800, born)))
        x.gangs = (rng.choice(_GANGS),)
        if rng.random() < 0.08:
            x.in_custody, x.custody_from = True, _days_ago(rng, today, 10, 300, born)
        if rng.random() < 0.3:
            offered = _days_ago(rng, today, 10, 500, born)
            x.interventions.append((rng.choice(_REFERRALS), rng.choice(_PROVIDERS), offered, rng.random() < 0.6,
                                    rng.choice(("Engaged", "Declined", "Completed", "Ongoing"))))
        for _ in range(rng.choice((0, 0, 1, 2))):
            x.activity.append((rng.choice(("stop", "arrest")), _days_ago(rng, today, 5, 700, born)))
        out.append(x)
    return out
