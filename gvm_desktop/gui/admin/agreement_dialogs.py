"""The data sharing agreement forms: register one, end one early, link a partner account to one.

Each sends one call to services/dsa.py (as `gvm-desktop dsa ...` does), which checks the
fields, the dates and the BCU again, and logs the change in its transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateEdit, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QWidget

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.dates import latest
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.records import DSA_FIELDS
from gvm_desktop.core.text import NAME_MAX, isolate
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import DateBox, chosen, code_combo, limit_line, to_qdate
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.widgets import note

if TYPE_CHECKING:
    from collections.abc import Callable

    from gvm_desktop.gui.common.operations import SessionOps

# What each shareable field is called on screen (core/records.DSA_FIELDS keeps the codes).
FIELD_WORDS = {
    "ref": "Reference", "name": "Name", "age": "Age", "borough": "Borough",
    "classification": "Classification", "harm_band": "Harm band", "victim_band": "Victim band",
    "in_custody": "In custody",
}
DEFAULT_LENGTH = timedelta(days=365)  # what the end date offers first; the agreement's own term is typed over it


def field_words(code: str) -> str:
    return FIELD_WORDS.get(code, code)


def agreement_text(agreement: Agreement) -> str:
    return f"#{agreement.id} {isolate(agreement.organisation)} ({bcu_text(agreement.bcu)})"


def _date_box(parent: QWidget, value: date, earliest: date, last: date, name: str) -> QDateEdit:
    box = DateBox(parent)
    box.setAccessibleName(name)
    box.setDisplayFormat("yyyy-MM-dd")
    box.setCalendarPopup(True)  # Alt+Down or F4 opens the calendar from the keyboard
    box.setDateRange(to_qdate(earliest), to_qdate(last))
    box.setDate(to_qdate(value))
    return box


def _entered(box: QDateEdit) -> date:
    value: date = box.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
    return value


def _labelled(dialog: FormDialog, rows: list[tuple[str, QWidget]]) -> QFormLayout:
    form = QFormLayout()
    for text, field in rows:
        label = QLabel(text, dialog)
        label.setBuddy(field)
        form.addRow(label, field)
    return form


class AddAgreementDialog(FormDialog):
    """Organisation, BCU, the fields shared (from the allowed list, none ticked to start), start and end."""

    def __init__(self, ops: SessionOps, parent: QWidget | None, on_added: Callable[[Agreement], None]) -> None:
        super().__init__("Register a data sharing agreement", parent, ok_text="&Register agreement", ops=ops)
        self._on_added = on_added
        today = ops.clock.now().date()
        self.organisation = QLineEdit(self)
        self.organisation.setAccessibleName("Partner organisation")
        limit_line(self.organisation, NAME_MAX)  # refused whole over the limit, never cut
        self.bcu = code_combo(self, ((code, bcu_text(code)) for code in sorted(BCUS)), name="BCU")
        self.fields = QListWidget(self)
        self.fields.setAccessibleName("Fields shared")
        for code in DSA_FIELDS:
            item = QListWidgetItem(field_words(code), self.fields)
            item.setData(Qt.ItemDataRole.UserRole, code)
            # Nothing is shared unless ticked (Space ticks the current field): no default anybody did not choose.
            item.setCheckState(Qt.CheckState.Unchecked)
        self.fields.setCurrentRow(0)
        self.fields.setFixedHeight(self.fields.sizeHintForRow(0) * len(DSA_FIELDS) + 8)
        self.starts = _date_box(self, today, today - timedelta(days=365), latest(today), "Start date")
        self.ends = _date_box(self, today + DEFAULT_LENGTH, today, latest(today), "End date")
        self.body.addWidget(note("The partner's preview shows the people of this BCU with only the fields ticked, "
                                 "from the start date to the end date (age in whole years, never the date of "
                                 "birth). A partner account is linked to it afterwards (Link partner).", self))
        self.body.addLayout(_labelled(self, [
            ("&Organisation:", self.organisation), ("&BCU:", self.bcu), ("&Fields shared (Space ticks):", self.fields),
            ("&Starts on:", self.starts), ("&Ends on:", self.ends)]))
        self.resize(520, self.sizeHint().height())

    def ticked(self) -> list[str]:
        items = (self.fields.item(i) for i in range(self.fields.count()))
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in items
                if item is not None and item.checkState() == Qt.CheckState.Checked]

    def tick(self, codes: list[str]) -> None:
        for i in range(self.fields.count()):
            item = self.fields.item(i)
            if item is not None:
                code = item.data(Qt.ItemDataRole.UserRole)
                item.setCheckState(Qt.CheckState.Checked if code in codes else Qt.CheckState.Unchecked)

    def _typed(self) -> tuple[object, ...]:
        return (*super()._typed(), tuple(self.ticked()))  # a ticked field is typed in too: Cancel warns

    def submit(self) -> None:
        try:
            bcu = chosen(self.bcu, "BCU")
        except ValidationError as refusal:
            self.error_label.show_error(refusal)
            return
        organisation, fields = self.organisation.text(), self.ticked()
        starts, ends = _entered(self.starts), _entered(self.ends)
        self.send(lambda s, ws: s.dsa.register(ws, organisation=organisation, bcu=bcu, fields=fields,
                                               starts_on=starts, ends_on=ends),
                  done=self._added, changes={Change.AGREEMENTS})

    def _added(self, agreement: Agreement) -> None:
        self.accept()
        self._on_added(agreement)


class EndAgreementDialog(FormDialog):
    """The day it ends (today unless typed), and what ending does to the partner's preview."""

    def __init__(self, agreement: Agreement, ops: SessionOps, parent: QWidget | None,
                 on_ended: Callable[[Agreement], None]) -> None:
        super().__init__(f"End agreement #{agreement.id}", parent, ok_text=f"&End agreement #{agreement.id}", ops=ops)
        self.agreement = agreement
        self._on_ended = on_ended
        today = ops.clock.now().date()
        self.ended_on = _date_box(self, today, min(agreement.starts_on, today), today, "Ends from")
        self.body.addWidget(note(f"Agreement {agreement_text(agreement)}, in force from {agreement.starts_on} to "
                                 f"{agreement.ends_on}.", self))
        self.body.addLayout(_labelled(self, [("Nothing is shared &from:", self.ended_on)]))
        self.body.addWidget(note(
            "From that day the partner's preview is refused. At once, the preview's key is taken from every partner "
            "account linked to it; the preview file is then emptied and moved to a new key by the BCU's next officer "
            "or SPOC to sign in (the administrator holds no key to it). This cannot be undone: register a new "
            "agreement to share again.", self))
        self.resize(540, self.sizeHint().height())
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setDefault(True)  # ending takes a deliberate choice
        self.ok_button.setAutoDefault(False)

    def submit(self) -> None:
        dsa_id, ended_on = self.agreement.id, _entered(self.ended_on)
        self.send(lambda s, ws: s.dsa.end(ws, dsa_id, ended_on=ended_on), done=self._ended,
                  changes={Change.AGREEMENTS})

    def _ended(self, agreement: Agreement) -> None:
        self.accept()
        self._on_ended(agreement)


