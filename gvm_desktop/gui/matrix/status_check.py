"""Is this person on the matrix? Name and date of birth, then why, then yes or no.

The answer is what the service gives (StatusAnswer): yes or no for active people
in any BCU, their bands and whom to contact. Never their details: the asking
officer may not be entitled to them, but can ask the owning BCU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from gvm_desktop.core.errors import GvmError, ValidationError
from gvm_desktop.core.people import MAX_AGE, MIN_AGE, age_on
from gvm_desktop.core.records import StatusAnswer
from gvm_desktop.core.text import NAME_MAX, clean
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import date_box, entered_date, limit_line
from gvm_desktop.gui.common.home_base import panel
from gvm_desktop.gui.common.widgets import heading, note
from gvm_desktop.gui.record.justify_dialog import JustifyDialog
from gvm_desktop.gui.record.record_tabs import paint_band

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

EXPLAIN = ("Checks the active matrix of every BCU. You get yes or no, the bands and whom to contact; "
           "never the person's details. The check is logged with your reason.")


class StatusCheckDialog(FormDialog):
    def __init__(self, ops: SessionOps, parent: QWidget | None = None) -> None:
        super().__init__("Status check", parent, ok_text="&Check…", ops=ops)
        cancel = self.buttons.button(self.buttons.StandardButton.Cancel)
        if cancel is not None:
            cancel.setText("Close")  # a check can be repeated; closing is not cancelling anything
        self.justify_dialog: JustifyDialog[StatusAnswer] | None = None
        self.answer: StatusAnswer | None = None
        self.given_name = QLineEdit(self)
        self.given_name.setAccessibleName("Given name")
        self.family_name = QLineEdit(self)
        self.family_name.setAccessibleName("Family name")
        for box in (self.given_name, self.family_name):
            limit_line(box, NAME_MAX)  # refused whole over the limit, never cut
        self.date_of_birth = date_box(self, ops.clock.now().date(), empty=True, name="Date of birth")
        form = QFormLayout()
        form.addRow("&Given name", self.given_name)
        form.addRow("&Family name", self.family_name)
        form.addRow("&Date of birth", self.date_of_birth)
        self.body.addWidget(note(EXPLAIN, self))
        self.body.addLayout(form)

        result_box = panel(self)
        result = QFormLayout(result_box)
        self.result_title = heading("No check made yet", result_box, level=2)
        self.result_ref = QLabel(result_box)
        self.harm_band = QLabel(result_box)
        self.victim_band = QLabel(result_box)
        self.contact = QLabel(result_box)
        self.contact.setWordWrap(True)
        result.addRow(self.result_title)
        result.addRow("Reference:", self.result_ref)
        result.addRow("Harm band:", self.harm_band)
        result.addRow("Victim band:", self.victim_band)
        result.addRow("Contact:", self.contact)
        self.body.addWidget(result_box)
        self.body.addStretch(1)
        self.resize(560, 420)
        self.given_name.setFocus()

    def submit(self) -> None:
        """Check the fields locally, then ask why; the service is called only from the justification's OK."""
        ops = self.ops
        assert ops is not None
        try:
            given = clean(self.given_name.text(), "The given name", limit=NAME_MAX)
            family = clean(self.family_name.text(), "The family name", limit=NAME_MAX)
            born = entered_date(self.date_of_birth, "date of birth")
            age = age_on(born, ops.clock.now().date())
            if not MIN_AGE <= age <= MAX_AGE:
                # A mistyped date would only ever get "No": say so rather than answer.
                raise ValidationError(f"The date of birth gives an age of {age}; people on the matrix are "
                                      f"{MIN_AGE} to {MAX_AGE}.")
        except GvmError as problem:
            self.error_label.show_error(problem)
            return
        self.error_label.clear_message()
        dialog: JustifyDialog[StatusAnswer] = JustifyDialog(
            "Status check for the name and date of birth you entered",
            lambda reason: lambda s, ws: s.matrix.status_check(ws, given, family, born, reason), ops, self,
            ok_text="&Check", title="Why are you checking this person?")
        dialog.lock_requested.connect(self.lock_requested)
        dialog.accepted.connect(lambda: self._answered(dialog))
        self.justify_dialog = dialog
        dialog.open()

    def wipe(self) -> None:
        self.answer = None

    def _answered(self, dialog: JustifyDialog[StatusAnswer]) -> None:
        if dialog.result_value is not None:  # always set: accepted is emitted only after submit stored the answer
            self.show_answer(dialog.result_value)

    def show_answer(self, answer: StatusAnswer) -> None:
        self.answer = answer
        self.justify_dialog = None
        if answer.on_matrix:
            self.result_title.setText("Yes: this person is on the matrix")
            self.result_ref.setText(answer.ref or "")
            paint_band(self.harm_band, answer.harm_band or "")
            paint_band(self.victim_band, answer.victim_band or "")
            self.contact.setText(answer.contact or "")
        else:
            self.result_title.setText("No: not on the active matrix of any BCU")
            for label in (self.result_ref, self.harm_band, self.victim_band, self.contact):
                label.clear()
                label.setStyleSheet("")
