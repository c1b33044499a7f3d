"""Recording that someone completed the data-protection course: when, and until when it counts.

The SPOC (their BCU) or the administrator records it; the service refuses a
completion in the future or an expiry before the completion, and logs the record.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from gvm_desktop.core.errors import GvmError
from gvm_desktop.core.governance import REQUIRED_COURSE
from gvm_desktop.core.text import isolate
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import date_box, entered_date, to_qdate
from gvm_desktop.gui.common.operations import Change

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

VALID_FOR = timedelta(days=365)  # the usual refresher cycle; the SPOC can change the expiry
LATEST_EXPIRY = timedelta(days=5 * 366)


class RecordTrainingDialog(FormDialog):
    def __init__(self, ops: SessionOps, username: str, display_name: str, parent: QWidget | None) -> None:
        super().__init__(f"Record training — {username}", parent, ok_text="Record training", ops=ops)
        self.username = username
        today = ops.clock.now().date()
        form = QFormLayout()
        form.addRow("Account:", QLabel(f"{username} ({isolate(display_name)})", self))
        form.addRow("Course:", QLabel(REQUIRED_COURSE, self))
        self.completed_on = date_box(self, today, empty=False, name="Completed on")
        self.expires_on = date_box(self, today + LATEST_EXPIRY, empty=False, name="Expires on")
        self.expires_on.setDate(to_qdate(today + VALID_FOR))
        form.addRow("&Completed on:", self.completed_on)
        form.addRow("&Expires on:", self.expires_on)
        self.body.addLayout(form)
        self.resize(440, 200)

    def set_dates(self, completed_on: date, expires_on: date) -> None:
        self.completed_on.setDate(to_qdate(completed_on))
        self.expires_on.setDate(to_qdate(expires_on))

    def submit(self) -> None:
        try:
            completed_on = entered_date(self.completed_on, "completion date")
            expires_on = entered_date(self.expires_on, "expiry date")
        except GvmError as problem:
            self.error_label.show_error(problem)
            return
        username = self.username
        self.send(lambda s, ws: s.governance.record_training(ws, username, completed_on=completed_on,
                                                            expires_on=expires_on),
                  changes={Change.GOVERNANCE})
