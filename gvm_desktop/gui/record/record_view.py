"""One person's record, opened behind a justification, with the actions the role may take.

The view keeps the justification given when it was opened and reuses it to read
the record again after a change (each read is logged again, with that reason).
It holds the only copy of the record on screen; `wipe()` blanks it, and the page
calls that on lock. Its reads and the actions' writes go through the session's
operations; an action's dialog names what it changed, so the home refreshes its list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Permission, allows
from gvm_desktop.core.records import NominalRecord
from gvm_desktop.core.text import isolate
from gvm_desktop.gui.common.dialogs import FormDialog, NoteCall, NoteDialog
from gvm_desktop.gui.common.home_base import wipe_item_models, wipe_texts
from gvm_desktop.gui.common.screen_fit import open_fitted
from gvm_desktop.gui.common.shortcuts import add_lock_shortcut
from gvm_desktop.gui.common.widgets import ErrorLabel, heading, note
from gvm_desktop.gui.record.activity_forms import AddActivityDialog, AddInterventionDialog
from gvm_desktop.gui.record.record_actions import RECORD_AND_MATRIX, AddEvidenceDialog, EditDialog
from gvm_desktop.gui.record.record_tabs import ActivityTab, DetailsTab, EvidenceTab, HistoryTab, ScoresTab

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

TAB_TITLES = ("&Details", "E&vidence", "&Scores", "&Interventions and activity", "&History")


class RecordView(QDialog):
    lock_requested = Signal()
    gone = Signal(str)  # it left the matrix (removed or rejected); the text says so

    def __init__(self, ops: SessionOps, record: NominalRecord, justification: Justification,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self._justification = ops, justification
        self.record: NominalRecord | None = record
        self.ref = record.ref
        role = ops.session.role
        self.can_edit = allows(role, Permission.MATRIX_EDIT)
        self.can_approve = allows(role, Permission.MATRIX_APPROVE)
        self.setWindowTitle(f"Record {record.ref}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # the page deletes it; wipe() blanks it
        open_fitted(self, QSize(980, 660))  # smaller where the screen is (150% scaling on a laptop)

        self.title = heading("", self)
        self.subtitle = note("", self)
        self.tabs = QTabWidget(self)
        self.details = DetailsTab(self)
        self.evidence = EvidenceTab(self)
        self.scores = ScoresTab(self)
        self.activity = ActivityTab(self)
        for tab, title in zip((self.details, self.evidence, self.scores, self.activity), TAB_TITLES, strict=False):
            self.tabs.addTab(tab, title)
        self.history: HistoryTab | None = None
        self.action_dialog: FormDialog | None = None  # the action form open over this view, if any
        if allows(role, Permission.RECORD_HISTORY):
            self.history = HistoryTab(self._fetch_history, self)
            self.tabs.addTab(self.history, TAB_TITLES[4])
        self.tabs.currentChanged.connect(self._tab_changed)
        self.error_label = ErrorLabel(self)
        self.access_note = note(f"Opened for: {justification.category.label}. Each read is in the access log.", self)

        self.add_evidence_button = QPushButton("&Add evidence…", self)
        self.edit_button = QPushButton("&Edit…", self)
        self.propose_removal_button = QPushButton("Propose &removal…", self)
        self.approve_button = QPushButton("A&pprove addition…", self)
        self.reject_button = QPushButton("Re&ject addition…", self)
        self.approve_removal_button = QPushButton("Approve re&moval…", self)
        self.close_button = QPushButton("&Close", self)
        # On the "Interventions and activity" tab, beside what they add to.
        self.add_intervention_button = self.activity.add_intervention_button
        self.add_activity_button = self.activity.add_activity_button
        self._lay_out()
        self.add_evidence_button.clicked.connect(self.add_evidence)
        self.edit_button.clicked.connect(self.edit)
        self.propose_removal_button.clicked.connect(self.propose_removal)
        self.approve_button.clicked.connect(self.approve_addition)
        self.reject_button.clicked.connect(self.reject_addition)
        self.approve_removal_button.clicked.connect(self.approve_removal)
        self.add_intervention_button.clicked.connect(self.add_intervention)
        self.add_activity_button.clicked.connect(self.add_activity)
        self.close_button.clicked.connect(self.close_view)
        add_lock_shortcut(self).triggered.connect(self.lock_requested)
        self.show_record(record)

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        actions = QHBoxLayout()
        for button in self.bottom_buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.access_note)
        actions.addWidget(self.close_button)
        layout.addLayout(actions)

    def bottom_buttons(self) -> tuple[QPushButton, ...]:
        return (self.add_evidence_button, self.edit_button, self.propose_removal_button, self.approve_button,
                self.reject_button, self.approve_removal_button)

    def action_buttons(self) -> tuple[QPushButton, ...]:
        """Every button that changes the record: the row at the bottom, and the two on the activity tab."""
        return (*self.bottom_buttons(), self.add_intervention_button, self.add_activity_button)

    # -- showing ----------------------------------------------------------------

    def show_record(self, r: NominalRecord) -> None:
        self.record = r
        self.title.setText(f"{isolate(r.full_name)} — {r.ref}")
        self.subtitle.setText(f"{r.status.capitalize()} · {r.classification} · harm {r.harm_score} ({r.harm_band}) · "
                              f"victim risk {r.victim_score} ({r.victim_band})")
        for tab in (self.details, self.evidence, self.scores, self.activity):
            tab.show_record(r)
        if self.history is not None:
            self.history.reset()
            if self.tabs.currentWidget() is self.history:
                self.history.ensure_loaded()
        active, proposed = r.status == "active", r.status == "proposed"
        self.add_evidence_button.setVisible(self.can_edit)
        self.edit_button.setVisible(self.can_edit)
        self.add_intervention_button.setVisible(self.can_edit)
        self.add_activity_button.setVisible(self.can_edit)
        self.propose_removal_button.setVisible(self.can_edit and active and "remove" not in r.pending)
        self.approve_button.setVisible(self.can_approve and proposed)
        self.reject_button.setVisible(self.can_approve and proposed)
        self.approve_removal_button.setVisible(self.can_approve and active and "remove" in r.pending)

    def _tab_changed(self, _index: int) -> None:
        if self.history is not None and self.tabs.currentWidget() is self.history:
            self.history.ensure_loaded()

    def _fetch_history(self) -> None:
        history, ref, reason = self.history, self.ref, self._justification
        assert history is not None
        self.ops.run(lambda s, ws: s.records.history(ws, ref, reason), done=history.show_versions,
                     errors=self.error_label, finished=history.answered, owner=self)

    def reload(self) -> None:
        """Read the record again with the same reason (logged again, as it should be)."""
        ref, reason = self.ref, self._justification
        self.ops.run(lambda s, ws: s.records.open(ws, ref, reason), done=self._reloaded, errors=self.error_label,
                     owner=self)

    def _reloaded(self, record: NominalRecord) -> None:
        if self.record is not None:  # not wiped meanwhile
            self.show_record(record)

    # -- actions ----------------------------------------------------------------

    def _run(self, dialog: FormDialog, *, leaves: str | None = None) -> FormDialog:
        """Open an action's dialog; when it succeeds, read the record again (or close, if it left the matrix)."""
        dialog.lock_requested.connect(self.lock_requested)
        dialog.accepted.connect(lambda: self._after_change(leaves))
        self.action_dialog = dialog
        dialog.open()
        return dialog

    def _after_change(self, leaves: str | None) -> None:
        if leaves is None:
            self.reload()
            return
        self.gone.emit(leaves)
        self.close_view()

    def add_evidence(self) -> FormDialog:
        assert self.record is not None
        return self._run(AddEvidenceDialog(self.ops, self.record, self))

    def edit(self) -> FormDialog:
        assert self.record is not None
        return self._run(EditDialog(self.ops, self.record, self))

    def add_intervention(self) -> FormDialog:
        assert self.record is not None
        return self._run(AddInterventionDialog(self.ops, self.record, self))

    def add_activity(self) -> FormDialog:
        assert self.record is not None
        return self._run(AddActivityDialog(self.ops, self.record, self))

    def _note(self, title: str, prompt: str, action: NoteCall, ok_text: str) -> NoteDialog:
        return NoteDialog(title, prompt, action, self.ops, self, ok_text=ok_text, changes=RECORD_AND_MATRIX)

    def propose_removal(self) -> FormDialog:
        ref = self.ref
        return self._run(self._note(
            f"Propose removing {ref}", "Why should this person leave the matrix? The SPOC decides.",
            lambda s, ws, text: s.changes.propose_removal(ws, ref, text), "&Propose removal"))

    def approve_addition(self) -> FormDialog:
        ref = self.ref
        return self._run(self._note(
            f"Approve adding {ref}", "Your approval note (kept with the decision). The evidence must be "
            "corroborated by two source types; if not, you are told what is missing.",
            lambda s, ws, text: s.changes.approve_addition(ws, ref, text), "&Approve"))

    def reject_addition(self) -> FormDialog:
        ref = self.ref
        return self._run(self._note(
            f"Reject the proposal {ref}", "Why is it rejected? The proposal leaves the matrix like a removal.",
            lambda s, ws, text: s.changes.reject_addition(ws, ref, text), "Re&ject"),
            leaves=f"The proposal {ref} was rejected; it is no longer listed.")

    def approve_removal(self) -> FormDialog:
        ref = self.ref
        return self._run(self._note(
            f"Remove {ref} from the matrix", "Your note on the removal. Only a minimal archive row is kept, "
            "until the retention period ends.",
            lambda s, ws, text: s.changes.approve_removal(ws, ref, text), "&Remove from the matrix"),
            leaves=f"{ref} was removed from the matrix.")

    # -- closing ----------------------------------------------------------------

    def wipe(self) -> None:
        """Blank every field and table: the record must not outlive the view, or a lock."""
        self.record = None
        self.action_dialog = None
        for dialog in self.findChildren(QDialog):
            wipe_texts(dialog)
            dialog.hide()
        wipe_item_models(self)
        wipe_texts(self)
        self.setWindowTitle("")

    def close_view(self) -> None:
        self.wipe()
        self.hide()
        self.deleteLater()

    def reject(self) -> None:  # Escape closes the view, and blanks it
        self.close_view()

    def closeEvent(self, event: QCloseEvent) -> None:  # the window's own close button
        self.wipe()
        super().closeEvent(event)
        self.deleteLater()

