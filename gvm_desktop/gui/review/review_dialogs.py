"""The review tab's dialogs: recommend, override, agree with many at once, sign off (password again) and export
the signed sheet.

Each one asks and shows the service's answer; every rule (rationale length, the
flags a retain must address, who may sign or export unencrypted) is the services'.
The hints shown while typing are a courtesy, never the check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.errors import AuthenticationError, GvmError, UndecidedError
from gvm_desktop.core.labels import people_text
from gvm_desktop.core.local_time import local_day_text
from gvm_desktop.core.review import (
    MAX_RATIONALE,
    MIN_RATIONALE,
    Recommendation,
    ReusedRationale,
    Verdict,
)
from gvm_desktop.core.review_views import ReviewItem, ReviewSummary
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.file_choice import ask_save_path
from gvm_desktop.gui.common.form_fields import with_count
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.password_dialog import password_field
from gvm_desktop.gui.common.pdf_password import PdfPasswordRows, ProtectedPdfDialog
from gvm_desktop.gui.common.table_models import Column, RowTableModel
from gvm_desktop.gui.common.widgets import BusyBar, ReadOnlyTable, note
from gvm_desktop.gui.review.review_words import (
    DECISION_TIPS,
    REVIEW_STYLE,
    decision_button_text,
    decision_text,
    flag_prompt,
    flags_text,
    only_restates,
    reused_text,
    unaddressed,
)

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import Call, SessionOps


class DecisionDialog(FormDialog):
    """A decision (radio buttons) and the words for it: shared by Recommend… and Override….

    The person's flags are shown with what a retain must address, updated as the text is typed.
    Errors from the service stay in the dialog with everything typed; nothing is saved until it accepts.
    """

    _save: Callable[[Recommendation, str], Call[object]]  # set by each subclass: the call saving a choice and text

    def __init__(self, ops: SessionOps, title: str, item: ReviewItem, choices: Sequence[Recommendation],
                 text_label: str, parent: QWidget | None, *, ok_text: str) -> None:
        super().__init__(title, parent, ok_text=ok_text, ops=ops)
        self.item = item
        self.setStyleSheet(REVIEW_STYLE)
        age = "-" if item.age is None else item.age
        self.body.addWidget(note(f"{item.ref}, {item.name}: age {age}, harm {item.harm_band} ({item.harm_score}), "
                                 f"victim band {item.victim_band}.", self))
        flags = note(f"Focus flags: {flags_text(item.flags)}." if item.flags else "No focus flags.", self)
        flags.setAccessibleName("Focus flags")
        self.body.addWidget(flags)
        self.group = QButtonGroup(self)
        self.radios: dict[Recommendation, QRadioButton] = {}
        self.body.addLayout(self._radio_row(choices))
        label = QLabel(text_label, self)
        label.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName(text_label.replace("&", ""))
        self.text.setTabChangesFocus(True)  # Tab leaves the box: the form stays keyboard-only
        label.setBuddy(self.text)
        self.hint = QLabel(self)
        self.hint.setObjectName("validationHint")
        self.hint.setWordWrap(True)
        self.counter = note("", self)
        text_row, self.limit = with_count(self.text, MAX_RATIONALE)
        self.body.addWidget(label)
        self.body.addLayout(text_row, 1)
        self.body.addWidget(self.hint)
        self.body.addWidget(self.counter)
        self.text.textChanged.connect(self._check)
        self.group.buttonToggled.connect(lambda *_: self._check())
        self.resize(600, 400)

    def submit(self) -> None:
        """Both dialogs save a choice and a text through `_save`, set by the subclass."""
        choice = self.choice
        if choice is None or not self.ok_button.isEnabled():
            return
        self.send(self._save(choice, self.text.toPlainText()), changes={Change.REVIEW})

    def _sending(self, sending: bool) -> None:
        if sending:
            self.ok_button.setEnabled(False)
        else:
            self._check()

    def _radio_row(self, choices: Sequence[Recommendation]) -> QHBoxLayout:
        row = QHBoxLayout()
        for choice in choices:
            radio = QRadioButton(decision_button_text(choice), self)
            radio.setToolTip(DECISION_TIPS[choice])
            self.group.addButton(radio)
            self.radios[choice] = radio
            row.addWidget(radio)
        row.addStretch(1)
        return row

    @property
    def choice(self) -> Recommendation | None:
        return next((c for c, r in self.radios.items() if r.isChecked()), None)

    def choose(self, choice: Recommendation) -> None:
        self.radios[choice].setChecked(True)

    def _check(self) -> None:
        text = self.text.toPlainText()
        length = len(" ".join(text.split()))
        self.counter.setText(f"{length} characters (at least {MIN_RATIONALE}).")
        self._show_hint(text)
        self.ok_button.setEnabled(self.choice is not None and length >= MIN_RATIONALE and not self.limit.is_over())

    def _show_hint(self, text: str) -> None:
        if self.choice is not Recommendation.RETAIN or not self.item.flags:
            self.hint.setText("")
            self.hint.setVisible(False)
            return
        missing = unaddressed(self.item.flags, text)
        restates = not missing and only_restates(text)
        if missing:
            self.hint.setText("To retain, the text must address: " + "; ".join(flag_prompt(f) for f in missing) + ".")
        elif restates:
            self.hint.setText("Every focus flag is addressed, but only in the flags' own words: say why, about this person.")
        else:
            self.hint.setText("Every focus flag is addressed.")
        self.hint.setProperty("invalid", (bool(missing) or restates) and bool(text.strip()))
        self.hint.style().unpolish(self.hint)  # the stylesheet colours it by the property
        self.hint.style().polish(self.hint)
        self.hint.setVisible(True)


class RecommendDialog(DecisionDialog):
    def __init__(self, ops: SessionOps, review_id: int, item: ReviewItem, parent: QWidget | None) -> None:
        super().__init__(ops, f"Recommend for {item.ref}", item, tuple(Recommendation), "&Rationale", parent,
                         ok_text="Save recommendation")
        ref = item.ref
        self._save = lambda rec, text: lambda s, ws: s.reviews.recommend(ws, review_id, ref, rec, text)
        if item.verdict is not None:
            self.body.insertWidget(2, note("The SPOC has already decided on this person: a new recommendation clears "
                                           "that verdict, and they decide again.", self))
        if item.recommendation is not None:  # editing: start from what was recommended
            self.choose(item.recommendation)
            self.text.setPlainText(item.rationale)
        self._check()

class OverrideDialog(DecisionDialog):
    def __init__(self, ops: SessionOps, review_id: int, item: ReviewItem, parent: QWidget | None) -> None:
        others = tuple(r for r in Recommendation if r is not item.recommendation)
        super().__init__(ops, f"Override the recommendation for {item.ref}", item, others, "&Reason for the override",
                         parent, ok_text="Override")
        ref = item.ref
        self._save = lambda rec, text: lambda s, ws: s.reviews.decide(ws, review_id, ref, Verdict.OVERRIDE,
                                                                      decision=rec, reason=text)
        recommended = note(f"Recommended: {decision_text(item.recommendation)}, by {item.recommended_by or 'unknown'}: "
                           f"{item.rationale}", self)
        recommended.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.insertWidget(2, recommended)
        self._check()

class AgreedModel(RowTableModel[ReviewItem]):
    """What the SPOC is about to agree with: references and recommendations, no names."""

    columns = (
        Column[ReviewItem]("Ref", lambda i: i.ref),
        Column[ReviewItem]("Recommendation", lambda i: decision_text(i.recommendation)),
    )


class AgreeDialog(FormDialog):
    """One confirmation for agreeing with many recommendations: every reference and its recommendation, listed.

    Nothing is typed, so Cancel and Escape close it at once and nothing is decided; OK hands the references
    back (`refs`) and the panel agrees with all of them in one call. Overrides stay one at a time, with a reason.
    """

    def __init__(self, items: Sequence[ReviewItem], parent: QWidget | None) -> None:
        count = len(items)
        super().__init__(f"Agree with {count} recommendation{'s' if count != 1 else ''}", parent,
                         ok_text=f"Agree with {count}")
        self.refs = tuple(i.ref for i in items)
        self.body.addWidget(note(
            f"You agree with the recommendation for each of these {people_text(count)}: it becomes the final "
            "decision, carried out when the review is signed. To decide otherwise for one of them, cancel and "
            "use Override… on their row.", self))
        self.model = AgreedModel(self)
        self.model.set_rows(items)
        self.table = ReadOnlyTable(self.model, self)  # scrolls: a whole BCU may be agreed with at once
        self.table.setObjectName("agreedItems")
        self.table.setAccessibleName("The recommendations you agree with")
        self.table.setSelectionMode(ReadOnlyTable.SelectionMode.NoSelection)
        self.table.resizeColumnsToContents()
        self.body.addWidget(self.table, 1)
        self.ok_button.setDefault(True)
        self.resize(460, max(220, min(520, 140 + 22 * count)))

    def wipe(self) -> None:
        """Forget the references (the lock closes the dialog)."""
        self.model.clear()
        self.refs = ()


class TaskDialog(FormDialog):
    """A form whose OK sends a slow call (Argon2id): a busy bar and a progress line while it runs, OK paused."""

    def __init__(self, ops: SessionOps, title: str, parent: QWidget | None, *, ok_text: str) -> None:
        super().__init__(title, parent, ok_text=ok_text, ops=ops)
        self.setStyleSheet(REVIEW_STYLE)
        self.busy = BusyBar(self)
        cast(QVBoxLayout, self.layout()).insertWidget(1, self.busy)  # under the form, above the error line

    def _sending(self, sending: bool) -> None:
        super()._sending(sending)
        self.busy.set_busy(sending)

    def show_failure(self, exc: GvmError) -> None:
        self.error_label.show_error(exc)


class SignOffDialog(TaskDialog):
    """The SPOC's password typed again; a refusal (someone undecided, a wrong password) changes nothing.

    The signed original: where to save it and its PDF password. Chosen, the sign-off makes the sheet and signs
    it with the SPOC's own key; the SPOC is given that file, and the vault keeps only its SHA-256.
    """

    signed = Signal(int)  # how many people the sign-off removed

    def __init__(self, ops: SessionOps, summary: ReviewSummary, parent: QWidget | None,
                 reused: Sequence[ReusedRationale] = ()) -> None:
        super().__init__(ops, f"Sign off the {summary.quarter} review", parent,
                         ok_text="Sign off anyway" if reused else "Sign off")
        self._review_id = summary.id
        self.body.addWidget(note(
            f"{bcu_text(summary.bcu)}, {summary.quarter}: {people_text(summary.people)}, {summary.decided} decided. Signing "
            "carries out every decision now: removals (archived, as any removal), rescores, and a new last-reviewed "
            "date for everyone kept. A signed review never changes; a later change needs a new review.", self))
        # The service's warning, shown before the password is typed: signing is not blocked by it, so reading
        # it here is the SPOC's confirmation (the command line asks for --accept-reused-rationale instead).
        self.reused = QLabel(reused_text(reused), self)
        self.reused.setObjectName("reusedRationale")
        self.reused.setWordWrap(True)
        self.reused.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reused.setAccessibleName("Rationale given for several people")
        # In a scroll area: several groups of long rationales must never be cut off in the one
        # place the SPOC confirms them.
        self.reused_area = QScrollArea(self)
        self.reused_area.setWidget(self.reused)
        self.reused_area.setWidgetResizable(True)
        self.reused_area.setFrameShape(QFrame.Shape.NoFrame)
        self.reused_area.setMinimumHeight(min(240, self.reused.sizeHint().height() + 12) if reused else 0)
        self.reused_area.setVisible(bool(reused))
        self.body.addWidget(self.reused_area)
        form = QFormLayout()
        self.sheet_path = QLineEdit(self)
        self.sheet_path.setReadOnly(True)
        self.sheet_path.setPlaceholderText("No file chosen: no signed original")
        self.sheet_path.setAccessibleName("Where the signed original is saved")
        self.choose_button = QPushButton("C&hoose…", self)
        self.choose_button.clicked.connect(self.choose_sheet)
        where = QHBoxLayout()
        where.addWidget(self.sheet_path, 1)
        where.addWidget(self.choose_button)
        where_label = QLabel("Signed &original:", self)
        where_label.setBuddy(self.choose_button)
        form.addRow(where_label, where)
        self.pdf = PdfPasswordRows(ops, self, unencrypted_text="Save it &unencrypted (I have the right and take "
                                                               "responsibility)")
        self.pdf.add_rows(form, "P&DF password:")
        self.password = password_field(self, "Your password")
        form.addRow("Your &password:", self.password)
        self.body.addLayout(form)
        self.body.addWidget(note("Your password signs off the review and, with a file chosen, signs the sheet with "
                                 "your own key: that file is the signed original, and only you are given it (the "
                                 "vault keeps its SHA-256). Later exports are copies, signed by whoever makes them.",
                                 self))
        self._bcu, self._quarter = summary.bcu, summary.quarter
        self.saved_to: Path | None = None  # where the signed original went, once signed
        self.undecided_title = note("", self)
        self.undecided_refs = QLabel(self)
        self.undecided_refs.setObjectName("undecidedRefs")
        self.undecided_refs.setWordWrap(True)
        self.undecided_refs.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.undecided_refs.setAccessibleName("Undecided references")
        for label in (self.undecided_title, self.undecided_refs):
            label.hide()
            self.body.addWidget(label)
        self.body.addStretch(1)
        self.resize(560, max(260, min(640, self.sizeHint().height())))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The password is what every sign-off needs; the signed original's rows are a Tab away.
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def choose_sheet(self) -> None:
        ask_save_path(self, "Save the signed original", f"review-{self._bcu}-{self._quarter}-signed-original.pdf",
                      "PDF files (*.pdf)", "pdf", self.set_sheet_path)

    def set_sheet_path(self, path: Path) -> None:
        self.sheet_path.setText(str(path))

    def submit(self) -> None:
        password = self.password.text()
        if not password:
            self.error_label.show_message("Type your password to sign.")
            return
        target = self.sheet_path.text()
        problem = self.pdf.problem() if target else None
        if problem:
            self.error_label.show_message(problem)
            return
        from gvm_desktop.core.review_rows import SheetDelivery

        self.password.clear()  # whatever the outcome, it is typed again for the next try
        plain = self.pdf.unencrypted.isChecked()
        sheet = SheetDelivery(Path(target), self.pdf.taken(), plain) if target else None
        self.saved_to = sheet.out if sheet else None
        self.show_undecided([])
        review_id = self._review_id
        # Signing carries out the decisions: the review and the matrix (removals, rescores) both change.
        self.send(lambda s, ws: s.reviews.sign(ws, review_id, password, sheet=sheet), done=self._signed,
                  failed=self.show_failure, changes={Change.REVIEW, Change.MATRIX}, progress="Signing the review")

    def _signed(self, removed: int) -> None:
        self.pdf.wipe()
        self.accept()
        self.signed.emit(int(removed))

    def reject(self) -> None:
        self.pdf.wipe()
        super().reject()

    def show_failure(self, exc: GvmError) -> None:
        if isinstance(exc, UndecidedError):
            self.show_undecided(exc.refs)
            self.error_label.show_message("Nothing was signed: decide on everyone listed first.")
        elif isinstance(exc, AuthenticationError):
            self.error_label.show_message(f"{exc.message} The review is still open.")
        else:
            super().show_failure(exc)

    def show_undecided(self, refs: Sequence[str]) -> None:
        count = len(refs)
        self.undecided_title.setText(f"Still undecided ({count}): no recommendation or no verdict yet." if refs else "")
        self.undecided_refs.setText(", ".join(refs))
        self.undecided_title.setVisible(bool(refs))
        self.undecided_refs.setVisible(bool(refs))


class ExportSheetDialog(ProtectedPdfDialog):
    """A later copy of a signed review sheet: the shared protected-PDF form (its password typed twice, or
    unencrypted on the exporter's responsibility; the account password signs it), saying what a copy is."""

    def __init__(self, ops: SessionOps, summary: ReviewSummary, path: Path, parent: QWidget | None) -> None:
        review_id = summary.id
        signed = local_day_text(summary.signed_at) if summary.signed_at else ""
        super().__init__(
            ops, f"Export the {summary.quarter} review sheet",
            f"The review sheet of {bcu_text(summary.bcu)}, {summary.quarter} (signed on {signed})", path,
            lambda account, pdf, plain: lambda s, ws: s.reports.export_review(
                ws, review_id, path, account_password=account, pdf_password=pdf, unencrypted=plain),
            parent, progress="Exporting the review sheet", delete_on_close=False)  # the panel keeps and wipes it
        self.body.addWidget(note("This is a later copy: it says so on its first page, names the signed original it "
                                 "reproduces, and your account password signs it with your own key.", self))
        self.pdf_password, self.pdf_again, self.unencrypted = self.pdf.pdf_password, self.pdf.pdf_again, self.pdf.unencrypted
