"""Table models for the parts of one record (and for entries being drafted): all wipeable on lock."""

from __future__ import annotations

from gvm_desktop.core.evidence import (
    HANDLING_CODE,
    INTELLIGENCE_ASSESSMENT,
    SOURCE_EVALUATION,
    EvidenceDraft,
    EvidenceType,
    Grading,
)
from gvm_desktop.core.records import (
    ActivityRecord,
    EvidenceRecord,
    InterventionRecord,
    ScoreLine,
    VersionRecord,
)
from gvm_desktop.gui.common.table_models import Column, RowTableModel, time_column


def grading_words(g: Grading) -> str:
    """'1BP' is shorthand; the words say what it means (shown as a tooltip and beside the code)."""
    return (f"{SOURCE_EVALUATION.get(g.source_evaluation, '?')} source; "
            f"{INTELLIGENCE_ASSESSMENT.get(g.assessment, '?').lower()}; "
            f"{HANDLING_CODE.get(g.handling, '?').lower()}")


def event_label(kind: str) -> str:
    try:
        return EvidenceType(kind).label
    except ValueError:
        return kind.replace("_", " ").capitalize()


def _day(value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else str(value or "")


class EvidenceModel(RowTableModel[EvidenceRecord]):
    columns = (
        Column[EvidenceRecord]("Date", lambda e: e.on.isoformat()),
        Column[EvidenceRecord]("Type", lambda e: e.kind.label),
        Column[EvidenceRecord]("Source type", lambda e: e.source_type.label),
        Column[EvidenceRecord]("Source ref", lambda e: e.source_ref),
        Column[EvidenceRecord]("Grading", lambda e: str(e.grading)),
        Column[EvidenceRecord]("Summary", lambda e: e.summary),
        Column[EvidenceRecord]("Social-media note", lambda e: e.social_media_note or ""),
    )


class DraftEvidenceModel(RowTableModel[EvidenceDraft]):
    """Entries added to a proposal that has not been sent yet."""

    columns = (
        Column[EvidenceDraft]("Date", lambda e: e.on.isoformat()),
        Column[EvidenceDraft]("Type", lambda e: e.kind.label),
        Column[EvidenceDraft]("Source type", lambda e: e.source_type.label),
        Column[EvidenceDraft]("Source ref", lambda e: e.source_ref),
        Column[EvidenceDraft]("Grading", lambda e: str(e.grading)),
    )


class ScoreLinesModel(RowTableModel[ScoreLine]):
    columns = (
        Column[ScoreLine]("Date", lambda s: s.on.isoformat()),
        Column[ScoreLine]("Event", lambda s: event_label(s.event)),
        Column[ScoreLine]("Counts towards", lambda s: "Harm (as offender)" if s.side == "harm" else "Risk (as victim)"),
        Column[ScoreLine]("Points", lambda s: str(s.points), lambda s: s.points),
    )


class InterventionsModel(RowTableModel[InterventionRecord]):
    columns = (
        Column[InterventionRecord]("Offered", lambda i: i.offered_on.isoformat()),
        Column[InterventionRecord]("Referral", lambda i: i.referral),
        Column[InterventionRecord]("Provider", lambda i: i.provider),
        Column[InterventionRecord]("Taken up", lambda i: "Yes" if i.taken_up else "No"),
        Column[InterventionRecord]("Outcome", lambda i: i.outcome),
        Column[InterventionRecord]("Starts", lambda i: _day(i.starts_on)),
        Column[InterventionRecord]("Ends", lambda i: _day(i.ends_on)),
    )


class ActivityModel(RowTableModel[ActivityRecord]):
    columns = (
        Column[ActivityRecord]("Date", lambda a: a.on.isoformat()),
        Column[ActivityRecord]("Police activity", lambda a: a.kind.capitalize()),
        Column[ActivityRecord]("Note", lambda a: a.note),
    )


class VersionsModel(RowTableModel[VersionRecord]):
    columns = (
        Column[VersionRecord]("Version", lambda v: str(v.version), lambda v: v.version),
        time_column("Replaced at", lambda v: v.changed_at),
        Column[VersionRecord]("Changed by", lambda v: v.changed_by or "-"),
        Column[VersionRecord]("Reason for the change", lambda v: v.reason),
    )
