"""The monthly system audit: how many records each user viewed, downloaded and edited, per local matrix.

The service does the counting, by the BCU of each record (core/record_use.py says what
counts as which), and logs that it was asked; this page shows the counts per BCU (for an
auditor also the London roll-up of every BCU), per user and BCU, and every log entry of
the scope's own accounts by action. The exports (signed CSV for auditors, PDF) go through
the same service, on the session's worker, with a progress line; the PDF names officers, so
it asks first for its password and the user's own, which signs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.labels import role_label
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, allows
from gvm_desktop.core.record_use import LONDON, BcuUse, UserUse, bcu_text
from gvm_desktop.gui.common.file_choice import ask_save_path, writing_to
from gvm_desktop.gui.common.form_fields import code_combo, limit_line
from gvm_desktop.gui.common.pdf_password import ProtectedPdfDialog
from gvm_desktop.gui.common.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel, ReadOnlyTable, field_label, heading, note

if TYPE_CHECKING:
    from gvm_desktop.core.exports import ExportResult
    from gvm_desktop.core.record_use import MonthlyAudit
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Call, Result, Services
    from gvm_desktop.services.context import Workspace


@dataclass(frozen=True)
class ActionCount:
    action: str
    count: int


def _count(title: str, get: Callable[[Any], int]) -> Column[Any]:
    return Column(title, lambda r: f"{get(r):,}", get, numeric=True)


_USES = (("Viewed", lambda r: r.counts.viewed), ("Downloaded", lambda r: r.counts.downloaded),
         ("Edited", lambda r: r.counts.edited), ("Total", lambda r: r.counts.total))


class ActionCountsModel(RowTableModel[ActionCount]):
    columns = (
        Column[ActionCount]("Action", lambda r: r.action),
        Column[ActionCount]("Entries", lambda r: f"{r.count:,}", lambda r: r.count, numeric=True),
    )


class BcuCountsModel(RowTableModel[BcuUse]):
    columns = (
        Column[BcuUse]("BCU", lambda r: bcu_text(r.bcu), lambda r: (r.bcu == LONDON, r.bcu is None, r.bcu or "")),
        _count("Users", lambda r: r.users),
        *(_count(title, get) for title, get in _USES),
    )


class UserCountsModel(RowTableModel[UserUse]):
    columns = (
        Column[UserUse]("User", lambda r: r.username),
        Column[UserUse]("Role", lambda r: role_label(r.role)),  # as the PDF words it
        Column[UserUse]("BCU of the records", lambda r: bcu_text(r.bcu)),
        *(_count(title, get) for title, get in _USES),
    )


def action_rows(audit: MonthlyAudit) -> list[ActionCount]:
    return [ActionCount(a, n) for a, n in sorted(audit.by_action.items(), key=lambda kv: (-kv[1], kv[0]))]


def bcu_rows(audit: MonthlyAudit) -> list[BcuUse]:
    """One row per BCU; for the London roll-up, its total row last."""
    return [*audit.by_bcu, *((audit.total,) if audit.london else ())]


def user_rows(audit: MonthlyAudit) -> list[UserUse]:
    return list(audit.by_user)  # most uses first, as the service sorts them


class MonthlyAuditPanel(QWidget):
    def __init__(self, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page, self.ops = page, page.ops
        session = self.ops.session
        self.bcu = code_combo(self, ((code, f"{name} ({code})") for code, (name, _b) in BCUS.items()),
                              placeholder=None, name="BCU")
        if allows(session.role, Permission.LOG_EXPORT):  # auditors: every BCU, and London's roll-up
            self.bcu.insertItem(0, "London: every BCU (roll-up)", LONDON)
        self.bcu.setCurrentIndex(max(0, self.bcu.findData(session.bcu or LONDON)))
        self.month = QLineEdit(self.ops.clock.now().strftime("%Y-%m"), self)
        self.month.setAccessibleName("Month")
        self.month.setPlaceholderText("YYYY-MM")
        limit_line(self.month, 7)  # yyyy-mm
        self.month.setMaximumWidth(self.month.fontMetrics().horizontalAdvance("0000-000") + 24)
        self.show_button = QPushButton("Sho&w audit", self)
        self.export_csv_button = QPushButton("Export signed &CSV…", self)
        self.export_csv_button.setToolTip("Signed with the access log's key (auditors); check it with "
                                          "'gvm-desktop log verify-export'")
        self.export_csv_button.setVisible(allows(session.role, Permission.LOG_EXPORT))
        self.export_pdf_button = QPushButton("E&xport PDF…", self)
        self.folder: Path | None = None  # where the last export went; the next dialog starts there
        self.summary = QLabel(self)
        self.summary.setObjectName("subheading")
        self.summary.setWordWrap(True)
        self.error_label = ErrorLabel(self)
        self.result_label = NoticeLabel(self)
        self.bcus_model = BcuCountsModel(self)
        self.actions_model = ActionCountsModel(self)
        self.users_model = UserCountsModel(self)
        self.bcus_table = ReadOnlyTable(sorted_view_model(self.bcus_model, self), self)
        self.bcus_table.setAccessibleName("Records viewed, downloaded and edited by BCU")
        self.bcus_table.horizontalHeader().setStretchLastSection(False)  # counts, not a paragraph
        self.actions_table = ReadOnlyTable(sorted_view_model(self.actions_model, self), self)
        self.actions_table.setAccessibleName("Entries by action")
        self.actions_table.horizontalHeader().setStretchLastSection(False)  # a count, not a paragraph
        self.users_table = ReadOnlyTable(sorted_view_model(self.users_model, self), self)
        self.users_table.setAccessibleName("Records viewed, downloaded and edited by user and BCU")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(heading("Monthly system audit", self, level=2))
        layout.addWidget(note("How many records each user viewed, downloaded and edited in a calendar month (UTC month), "
                              "counted under the BCU of the record, whoever used it; and every log entry made by the "
                              "BCU's own accounts (by every account, for London), by action.", self))
        row = QHBoxLayout()
        for text, field in (("&BCU", self.bcu), ("Mo&nth", self.month)):
            row.addWidget(field_label(text, field, self))
            row.addWidget(field)
        row.addWidget(self.show_button)
        row.addStretch(1)
        row.addWidget(self.export_csv_button)
        row.addWidget(self.export_pdf_button)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.result_label)
        layout.addWidget(self.summary)
        tables = QHBoxLayout()
        for title, table, stretch in (("By BCU", self.bcus_table, 4), ("By user and BCU", self.users_table, 5),
                                      ("Log entries by action", self.actions_table, 2)):
            column = QVBoxLayout()
            column.addWidget(heading(title, self, level=2))
            column.addWidget(table, 1)
            tables.addLayout(column, stretch)
        layout.addLayout(tables, 1)

        self.show_button.clicked.connect(self.show_audit)
        self.month.returnPressed.connect(self.show_audit)
        self.export_csv_button.clicked.connect(lambda: self.export_csv())
        self.export_pdf_button.clicked.connect(lambda: self.export_pdf())

    def _chosen(self) -> tuple[str, str]:
        return str(self.bcu.currentData()), self.month.text().strip()

    def show_audit(self) -> None:
        bcu, month = self._chosen()
        self.ops.run(lambda s, ws: s.governance.monthly_audit(ws, bcu, month), errors=self.error_label,
                     finished=self._answered, owner=self)

    def _answered(self, result: Result[MonthlyAudit]) -> None:
        audit = result.value if result.ok else None
        if audit is None:
            self.wipe()
            return
        self.bcus_model.set_rows(bcu_rows(audit))
        self.actions_model.set_rows(action_rows(audit))
        self.users_model.set_rows(user_rows(audit))
        for table in (self.bcus_table, self.actions_table, self.users_table):
            table.resizeColumnsToContents()
        self.summary.setText(summary_text(audit))

    # -- files ------------------------------------------------------------------

    def _ask(self, title: str, suggested: str, name_filter: str, suffix: str,
             then: Callable[[Path], object]) -> QFileDialog:
        return ask_save_path(self, title, suggested, name_filter, suffix, then, folder=self.folder,
                             on_lock=self._page.lock_requested.emit)

    def export_csv(self) -> QFileDialog:
        bcu, month = self._chosen()
        return self._ask("Export the monthly audit as signed CSV", f"monthly-audit-{bcu}-{month}.csv",
                         "CSV files (*.csv)", "csv", self.export_csv_to)

    def export_pdf(self) -> QFileDialog:
        bcu, month = self._chosen()
        return self._ask("Export the monthly audit as PDF", f"monthly-audit-{bcu}-{month}.pdf", "PDF files (*.pdf)",
                         "pdf", self.export_pdf_to)

    def _start(self, what: str, path: Path, call: Call[Any], done: Callable[[Any], None]) -> bool:
        """Run a file-writing call on the session's worker, with a progress line; its outcome lands on the result line."""
        self.folder = path.parent
        self.error_label.clear_message()
        self.result_label.setText(f"{what} to {path}…")

        def write(s: Services, ws: Workspace) -> Any:
            return writing_to(path, lambda: call(s, ws))

        self.ops.run(write, done=done, errors=self.error_label, progress=what, owner=self,
                     finished=lambda result: None if result.ok else self.result_label.clear())
        return True

    def export_csv_to(self, path: Path) -> bool:
        bcu, month = self._chosen()
        return self._start("Exporting a signed CSV", path,
                           lambda s, ws: s.governance.export_monthly_csv(ws, bcu, month, path), self._csv_done)

    def _csv_done(self, result: ExportResult) -> None:
        self.result_label.setText(f"Exported the audit to {result.csv_path}; signature in {result.signature_path.name} "
                                  f"(key {result.key_fingerprint}, log head {result.log_head}).")

    def export_pdf_to(self, path: Path) -> ProtectedPdfDialog:
        """Ask for the PDF's password and the user's own (it signs the PDF: the audit names officers), then write it."""
        bcu, month = self._chosen()
        self.folder = path.parent
        self.error_label.clear_message()

        def make(account: str, pdf: str | None, plain: bool) -> Call[MonthlyAudit]:
            return lambda s, ws: s.governance.export_monthly_pdf(ws, bcu, month, path, account_password=account,
                                                                 pdf_password=pdf, unencrypted=plain)

        dialog = ProtectedPdfDialog(self.ops, "Export the monthly audit as PDF",
                                    f"The system audit of {bcu_text(bcu)}, {month}", path, make, self,
                                    progress="Writing the audit's PDF")
        dialog.written.connect(lambda audit: self.result_label.setText(
            f"The audit of {bcu_text(audit.bcu)} {audit.month} saved to {path}, signed with your key."))
        dialog.lock_requested.connect(self._page.lock_requested.emit)
        dialog.open()
        return dialog

    def wipe(self) -> None:
        self.bcus_model.clear()
        self.actions_model.clear()
        self.users_model.clear()
        self.summary.clear()
        self.result_label.clear()


def summary_text(audit: MonthlyAudit) -> str:
    t = audit.total
    entries = sum(audit.by_action.values())
    whose = "every account" if audit.london else "the BCU's own accounts"
    return (f"{bcu_text(audit.bcu)} {audit.month}: {t.users:,} user{'s' if t.users != 1 else ''} viewed "
            f"{t.counts.viewed:,}, downloaded {t.counts.downloaded:,} and edited {t.counts.edited:,} records; "
            f"{audit.records_opened:,} distinct records opened; {entries:,} log entries by {whose}, "
            f"{audit.refusals:,} refused.")
