"""The filter bar over the access log: who, which record, what, how it ended, when, and why.

The bar only gathers what was typed into a `LogFilter`; the service checks it
(reversed dates, unknown user or action, oversized fields) and its message is
shown here, under the fields, with what was typed left in place.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDateEdit, QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.labels import action_label, outcome_label, reason_label
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.gui.common.form_fields import EARLIEST, code_combo, date_box, limit_line, select_code, to_qdate
from gvm_desktop.gui.common.widgets import ErrorLabel, field_label

ANY = "Any"
# Long enough for any real username or reference; the service still checks (a GUI limit protects nothing).
FIELD_MAX = 60


def optional_date(box: QDateEdit) -> date | None:
    """The date in a box, or None while it reads "Not entered"."""
    value: date = box.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
    return None if value <= EARLIEST else value


class LogFilterBar(QWidget):
    """Fields for each part of a LogFilter; Apply (or Enter in a field) asks for it."""

    applied = Signal(object)  # a LogFilter

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.username = self._line("Username", "e.g. demo.officer")
        self.record_ref = self._line("Record reference", "e.g. N-000123 or user:12")
        self.action = code_combo(self, sorted(((a.value, action_label(a.value)) for a in Action), key=lambda p: p[1]),
                                 placeholder=ANY, name="Action")
        self.outcome = code_combo(self, ((o.value, outcome_label(o)) for o in Outcome), placeholder=ANY,
                                  name="Outcome")
        self.reason = code_combo(self, ((c.value, reason_label(c)) for c in ReasonCategory), placeholder=ANY,
                                 name="Reason category")
        self.since = date_box(self, today, empty=True, name="From date")
        self.until = date_box(self, today, empty=True, name="To date")
        self.apply_button = QPushButton("&Apply filters", self)
        self.apply_button.setDefault(False)
        self.reset_button = QPushButton("Clear filters", self)
        self.error_label = ErrorLabel(self)
        self._lay_out()
        self.apply_button.clicked.connect(self.apply)
        self.reset_button.clicked.connect(self.reset)
        for line in (self.username, self.record_ref):
            line.returnPressed.connect(self.apply)

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        line = QLineEdit(self)
        line.setAccessibleName(name)
        line.setPlaceholderText(placeholder)
        limit_line(line, FIELD_MAX)
        line.setClearButtonEnabled(True)
        return line

    def _lay_out(self) -> None:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        fields: tuple[tuple[str, QWidget], ...] = (
            ("&User", self.username), ("Record r&ef", self.record_ref), ("Actio&n", self.action),
            ("&Outcome", self.outcome), ("Fro&m", self.since), ("&To", self.until), ("Reason categor&y", self.reason),
        )
        for i, (text, field) in enumerate(fields):
            label = field_label(text, field, self)
            row, col = divmod(i, 4)
            grid.addWidget(label, row, col * 2)
            grid.addWidget(field, row, col * 2 + 1)
        for col in (1, 3, 5, 7):
            grid.setColumnStretch(col, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, 1, 6, 1, 2)
        outer = QGridLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(grid, 0, 0)
        outer.addWidget(self.error_label, 1, 0)

    # -- reading and setting ----------------------------------------------------

    def current(self) -> LogFilter:
        """What the fields say, as typed (the service validates it)."""
        action = self.action.currentData()
        return LogFilter(
            username=self.username.text().strip() or None,
            record_ref=self.record_ref.text().strip() or None,
            actions=(str(action),) if action else (),
            outcome=self.outcome.currentData(),
            since=optional_date(self.since),
            until=optional_date(self.until),
            reason_category=self.reason.currentData(),
        )

    def show_filter(self, log_filter: LogFilter) -> None:
        """Put a filter into the fields (a jump from a flag, a user's timeline)."""
        self.username.setText(log_filter.username or "")
        self.record_ref.setText(log_filter.record_ref or "")
        select_code(self.action, log_filter.actions[0] if log_filter.actions else None)
        select_code(self.outcome, log_filter.outcome)
        select_code(self.reason, log_filter.reason_category)
        self.set_dates(log_filter.since, log_filter.until)

    def set_dates(self, since: date | None, until: date | None) -> None:
        self.since.setDate(to_qdate(since) if since else self.since.minimumDate())
        self.until.setDate(to_qdate(until) if until else self.until.minimumDate())

    # -- actions ----------------------------------------------------------------

    def apply(self) -> None:
        self.applied.emit(self.current())

    def reset(self) -> None:
        self.show_filter(LogFilter())
        self.apply()
