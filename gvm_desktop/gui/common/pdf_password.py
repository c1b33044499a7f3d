"""The PDF password rows every protected export asks for, and the dialog that asks them with the account password.

Every PDF that carries a person's record or personal data leaves encrypted and signed
with the exporter's own key: the reader needs the PDF password, the signature needs the
account password typed again. The services check both (the PDF password against the
account password rules, the right to export unencrypted); what is checked here is only
what can be said before asking them.

The workstation's policy (core/machine_policy.py) can forbid unencrypted exports and ask a
stronger PDF password. The rows show both as fixed, saying whose rule it is, and judge what
is typed with the very check the services run (reports/pdf_signing.check_password, at the
policy's zxcvbn score), so the dialog's OK and the service never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.machine_policy import NO_POLICY, MachinePolicy
from gvm_desktop.core.passwords import MIN_LENGTH, MIN_ZXCVBN_SCORE, generated_passphrase
from gvm_desktop.core.policy import Permission, allows
from gvm_desktop.gui.common.clipboard import SecureClipboard
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.file_choice import writing_to
from gvm_desktop.gui.common.password_dialog import password_field
from gvm_desktop.gui.common.widgets import BusyBar, note
from gvm_desktop.reports.pdf_signing import check_password as check_pdf_password

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.gui.common.operations import Call, Change, SessionOps

# (account password, PDF password or None, unencrypted) -> the service call that writes the file.
ProtectedCall = Callable[[str, str | None, bool], "Call[Any]"]
# A generated passphrase scores 4 of 4 (2,000 drawn in a row did); drawing again is only a guard for a rare one.
_GENERATE_TRIES = 8


def pdf_password_rule(policy: MachinePolicy) -> str:
    """What a PDF password must be, before anything is typed: the product's rule, or the workstation's minimum."""
    score = policy.min_pdf_password_score
    if score is not None and score > MIN_ZXCVBN_SCORE:
        return (f"At least {MIN_LENGTH} characters and strength {score} of 4, fixed by {policy.why()}: "
                "Generate makes one that is.")
    return (f"At least {MIN_LENGTH} characters and hard to guess (strength {MIN_ZXCVBN_SCORE} of 4): "
            "Generate makes one that is.")


def pdf_password_verdict(password: str, policy: MachinePolicy) -> tuple[bool | None, str]:
    """(None: nothing typed, True: the services will take it, False: they will refuse it; the words to show)."""
    if not password:
        return None, pdf_password_rule(policy)
    try:
        check_pdf_password(password, policy.min_pdf_password_score)
    except ValidationError as refusal:
        return False, refusal.message
    return True, "This PDF password meets the rule."


class PdfPasswordRows(QWidget):
    """A PDF's password typed twice, or a generated passphrase shown once (copyable, cleared from the clipboard
    after 30 s), or unencrypted for a role allowed it. The service checks the password against the account rules.

    `judged` is emitted whenever the verdict on what is typed may have changed (typing, ticking, the policy
    arriving): a dialog holds its OK back while `refused`.
    """

    judged = Signal()

    def __init__(self, ops: SessionOps, parent: QWidget, *, unencrypted_text: str) -> None:
        super().__init__(parent)
        self.policy = NO_POLICY  # until the workstation's arrives from the session's worker
        self.refused = False
        self.pdf_password = password_field(parent, "PDF password")
        self.pdf_again = password_field(parent, "PDF password again")
        self.generate_button = QPushButton("&Generate", parent)
        self.generate_button.setToolTip("Fill both fields with a passphrase of six random words, shown once below")
        self.generate_button.setAccessibleName("Generate a PDF passphrase")
        self.passphrase = QLabel(parent)  # the generated passphrase, shown once: the reader must be told it
        self.passphrase.setObjectName("generatedPassphrase")
        self.passphrase.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.passphrase.setAccessibleName("Generated PDF passphrase")
        self.copy_button = QPushButton("&Copy", parent)
        self.copy_button.setToolTip("Copy the passphrase; the clipboard is cleared after 30 seconds")
        self.clipboard = SecureClipboard(self)
        self.unencrypted = QCheckBox(unencrypted_text, parent)
        self.unencrypted.setToolTip("The PDF opens without a password: only for a destination that is itself secure")
        # Only a role that may export unencrypted is offered it (the service checks again).
        self._may_export_plain = allows(ops.session.role, Permission.EXPORT_UNENCRYPTED)
        self.unencrypted.setVisible(self._may_export_plain)
        # Why the box cannot be ticked, in words beside it: a tooltip alone reaches neither a keyboard user nor
        # every screen reader.
        self.unencrypted_fixed = QLabel(parent)
        self.unencrypted_fixed.setObjectName("note")
        self.unencrypted_fixed.setWordWrap(True)
        self.unencrypted_fixed.setAccessibleName("Why exporting without a password is not offered")
        self.unencrypted_fixed.hide()
        self.rule = QLabel(pdf_password_rule(NO_POLICY), parent)
        self.rule.setObjectName("validationHint")  # the stylesheet colours it red while refused
        self.rule.setWordWrap(True)
        self.rule.setAccessibleName("PDF password rule")
        self.generated_row = QWidget(parent)
        shown = QHBoxLayout(self.generated_row)
        shown.setContentsMargins(0, 0, 0, 0)
        shown.addWidget(self.passphrase, 1)
        shown.addWidget(self.copy_button)
        self.generated_row.hide()
        self.generate_button.clicked.connect(self.generate)
        self.copy_button.clicked.connect(self.copy)
        self.unencrypted.toggled.connect(self._encryption_toggled)
        for field in (self.pdf_password, self.pdf_again):
            field.textEdited.connect(self._typed)
        self.pdf_password.textChanged.connect(lambda _text: self.judge())
        ops.run(lambda s, ws: s.settings.machine_policy(ws), done=self.apply_policy, owner=self)

    def apply_policy(self, policy: MachinePolicy) -> None:
        """Show what the workstation's policy fixes here, and judge what is typed by its minimum."""
        self.policy = policy
        forbidden = policy.forbids_unencrypted_exports
        if forbidden and self.unencrypted.isChecked():
            self.unencrypted.setChecked(False)
        self.unencrypted.setEnabled(not forbidden)
        self.unencrypted_fixed.setText(f"Not offered: exports always need a password, fixed by {policy.why()}."
                                       if forbidden else "")
        self.unencrypted_fixed.setVisible(forbidden and self._may_export_plain)
        self.judge()  # makes room for the sentences shown

    def judge(self) -> None:
        if self.unencrypted.isChecked():
            self.refused = False
            self.rule.setText("No PDF password: the file opens for anyone who has it.")
        else:
            verdict, words = pdf_password_verdict(self.pdf_password.text(), self.policy)
            self.refused = verdict is False
            self.rule.setText(words)
        self.rule.setProperty("invalid", self.refused)
        self.rule.style().unpolish(self.rule)  # the stylesheet's [invalid="true"] follows the new value
        self.rule.style().polish(self.rule)
        self.make_room()
        self.judged.emit()

    def make_room(self) -> None:
        """Grow the dialog to the height its wrapped sentences now need: a top-level window does not follow its
        labels' height for width by itself, and a refusal cut in half would be no use."""
        window = self.window()
        layout = window.layout()
        if window is self or layout is None or not layout.hasHeightForWidth():
            return
        needed = layout.totalHeightForWidth(window.width())
        if needed > window.height():
            window.resize(window.width(), needed)

    def add_rows(self, form: QFormLayout, password_label: str) -> None:
        row = QHBoxLayout()
        row.addWidget(self.pdf_password, 1)
        row.addWidget(self.generate_button)
        label = QLabel(password_label, self.parentWidget())
        label.setBuddy(self.pdf_password)  # a row holding a layout gets no buddy of its own: its mnemonic would show
        form.addRow(label, row)
        form.addRow("", self.rule)
        form.addRow("PDF password &again:", self.pdf_again)
        form.addRow("", self.generated_row)
        form.addRow("", self.unencrypted)
        form.addRow("", self.unencrypted_fixed)

    def generate(self) -> str:
        phrase = generated_passphrase()
        for _ in range(_GENERATE_TRIES):
            if pdf_password_verdict(phrase, self.policy)[0]:
                break
            phrase = generated_passphrase()
        for field in (self.pdf_password, self.pdf_again):
            field.setText(phrase)
        self.passphrase.setText(phrase)
        self.generated_row.show()
        return phrase

    def copy(self) -> None:
        if self.passphrase.text():
            self.clipboard.copy(self.passphrase.text())

    def _typed(self, _text: str) -> None:
        # Typed over: the passphrase shown is no longer the PDF's.
        self.forget_shown()

    def forget_shown(self) -> None:
        self.passphrase.clear()
        self.generated_row.hide()

    def _encryption_toggled(self, plain: bool) -> None:
        for field in (self.pdf_password, self.pdf_again):
            field.setEnabled(not plain)
            if plain:
                field.clear()
        self.generate_button.setEnabled(not plain)
        if plain:
            self.forget_shown()
        self.judge()

    def problem(self) -> str | None:
        """What is missing before asking the service (it checks again, and the password's strength)."""
        if self.unencrypted.isChecked():
            return None
        if not self.pdf_password.text():
            return "Choose a PDF password (or Generate one), or tick the unencrypted box."
        if self.pdf_password.text() != self.pdf_again.text():
            self.pdf_password.clear()  # which one is wrong is unknowable: both are typed again
            self.pdf_again.clear()
            return "The two PDF passwords differ: type them again."
        return None

    def taken(self) -> str | None:
        """The PDF password (None when unencrypted), the fields emptied; the shown passphrase stays until closed."""
        chosen = None if self.unencrypted.isChecked() else self.pdf_password.text()
        for field in (self.pdf_password, self.pdf_again):
            field.clear()
        return chosen

    def wipe(self) -> None:
        self.taken()
        self.forget_shown()
        self.clipboard.clear()


