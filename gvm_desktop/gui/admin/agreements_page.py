"""The Data sharing tab: the agreement register, and registering, ending and linking partners to agreements.

Read when the tab is first opened; each change is said on the page's status line and
announced as Change.AGREEMENTS so the list is read again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.admin.agreement_dialogs import (
    AddAgreementDialog,
    EndAgreementDialog,
    LinkPartnerDialog,
    agreement_text,
    field_words,
)
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, ReadOnlyTable, note

if TYPE_CHECKING:
    from datetime import date

    from gvm_desktop.gui.common.home_base import HomePage


def state_text(agreement: Agreement, today: date) -> str:
    if agreement.in_force(today):
        return "In force"
    return "Not yet in force" if today < agreement.starts_on else "Ended"


class AgreementsModel(RowTableModel[Agreement]):
    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.columns = (
            Column[Agreement]("#", lambda a: str(a.id), lambda a: a.id, numeric=True),
            Column[Agreement]("Organisation", lambda a: a.organisation),
            Column[Agreement]("BCU", lambda a: a.bcu),
            Column[Agreement]("Fields shared", lambda a: ", ".join(field_words(f) for f in a.fields)),
            Column[Agreement]("Starts", lambda a: a.starts_on.isoformat()),
            Column[Agreement]("Ends (last day)", lambda a: a.ends_on.isoformat()),
            Column[Agreement]("State", lambda a: state_text(a, self.today)),
        )


class AgreementsPage(QWidget):
    def __init__(self, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        self.loaded = False
        self.model = AgreementsModel(self.ops.clock.now().date(), self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = ReadOnlyTable(self.proxy, self)
        self.table.setObjectName("agreementsTable")
        self.table.setAccessibleName("Data sharing agreements")
        self.add_button = self._button("Add agreeme&nt…", "Add agreement")
        self.end_button = self._button("&End agreement…", "End the selected agreement")
        self.link_button = self._button("Lin&k partner…", "Link a partner account to the selected agreement")
        self.refresh_button = self._button("Re&fresh agreements", "Refresh agreements")
        self.count = QLabel(self)
        self.status = NoticeLabel(self)
        self.status.setObjectName("agreementsStatus")
        self.error_label = ErrorLabel(self)
        self.dialog: QDialog | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(note("Which partner organisation may preview which fields of one BCU's matrix, and until "
                              "when. A partner account previews under the one agreement it is linked to.", self))
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        for button in (self.add_button, self.end_button, self.link_button):
            row.addWidget(button)
        row.addWidget(self.count, 1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error_label)

        self.add_button.clicked.connect(lambda: self.ask_add())
        self.end_button.clicked.connect(lambda: self.ask_end())
        self.link_button.clicked.connect(lambda: self.ask_link())
        self.refresh_button.clicked.connect(lambda: self.load())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self.ops.changed.connect(self._changed)
        self._update_buttons()

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        return button

    # -- the register -----------------------------------------------------------------------------------------------

    def load(self, *, quietly: bool = False) -> None:
        self.loaded = True
        self.ops.run(lambda s, ws: s.dsa.list(ws), done=self._show, errors=None if quietly else self.error_label,
                     failed=self.error_label.show_error if quietly else None, owner=self)

    def _changed(self, changes: frozenset[Change]) -> None:
        if self.loaded and Change.AGREEMENTS in changes:
            self.load(quietly=True)

    def _show(self, agreements: list[Agreement]) -> None:
        chosen = self.selected()
        self.model.today = self.ops.clock.now().date()
        self.model.set_rows(agreements)
        in_force = sum(1 for a in agreements if a.in_force(self.model.today))
        self.count.setText(f"{len(agreements)} agreements, {in_force} in force")
        self.table.resizeColumnsToContents()
        if chosen is not None:
            self.select_id(chosen.id)

    def selected(self) -> Agreement | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row()) if rows else None

    def select_id(self, dsa_id: int) -> None:
        for row in range(self.proxy.rowCount()):
            if self.model.row_at(self.proxy.mapToSource(self.proxy.index(row, 0)).row()).id == dsa_id:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        agreement = self.selected()
        today = self.ops.clock.now().date()
        current = agreement is not None and agreement.ends_on >= today
        self.end_button.setEnabled(current)
        self.link_button.setEnabled(current)

    # -- the actions ------------------------------------------------------------------------------------------------

    def _opened(self, dialog: QDialog) -> QDialog:
        self._page.adopt(dialog)
        self.dialog = dialog
        self.error_label.clear_message()
        dialog.open()
        return dialog

    def ask_add(self) -> QDialog:
        return self._opened(AddAgreementDialog(self.ops, self, self._added))

    def _added(self, agreement: Agreement) -> None:
        self.status.setText(f"Agreement registered: {agreement_text(agreement)}, {agreement.starts_on} to "
                            f"{agreement.ends_on}. Link a partner account to it; its preview is made at the BCU's "
                            "next officer or SPOC sign-in.")
        self.select_id(agreement.id)

    def ask_end(self) -> QDialog | None:
        agreement = self.selected()
        if agreement is None:
            return None
        return self._opened(EndAgreementDialog(agreement, self.ops, self, self._ended))

    def _ended(self, agreement: Agreement) -> None:
        self.status.setText(f"Agreement {agreement_text(agreement)} ended: its last day was {agreement.ends_on}. "
                            "Its partners no longer hold the preview's key (logged).")

    def ask_link(self) -> None:
        """Read the partner accounts, then offer those of the agreement's BCU (the reading is logged as a list)."""
        agreement = self.selected()
        if agreement is None:
            return
        self.ops.run(lambda s, ws: [a for a in s.accounts.list(ws) if a.role is Role.PARTNER],
                     done=lambda partners: self._offer_partners(agreement, partners), errors=self.error_label,
                     owner=self)

    def _offer_partners(self, agreement: Agreement, partners: list[Account]) -> None:
        self._opened(LinkPartnerDialog(agreement, partners, self.ops, self,
                                       lambda username: self._linked(agreement, username)))

    def _linked(self, agreement: Agreement, username: str) -> None:
        self.status.setText(f"{username} now previews under agreement {agreement_text(agreement)} (logged).")

    def wipe(self) -> None:
        self.model.clear()
        self.count.clear()
        self.status.clear()
        self.error_label.clear_message()
        self.loaded = False
