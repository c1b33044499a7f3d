"""The quarterly review: quarters, focus flags, decisions and the rules a decision must meet.

Every BCU reviews everyone active on its matrix at least once a calendar quarter.
Some people need a closer look (the regulator's and MOPAC's findings: Green-band
and zero-harm people kept for years, people never given a harm score or Green for
their entire time on the matrix, children): those carry focus flags, and retaining
a flagged person needs a rationale that says why the flag does not mean removal,
in words about them rather than the flag's own. One rationale given for many
people is a template, not a review: the SPOC is warned of it before signing. The SPOC agrees with or overrides each recommendation
and signs the review; a signed review never changes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.scoring import Band, ScoringEvent, ScoringPolicy, score

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
    GREEN_THROUGHOUT = "green_throughout"
    UNDER_18 = "under_18"
    NO_CORROBORATION = "no_corroboration"
    IN_CUSTODY = "in_custody"


FLAG_LABELS: dict[FocusFlag, str] = {
    FocusFlag.GREEN_BAND: "Green band",
    FocusFlag.ZERO_HARM: "Zero harm score",
    FocusFlag.NEVER_SCORED: "Never scored",
    FocusFlag.GREEN_THROUGHOUT: "Green for their entire time on the matrix",
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
    FocusFlag.GREEN_THROUGHOUT: ("green", "throughout", "entire", "always"),
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
    ever_harm_scored: bool  # a harm score above zero at any time (victim events never count): ever_harm_scored()
    green_throughout: bool  # harm band Green on every day since approval: green_throughout()
    corroborated: bool
    in_custody: bool


def focus_flags(facts: PersonFacts) -> tuple[FocusFlag, ...]:
    flags: list[FocusFlag] = []
    if facts.harm_band == "Green":
        flags.append(FocusFlag.GREEN_BAND)
    if facts.harm_score == 0:
        flags.append(FocusFlag.ZERO_HARM)
    if not facts.ever_harm_scored:
        flags.append(FocusFlag.NEVER_SCORED)
    # Also true of someone never scored (a zero is Green): MOPAC asks about both, and a flag states a fact.
    if facts.green_throughout:
        flags.append(FocusFlag.GREEN_THROUGHOUT)
    if facts.age < 18:
        flags.append(FocusFlag.UNDER_18)
    if not facts.corroborated:
        flags.append(FocusFlag.NO_CORROBORATION)
    if facts.in_custody:
        flags.append(FocusFlag.IN_CUSTODY)
    return tuple(flags)


def _harm_events(events: Iterable[ScoringEvent], policy: ScoringPolicy, until: date) -> list[ScoringEvent]:
    """The events the policy scores as harm that had happened by `until`; victimisation is the victim score's."""
    out = []
    for event in events:
        rule = policy.rules.get(event.kind)
        if rule is not None and rule.side == "harm" and event.on <= until:
            out.append(event)
    return out


def ever_harm_scored(events: Iterable[ScoringEvent], policy: ScoringPolicy, on: date) -> bool:
    """Whether the person has ever had a harm score above zero, judged on `on` under `policy`.

    Evidence entries are never edited or deleted while the person is on the matrix, so their dated
    events are the whole history: any harm event with a window of positive weight gave points on its
    own day. Victim events do not count: being a victim is not a harm score, and counting it hid
    exactly the people MOPAC asked to look at ("never had a harm score").
    """
    return any(any(w.weight > 0 for w in policy.rules[e.kind].windows) for e in _harm_events(events, policy, on))


def _turning_days(events: list[ScoringEvent], policy: ScoringPolicy, since: date, until: date) -> Iterator[date]:
    """`since`, then every day inside [since, until] on which a harm score can change.

    A score changes only on an event's own day (it starts counting) or on the day after it leaves one of
    its windows (it counts less, or stops): between those days it is constant, so its highest value over
    the period is its highest value on these days. `since` carries the events from before it.
    """
    yield since
    days: set[date] = set()
    for event in events:
        days.add(event.on)
        days.update(event.on + timedelta(days=w.within_days + 1) for w in policy.rules[event.kind].windows)
    yield from sorted(d for d in days if since < d <= until)


def green_throughout(events: Iterable[ScoringEvent], policy: ScoringPolicy, since: date, until: date) -> bool:
    """Whether the harm band was Green on every day from `since` (approval) to `until` (the review), under `policy`.

    Computed from the dated events, not from today's band: a person who was Amber last year and is Green
    today was not Green for their entire time on the matrix.
    """
    since = min(since, until)
    harm = _harm_events(events, policy, until)
    return all(score(harm, day, policy).harm_band is Band.GREEN for day in _turning_days(harm, policy, since, until))


# -- what a rationale must be: a reason, about this person -------------------------------------------------------

# A retain rationale needs at least this many words of its own: words that are not the flags' vocabulary,
# the review's own words or English glue. "Retain: green band, zero harm, aged 18" has none; "still active"
# has two. A count cannot judge a reason, but it refuses the rationale that only restates the flags, and the
# reuse warning below catches the template copied from person to person.
MIN_OWN_WORDS = 2


