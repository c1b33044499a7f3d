"""Propose a person for the matrix: who they are, the evidence, and why. Saved whole or not at all.

The entries are collected here first (each checked by the core's rules as it is
added) and go to `app.changes.propose` in one call, which writes the person, the
evidence, the score and the log entry in one transaction. If the same name and
date of birth are already held, the officer is offered that record instead of a
duplicate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.changes import MIN_REASON, DuplicatePerson
from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.evidence import EvidenceDraft, corroboration
from gvm_desktop.core.people import validate_draft
from gvm_desktop.core.text import TEXT_MAX
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import LimitCount, text_box
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.widgets import ErrorLabel, NoCopyTable, note
from gvm_desktop.gui.matrix.evidence_form import EvidenceForm
from gvm_desktop.gui.matrix.person_form import PersonForm
from gvm_desktop.gui.record.record_models import DraftEvidenceModel

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

UNADDED_ENTRY = "The evidence form holds an entry that is not in the list yet: press Add entry, or clear the form."


class _EntriesTable(NoCopyTable):
    """Delete removes the selected entry (the keyboard way to take one back)."""

    delete_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete:
            self.delete_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class ProposeDialog(FormDialog):
    proposed = Signal(str)  # the new reference
    open_requested = Signal(str)  # the officer chose to open the existing record instead

    def __init__(self, ops: SessionOps, parent: QWidget | None = None) -> None:
        super().__init__("Propose a person for the matrix", parent, ok_text="&Propose", ops=ops)
        self.today = ops.clock.now().date()
        self.policy = ops.policy
        bcu = ops.session.bcu
        assert bcu is not None  # only officers and SPOCs propose, and they always have a BCU
        self.person = PersonForm(bcu, self.today, self)
        self.evidence = EvidenceForm(self.today, self)
        self.entries = DraftEvidenceModel(self)
        self.entries_table = _EntriesTable(self.entries, self)
        self.entries_table.setSortingEnabled(False)
        self.entries_table.setMinimumHeight(self.entries_table.verticalHeader().defaultSectionSize() * 5)
        self.entries_table.setAccessibleName("Evidence entries to send")
        self.add_button = QPushButton("Add &entry", self)
        self.remove_button = QPushButton("Remove selected entry", self)
        self.evidence_error = ErrorLabel(self)
        self.corroboration = note("", self)
        self.reason = text_box(self, "Why this person should be on the matrix", lines=3,
                               placeholder=f"At least {MIN_REASON} characters")
        self.reason_count = note("", self)
        self.reason_limit = LimitCount(self.reason, TEXT_MAX, self)  # the service's limit, counted as people type
        self.duplicate_row = QHBoxLayout()
        self.duplicate_buttons: list[QPushButton] = []
        self._lay_out()

        self.add_button.clicked.connect(self.add_entry)
        self.remove_button.clicked.connect(self.remove_entry)
        self.entries_table.delete_pressed.connect(self.remove_entry)
        self.reason.textChanged.connect(self._count_reason)
        self._count_reason()
        self._show_corroboration()
        self.person.given_name.setFocus()

    def _lay_out(self) -> None:
        person_box = QGroupBox("Person", self)
        QVBoxLayout(person_box).addWidget(self.person)
        evidence_box = QGroupBox("Evidence (at least one entry; two source types corroborate)", self)
        inner = QVBoxLayout(evidence_box)
        inner.addWidget(self.evidence)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        inner.addLayout(buttons)
        inner.addWidget(self.evidence_error)
        inner.addWidget(self.entries_table, 1)
        inner.addWidget(self.corroboration)
        columns = QHBoxLayout()
        columns.addWidget(person_box, 1)
        columns.addWidget(evidence_box, 1)
        self.body.addLayout(columns, 1)
        reason_label = QLabel("&Why this person should be on the matrix (the SPOC reads this)", self)
        reason_label.setBuddy(self.reason)
        self.body.addWidget(reason_label)
        self.body.addWidget(self.reason)
        counts = QHBoxLayout()
        counts.addWidget(self.reason_count, 1)
        counts.addWidget(self.reason_limit)
        self.body.addLayout(counts)
        self.body.addLayout(self.duplicate_row)
        self.resize(1180, 760)

    # -- evidence entries -------------------------------------------------------

    def add_entry(self) -> bool:
        try:
            entry = self.evidence.checked(self.person.date_of_birth_or_none())
        except GvmError as problem:
            self.evidence_error.show_error(problem)
            return False
        self.evidence_error.clear_message()
        self.entries.set_rows([*self._entries(), entry])
        self.evidence.reset()
        self._show_corroboration()
        return True

    def remove_entry(self) -> None:
        selected = self.entries_table.selectionModel().selectedRows()
        if not selected:
            return
        drop = selected[0].row()
        self.entries.set_rows([e for i, e in enumerate(self._entries()) if i != drop])
        self._show_corroboration()

    def _entries(self) -> list[EvidenceDraft]:
        return [self.entries.row_at(i) for i in range(self.entries.rowCount())]

    def _show_corroboration(self) -> None:
        """Tell the officer now whether the SPOC will be able to approve (the same rule the service applies)."""
        entries = self._entries()
        if not entries:
            self.corroboration.setText("No entries yet.")
            return
        policy = self.policy
        check = corroboration([(e.kind, e.source_type, e.grading, e.on) for e in entries], on=self.today,
                              min_sources=policy.corroboration_sources,
                              window_days=policy.corroboration_window_days)
        self.corroboration.setText(
            f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}. " + (
                "Corroborated: the SPOC can approve this." if check.satisfied
                else f"Not yet corroborated (it can be proposed, not approved): {check.missing}"))

    def _count_reason(self) -> None:
        length = len(self.reason.toPlainText().strip())
        self.reason_count.setText(f"{length} characters (at least {MIN_REASON}).")

    # -- sending ----------------------------------------------------------------

    def submit(self) -> None:
        self._clear_duplicates()
        if not self.evidence.is_blank():
            self.error_label.show_message(UNADDED_ENTRY)
            return
        try:  # the core's rules first, so the message names the field (the service checks again)
            draft = validate_draft(self.person.draft(), today=self.today)
        except GvmError as problem:
            self.error_label.show_error(problem)
            return
        if not self._entries():
            self.error_label.show_message("Add at least one evidence entry (fill in the form, then Add entry).")
            return

        entries, reason = self._entries(), self.reason.toPlainText()
        gangs, observed = self.person.gang_names(), self.person.observed_code()
        self.send(lambda s, ws: s.changes.propose(ws, draft, evidence=entries, reason=reason, gangs=gangs,
                                                  observed_ethnicity=observed),
                  done=self._sent_ok, failed=self._refused, changes={Change.MATRIX})

    def _sent_ok(self, ref: str) -> None:
        self.accept()
        self.proposed.emit(ref)

    def _refused(self, error: GvmError) -> None:
        self.error_label.show_error(error)
        if isinstance(error, DuplicatePerson):
            self._offer_existing(error.refs)

    def _offer_existing(self, refs: list[str]) -> None:
        """The person is already held in this BCU: offer to open that record (behind a justification)."""
        for ref in refs:
            button = QPushButton(f"Open {ref} instead…", self)
            button.clicked.connect(lambda _checked=False, r=ref: self._open_existing(r))
            self.duplicate_row.addWidget(button)
            self.duplicate_buttons.append(button)
        if refs:
            self.duplicate_buttons[0].setFocus()

    def _open_existing(self, ref: str) -> None:
        self.reject()
        self.open_requested.emit(ref)

    def _clear_duplicates(self) -> None:
        for button in self.duplicate_buttons:
            self.duplicate_row.removeWidget(button)
            button.deleteLater()
        self.duplicate_buttons = []
