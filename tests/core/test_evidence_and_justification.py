from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.evidence import (
    EvidenceDraft,
    EvidenceType,
    Grading,
    SourceType,
    corroboration,
    validate_evidence,
)
from gvm_desktop.core.justification import Justification, ReasonCategory
from gvm_desktop.core.text import clean, fold

TODAY = date(2026, 11, 2)
DOB = date(2005, 3, 4)
GANG = EvidenceType.GANG_ASSOCIATION


def entry(source: SourceType, grade: str = "1BP", days_ago: int = 30, kind: EvidenceType = GANG):
    return (kind, source, Grading.parse(grade), TODAY - timedelta(days=days_ago))


def check(*entries):
    return corroboration(entries, on=TODAY, min_sources=2, window_days=730)


def test_two_acceptable_entries_from_different_sources_corroborate() -> None:
    result = check(entry(SourceType.POLICE), entry(SourceType.COMMUNITY, "2CC"))
    assert result.satisfied
    result.require()


def test_two_entries_from_the_same_source_type_do_not() -> None:
    result = check(entry(SourceType.POLICE), entry(SourceType.POLICE, "1AP"))
    assert not result.satisfied and "needs 1 more" in result.missing and "Police" in result.missing
    with pytest.raises(ValidationError, match="Not corroborated"):
        result.require()


def test_low_grades_old_entries_and_victimisation_do_not_count() -> None:
    result = check(
        entry(SourceType.POLICE),
        entry(SourceType.COMMUNITY, "3AP"),
        entry(SourceType.PARTNER, "1DP"),
        entry(SourceType.OPEN_SOURCE, days_ago=800),
        entry(SourceType.PARTNER, kind=EvidenceType.VICTIMISATION),
    )
    assert not result.satisfied
    assert "2 entries graded too low" in result.missing and "1 older than 730 days" in result.missing


def test_grading_parses_and_refuses() -> None:
    assert str(Grading.parse("1 / b / p")) == "1BP"
    for bad, why in [("4AP", "Source evaluation"), ("1FP", "Intelligence assessment"), ("1AX", "Handling code"),
                     ("1A", "three codes")]:
        with pytest.raises(ValidationError, match=why):
            Grading.parse(bad)


def draft(**kw: object) -> EvidenceDraft:
    base: dict[str, object] = dict(kind=GANG, source_type=SourceType.POLICE, source_ref="CRIS/0001/26",
                                   grading=Grading.parse("1BP"), on=TODAY, summary="Seen with named associates.")
    base.update(kw)
    return EvidenceDraft(**base)  # type: ignore[arg-type]


def test_evidence_dates_must_be_possible() -> None:
    with pytest.raises(ValidationError, match="in the future"):
        validate_evidence(draft(on=TODAY + timedelta(days=1)), today=TODAY, date_of_birth=DOB)
    with pytest.raises(ValidationError, match="before the person's date of birth"):
        validate_evidence(draft(on=date(2004, 1, 1)), today=TODAY, date_of_birth=DOB)


def test_social_media_needs_a_note_of_what_was_seen() -> None:
    with pytest.raises(ValidationError, match="social-media note"):
        validate_evidence(draft(kind=EvidenceType.SOCIAL_MEDIA), today=TODAY, date_of_birth=DOB)
    with pytest.raises(ValidationError, match="at least 20 characters"):
        validate_evidence(draft(kind=EvidenceType.SOCIAL_MEDIA, social_media_note="a video"), today=TODAY,
                          date_of_birth=DOB)
    ok = validate_evidence(
        draft(source_type=SourceType.OPEN_SOURCE, social_media_note="Public video, account verified by handle history."),
        today=TODAY, date_of_birth=DOB)
    assert ok.social_media_note and ok.social_media_note.startswith("Public video")


def test_oversized_and_control_text_is_refused_not_cut() -> None:
    with pytest.raises(ValidationError, match="10,000 characters long; the limit is 2,000"):
        validate_evidence(draft(summary="x" * 10_000), today=TODAY, date_of_birth=DOB)
    with pytest.raises(ValidationError, match="control character"):
        clean("abc\x00def", "The name", limit=100)
    assert clean("  O'Brien; DROP TABLE nominals;-- 🙂 עברית ", "The name", limit=100) == \
        "O'Brien; DROP TABLE nominals;-- 🙂 עברית"


def test_fold_is_case_and_accent_insensitive() -> None:
    assert fold("Zoë") == fold("ZOE") == "zoe"
    assert fold("José") == "jose"


def test_justification_rules() -> None:
    j = Justification.make("safeguarding", "Checking welfare after a referral", None)
    assert j.category is ReasonCategory.SAFEGUARDING
    with pytest.raises(ValidationError, match="at least 10 characters"):
        Justification.make("other", "because", None)
    with pytest.raises(ValidationError, match="Unknown reason"):
        Justification.make("curiosity", "just looking around today", None)
    with pytest.raises(ValidationError, match="needs the operation reference"):
        Justification.make("linked_operation", "Operation briefing prep", None)
    assert Justification.make("linked_operation", "Operation briefing prep", "Op TRIDENT/26").operation_ref
    with pytest.raises(ValidationError, match="operation reference"):
        Justification.make("other", "a valid reason text", "'; DROP TABLE x")
