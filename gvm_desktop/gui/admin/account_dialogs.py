"""The administrator's account forms: add an account, reset a password, and confirm a disabling.

Each sends one call to services/accounts.py (as `gvm-desktop account ...` does); the rules
(username, display name, password, which roles take a BCU) are the service's, checked again
there. The forms only show them as they are typed: the password's strength meter is the
product's one password rule (gui/common/password_dialog.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.passwords import MAX_DISPLAY_NAME, normalise_username
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Role
from gvm_desktop.core.text import isolate
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import chosen, code_combo, limit_line
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.password_dialog import StrengthMeter, password_field
from gvm_desktop.gui.common.widgets import note

if TYPE_CHECKING:
    from collections.abc import Callable

    from gvm_desktop.gui.common.operations import SessionOps

NO_BCU = "None: works across all BCUs"


def _form(dialog: FormDialog, rows: list[tuple[str, QWidget]]) -> QFormLayout:
    """Label, field pairs; each label's mnemonic takes the keyboard to its field."""
    form = QFormLayout()
    for text, field in rows:
        if isinstance(field, StrengthMeter):
            form.addRow("", field)
            continue
        label = QLabel(text, dialog)
        label.setBuddy(field)
        form.addRow(label, field)
    return form


def _repeat_differs(dialog: FormDialog, new: QLineEdit, repeat: QLineEdit) -> bool:
    if new.text() == repeat.text():
        return False
    dialog.error_label.show_message("The password and its repeat differ: type them again.")
    repeat.clear()
    repeat.setFocus()
    return True


class AddAccountDialog(FormDialog):
    """Role, BCU (only for the roles that work within one), display name, username, first password twice."""

    def __init__(self, ops: SessionOps, parent: QWidget | None, on_added: Callable[[Account], None]) -> None:
        super().__init__("Add an account", parent, ok_text="&Add account", ops=ops)
        self._on_added = on_added
        self.role = code_combo(self, ((r.value, r.label) for r in Role), name="Role")
        self.bcu = code_combo(self, ((code, bcu_text(code)) for code in sorted(BCUS)), name="BCU")
        self.display_name = QLineEdit(self)
        self.display_name.setAccessibleName("Display name")
        limit_line(self.display_name, MAX_DISPLAY_NAME)  # refused whole over the limit, never cut
        self.username = QLineEdit(self)
        self.username.setAccessibleName("Username")
        self.username.setPlaceholderText("e.g. j.smith: 3 to 32 letters, digits, '.', '_' or '-'")
        self.password = password_field(self, "First password")
        self.repeat = password_field(self, "Repeat the first password")
        self.meter = StrengthMeter(self.password, "", self)
        self.body.addWidget(note("The person signs in with this username and password; give them the password by a "
                                 "safe route and ask them to change it at their first sign-in (Session menu).", self))
        self.body.addLayout(_form(self, [
            ("&Role:", self.role), ("&BCU:", self.bcu), ("&Display name:", self.display_name),
            ("&Username:", self.username), ("First &password:", self.password), ("", self.meter),
            ("R&epeat password:", self.repeat)]))
        self.role.currentIndexChanged.connect(lambda _i: self._role_chosen())
        self.username.textChanged.connect(lambda text: self.meter.set_username(normalise_username(text)))
        self._role_chosen()
        self.resize(520, self.sizeHint().height())

    def _role(self) -> Role | None:
        code = self.role.currentData()
        return Role(code) if code else None

    def _role_chosen(self) -> None:
        role = self._role()
        takes_bcu = role is not None and role.needs_bcu
        self.bcu.setEnabled(takes_bcu)
        if role is not None and not takes_bcu:
            self.bcu.setCurrentIndex(0)  # "Choose…" stands for none: an auditor or administrator takes no BCU
            self.bcu.setItemText(0, NO_BCU)
        else:
            self.bcu.setItemText(0, "Choose…")

    def submit(self) -> None:
        try:
            role = Role(chosen(self.role, "role"))
            bcu = chosen(self.bcu, "BCU") if role.needs_bcu else None
        except ValidationError as refusal:
            self.error_label.show_error(refusal)
            return
        if _repeat_differs(self, self.password, self.repeat):
            return
        username, display, password = self.username.text(), self.display_name.text(), self.password.text()
        self.send(lambda s, ws: s.accounts.add(ws, username=username, display_name=display, role=role, bcu=bcu,
                                               password=password),
                  done=self._added, changes={Change.ACCOUNTS}, progress="Adding the account")

    def _added(self, account: Account) -> None:
        self.accept()
        self._on_added(account)

    def done(self, result: int) -> None:
        self.password.clear()  # no password outlives its form
        self.repeat.clear()
        super().done(result)


class ResetPasswordDialog(FormDialog):
    """A forgotten password: the administrator sets a new one, logged as a reset by an administrator."""

    def __init__(self, account: Account, ops: SessionOps, parent: QWidget | None,
                 on_reset: Callable[[str], None]) -> None:
        super().__init__(f"Reset the password of {account.username}", parent, ok_text="&Reset password", ops=ops)
        self.username = account.username
        self._on_reset = on_reset
        self.password = password_field(self, "New password")
        self.repeat = password_field(self, "Repeat the new password")
        self.meter = StrengthMeter(self.password, account.username, self)
        self.body.addWidget(note(f"{account.username} ({isolate(account.display_name)}, {account.role.label}) will "
                                 "sign in with this password; their data keys stay as they are. Give it to them by a "
                                 "safe route and ask them to change it.", self))
        self.body.addLayout(_form(self, [("&New password:", self.password), ("", self.meter),
                                         ("R&epeat password:", self.repeat)]))
        self.resize(500, self.sizeHint().height())

    def submit(self) -> None:
        if _repeat_differs(self, self.password, self.repeat):
            return
        username, password = self.username, self.password.text()
        self.send(lambda s, ws: s.accounts.reset_password(ws, username, password), done=self._reset,
                  progress="Resetting the password")

    def _reset(self, _value: object) -> None:
        self.accept()
        self._on_reset(self.username)

    def done(self, result: int) -> None:
        self.password.clear()
        self.repeat.clear()
        super().done(result)


class ConfirmDisableAccountDialog(FormDialog):
    """Says what disabling does, key rotation included (services/accounts.disable); Cancel is the default."""

    def __init__(self, account: Account, parent: QWidget | None) -> None:
        super().__init__(f"Disable {account.username}", parent, ok_text=f"&Disable {account.username}")
        self.username = account.username
        self.names = QLabel(f"{account.username} ({isolate(account.display_name)}, {account.role.label}, "
                            f"{bcu_text(account.bcu)})", self)
        self.names.setObjectName("confirmNames")
        self.names.setWordWrap(True)
        keys = (f"The {bcu_text(account.bcu)} BCU data key they held is rotated too: at once if this session holds "
                "it, otherwise by that BCU's next officer or SPOC to sign in (the administrator holds no BCU key)."
                if account.bcu else
                "Any BCU data key they held is rotated too, by that BCU's next officer or SPOC to sign in.")
        self.body.addWidget(note("This account will be disabled:", self))
        self.body.addWidget(self.names)
        self.body.addWidget(note(
            "They can no longer sign in. Their key slot is removed and the vault's data key is rotated now, which "
            f"rewrites the database and takes a while, so a copy of their old slot opens nothing. {keys} "
            "This cannot be undone; a person who needs access again gets a new account.", self))
        self.resize(560, self.sizeHint().height())
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setDefault(True)  # disabling takes a deliberate choice
        self.ok_button.setAutoDefault(False)

