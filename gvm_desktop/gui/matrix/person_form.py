"""The person fields of a record: used to propose someone and to edit them.

The code lists are the core's (ETHNICITY_2021, GENDERS, DISABILITY, OBSERVED_ETHNICITY),
and the boroughs are those of the session's own BCU: an officer cannot even pick
a place outside it. The core's `validate_draft` checks the same rules the service will.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.people import BCUS, DISABILITY, ETHNICITY_2021, GENDERS, OBSERVED_ETHNICITY, NominalDraft
from gvm_desktop.core.records import NominalRecord
from gvm_desktop.core.text import NAME_MAX, TEXT_MAX
from gvm_desktop.gui.common.form_fields import (
    buddy_label,
    chosen,
    code_combo,
    date_box,
    entered_date,
    select_code,
    split_list,
    to_qdate,
    with_count,
)

POSTCODE_MAX = 8  # the core's limit for a postcode (validate_draft)
ETHNICITY_ITEMS = [(code, group if group == label else f"{group}: {label}")
                   for code, (group, label) in ETHNICITY_2021.items()]


class PersonForm(QWidget):
    def __init__(self, bcu: str, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bcu = bcu
        self.given_name = QLineEdit(self)
        self.family_name = QLineEdit(self)
        for box, name in ((self.given_name, "Given name"), (self.family_name, "Family name")):
            box.setAccessibleName(name)
        self.date_of_birth = date_box(self, today, empty=True, name="Date of birth")
        self.gender = code_combo(self, GENDERS.items(), name="Gender")
        self.ethnicity = code_combo(self, ETHNICITY_ITEMS, name="Ethnicity (self-defined)")
        self.observed = code_combo(self, ((c, f"{c} {label}") for c, label in OBSERVED_ETHNICITY.items()),
                                   placeholder="Not recorded", name="Officer-observed code")
        self.disability = code_combo(self, DISABILITY.items(), name="Disability")
        self.address = QLineEdit(self)
        self.address.setAccessibleName("Address")
        self.postcode = QLineEdit(self)
        self.postcode.setAccessibleName("Postcode")
        self.borough = code_combo(self, ((b, b) for b in BCUS[bcu][1]), name="Borough")
        self.aliases = QLineEdit(self)
        self.aliases.setAccessibleName("Aliases, comma-separated")
        self.aliases.setPlaceholderText("Comma-separated, up to 10")
        self.gangs = QLineEdit(self)
        self.gangs.setAccessibleName("Gang names, comma-separated")
        self.gangs.setPlaceholderText("Comma-separated, up to 10")

        # The core's limits (validate_draft), shown as a count as people type; nothing is cut.
        given_row, self.given_count = with_count(self.given_name, NAME_MAX)
        family_row, self.family_count = with_count(self.family_name, NAME_MAX)
        address_row, self.address_count = with_count(self.address, TEXT_MAX // 10)
        postcode_row, self.postcode_count = with_count(self.postcode, POSTCODE_MAX)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(buddy_label("&Given name", self.given_name), given_row)
        form.addRow(buddy_label("&Family name", self.family_name), family_row)
        form.addRow("&Date of birth", self.date_of_birth)
        form.addRow("Ge&nder", self.gender)
        form.addRow("E&thnicity (self-defined)", self.ethnicity)
        form.addRow("Officer-o&bserved code", self.observed)
        form.addRow("Disabilit&y", self.disability)
        form.addRow(buddy_label("&Address", self.address), address_row)
        form.addRow(buddy_label("Post&code", self.postcode), postcode_row)
        form.addRow(f"Borough ({bcu})", self.borough)
        form.addRow("A&liases", self.aliases)
        form.addRow("Gang na&mes", self.gangs)

    def draft(self) -> NominalDraft:
        """The person as typed; a ValidationError names the first field still missing."""
        return NominalDraft(
            given_name=self.given_name.text(), family_name=self.family_name.text(),
            date_of_birth=entered_date(self.date_of_birth, "date of birth"),
            gender=chosen(self.gender, "gender (or Not stated)"),
            ethnicity=chosen(self.ethnicity, "ethnicity as the person defines it (or Not stated)"),
            disability=chosen(self.disability, "disability (or Not stated)"),
            address=self.address.text(), postcode=self.postcode.text(),
            borough=chosen(self.borough, "borough"), bcu=self.bcu, aliases=split_list(self.aliases.text()),
        )

    def date_of_birth_or_none(self) -> date | None:
        try:
            return entered_date(self.date_of_birth, "date of birth")
        except ValidationError:  # not entered yet
            return None

    def gang_names(self) -> tuple[str, ...]:
        return split_list(self.gangs.text())

    def observed_code(self) -> str | None:
        code = self.observed.currentData()
        return None if code is None else str(code)

    def fill(self, record: NominalRecord) -> None:
        """Start an edit from the record as it is."""
        self.given_name.setText(record.given_name)
        self.family_name.setText(record.family_name)
        self.date_of_birth.setDate(to_qdate(record.date_of_birth))
        select_code(self.gender, record.gender)
        select_code(self.ethnicity, record.ethnicity)
        select_code(self.observed, record.observed_ethnicity)
        select_code(self.disability, record.disability)
        self.address.setText(record.address)
        self.postcode.setText(record.postcode)
        select_code(self.borough, record.borough)
        self.aliases.setText(", ".join(record.aliases))
        self.gangs.setText(", ".join(record.gangs))
