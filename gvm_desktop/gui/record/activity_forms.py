"""Adding to a record's "Interventions and activity" tab: an intervention offered, a stop or an arrest.

Each form makes one service call; the rules are the service's (nothing offered or
done in the future, an intervention does not end before it starts), and its
message is shown in the form, which stays open with what was typed. Only the
date an intervention was offered, and the date of police activity, are bounded
by today: an intervention's start and end may be planned ahead.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QFormLayout, QHBoxLayout, QLineEdit, QWidget

from gvm_desktop.core.changes import Intervention
from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.records import NominalRecord
from gvm_desktop.core.text import NAME_MAX, TEXT_MAX
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import (
    EARLIEST,
    LimitCount,
    buddy_label,
    chosen,
    code_combo,
    date_box,
    entered_date,
    text_box,
    with_count,
)
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.widgets import note

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

REFERRALS = ("Mentoring", "Employment support", "Education", "Family support", "Mental health")
ACTIVITY_KINDS = (("stop", "Stop"), ("arrest", "Arrest"))
PLANNED_AHEAD_YEARS = 5  # how far ahead an intervention's start or end may be entered


def optional_date(box: QDateEdit) -> date | None:
    """The date in a box that may be left "Not entered" (then None)."""
    value: date = box.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
    return None if value <= EARLIEST else value


def years_ahead(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return date(today.year + years, 3, 1)


class AddInterventionDialog(FormDialog):
    """A referral offered to the person: what, by whom, when, whether taken up, and how it went."""

    def __init__(self, ops: SessionOps, record: NominalRecord, parent: QWidget | None) -> None:
        super().__init__(f"Add an intervention to {record.ref}", parent, ok_text="&Add intervention", ops=ops)
        self._ref = record.ref
        today = ops.clock.now().date()
        ahead = years_ahead(today, PLANNED_AHEAD_YEARS)

        # Editable: the usual referrals to pick from, or another typed in. No silent default.
        self.referral = QComboBox(self)
        self.referral.setAccessibleName("Referral")
        self.referral.setEditable(True)
        self.referral.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # typed text stays in the box only
        self.referral.addItems(REFERRALS)
        self.referral.setCurrentIndex(-1)
        line = self.referral.lineEdit()
        assert line is not None
        self.referral_count = LimitCount(line, NAME_MAX, self)
        line.setPlaceholderText("Choose or type the kind of referral")
        self.provider = QLineEdit(self)
        self.provider.setAccessibleName("Provider")
        self.provider.setPlaceholderText("Who provides it")
        self.offered_on = date_box(self, today, empty=False, name="Offered on")
        self.taken_up = QCheckBox("&Taken up", self)
        self.taken_up.setAccessibleName("Taken up")
        self.outcome = text_box(self, "Outcome", lines=3, placeholder="How it went, if known (optional)")
        self.starts_on = date_box(self, ahead, empty=True, name="Starts on")
        self.ends_on = date_box(self, ahead, empty=True, name="Ends on")

        # The service's limits (changes.add_intervention), counted as people type; nothing is cut.
        referral_row = QHBoxLayout()
        referral_row.addWidget(self.referral, 1)
        referral_row.addWidget(self.referral_count)
        provider_row, self.provider_count = with_count(self.provider, NAME_MAX)
        outcome_row, self.outcome_count = with_count(self.outcome, TEXT_MAX)
        form = QFormLayout()
        form.addRow(buddy_label("&Referral", self.referral), referral_row)
        form.addRow(buddy_label("&Provider", self.provider), provider_row)
        form.addRow("&Offered on", self.offered_on)
        form.addRow("", self.taken_up)
        form.addRow(buddy_label("O&utcome", self.outcome), outcome_row)
        form.addRow("&Starts on", self.starts_on)
        form.addRow("&Ends on", self.ends_on)
        self.body.addLayout(form)
        self.body.addWidget(note("Offered on is no later than today. Start and end are optional (leave them "
                                 "\u201cNot entered\u201d) and may be planned ahead.", self))
        self.body.addStretch(1)
        self.resize(560, 380)
        self.referral.setFocus()

    def item(self) -> Intervention:
        """What was typed; the service checks it (and says what is wrong)."""
        return Intervention(
            referral=self.referral.currentText(), provider=self.provider.text(),
            offered_on=entered_date(self.offered_on, "date the intervention was offered"),
            taken_up=self.taken_up.isChecked(), outcome=self.outcome.toPlainText(),
            starts_on=optional_date(self.starts_on), ends_on=optional_date(self.ends_on),
        )

    def submit(self) -> None:
        try:
            item = self.item()
        except GvmError as problem:
            self.error_label.show_error(problem)
            return
        ref = self._ref
        self.send(lambda s, ws: s.changes.add_intervention(ws, ref, item), changes={Change.RECORD})


class AddActivityDialog(FormDialog):
    """A stop or an arrest of the person, dated, with a note."""

    def __init__(self, ops: SessionOps, record: NominalRecord, parent: QWidget | None) -> None:
        super().__init__(f"Add police activity to {record.ref}", parent, ok_text="&Add police activity", ops=ops)
        self._ref = record.ref
        today = ops.clock.now().date()
        self.kind = code_combo(self, ACTIVITY_KINDS, name="Kind of police activity")
        self.on = date_box(self, today, empty=False, name="Date")
        self.note = text_box(self, "Note", lines=3, placeholder="What happened, briefly (optional)")

        note_row, self.note_count = with_count(self.note, TEXT_MAX)  # the service's limit (changes.add_activity)
        form = QFormLayout()
        form.addRow("&Kind", self.kind)
        form.addRow("&Date", self.on)
        form.addRow(buddy_label("&Note", self.note), note_row)
        self.body.addLayout(form)
        self.body.addWidget(note("Dated no later than today.", self))
        self.body.addStretch(1)
        self.resize(480, 240)
        self.kind.setFocus()

    def submit(self) -> None:
        try:
            kind = chosen(self.kind, "kind of police activity (stop or arrest)")
            on = entered_date(self.on, "date of the police activity")
        except GvmError as problem:
            self.error_label.show_error(problem)
            return
        ref, text = self._ref, self.note.toPlainText()
        self.send(lambda s, ws: s.changes.add_activity(ws, ref, kind, on, text), changes={Change.RECORD})
