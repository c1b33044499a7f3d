"""The PDF password rows every protected export asks for, and the dialog that asks them with the account password.

Every PDF that carries a person's record or personal data leaves encrypted and signed
with the exporter's own key: the reader needs the PDF password, the signature needs the
account password typed again. The services check both (the PDF password against the
account password rules, the right to export unencrypted); what is checked here is only
what can be said before asking them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.passwords import generated_passphrase
from gvm_desktop.core.policy import Permission, allows
from gvm_desktop.gui.common.clipboard import SecureClipboard
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.file_choice import writing_to
from gvm_desktop.gui.common.password_dialog import password_field
from gvm_desktop.gui.common.widgets import BusyBar, note

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.gui.common.operations import Call, Change, SessionOps

# (account password, PDF password or None, unencrypted) -> the service call that writes the file.
ProtectedCall = Callable[[str, str | None, bool], "Call[Any]"]


class PdfPasswordRows(QWidget):
    """A PDF's password typed twice, or a generated passphrase shown once (copyable, cleared from the clipboard
    after 30 s), or unencrypted for a role allowed it. The service checks the password against the account rules."""

    def __init__(self, ops: SessionOps, parent: QWidget, *, unencrypted_text: str) -> None:
        super().__init__(parent)
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
        self.unencrypted.setVisible(allows(ops.session.role, Permission.EXPORT_UNENCRYPTED))
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

    def add_rows(self, form: QFormLayout, password_label: str) -> None:
        row = QHBoxLayout()
        row.addWidget(self.pdf_password, 1)
        row.addWidget(self.generate_button)
        label = QLabel(password_label, self.parentWidget())
        label.setBuddy(self.pdf_password)  # a row holding a layout gets no buddy of its own: its mnemonic would show
        form.addRow(label, row)
        form.addRow("PDF password &again:", self.pdf_again)
        form.addRow("", self.generated_row)
        form.addRow("", self.unencrypted)

    def generate(self) -> str:
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
        self.resize(560, 300)
        if delete_on_close:  # nothing typed lingers once it is closed (a page that keeps its dialog wipes it itself)
            self.finished.connect(lambda _result: self.deleteLater())

    def _problem(self) -> str | None:
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
        super()._sending(sending)
        self.busy.set_busy(sending)

    def _written(self, result: object) -> None:
        self.pdf.wipe()
        self.accept()
        self.written.emit(result)

    def reject(self) -> None:
        self.pdf.wipe()
        self.account_password.clear()
        super().reject()
