"""Help › About: the version, the licence, this vault's id and the access log's head.

The version and the licence are the installed package's own; the vault's facts come from the session
(AboutService.facts, through the session's operations) and need an open vault: while the session is
locked the dialog says so instead. The values are selectable, to be quoted in a report of a problem.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from gvm_desktop import __version__
from gvm_desktop.core.errors import GvmError
from gvm_desktop.gui.common.file_choice import ask_save_path, writing_to
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, heading, note

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import Services, SessionOps
    from gvm_desktop.services.context import Workspace

PACKAGE = "gvm-desktop"
LICENCE = "Apache-2.0"  # pyproject.toml's `license`, for a source checkout that was never installed
LICENCE_NAMES = {"Apache-2.0": "Apache License 2.0"}
LOCKED_TEXT = "The session is locked: unlock it to read the vault's id and the access log's head."
READING_TEXT = "Reading…"
HEAD_NOTE = ("The access log's head is its last entry's number and hash. Every PDF the vault makes prints it; an "
             "auditor's verification ends at it.")


class VaultFacts(Protocol):
    """What the dialog shows of AboutService's answer (services/about.py AboutFacts)."""

    @property
    def vault_id(self) -> str: ...
    @property
    def log_head_seq(self) -> int: ...
    @property
    def log_head_hash(self) -> str: ...


def installed_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return __version__


def licence_text() -> str:
    """'Apache License 2.0 (Apache-2.0)': the installed package's licence, as its metadata declares it."""
    try:
        meta = metadata.metadata(PACKAGE)
        expression = meta["License-Expression"] or meta["License"] or LICENCE  # None when absent
    except metadata.PackageNotFoundError:
        expression = LICENCE
    name = LICENCE_NAMES.get(expression)
    return f"{name} ({expression})" if name else expression


def read_facts(services: Services, ws: Workspace) -> VaultFacts:
    return services.about.facts(ws)


def _value(parent: QWidget, text: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setWordWrap(True)
    return label


class AboutDialog(QDialog):
    def __init__(self, ops: SessionOps | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About gvm-desktop")
        self.version_value = _value(self, installed_version())
        self.version_value.setAccessibleName("Version")
        self.licence_value = _value(self, licence_text())
        self.licence_value.setAccessibleName("Licence")
        self.vault_value = _value(self, READING_TEXT if ops is not None else LOCKED_TEXT)
        self.vault_value.setAccessibleName("Vault id")
        self.head_value = _value(self, READING_TEXT if ops is not None else "")
        self.head_value.setAccessibleName("Access log head")
        self.hash_value = _value(self)
        self.hash_value.setAccessibleName("Access log head's hash in full")
        self.error_label = ErrorLabel(self)
        self.saved_label = NoticeLabel(self)
        self._ops = ops
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.save_ca_button = buttons.addButton("Save the vault's CA &certificate…",
                                                QDialogButtonBox.ButtonRole.ActionRole)
        self.save_ca_button.setToolTip("The public certificate that signed PDFs chain to: give it to whoever checks "
                                       "them (gvm-desktop verify-pdf FILE --ca FILE). Never the CA's key.")
        self.save_ca_button.setEnabled(ops is not None)
        self.save_ca_button.clicked.connect(self.ask_save_ca)

        form = QFormLayout()
        form.addRow("Version:", self.version_value)
        form.addRow("Licence:", self.licence_value)
        form.addRow("Vault id:", self.vault_value)
        form.addRow("Access log head:", self.head_value)
        form.addRow("Its hash in full:", self.hash_value)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("gvm-desktop", self))
        layout.addWidget(note("An offline, encrypted Gangs Violence Matrix for a BCU: role-based, justified, audited.",
                              self))
        layout.addLayout(form)
        layout.addWidget(note(HEAD_NOTE, self))
        layout.addWidget(self.error_label)
        layout.addWidget(self.saved_label)
        layout.addWidget(buttons)
        self.resize(620, 320)
        if ops is not None:
            ops.run(read_facts, done=self.show_facts, failed=self._not_read, owner=self)

    def show_facts(self, facts: VaultFacts) -> None:
        self.vault_value.setText(facts.vault_id)
        self.head_value.setText(f"entry {facts.log_head_seq:,} — {facts.log_head_seq}:{facts.log_head_hash[:16]}")
        self.hash_value.setText(facts.log_head_hash)

    def ask_save_ca(self) -> None:
        ask_save_path(self, "Save the vault's CA certificate", "vault-ca.pem", "PEM certificate (*.pem)", "pem",
                      self.save_ca_to)

    def save_ca_to(self, path: Path) -> None:
        """Write the CA certificate (PEM) to `path`; the outcome is said in the dialog."""
        if self._ops is None:
            return

        def saved(pem: str | None) -> None:
            if pem is None:
                self.error_label.show_message("The vault has signed nothing yet, so it has no CA certificate.")
                return
            try:
                writing_to(path, lambda: path.write_text(pem, encoding="ascii"))
            except GvmError as error:
                self.error_label.show_error(error)
                return
            self.saved_label.setText(f"Saved to {path}: check a signed PDF with gvm-desktop verify-pdf FILE --ca {path}")

        self._ops.run(lambda s, ws: s.about.ca_certificate_pem(ws), done=saved, failed=self._not_read, owner=self)

    def _not_read(self, error: BaseException) -> None:
        self.vault_value.clear()
        self.head_value.clear()
        self.error_label.show_error(error)