class ProtectedPdfDialog(FormDialog):
    """The PDF's password (or unencrypted, for a role allowed it) and the account password that signs the file.

    OK sends `make(account, pdf_password, unencrypted)` (the service call that writes `path`) on the
    session's worker; its result is emitted as `written`. A refusal or a wrong password leaves the
    dialog open; the passwords typed are emptied either way.
    """

    written = Signal(object)

    def __init__(self, ops: SessionOps, title: str, what: str, path: Path, make: ProtectedCall,
                 parent: QWidget | None, *, progress: str, changes: frozenset[Change] = frozenset(),
                 delete_on_close: bool = True) -> None:
        super().__init__(title, parent, ok_text="Export", ops=ops)
        self.path = path
        self._make = make
        self._in_flight = False
        self._progress = progress
        self._changes = changes
        self.busy = BusyBar(self)
        cast(QVBoxLayout, self.layout()).insertWidget(1, self.busy)  # under the form, above the error line
        self.body.addWidget(note(f"{what}, marked OFFICIAL-SENSITIVE, to {path}.", self))
        form = QFormLayout()
        self.pdf = PdfPasswordRows(ops, self, unencrypted_text="Export &unencrypted (I have the right and take "
                                                               "responsibility)")
        self.account_password = password_field(self, "Your account password")
        self.pdf.add_rows(form, "P&DF password:")
        form.addRow("Your account pass&word:", self.account_password)
        self.body.addLayout(form)
        self.body.addWidget(note("Your account password signs the PDF with your own key, so its reader can check "
                                 "who produced it and that nothing changed since. The PDF password is the one its "
                                 "reader will need: give it to them another way than the file.", self))
        self.pdf.judged.connect(self._hold_ok)
        self.resize(560, 300)
        self.pdf.make_room()
        if delete_on_close:  # nothing typed lingers once it is closed (a page that keeps its dialog wipes it itself)
            self.finished.connect(lambda _result: self.deleteLater())

    def _problem(self) -> str | None:
        if self.pdf.refused:  # OK is held back; Enter in a field still reaches here
            return self.pdf.rule.text()
        problem = self.pdf.problem()
        if problem:
            return problem
        if not self.account_password.text():
            return "Type your account password: it signs the PDF."
        return None

    def submit(self) -> None:
        problem = self._problem()
        if problem:
            self.error_label.show_message(problem)
            return
        plain = self.pdf.unencrypted.isChecked()
        account, pdf = self.account_password.text(), self.pdf.taken()
        self.account_password.clear()
        path, call = self.path, self._make(account, pdf, plain)
        self.send(lambda s, ws: writing_to(path, lambda: call(s, ws)), done=self._written, failed=self.show_failure,
                  changes=self._changes, progress=self._progress)

    def show_failure(self, exc: GvmError) -> None:
        self.error_label.show_error(exc)

    def _sending(self, sending: bool) -> None:
        self._in_flight = sending
        super()._sending(sending)
        self.busy.set_busy(sending)
        self._hold_ok()

    def _hold_ok(self) -> None:
        # A PDF password the service would refuse is not sent: OK waits for one it takes (or for nothing typed,
        # where pressing it says what is missing).
        self.ok_button.setEnabled(not self._in_flight and not self.pdf.refused)

    def _written(self, result: object) -> None:
        self.pdf.wipe()
        self.accept()
        self.written.emit(result)

    def reject(self) -> None:
        self.pdf.wipe()
        self.account_password.clear()
        super().reject()
