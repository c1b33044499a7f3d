"""The column-mapping screen: for each of our fields, which of the file's columns fills it.

The combo boxes edit the mapping in memory (ImportMapping.with_column); what stops it reading
the file (core's mapping_problems) is said under them as the SPOC chooses, before any dry run.
Evidence groups are shown as the mapping file has them: they are edited in the file.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from gvm_desktop.core.import_mapping import EVIDENCE_FIELDS, PERSON_FIELDS, ImportMapping, header_key
from gvm_desktop.gui.common.widgets import heading, note

NOT_IN_FILE = "(not in this file)"
REQUIRED_MARK = " *"


def fixed_text(value: str) -> str:
    return f"(every row: {value})"


class MappingForm(QWidget):
    """One combo box per person field; `changed` carries the mapping after each choice."""

    changed = Signal(object)  # ImportMapping

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mapping = ImportMapping()
        self.headers: tuple[str, ...] = ()
        self.combos: dict[str, QComboBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Which column is which", self, level=2))
        layout.addWidget(note(f"Fields marked{REQUIRED_MARK} are required: a column, or one value for every row "
                              "(set in the mapping file).", self))
        form = QFormLayout()
        for spec in PERSON_FIELDS:
            combo = QComboBox(self)
            combo.setObjectName(f"column_{spec.name}")
            combo.setAccessibleName(f"Column for {spec.label}")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
            label = QLabel(spec.label + (REQUIRED_MARK if spec.required else ""), self)
            label.setBuddy(combo)
            form.addRow(label, combo)
            combo.activated.connect(lambda _i, name=spec.name: self._chosen(name))
            self.combos[spec.name] = combo
        layout.addLayout(form)
        layout.addWidget(heading("Evidence each row carries", self, level=2))
        self.evidence = note("", self)
        self.evidence.setObjectName("evidenceGroups")
        layout.addWidget(self.evidence)
        layout.addStretch(1)
        self.show_mapping(self.mapping, ())

    def show_mapping(self, mapping: ImportMapping, headers: Sequence[str]) -> None:
        """Fill the boxes with the file's headers, each set to what the mapping reads."""
        self.mapping, self.headers = mapping, tuple(h for h in headers if h and h.strip())
        where = {header_key(h): h for h in self.headers}
        for name, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_IN_FILE, None)
            if name in mapping.fixed:
                combo.addItem(fixed_text(mapping.fixed[name]), "")
            for header in self.headers:
                combo.addItem(header, header)
            if name in mapping.columns:
                wanted = mapping.columns[name]
                found = where.get(header_key(wanted))
                if found is None:  # named in the mapping, absent from the file: say so rather than hide it
                    combo.addItem(f"{wanted} (not found)", wanted)
                    found = wanted
                combo.setCurrentIndex(combo.findData(found))
            elif name in mapping.fixed:
                combo.setCurrentIndex(1)
            combo.blockSignals(False)
        self.evidence.setText(evidence_text(mapping))

    def _chosen(self, name: str) -> None:
        data = self.combos[name].currentData()
        if data == "":
            return  # the fixed value the mapping had: nothing to change
        self.mapping = self.mapping.with_column(name, data)
        self.changed.emit(self.mapping)

    def clear(self) -> None:
        self.show_mapping(ImportMapping(), ())


def evidence_text(mapping: ImportMapping) -> str:
    if not mapping.evidence:
        return "None: the mapping names no evidence columns, so people arrive without evidence."
    labels = {f.name: f.label for f in EVIDENCE_FIELDS}
    lines = []
    for n, group in enumerate(mapping.evidence, start=1):
        parts = [f"{labels.get(k, k)} ← “{v}”" for k, v in group.columns.items()]
        parts += [f"{labels.get(k, k)} = {v}" for k, v in group.fixed.items()]
        lines.append(f"Group {n}: " + "; ".join(parts))
    return "\n".join(lines) + "\n(Edited in the mapping file: save the mapping, change it, and open it again.)"
