"""The shipped sample reference population, and the button on the admin's Reference population tab that loads it.

The sample is synthetic (resources/samples/README.md); it loads through the same call as a
chosen file (DisproportionalityPage.import_reference), so the page says what was loaded in
the same words, and the service checks and logs it the same way.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.gui.common.widgets import note
from gvm_desktop.gui.review.disproportionality_page import DisproportionalityPage

SAMPLE_NAME = "reference_population_sample.csv"


def shipped_sample() -> Path:
    """Where the installed package keeps the sample (a plain file: the package is installed unzipped)."""
    return Path(str(files("gvm_desktop.resources").joinpath("samples", SAMPLE_NAME)))


class SampleRow(QWidget):
    """"Use the shipped sample", beside a line saying what it is."""

    def __init__(self, page: DisproportionalityPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QPushButton("Use the shipped sa&mple", self)
        self.button.setAccessibleName("Use the shipped sample reference population")
        self.button.setToolTip(f"Load {SAMPLE_NAME}: synthetic figures for every borough, for a demo or a trial")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(note("No figures to hand? The shipped sample is synthetic, for every borough: enough to try "
                           "the report, not to judge anyone by.", self), 1)
        row.addWidget(self.button)
        self.button.clicked.connect(lambda: page.import_reference(shipped_sample()))


def add_sample_row(page: DisproportionalityPage) -> SampleRow:
    """Put the row under the page's own import button (the page is shared with SPOCs and auditors, who load nothing)."""
    row = SampleRow(page, page)
    layout = page.layout()
    assert isinstance(layout, QVBoxLayout)  # the page lays itself out, a column, in its constructor
    layout.insertWidget(1, row)  # under its first row, the choosers and the import button
    return row
