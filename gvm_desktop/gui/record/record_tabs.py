"""The tabs of a record view: details, evidence, scores, interventions and activity, history.

Values are plain labels, not selectable: nothing here goes to the clipboard
(tables swallow Ctrl+C too). Each tab shows one record and can be blanked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.people import BCUS, DISABILITY, ETHNICITY_2021, GENDERS, OBSERVED_ETHNICITY, bcu_name
from gvm_desktop.core.records import NominalRecord, VersionRecord
from gvm_desktop.gui.common.table_models import sorted_view_model
from gvm_desktop.gui.common.widgets import NoCopyTable, heading, note
from gvm_desktop.gui.matrix.matrix_model import BAND_COLOURS
from gvm_desktop.gui.record.record_models import (
    ActivityModel,
    EvidenceModel,
    InterventionsModel,
    ScoreLinesModel,
    VersionsModel,
    grading_words,
)

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import Result

PENDING_WORDS = {"add": "addition awaiting the SPOC's approval", "remove": "removal proposed, awaiting the SPOC"}
CLASSIFICATION_WORDS = {
    "offender": "Offender: harm scored, no recent victimisation.",
    "victim": "Victim: at risk of harm, no scored harm caused. Not to be read as a perpetrator.",
    "offender and victim": "Offender and victim: both scores count, each on its own.",
    "no scored events": "No scored events: nothing in the scoring windows (zero harm).",
}


def value_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # a name is data, never markup
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


def paint_band(label: QLabel, band: str) -> None:
    """Band in words on its colour (never colour alone), as wide as its word."""
    label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
    label.setText(band)
    # Coloured by the application stylesheet (QLabel#band[band=...]), which follows a light or dark palette.
    label.setObjectName("band" if band in BAND_COLOURS else "")
    label.setProperty("band", band)
    label.style().unpolish(label)
    label.style().polish(label)


class DetailsTab(QWidget):
    FIELDS_PERSON = ("Name", "Aliases", "Date of birth", "Gender", "Ethnicity (self-defined)",
                     "Officer-observed code", "Disability", "Address", "Postcode")
    FIELDS_MATRIX = ("Reference", "Status", "Waiting for", "BCU", "Borough", "Gangs", "Date added", "Last reviewed",
                     "Custody", "Version")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        for col, (title, names) in enumerate((("Person", self.FIELDS_PERSON), ("On the matrix", self.FIELDS_MATRIX))):
            box = QGroupBox(title, self)
            form = QFormLayout(box)
            for name in names:
                self.values[name] = value_label(box)
                form.addRow(f"{name}:", self.values[name])
            grid.addWidget(box, 0, col)
        grid.setRowStretch(1, 1)

    def show_record(self, r: NominalRecord) -> None:
        group, label = ETHNICITY_2021.get(r.ethnicity, ("", r.ethnicity))
        observed = (f"{r.observed_ethnicity} {OBSERVED_ETHNICITY.get(r.observed_ethnicity, '')}"
                    if r.observed_ethnicity else "Not recorded")
        custody = "Not in custody"
        if r.in_custody:
            custody = "In custody" + (f" since {r.custody_from}" if r.custody_from else "") + (
                f", release due {r.custody_to}" if r.custody_to else "")
        values = {
            "Name": r.full_name, "Aliases": ", ".join(r.aliases) or "None recorded",
            "Date of birth": f"{r.date_of_birth.isoformat()} (age {r.age})",
            "Gender": GENDERS.get(r.gender, r.gender),
            "Ethnicity (self-defined)": f"{r.ethnicity} {group}" + ("" if group == label else f": {label}"),
            "Officer-observed code": observed, "Disability": DISABILITY.get(r.disability, r.disability),
            "Address": r.address, "Postcode": r.postcode,
            "Reference": r.ref, "Status": r.status.capitalize(),
            "Waiting for": "; ".join(PENDING_WORDS.get(p, p) for p in r.pending) or "Nothing pending",
            "BCU": f"{bcu_name(r.bcu)} ({r.bcu})" if r.bcu in BCUS else r.bcu, "Borough": r.borough,
            "Gangs": ", ".join(r.gangs) or "None recorded", "Date added": r.date_added or "Not yet active",
            "Last reviewed": r.last_reviewed or "Not yet reviewed", "Custody": custody, "Version": str(r.version),
        }
        for name, text in values.items():
            self.values[name].setText(text)


class EvidenceTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EvidenceModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = NoCopyTable(self.proxy, self)
        self.table.setAccessibleName("Evidence")
        self.detail = value_label(self)
        self.detail.setObjectName("evidenceDetail")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        self.table.selectionModel().selectionChanged.connect(self._selected)

    def show_record(self, r: NominalRecord) -> None:
        self.model.set_rows(r.evidence)
        self.table.resizeColumnsToContents()  # a record has tens of entries, not thousands
        for col in (5, 6):
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), 320))
        self.detail.setText(f"{len(r.evidence)} entries. Select one to read it in full, with what its grading means.")

    def _selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        e = self.model.row_at(self.proxy.mapToSource(rows[0]).row())
        text = f"{e.on.isoformat()} · {e.kind.label} · {e.source_type.label} {e.source_ref} · graded {e.grading} " \
               f"({grading_words(e.grading)})\n{e.summary}"
        if e.social_media_note:
            text += f"\nSocial-media note: {e.social_media_note}"
        self.detail.setText(text)


class ScoresTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.harm_score = heading("", self)
        self.harm_band = QLabel(self)
        self.victim_score = heading("", self)
        self.victim_band = QLabel(self)
        self.classification = heading("", self, level=2)
        self.classification_words = note("", self)
        self.policy = note("", self)
        self.lines = ScoreLinesModel(self)
        self.table = NoCopyTable(sorted_view_model(self.lines, self), self)
        self.table.setAccessibleName("Events that produced the scores")

        sides = QHBoxLayout()
        for title, score, band in (("Harm score (as offender)", self.harm_score, self.harm_band),
                                   ("Victim risk score (as victim)", self.victim_score, self.victim_band)):
            box = QGroupBox(title, self)
            row = QHBoxLayout(box)
            row.addWidget(score)
            row.addWidget(band)
            row.addStretch(1)
            sides.addWidget(box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(sides)
        layout.addWidget(self.classification)
        layout.addWidget(self.classification_words)
        layout.addWidget(self.policy)
        layout.addWidget(heading("Events that produced these scores", self, level=2))
        layout.addWidget(self.table, 1)

    def show_record(self, r: NominalRecord) -> None:
        self.harm_score.setText(str(r.harm_score))
        paint_band(self.harm_band, r.harm_band)
        self.victim_score.setText(str(r.victim_score))
        paint_band(self.victim_band, r.victim_band)
        self.classification.setText(f"Classification: {r.classification}")
        self.classification_words.setText(
            CLASSIFICATION_WORDS.get(r.classification, "") + " The two scores are never added together.")
        self.policy.setText(f"Scored under policy {r.policy_version}, as of today; events stop counting as they "
                            "leave the policy's time windows.")
        self.lines.set_rows(sorted(r.score_lines, key=lambda s: s.on, reverse=True))
        self.table.resizeColumnsToContents()


class ActivityTab(QWidget):
    """Interventions offered and police activity, each with its Add button (hidden until the view allows it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.interventions = InterventionsModel(self)
        self.activity = ActivityModel(self)
        self.interventions_table = NoCopyTable(sorted_view_model(self.interventions, self), self)
        self.interventions_table.setAccessibleName("Interventions")
        self.activity_table = NoCopyTable(sorted_view_model(self.activity, self), self)
        self.activity_table.setAccessibleName("Police activity")
        self.interventions_title = heading("", self, level=2)
        self.activity_title = heading("", self, level=2)
        self.add_intervention_button = QPushButton("Add i&ntervention…", self)
        self.add_activity_button = QPushButton("Add police ac&tivity…", self)
        layout = QVBoxLayout(self)
        for title, button, table in ((self.interventions_title, self.add_intervention_button, self.interventions_table),
                                     (self.activity_title, self.add_activity_button, self.activity_table)):
            button.hide()
            row = QHBoxLayout()
            row.addWidget(title, 1)
            row.addWidget(button)
            layout.addLayout(row)
            layout.addWidget(table, 1)

    def show_record(self, r: NominalRecord) -> None:
        self.interventions.set_rows(r.interventions)
        self.activity.set_rows(r.activity)
        self.interventions_title.setText(f"Interventions offered: {len(r.interventions) or 'none recorded'}")
        self.activity_title.setText(f"Police activity (stops and arrests): {len(r.activity) or 'none recorded'}")
        self.interventions_table.resizeColumnsToContents()
        self.activity_table.resizeColumnsToContents()


class HistoryTab(QWidget):
    """Earlier versions, read only when this tab is first opened (the read is justified and logged).

    `fetch()` asks for them; the answer comes back through `show_versions` (and `answered`, either way).
    """

    def __init__(self, fetch: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self.loaded = False
        self._asked = False
        self.model = VersionsModel(self)
        self.proxy = sorted_view_model(self.model, self)
        self.table = NoCopyTable(self.proxy, self)
        self.table.setAccessibleName("Earlier versions")
        self.snapshot = value_label(self)
        self.status = note("Earlier versions are read when you open this tab; that read is logged with your reason.",
                           self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.snapshot)
        self.table.selectionModel().selectionChanged.connect(self._selected)

    def ensure_loaded(self) -> None:
        if self.loaded or self._asked:
            return
        self._asked = True
        self._fetch()

    def answered(self, _result: Result[Any]) -> None:
        self._asked = False  # a refused read may be asked for again when the tab is next opened

    def show_versions(self, versions: list[VersionRecord]) -> None:
        self.loaded = True
        self.model.set_rows(versions)
        self.table.resizeColumnsToContents()
        self.status.setText(f"{len(versions)} earlier version{'' if len(versions) == 1 else 's'}. "
                            "Select one to see the record as it was." if versions else "No earlier versions.")

    def reset(self) -> None:
        """The record changed: the list is read again next time the tab is opened."""
        self.loaded = False
        self.model.clear()
        self.snapshot.clear()

    def _selected(self, _selected: QItemSelection, _old: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        version = self.model.row_at(self.proxy.mapToSource(rows[0]).row())
        self.snapshot.setText(f"Version {version.version} as it was:\n" + "\n".join(
            f"{key}: {value}" for key, value in sorted(version.snapshot.items())))
