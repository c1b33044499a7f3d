"""Everything one access-log entry says, for the row the auditor selected.

The table shows a line per entry; the reason typed to open a record, the
workstation and the operation reference only fit here, in full. A read-only
rich-text box rather than a form of labels: long justifications wrap and
scroll, and everything can be selected and quoted. Every value is escaped, since
a justification is text someone typed.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QTextBrowser, QWidget

from gvm_desktop.core.audit import LoggedEntry
from gvm_desktop.core.labels import action_label, outcome_label, reason_label, role_label
from gvm_desktop.core.local_time import local_and_utc_text
from gvm_desktop.gui.common.palette import current_scheme, mix, readable

EMPTY_TEXT = "Select an entry to see everything it records."


def field_texts(item: LoggedEntry) -> dict[str, str]:
    e = item.entry
    return {
        "Entry": f"#{item.seq}",
        "Time": f"{local_and_utc_text(e.at_utc)}; logged on a workstation in {e.tz}",
        "User": (e.username or "-") + (f" (account {e.user_id})" if e.user_id is not None else ""),
        "Role": role_label(e.role) + (f", BCU {e.bcu}" if e.bcu else ""),
        "Workstation": e.workstation,
        "Action": f"{action_label(e.action.value)} ({e.action.value})",
        "Outcome": outcome_label(e.outcome),
        "Record": e.record_ref or "-",
        "Reason": reason_label(e.reason_category),
        "Operation": e.operation_ref or "none given",
        "Justification": e.justification or "-",
        "Detail": e.detail or "-",
    }


# Two columns of short fields, then the long ones across the full width.
PAIRS = (("Entry", "Action"), ("Time", "Outcome"), ("User", "Record"), ("Role", "Reason"), ("Workstation", "Operation"))
WIDE = ("Justification", "Detail")


def details_html(item: LoggedEntry) -> str:
    texts = {key: escape(value) for key, value in field_texts(item).items()}
    # The field names a shade quieter than the values, readable on the box's base colour in a light or dark theme.
    quiet = readable(mix(current_scheme().base_text, current_scheme().base, 0.3), current_scheme().base).name()

    def cell(key: str) -> str:
        return f"<td style='color:{quiet};padding-right:6px'>{key}</td><td style='padding-right:18px'>{texts[key]}</td>"

    rows = [f"<tr>{cell(left)}{cell(right)}</tr>" for left, right in PAIRS]
    rows += [f"<tr><td style='color:{quiet}'>{key}</td><td colspan='3'>{texts[key]}</td></tr>" for key in WIDE]
    return f"<table cellspacing='0' cellpadding='1'>{''.join(rows)}</table>"


class LogEntryDetails(QTextBrowser):
    """Blank (with a hint) until a row is chosen; holds the entry it shows, and drops it on wipe."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry: LoggedEntry | None = None
        self.setObjectName("logDetails")
        self.setAccessibleName("Selected log entry")
        self.setOpenLinks(False)  # nothing in an entry is a link to follow
        self.setPlaceholderText(EMPTY_TEXT)
        lines = 8
        self.setMinimumHeight(self.fontMetrics().lineSpacing() * lines + 12)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.entry is not None:
            self.setHtml(details_html(self.entry))  # the field names' colour was chosen for the old palette

    def show_entry(self, item: LoggedEntry | None) -> None:
        self.entry = item
        if item is None:
            self.clear()
        else:
            self.setHtml(details_html(item))

    def text_of(self, key: str) -> str:
        """One field's text for the entry shown ('' if none): what tests and screen readers check."""
        return field_texts(self.entry).get(key, "") if self.entry else ""
