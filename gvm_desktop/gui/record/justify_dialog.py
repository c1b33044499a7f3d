"""Why are you opening this record? Asked before anything about the person is read.

The answer goes into the access log with the read itself (RecordService.open
writes both in one transaction). The last reason this user gave for the same
record may be offered, but is never taken as given: OK must be pressed each time.
The rules are the core's (`Justification.make`), checked as the person types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from gvm_desktop.core.errors import GvmError, ValidationError
from gvm_desktop.core.justification import MAX_TEXT, MIN_TEXT, Justification, ReasonCategory
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import buddy_label, with_count
from gvm_desktop.gui.common.widgets import note

OPERATION_MAX = 40  # the core's operation reference pattern allows 40 characters

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import Call, SessionOps

CHOOSE_REASON = "Choose a reason…"
START_HINT = f"Choose a reason and say why in at least two words ({MIN_TEXT} characters or more)."

# Shown beside the fields: the person should know what happens to what they type.
LOGGED_NOTE = ("Your reason is written to the access log with the time, your account and this workstation. "
               "Auditors read it and may ask you about it.")


T = TypeVar("T")


class JustifyDialog(FormDialog, Generic[T]):
    """Reason category, words, optional operation reference; OK sends `call_with(justification)`.

    `call_with` gives the service call that needs the reason (open a record, check a
    status). If it is refused, its message is shown here and the dialog stays open.
    Cancel calls nothing.
    """

    def __init__(self, subject: str, call_with: Callable[[Justification], Call[T]], ops: SessionOps,
                 parent: QWidget | None, *, ok_text: str = "&Open record",
                 title: str = "Why are you opening this record?") -> None:
        super().__init__(title, parent, ok_text=ok_text, ops=ops)
        self._call_with = call_with
        self.result_value: T | None = None  # what submit_with returned, once OK succeeded
        self.subject = QLabel(subject, self)
        self.subject.setObjectName("subheading")
        self.subject.setWordWrap(True)
        self.category = QComboBox(self)
        self.category.setAccessibleName("Reason")
        # No reason is preselected: the first one would be a default nobody chose, in the access log.
        self.category.addItem(CHOOSE_REASON, None)
        for cat in ReasonCategory:
            self.category.addItem(cat.label, cat.value)
        self.text = QLineEdit(self)
        self.text.setAccessibleName("Why, in words")
        self.text.setPlaceholderText(f"At least two words ({MIN_TEXT} characters or more): what you need it for")
        self.operation = QLineEdit(self)
        self.operation.setAccessibleName("Operation reference")
        self.operation.setPlaceholderText("e.g. OP-SYNTH-17 (needed for a linked operation)")
        self.hint = QLabel(self)
        self.hint.setObjectName("validationHint")
        self.hint.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Reason", self.category)
        # Counted as people type against the core's limits; an edit that would go over is refused whole and said.
        text_row, self.text_count = with_count(self.text, MAX_TEXT)
        operation_row, self.operation_count = with_count(self.operation, OPERATION_MAX)
        form.addRow(buddy_label("&Why", self.text), text_row)
        form.addRow(buddy_label("O&peration ref", self.operation), operation_row)
        self.body.addWidget(self.subject)
        self.body.addLayout(form)
        self.body.addWidget(self.hint)
        self.body.addWidget(note(LOGGED_NOTE, self))
        self.setMinimumWidth(560)

        self.hint_prefix = ""
        self._touched = False  # no rule is shouted at before anything was typed
        for signal in (self.category.currentIndexChanged, self.text.textChanged, self.operation.textChanged):
            signal.connect(self._edited)
        self._validate()
        self.text.setFocus()

    def offer(self, prefill: Justification | None) -> None:
        """Fill in this user's last reason (read after the dialog opened), unless something was typed meanwhile."""
        if prefill is None or self._touched:
            return
        for signal in (self.category.currentIndexChanged, self.text.textChanged, self.operation.textChanged):
            signal.disconnect(self._edited)
        self.category.setCurrentIndex(max(0, self.category.findData(prefill.category.value)))
        self.text.setText(prefill.text)
        self.operation.setText(prefill.operation_ref or "")
        for signal in (self.category.currentIndexChanged, self.text.textChanged, self.operation.textChanged):
            signal.connect(self._edited)
        self.hint_prefix = "Your reason from last time is filled in; check it, then press OK."
        self._touched = True
        self._validate()

    def _make(self) -> Justification:
        if self.category.currentData() is None:
            raise ValidationError("Choose a reason.")
        return Justification.make(self.category.currentData(), self.text.text(), self.operation.text())

    def justification(self) -> Justification | None:
        """The reason as the core accepts it, or None while it breaks a rule."""
        try:
            return self._make()
        except GvmError:
            return None

    def _edited(self) -> None:
        self._touched = True
        self._validate()

    def _validate(self) -> None:
        try:
            self._make()
        except GvmError as problem:
            self.ok_button.setEnabled(False)
            self.hint.setText(problem.message if self._touched else START_HINT)
            self.hint.setProperty("invalid", self._touched)
        else:
            self.ok_button.setEnabled(True)
            self.hint.setText(self.hint_prefix)
            self.hint.setProperty("invalid", False)
        self.hint.style().unpolish(self.hint)  # the stylesheet colours it by the property
        self.hint.style().polish(self.hint)

    def wipe(self) -> None:
        """On lock: drop what the service returned (a record, an answer) along with the typed reason."""
        self.result_value = None

    def _sending(self, sending: bool) -> None:
        if sending:
            self.ok_button.setEnabled(False)
        else:
            self._validate()

    def submit(self) -> None:
        reason = self.justification()
        if reason is None or not self.ok_button.isEnabled():  # Enter in a field must not get past a disabled OK
            return
        self.send(self._call_with(reason), done=self._answered)

    def _answered(self, value: T) -> None:
        self.result_value = value
        self.accept()
