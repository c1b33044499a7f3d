"""The changes a record view offers: add evidence, edit. (Decisions in words use NoteDialog.)

Each dialog checks with the core's rules as it goes, then makes one service call;
on failure the service's message is shown and nothing was saved.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gvm_desktop.core.changes import MIN_REASON
from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.people import validate_draft
from gvm_desktop.core.records import NominalRecord
from gvm_desktop.core.text import TEXT_MAX
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import EARLIEST, date_box, text_box, to_qdate, with_count
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.widgets import note
from gvm_desktop.gui.matrix.evidence_form import EvidenceForm
from gvm_desktop.gui.matrix.person_form import PersonForm

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

# What a change made from a record's view touches: the record, and its row and counts on the matrix.
RECORD_AND_MATRIX = frozenset({Change.RECORD, Change.MATRIX})


class AddEvidenceDialog(FormDialog):
    def __init__(self, ops: SessionOps, record: NominalRecord, parent: QWidget | None) -> None:
        super().__init__(f"Add evidence to {record.ref}", parent, ok_text="&Add evidence", ops=ops)
        self._ref, self._born = record.ref, record.date_of_birth
        self.form = EvidenceForm(ops.clock.now().date(), self)
        self.body.addWidget(self.form)
        self.resize(640, 520)
        self.form.kind.setFocus()

    def submit(self) -> None:
        try:
            entry = self.form.checked(self._born)
        except GvmError as problem:
            self.error_label.show_error(problem)
            return
        ref = self._ref
        self.send(lambda s, ws: s.changes.add_evidence(ws, ref, entry), changes=RECORD_AND_MATRIX)


class EditDialog(FormDialog):
    """The record's fields as they are; what changed is worked out by the service and versioned."""

    def __init__(self, ops: SessionOps, record: NominalRecord, parent: QWidget | None) -> None:
        super().__init__(f"Edit {record.ref}", parent, ok_text="&Save changes", ops=ops)
        self._record = record
        today = ops.clock.now().date()
        self.person = PersonForm(record.bcu, today, self)
        self.person.fill(record)
        self.in_custody = QCheckBox("In c&ustody", self)
        self.in_custody.setChecked(record.in_custody)
        self.custody_from = date_box(self, today, empty=True, name="In custody since")
        if record.custody_from:
            self.custody_from.setDate(to_qdate(date.fromisoformat(record.custody_from[:10])))
        self.reason = text_box(self, "Reason for the change", lines=3, placeholder=f"At least {MIN_REASON} characters")

        person_box = QGroupBox("Person", self)
        QVBoxLayout(person_box).addWidget(self.person)
        custody_box = QGroupBox("Custody", self)
        custody = QFormLayout(custody_box)
        custody.addRow(self.in_custody)
        custody.addRow("Since", self.custody_from)
        row = QHBoxLayout()
        row.addWidget(person_box, 2)
        row.addWidget(custody_box, 1)
        self.body.addLayout(row)
        reason_label = QLabel("&Why the record changes (kept with the old version)", self)
        reason_label.setBuddy(self.reason)
        self.body.addWidget(reason_label)
        reason_row, self.reason_count = with_count(self.reason, TEXT_MAX)  # the service's limit (changes.edit)
        self.body.addLayout(reason_row)
        self.body.addWidget(note("The record as it is now is kept as a version; SPOCs and auditors can see it.", self))
        self.resize(880, 620)
        self.person.given_name.setFocus()

    def changes(self) -> dict[str, object]:
        """Every person field (the service keeps only what differs), plus gangs, code and custody if changed."""
        r = self._record
        assert self.ops is not None
        draft = validate_draft(self.person.draft(), today=self.ops.clock.now().date())
        out: dict[str, object] = {
            "given_name": draft.given_name, "family_name": draft.family_name, "date_of_birth": draft.date_of_birth,
            "gender": draft.gender, "ethnicity": draft.ethnicity, "disability": draft.disability,
            "address": draft.address, "postcode": draft.postcode, "borough": draft.borough,
            "aliases": draft.aliases,
        }
        if self.person.gang_names() != r.gangs:
            out["gangs"] = list(self.person.gang_names())
        if self.person.observed_code() != r.observed_ethnicity:
            out["observed_ethnicity"] = self.person.observed_code()
        since = self._custody_since()
        current = _day(r.custody_from) if r.in_custody else None
        if self.in_custody.isChecked() != r.in_custody or since != current:
            out["in_custody"] = self.in_custody.isChecked()
            out["custody_from"] = since
        return out

    def _custody_since(self) -> date | None:
        if not self.in_custody.isChecked():
            return None
        value: date = self.custody_from.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
        return None if value <= EARLIEST else value

    def submit(self) -> None:
        try:
            changes = self.changes()
        except GvmError as problem:
            self.error_label.show_error(problem)
            return
        ref, reason = self._record.ref, self.reason.toPlainText()
        self.send(lambda s, ws: s.changes.edit(ws, ref, changes, reason), changes=RECORD_AND_MATRIX)


def _day(text: str | None) -> date | None:
    """A date from the service's ISO text (a day, or a moment whose day counts)."""
    return date.fromisoformat(text[:10]) if text else None
