"""Accounts unused for six months, and disabling them only after a confirmation that names each one.

Shared by the administrator (every account) and the SPOC (their BCU's; the
service decides which). Disabling removes the account's key slot and moves the
vault to a new data key, which rewrites the database: long work, so it shows a
progress line while it runs on the session's worker, and announces Change.ACCOUNTS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractItemView, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.governance import InactiveAccount
from gvm_desktop.core.local_time import local_day_text, local_text, utc_text
from gvm_desktop.core.text import isolate
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, ReadOnlyTable, note

if TYPE_CHECKING:
    from gvm_desktop.gui.common.home_base import HomePage


def last_used_text(item: InactiveAccount) -> str:
    if item.account.last_signin_at:
        return local_text(item.account.last_signin_at)
    return f"never (account created {local_day_text(item.account.created_at)})"


def last_used_tip(item: InactiveAccount) -> str:
    """The UTC record behind the cell, as the access log keeps it."""
    signed_in = item.account.last_signin_at
    return utc_text(signed_in) if signed_in else f"never (account created {utc_text(item.account.created_at)})"


class InactiveAccountsModel(RowTableModel[InactiveAccount]):
    columns = (
        Column[InactiveAccount]("Username", lambda i: i.account.username),
        Column[InactiveAccount]("Display name", lambda i: i.account.display_name),
        Column[InactiveAccount]("Role", lambda i: i.account.role.label),
        Column[InactiveAccount]("BCU", lambda i: i.account.bcu or "All BCUs"),
        Column[InactiveAccount]("Last signed in", lambda i: last_used_text(i), lambda i: i.last_used,
                                tip=lambda i: last_used_tip(i)),
    )


class ConfirmDisableDialog(FormDialog):
    """Names every account about to be disabled; OK is the only way on, and it says how many."""

    def __init__(self, accounts: list[InactiveAccount], parent: QWidget | None) -> None:
        count = len(accounts)
        plural = "s" if count != 1 else ""
        super().__init__(f"Disable {count} inactive account{plural}", parent, ok_text=f"Disable {count} account{plural}")
        self.usernames = [i.account.username for i in accounts]
        self.body.addWidget(note(f"These account{plural} will be disabled:", self))
        self.names = QLabel("\n".join(f"•  {i.account.username} ({isolate(i.account.display_name)}, {i.account.role.label}); "
                                      f"last signed in: {last_used_text(i)}" for i in accounts), self)
        self.names.setObjectName("confirmNames")
        self.names.setWordWrap(True)
        self.body.addWidget(self.names)
        self.body.addWidget(note(
            "A disabled account can no longer sign in: its key slot is removed and the vault moves to a new "
            "data key, so a copy of the old slot opens nothing. This cannot be undone; a person who needs "
            "access again gets a new account.", self))
        self.resize(560, self.sizeHint().height())
        # Cancel is the default: disabling should take a deliberate click.
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setDefault(True)
        self.ok_button.setAutoDefault(False)


class InactivePanel(QWidget):
    def __init__(self, page: HomePage, parent: QWidget | None = None, *, can_disable: bool) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        self.can_disable = can_disable
        self.model = InactiveAccountsModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = ReadOnlyTable(self.proxy, self)
        self.table.setObjectName("inactiveTable")
        self.table.setAccessibleName("Inactive accounts")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.disable_button = QPushButton("&Disable selected…", self)
        self.disable_button.setVisible(can_disable)
        self.refresh_button = QPushButton("Re&fresh list", self)
        self.summary = note("", self)
        self.result_label = NoticeLabel(self)
        self.error_label = ErrorLabel(self)
        self.dialog: ConfirmDisableDialog | None = None
        self.loaded = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(self.disable_button)
        row.addWidget(self.summary, 1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        layout.addWidget(self.result_label)
        layout.addWidget(self.error_label)

        self.refresh_button.clicked.connect(lambda: self.load())
        self.disable_button.clicked.connect(lambda: self.ask_disable())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_button())
        self.model.modelReset.connect(self._update_button)
        self.ops.changed.connect(self._changed)
        self._update_button()

    def load(self, *, quietly: bool = False) -> None:
        """Read the list (the reading is logged). `quietly`: a refresh after a change, which leaves
        the error line as it is (a failure still shows)."""
        self.ops.run(lambda s, ws: s.governance.inactive(ws), done=self._show,
                     errors=None if quietly else self.error_label, failed=self._refused if quietly else None,
                     finished=lambda result: None if result.ok else self._forget(), owner=self)

    def _changed(self, changes: frozenset[Change]) -> None:
        if self.loaded and Change.ACCOUNTS in changes:
            self.load(quietly=True)

    def _refused(self, error: GvmError) -> None:
        self.error_label.show_error(error)

    def _forget(self) -> None:
        self.model.clear()
        self.summary.clear()

    def _show(self, found: list[InactiveAccount]) -> None:
        self.loaded = True
        self.model.set_rows(found)
        self.table.resizeColumnsToContents()
        self.summary.setText(f"{len(found)} account{'s' if len(found) != 1 else ''} unused for six months."
                             if found else "No account has gone unused for six months.")

    def select_usernames(self, usernames: list[str]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(self.proxy.rowCount()):
            if self._at(row).account.username in usernames:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _at(self, view_row: int) -> InactiveAccount:
        return self.model.row_at(self.proxy.mapToSource(self.proxy.index(view_row, 0)).row())

    def selected(self) -> list[InactiveAccount]:
        return [self._at(index.row()) for index in sorted(self.table.selectionModel().selectedRows(),
                                                          key=lambda i: i.row())]

    def _update_button(self) -> None:
        self.disable_button.setEnabled(self.can_disable and bool(self.selected()))

    def ask_disable(self) -> ConfirmDisableDialog | None:
        chosen = self.selected()
        if not chosen or not self.can_disable:
            return None
        dialog = ConfirmDisableDialog(chosen, self)
        self._page.adopt(dialog)
        dialog.accepted.connect(lambda: self.disable(dialog.usernames))
        self.dialog = dialog
        dialog.open()
        return dialog

    def disable(self, usernames: list[str]) -> None:
        """Disable the confirmed accounts off the GUI thread; Change.ACCOUNTS has every list read again."""
        self.result_label.setText(f"Disabling {', '.join(usernames)}…")
        self.error_label.clear_message()
        self.ops.run(lambda s, ws: s.governance.disable_inactive(ws, usernames), done=self._done,
                     failed=self._failed, changes={Change.ACCOUNTS}, progress="Disabling inactive accounts",
                     owner=self)

    def _done(self, names: list[str]) -> None:
        self.result_label.setText(f"Disabled: {', '.join(names)}. They can no longer sign in.")

    def _failed(self, error: GvmError) -> None:
        self.result_label.clear()
        self.error_label.show_error(error)
        self.load(quietly=True)  # some may have been disabled before the failure: show what is true now

    def wipe(self) -> None:
        self.model.clear()
        self.summary.clear()
        self.result_label.clear()
        self.loaded = False
