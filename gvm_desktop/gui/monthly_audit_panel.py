"""The monthly system audit of one BCU: who viewed, changed and exported what, counted.

The service does the counting (and logs that it was asked); this page shows the
counts per action and per user, most first, and the two figures a review starts
from: distinct records opened, and refusals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.people import BCUS
from gvm_desktop.gui.form_fields import code_combo
from gvm_desktop.gui.table_models import Column, RowTableModel, sorted_view_model
from gvm_desktop.gui.widgets import ErrorLabel, ReadOnlyTable, heading, note

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.gui.home_base import HomePage
    from gvm_desktop.services.context import Workspace
    from gvm_desktop.services.governance import MonthlyAudit


@dataclass(frozen=True)
class ActionCount:
    action: str
    count: int


@dataclass(frozen=True)
class UserCounts:
    username: str
    total: int
    by_action: tuple[tuple[str, int], ...]  # most first


class ActionCountsModel(RowTableModel[ActionCount]):
    columns = (
        Column[ActionCount]("Action", lambda r: r.action),
        Column[ActionCount]("Entries", lambda r: f"{r.count:,}", lambda r: r.count, numeric=True),
    )


class UserCountsModel(RowTableModel[UserCounts]):
    columns = (
        Column[UserCounts]("User", lambda r: r.username),
        Column[UserCounts]("Entries", lambda r: f"{r.total:,}", lambda r: r.total, numeric=True),
        Column[UserCounts]("By action", lambda r: ", ".join(f"{a} {n}" for a, n in r.by_action)),
    )


def action_rows(audit: MonthlyAudit) -> list[ActionCount]:
    return [ActionCount(a, n) for a, n in sorted(audit.by_action.items(), key=lambda kv: (-kv[1], kv[0]))]


def user_rows(audit: MonthlyAudit) -> list[UserCounts]:
    rows = [UserCounts(user, sum(counts.values()), tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))))
            for user, counts in audit.by_user.items()]
    return sorted(rows, key=lambda r: (-r.total, r.username))


class MonthlyAuditPanel(QWidget):
    def __init__(self, app: App, ws: Workspace, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app, self._ws, self._page = app, ws, page
        self.bcu = code_combo(self, ((code, f"{name} ({code})") for code, (name, _b) in BCUS.items()),
                              placeholder=None, name="BCU")
        if ws.session.bcu:
            self.bcu.setCurrentIndex(max(0, self.bcu.findData(ws.session.bcu)))
        self.month = QLineEdit(app.env.clock.now().strftime("%Y-%m"), self)
        self.month.setAccessibleName("Month")
        self.month.setPlaceholderText("YYYY-MM")
        self.month.setMaxLength(7)
        self.month.setMaximumWidth(self.month.fontMetrics().horizontalAdvance("0000-000") + 24)
        self.show_button = QPushButton("Sho&w audit", self)
        self.summary = QLabel(self)
        self.summary.setObjectName("subheading")
        self.error_label = ErrorLabel(self)
        self.actions_model = ActionCountsModel(self)
        self.users_model = UserCountsModel(self)
        self.actions_table = ReadOnlyTable(sorted_view_model(self.actions_model, self), self)
        self.actions_table.setAccessibleName("Entries by action")
        self.actions_table.horizontalHeader().setStretchLastSection(False)  # a count, not a paragraph
        self.users_table = ReadOnlyTable(sorted_view_model(self.users_model, self), self)
        self.users_table.setAccessibleName("Entries by user")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(heading("Monthly system audit", self, level=2))
        layout.addWidget(note("Every access-log entry made by the users of one BCU in a calendar month (UTC), "
                              "counted by action and by user.", self))
        row = QHBoxLayout()
        for text, field in (("&BCU", self.bcu), ("Mont&h", self.month)):
            label = QLabel(text, self)
            label.setBuddy(field)
            row.addWidget(label)
            row.addWidget(field)
        row.addWidget(self.show_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.summary)
        tables = QHBoxLayout()
        for title, table, stretch in (("By action", self.actions_table, 1), ("By user", self.users_table, 3)):
            column = QVBoxLayout()
            column.addWidget(heading(title, self, level=2))
            column.addWidget(table, 1)
            tables.addLayout(column, stretch)
        layout.addLayout(tables, 1)

        self.show_button.clicked.connect(self.show_audit)
        self.month.returnPressed.connect(self.show_audit)

    def show_audit(self) -> bool:
        bcu, month = str(self.bcu.currentData()), self.month.text().strip()
        audit = self._page.call_service(lambda: self._app.governance.monthly_audit(self._ws, bcu, month),
                                        self.error_label)
        if audit is None:
            self.wipe()
            return False
        self.actions_model.set_rows(action_rows(audit))
        self.users_model.set_rows(user_rows(audit))
        for table in (self.actions_table, self.users_table):
            table.resizeColumnsToContents()
        total, users = sum(audit.by_action.values()), len(audit.by_user)
        self.summary.setText(f"{audit.bcu} {audit.month}: {total:,} entries by {users} user{'s' if users != 1 else ''}; "
                             f"{audit.records_opened:,} distinct records opened; {audit.refusals:,} refusals.")
        return True

    def wipe(self) -> None:
        self.actions_model.clear()
        self.users_model.clear()
        self.summary.clear()