def _vocabulary(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GLUE = _vocabulary("""
a an the and or but nor of in on at to for with by from as into onto upon about over is are was were be been being
am has have had having do does did it its this that these those they them their theirs he she his her hers him
i we our us you your who whom whose which what so also there here than then per via all any both each
""")
_REVIEW_WORDS = _vocabulary("""
retain retained retaining retention keep kept keeping remain remains remained stay stays review reviewed reviewing
consider considered considering check checked checking note noted noting assess assessed assessing flag flags
flagged focus person subject nominal matrix rationale reason reasons recommend recommended recommendation decision
ok okay fine yes n na nil none
""")
# The flags' own words (FLAG_LABELS and FLAG_TERMS, and the forms they take in a sentence).
_FLAG_WORDS = _vocabulary("""
green band bands banded low lower throughout entire always whole time zero harm harms score scores scored scoring
rescore rescored never under 18 aged age ages years old child children young younger youth minor minors juvenile
juveniles safeguard safeguarding safeguarded corroborated corroborating corroboration uncorroborated intelligence
intel evidence evidenced source sources window custody custodial prison prisoner released release remand remanded
""")
_FLAG_STEMS = ("scor", "corroborat", "safeguard", "custod")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of a text: compatibility-normalised, case-folded, punctuation and spacing dropped (any script)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def own_words(text: str) -> set[str]:
    """The words of a rationale that say something beyond the focus flags and the review's own vocabulary."""
    return {w for w in words(text)
            if w not in _GLUE and w not in _REVIEW_WORDS and w not in _FLAG_WORDS and not w.startswith(_FLAG_STEMS)}


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
        # Touching every flag's words is not yet a reason: a text that is nothing but those words says why
        # nobody should be kept. A removal may rest on the flags alone (they are what MOPAC says to remove for).
        if len(own_words(text)) < MIN_OWN_WORDS:
            raise ValidationError("A rationale that only restates the focus flags is not a reason: say why this "
                                  "person stays on the matrix, about them (what they have done, what is known now).")
    return text


# -- one rationale for many people ---------------------------------------------------------------------------------

# From this many people with the same rationale, the SPOC is warned before sign-off and the sheet prints it.
# Two people can share the facts and the words (two brothers arrested together); three with one text is a
# template, which is what MOPAC found: people kept without anyone looking at them one by one.
REUSED_RATIONALE_PEOPLE = 3


def rationale_key(text: str) -> tuple[str, ...]:
    """Texts with the same key are "the same rationale": the same words, whatever their case, punctuation,
    spacing or order.

    The same multiset of words, exactly, rather than a share of overlapping words: sameness is then an
    equivalence, so every person belongs to one group and "given for N people" has one answer (an
    overlap above a threshold chains A~B~C though A and C differ, and its groups depend on the order
    they are built in); it costs one dictionary lookup per person at 100,000 people, where pairwise
    overlaps would cost billions; and a changed date, place or event, the part that is about the
    person, makes a different rationale, as it should.
    """
    return tuple(sorted(words(text)))


@dataclass(frozen=True)
class ReusedRationale:
    """One rationale (as first written, by reference order) and the people it was given for."""

    text: str
    refs: tuple[str, ...]

    @property
    def sentence(self) -> str:
        return f"The same rationale was given for {len(self.refs)} people: {', '.join(self.refs)}."


def kept_on_matrix(recommendation: str | None, decision: str | None) -> bool:
    """Whether a review item's rationale counts towards reuse: the person stays (decision, else recommendation).

    A removal's rationale leaves the vault with the person at sign-off, and one reason for taking many people
    off is not the finding MOPAC made (people kept without anyone looking at them one by one).
    """
    return (decision or recommendation) != Recommendation.REMOVE.value


def reused_rationales(rationales: Iterable[tuple[str, str]],
                      threshold: int = REUSED_RATIONALE_PEOPLE) -> tuple[ReusedRationale, ...]:
    """Groups of `threshold` or more people given the same rationale, from (ref, rationale) pairs; the largest first."""
    groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for ref, text in rationales:
        key = rationale_key(text or "")
        if key:  # no rationale yet is not a shared one
            groups.setdefault(key, []).append((ref, text))
    found = []
    for members in groups.values():
        if len(members) >= threshold:
            members.sort()
            found.append(ReusedRationale(" ".join(members[0][1].split()), tuple(ref for ref, _ in members)))
    return tuple(sorted(found, key=lambda g: (-len(g.refs), g.refs[0])))


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
    age: int | None  # None once the person was removed: the review keeps only reference and outcome
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
    # The victim side beside the harm side, as the review saw them. None where the vault did not keep it (an item
    # stored before schema version 12, of a person who has since left the matrix): the sheet says so, never guesses.
    victim_score: int | None = None
    classification: str | None = None  # core.scoring.Classification's value: 'offender', 'victim', ...


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
    # The signed review the "added" and "removed" lists compare with. None: there was no earlier signed review of
    # the BCU, so nothing to compare with (an "added: 0" would read as "nobody joined").
    previous_review: int | None = None
    previous_quarter: str | None = None
