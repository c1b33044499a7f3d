"""One intelligence entry: type, source, 3x5x2 grading, date, summary, and a social-media note when needed.

The rules are the core's `validate_evidence` (the service runs it again): dated
no later than today and not before birth, text within limits, and for social
media or open sources a note of what was seen and why it is verifiable.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from gvm_desktop.core.evidence import (
    HANDLING_CODE,
    INTELLIGENCE_ASSESSMENT,
    SOCIAL_MEDIA_NOTE_MIN,
    SOURCE_EVALUATION,
    EvidenceDraft,
    EvidenceType,
    Grading,
    SourceType,
    validate_evidence,
)
from gvm_desktop.core.text import REFERENCE_MAX, TEXT_MAX
from gvm_desktop.gui.common.form_fields import (
    EARLIEST,
    buddy_label,
    chosen,
    code_combo,
    date_box,
    text_box,
    to_qdate,
    with_count,
)
from gvm_desktop.gui.common.widgets import note

NOTE_REQUIRED = f"Required for social media or an open source: what was seen and why it is verifiable " \
                f"(at least {SOCIAL_MEDIA_NOTE_MIN} characters)."
NOTE_OPTIONAL = "Optional for this type and source."


class EvidenceForm(QWidget):
    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.kind = code_combo(self, ((k.value, k.label) for k in EvidenceType), name="Kind of evidence")
        self.source_type = code_combo(self, ((s.value, s.label) for s in SourceType), name="Source type")
        self.source_ref = QLineEdit(self)
        self.source_ref.setAccessibleName("Source reference")
        self.source_ref.setPlaceholderText("e.g. the intelligence report number")
        self.evaluation = code_combo(self, ((c, f"{c} {t}") for c, t in SOURCE_EVALUATION.items()),
                                     name="Source evaluation")
        self.assessment = code_combo(self, ((c, f"{c} {t}") for c, t in INTELLIGENCE_ASSESSMENT.items()),
                                     name="Intelligence assessment")
        self.handling = code_combo(self, ((c, f"{c} {t}") for c, t in HANDLING_CODE.items()), name="Handling code")
        self.on = date_box(self, today, empty=False, name="Dated on")
        self.summary = text_box(self, "Summary", placeholder="What the intelligence says, briefly")
        self.social_note = text_box(self, "Social-media note", lines=2)
        # The core's limits (validate_evidence), counted as people type; nothing is cut.
        ref_row, self.source_ref_count = with_count(self.source_ref, REFERENCE_MAX)
        summary_row, self.summary_count = with_count(self.summary, TEXT_MAX)
        social_row, self.social_note_count = with_count(self.social_note, TEXT_MAX)
        self.note_hint = note(NOTE_OPTIONAL, self)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Kind of evidence", self.kind)
        form.addRow("&Source type", self.source_type)
        form.addRow(buddy_label("Source &ref", self.source_ref), ref_row)
        # The 3x5x2 grading, one code per line with its meaning.
        form.addRow("Source e&valuation", self.evaluation)
        form.addRow("&Intelligence assessment", self.assessment)
        form.addRow("&Handling code", self.handling)
        form.addRow("Dated &on", self.on)
        form.addRow(buddy_label("S&ummary", self.summary), summary_row)
        form.addRow(buddy_label("Social-media note", self.social_note), social_row)
        form.addRow("", self.note_hint)

        self.kind.currentIndexChanged.connect(self._note_rule)
        self.source_type.currentIndexChanged.connect(self._note_rule)

    def needs_note(self) -> bool:
        return (self.kind.currentData() == EvidenceType.SOCIAL_MEDIA.value
                or self.source_type.currentData() == SourceType.OPEN_SOURCE.value)

    def _note_rule(self) -> None:
        self.note_hint.setText(NOTE_REQUIRED if self.needs_note() else NOTE_OPTIONAL)

    def draft(self) -> EvidenceDraft:
        """The entry as typed (no rule checked beyond the choices); see `checked()`."""
        grading = Grading(chosen(self.evaluation, "source evaluation (1, 2 or 3)"),
                          chosen(self.assessment, "intelligence assessment (A to E)"),
                          chosen(self.handling, "handling code (P or C)"))
        on: date = self.on.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
        return EvidenceDraft(
            kind=EvidenceType(chosen(self.kind, "kind of evidence")),
            source_type=SourceType(chosen(self.source_type, "source type")),
            source_ref=self.source_ref.text(), grading=grading, on=on,
            summary=self.summary.toPlainText(), social_media_note=self.social_note.toPlainText() or None,
        )

    def checked(self, date_of_birth: date | None) -> EvidenceDraft:
        """The entry cleaned by the core's rules, or a ValidationError that says what is wrong."""
        return validate_evidence(self.draft(), today=self.today, date_of_birth=date_of_birth or EARLIEST)

    def is_blank(self) -> bool:
        return not (self.source_ref.text().strip() or self.summary.toPlainText().strip()
                    or self.social_note.toPlainText().strip())

    def reset(self) -> None:
        for combo in (self.kind, self.source_type, self.evaluation, self.assessment, self.handling):
            combo.setCurrentIndex(0)
        self.source_ref.clear()
        self.summary.clear()
        self.social_note.clear()
        self.on.setDate(to_qdate(self.today))


def describe(entry: EvidenceDraft) -> str:
    """One line for a list of entries being prepared (the summary itself is in the form)."""
    return f"{entry.on.isoformat()} · {entry.kind.label} · {entry.source_type.label} · {entry.grading}"