class LinkPartnerDialog(FormDialog):
    """A partner account of the agreement's BCU, chosen from the active ones; the service checks the BCU again."""

    def __init__(self, agreement: Agreement, partners: list[Account], ops: SessionOps, parent: QWidget | None,
                 on_linked: Callable[[str], None]) -> None:
        super().__init__(f"Link a partner to agreement #{agreement.id}", parent, ok_text="&Link partner", ops=ops)
        self.agreement = agreement
        self._on_linked = on_linked
        usable = [a for a in partners if a.bcu == agreement.bcu and a.active]
        self.partner = code_combo(self, ((a.username, f"{a.username} ({isolate(a.display_name)})") for a in usable),
                                  name="Partner account")
        self.body.addWidget(note(f"Agreement {agreement_text(agreement)}. The partner account previews under this "
                                 "agreement only: a key it held for another agreement is withdrawn.", self))
        if not usable:
            self.body.addWidget(note(f"There is no active partner account in {bcu_text(agreement.bcu)}: add one on "
                                     "the Accounts tab first.", self))
        self.body.addLayout(_labelled(self, [("&Partner account:", self.partner)]))
        self.resize(520, self.sizeHint().height())

    def submit(self) -> None:
        try:
            username = chosen(self.partner, "partner account")
        except ValidationError as refusal:
            self.error_label.show_error(refusal)
            return
        dsa_id = self.agreement.id
        self.send(lambda s, ws: s.dsa.link_partner(ws, username, dsa_id), done=lambda _v: self._linked(username),
                  changes={Change.AGREEMENTS, Change.ACCOUNTS})

    def _linked(self, username: str) -> None:
        self.accept()
        self._on_linked(username)
