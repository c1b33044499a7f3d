"""The Accounts tab: every account, and the administrator's daily work on them.

Add, disable and reset a password, each through services/accounts.py as the command line
does; the service enforces who may (ACCOUNT_MANAGE) and logs each in its transaction. Each
action's outcome is said on the page's status line. Disabling rotates keys, which rewrites
the database: it runs with a progress line, and the home pauses its tabs meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.accounts import Account
from gvm_desktop.gui.admin.account_dialogs import AddAccountDialog, ConfirmDisableAccountDialog, ResetPasswordDialog
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.password_dialog import change_own_password
from gvm_desktop.gui.common.table_models import AccountsTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, ReadOnlyTable

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.gui.common.home_base import HomePage


class AccountsPage(QWidget):
    def __init__(self, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        self.model = AccountsTableModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = ReadOnlyTable(self.proxy, self)
        self.table.setObjectName("accountsTable")
        self.table.setAccessibleName("Accounts")
        self.add_button = self._button("Add accou&nt…", "Add account")
        self.disable_button = self._button("&Disable…", "Disable the selected account")
        self.reset_button = self._button("R&eset password…", "Reset the selected account's password")
        self.own_button = self._button("Change &my password…", "Change my own password")
        self.refresh_button = self._button("&Refresh accounts", "Refresh accounts")
        self.count = QLabel(self)
        self.status = NoticeLabel(self)
        self.status.setObjectName("accountsStatus")
        self.error_label = ErrorLabel(self)
        self.dialog: QDialog | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        for button in (self.add_button, self.disable_button, self.reset_button, self.own_button):
            row.addWidget(button)
        row.addWidget(self.count, 1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error_label)

        self.add_button.clicked.connect(lambda: self.ask_add())
        self.disable_button.clicked.connect(lambda: self.ask_disable())
        self.reset_button.clicked.connect(lambda: self.ask_reset())
        self.own_button.clicked.connect(lambda: self.ask_own_password())
        self.refresh_button.clicked.connect(lambda: self.load())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        return button

    # -- the list ---------------------------------------------------------------------------------------------------

    def load(self, *, quietly: bool = False) -> None:
        """Read the accounts (the reading is logged). `quietly`: a refresh after a change, leaving the error line."""
        self.ops.run(lambda s, ws: s.accounts.list(ws), done=self._show,
                     errors=None if quietly else self.error_label,
                     failed=self.error_label.show_error if quietly else None, owner=self)

    def _show(self, accounts: list[Account]) -> None:
        chosen = self.selected()
        self.model.set_rows(accounts)
        active = sum(1 for a in accounts if a.active)
        self.count.setText(f"{len(accounts)} accounts, {active} active")
        self.table.resizeColumnsToContents()
        if chosen is not None:
            self.select_username(chosen.username)

    def selected(self) -> Account | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def select_username(self, username: str) -> None:
        for row in range(self.proxy.rowCount()):
            if self.model.row_at(self.proxy.mapToSource(self.proxy.index(row, 0)).row()).username == username:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        account = self.selected()
        active = account is not None and account.active
        self.disable_button.setEnabled(active and account is not None
                                       and account.username != self.ops.session.username)
        self.reset_button.setEnabled(active)

    # -- the actions ------------------------------------------------------------------------------------------------

    def _opened(self, dialog: QDialog) -> QDialog:
        self._page.adopt(dialog)
        self.dialog = dialog
        self.error_label.clear_message()
        dialog.open()
        return dialog

    def ask_add(self) -> QDialog:
        return self._opened(AddAccountDialog(self.ops, self, self._added))

    def _added(self, account: Account) -> None:
        where = f" in {account.bcu}" if account.bcu else ""
        self.status.setText(f"Account added: {account.username} ({account.role.label}{where}). Give them the first "
                            "password by a safe route and ask them to change it.")
        self.select_username(account.username)

    def ask_reset(self) -> QDialog | None:
        account = self.selected()
        if account is None or not account.active:
            return None
        return self._opened(ResetPasswordDialog(account, self.ops, self, self._reset))

    def _reset(self, username: str) -> None:
        self.status.setText(f"Password of {username} reset (logged). They sign in with the new password; "
                            "their data keys are unchanged.")

    def ask_disable(self) -> QDialog | None:
        account = self.selected()
        if account is None or not account.active:
            return None
        dialog = ConfirmDisableAccountDialog(account, self)
        dialog.accepted.connect(lambda: self.disable(account.username))
        return self._opened(dialog)

    def disable(self, username: str) -> None:
        """Disable off the GUI thread (the data key is rotated); Change.ACCOUNTS has every list read again."""
        self.status.setText(f"Disabling {username} and rotating the data key…")
        self.ops.run(lambda s, ws: s.accounts.disable(ws, username), done=self._disabled, failed=self._failed,
                     changes={Change.ACCOUNTS}, progress=f"Disabling {username} and rotating the data key",
                     owner=self)

    def _disabled(self, account: Account) -> None:
        self.status.setText(f"Disabled: {account.username}. They can no longer sign in; the data key was rotated "
                            "(logged).")

    def _failed(self, error: GvmError) -> None:
        self.status.clear()
        self.error_label.show_error(error)

    def ask_own_password(self) -> QDialog:
        dialog = change_own_password(self._page, self.ops)
        dialog.accepted.connect(lambda: self.status.setText("Your password was changed (logged). Use it at your "
                                                            "next sign-in."))
        self.dialog = dialog
        return dialog

    def wipe(self) -> None:
        self.model.clear()
        self.count.clear()
        self.status.clear()
        self.error_label.clear_message()
