"""Intelligence entries, their 3x5x2 grading, and the corroboration rule.

A person may only become active on the matrix when their gang involvement is
corroborated: at least two entries of acceptable grading from different source
types (police, partner agency, community, open source) inside the policy's
window. The rule says what is missing, so an officer knows what to find.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.text import REFERENCE_MAX, TEXT_MAX, clean


class SourceType(StrEnum):
    POLICE = "police"
    PARTNER = "partner_agency"
    COMMUNITY = "community"
    OPEN_SOURCE = "open_source"

    @property
    def label(self) -> str:
        return {"police": "Police", "partner_agency": "Partner agency", "community": "Community",
                "open_source": "Open source / social media"}[self.value]


class EvidenceType(StrEnum):
    VIOLENT_OFFENCE = "violent_offence"
    WEAPONS_OFFENCE = "weapons_offence"
    WEAPONS_ACCESS = "weapons_access"
    VICTIMISATION = "victimisation"
    GANG_ASSOCIATION = "gang_association"
    SOCIAL_MEDIA = "social_media"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def shows_gang_involvement(self) -> bool:
        # Being a victim is never evidence that someone is in a gang.
        return self is not EvidenceType.VICTIMISATION


# The UK 3x5x2 intelligence grading.
SOURCE_EVALUATION = {"1": "Reliable", "2": "Untested", "3": "Not reliable"}
INTELLIGENCE_ASSESSMENT = {
    "A": "Known directly to the source",
    "B": "Known indirectly to the source but corroborated",
    "C": "Known indirectly to the source",
    "D": "Not known",
    "E": "Suspected to be false",
}
HANDLING_CODE = {"P": "Lawful sharing permitted", "C": "Lawful sharing permitted with conditions"}
SOCIAL_MEDIA_NOTE_MIN = 20


@dataclass(frozen=True)
class Grading:
    source_evaluation: str
    assessment: str
    handling: str

    @classmethod
    def parse(cls, code: str) -> Grading:
        """From '1A P', '1/A/P' or '1AP'."""
        chars = [ch for ch in code.upper() if ch.isalnum()]
        if len(chars) != 3:
            raise ValidationError(f"A 3x5x2 grading is three codes, e.g. '1 B P' (got '{code[:20]}').")
        grading = cls(*chars)
        grading.check()
        return grading

    def check(self) -> None:
        if self.source_evaluation not in SOURCE_EVALUATION:
            raise ValidationError("Source evaluation is 1, 2 or 3.")
        if self.assessment not in INTELLIGENCE_ASSESSMENT:
            raise ValidationError("Intelligence assessment is A, B, C, D or E.")
        if self.handling not in HANDLING_CODE:
            raise ValidationError("Handling code is P or C.")

    @property
    def acceptable(self) -> bool:
        """Good enough to corroborate: a reliable or untested source, and not 'not known' or 'suspected false'."""
        return self.source_evaluation in ("1", "2") and self.assessment in ("A", "B", "C")

    def __str__(self) -> str:
        return f"{self.source_evaluation}{self.assessment}{self.handling}"


@dataclass(frozen=True)
class EvidenceDraft:
    kind: EvidenceType
    source_type: SourceType
    source_ref: str
    grading: Grading
    on: date
    summary: str
    social_media_note: str | None = None


def validate_evidence(draft: EvidenceDraft, *, today: date, date_of_birth: date) -> EvidenceDraft:
    """Check an entry against the rules; return it cleaned, or say exactly what is wrong."""
    draft.grading.check()
    if draft.on > today:
        raise ValidationError(f"The evidence is dated {draft.on.isoformat()}, in the future.")
    if draft.on < date_of_birth:
        raise ValidationError("The evidence is dated before the person's date of birth.")
    note = draft.social_media_note
    if draft.kind is EvidenceType.SOCIAL_MEDIA or draft.source_type is SourceType.OPEN_SOURCE:
        note = clean(note, "The social-media note (what was seen and why it is verifiable)", limit=TEXT_MAX)
        if len(note) < SOCIAL_MEDIA_NOTE_MIN:
            raise ValidationError(
                f"Say what was seen and why it is verifiable in at least {SOCIAL_MEDIA_NOTE_MIN} characters."
            )
    else:
        note = clean(note, "The note", limit=TEXT_MAX, required=False) or None
    return EvidenceDraft(
        kind=draft.kind, source_type=draft.source_type,
        source_ref=clean(draft.source_ref, "The source reference", limit=REFERENCE_MAX),
        grading=draft.grading, on=draft.on,
        summary=clean(draft.summary, "The summary", limit=TEXT_MAX, multiline=True), social_media_note=note,
    )


@dataclass(frozen=True)
class Corroboration:
    satisfied: bool
    sources: frozenset[SourceType]
    missing: str

    def require(self) -> None:
        if not self.satisfied:
            raise ValidationError(f"Not corroborated: {self.missing}")


def corroboration(
    entries: Iterable[tuple[EvidenceType, SourceType, Grading, date]], *, on: date, min_sources: int, window_days: int
) -> Corroboration:
    """Is gang involvement corroborated as of `on`? If not, what is missing, in words."""
    since = on - timedelta(days=window_days)
    counted: set[SourceType] = set()
    weak = old = 0
    for kind, source, grading, when in entries:
        if not kind.shows_gang_involvement:
            continue
        if when < since or when > on:
            old += 1
            continue
        if not grading.acceptable:
            weak += 1
            continue
        counted.add(source)
    if len(counted) >= min_sources:
        return Corroboration(True, frozenset(counted), "")
    need = min_sources - len(counted)
    have = ", ".join(sorted(s.label for s in counted)) or "none"
    notes = []
    if weak:
        notes.append(f"{weak} entr{'y' if weak == 1 else 'ies'} graded too low (3, D or E)")
    if old:
        notes.append(f"{old} older than {window_days} days")
    extra = f" ({'; '.join(notes)})" if notes else ""
    return Corroboration(
        False, frozenset(counted),
        f"needs {need} more acceptable gang-involvement entr{'y' if need == 1 else 'ies'} from a different source type "
        f"inside {window_days} days; acceptable sources so far: {have}{extra}.",
    )
