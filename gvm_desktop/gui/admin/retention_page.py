"""The Retention tab: what the purge would remove now (counts and references, no names), then the purge itself.

The list comes from RetentionService.preview, which reads with the purge's own cutoffs;
"Purge…" asks for a confirmation naming the count, then runs the purge (delete, log,
compact the file) on the session's worker with a progress line. The list is read again
afterwards, so the page always shows what is due now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.retention import Purged, PurgePreview
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, ReadOnlyTable, note

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.gui.common.home_base import HomePage


@dataclass(frozen=True)
class DueRow:
    """One line of the list: what is due, which one (a count or a review's id), its BCU, since when."""

    what: str
    which: str
    bcu: str
    due_on: date | None
    count: int


class DueModel(RowTableModel[DueRow]):
    columns = (
        Column[DueRow]("What", lambda r: r.what),
        Column[DueRow]("Which", lambda r: r.which),
        Column[DueRow]("BCU", lambda r: r.bcu),
        Column[DueRow]("Due since", lambda r: r.due_on.isoformat() if r.due_on else "on or before today",
                       lambda r: r.due_on.isoformat() if r.due_on else ""),
        Column[DueRow]("Count", lambda r: str(r.count), lambda r: r.count, numeric=True),
    )


def due_rows(preview: PurgePreview) -> list[DueRow]:
    rows = [DueRow("Archive record of a removed person", r.ref, bcu_text(r.bcu), r.due_on, 1)
            for r in preview.archive_rows]
    rows += [DueRow("Signed quarterly review", f"Review #{r.id} ({r.quarter}, signed {r.signed_on})", bcu_text(r.bcu),
                    r.due_on, 1) for r in preview.reviews]
    return rows


def summary_text(preview: PurgePreview) -> str:
    if preview.empty:
        return f"Nothing is due on {preview.today}: the purge would remove nothing."
    return (f"Due on {preview.today}: {preview.archive} archive records past their purge date and "
            f"{len(preview.reviews)} signed reviews signed {preview.years} or more years ago.")


class ConfirmPurgeDialog(FormDialog):
    """Names the counts; Cancel is the default, OK says how many go."""

    def __init__(self, preview: PurgePreview, parent: QWidget | None) -> None:
        total = preview.archive + len(preview.reviews)
        super().__init__("Purge what is past retention", parent, ok_text=f"&Purge {total} items")
        self.total = total
        self.counts = QLabel(f"{preview.archive} archive records and {len(preview.reviews)} signed reviews", self)
        self.counts.setObjectName("confirmNames")
        self.body.addWidget(note("These will be deleted for good:", self))
        self.body.addWidget(self.counts)
        self.body.addWidget(note("The rows are deleted and their space zeroed, then the file is compacted, which takes "
                                 "a while on a large vault. The purge is logged. It cannot be undone.", self))
        self.resize(520, self.sizeHint().height())
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setDefault(True)  # deleting for good takes a deliberate choice
        self.ok_button.setAutoDefault(False)


class RetentionPage(QWidget):
    def __init__(self, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        self.loaded = False
        self.preview: PurgePreview | None = None
        self.model = DueModel(self)
        self.table = ReadOnlyTable(sorted_view_model(self.model, self), self)
        self.table.setObjectName("dueTable")
        self.table.setAccessibleName("Due for purging")
        self.show_button = QPushButton("Sho&w what is due", self)
        self.show_button.setAccessibleName("Show what is due for purging")
        self.purge_button = QPushButton("&Purge…", self)
        self.purge_button.setAccessibleName("Purge what is due")
        self.summary = note("", self)
        self.status = NoticeLabel(self)
        self.status.setObjectName("retentionStatus")
        self.error_label = ErrorLabel(self)
        self.dialog: ConfirmPurgeDialog | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(note("Archive records of removed people are kept until their purge date, and signed "
                              "quarterly reviews for the retention period. Only references, review numbers and dates "
                              "are shown here, never a name.", self))
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(self.show_button)
        row.addWidget(self.summary, 1)
        row.addWidget(self.purge_button)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error_label)
        self.show_button.clicked.connect(lambda: self.load())
        self.purge_button.clicked.connect(lambda: self.ask_purge())
        self._update_buttons()

    def load(self) -> None:
        """Read what is due now (the purge's cutoffs, the same query)."""
        self.loaded = True
        self.ops.run(lambda s, ws: s.retention.preview(ws), done=self._show, errors=self.error_label, owner=self)

    def _show(self, preview: PurgePreview) -> None:
        self.preview = preview
        self.model.set_rows(due_rows(preview))
        self.table.resizeColumnsToContents()
        self.summary.setText(summary_text(preview))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.purge_button.setEnabled(self.preview is not None and not self.preview.empty)

    def ask_purge(self) -> ConfirmPurgeDialog | None:
        if self.preview is None or self.preview.empty:
            return None
        dialog = ConfirmPurgeDialog(self.preview, self)
        self._page.adopt(dialog)
        dialog.accepted.connect(lambda: self.purge())
        self.dialog = dialog
        self.error_label.clear_message()
        dialog.open()
        return dialog

    def purge(self) -> None:
        self.status.setText("Purging…")
        self.purge_button.setEnabled(False)
        report = self.ops.reporter()
        self.ops.run(lambda s, ws: s.retention.purge(ws, progress=report), done=self._purged, failed=self._failed,
                     progress="Purging what is past retention", owner=self)

    def _purged(self, purged: Purged) -> None:
        self.status.setText(f"Purged {purged.archive} archive records and {purged.reviews} signed reviews "
                            f"({purged.review_items} people listed in them); logged, and the file compacted.")
        self.load()

    def _failed(self, error: GvmError) -> None:
        self.status.clear()
        self.error_label.show_error(error)
        self.load()  # one transaction: nothing or everything went; show which

    def wipe(self) -> None:
        self.model.clear()
        self.preview = None
        self.summary.clear()
        self.status.clear()
        self.error_label.clear_message()
        self.loaded = False
        self._update_buttons()
