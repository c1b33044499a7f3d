"""The "Verify log" button: the whole chain checked off the GUI thread, the answer in green or red.

At ten million entries the check takes seconds: it runs on the session's worker
with a progress line and its percentage (the page pauses meanwhile). An intact log reads as one green
line with the head an auditor can copy onto paper; a damaged one as a red line
and the list of problems, first first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.gui.common.widgets import BusyBar, ErrorLabel

if TYPE_CHECKING:
    from gvm_desktop.core.log_verification import VerifyResult
    from gvm_desktop.gui.common.operations import Result, SessionOps

IDLE_TEXT = ("Checks every entry's hash and MAC, their order and the checkpoint beside the database; "
             "an intact result is logged with the head.")
MAX_PROBLEMS_SHOWN = 200  # the CLI's `log verify` prints them all; a screen needs the first ones


def intact_text(result: VerifyResult) -> str:
    key = f"; verification key {result.key_fingerprint}" if result.key_fingerprint else ""
    return f"Intact: {result.entries:,} entries, head {result.head_seq}:{result.head_hash[:16]}{key}"


def broken_text(result: VerifyResult) -> str:
    count = len(result.problems)
    return (f"NOT intact: {count} problem{'s' if count != 1 else ''} in {result.entries:,} entries. "
            f"First: {result.first_problem}")


class VerifyBar(QWidget):
    def __init__(self, ops: SessionOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.result: VerifyResult | None = None
        self.button = QPushButton("&Verify log", self)
        self.button.setToolTip("Check every entry's hash and MAC, the order and the checkpoint beside the database")
        self.busy_bar = BusyBar(self)
        self.status = QLabel(self)
        self.status.setObjectName("verifyResult")
        self.status.setWordWrap(True)
        self.problems = QPlainTextEdit(self)
        self.problems.setReadOnly(True)
        self.problems.setAccessibleName("Problems found in the log")
        self.problems.setMaximumHeight(110)
        self.problems.hide()
        self.error_label = ErrorLabel(self)

        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.problems)
        layout.addWidget(self.error_label)
        self.button.clicked.connect(self.verify)
        self._show_state("", IDLE_TEXT)

    def verify(self) -> bool:
        """Start the check (it queues behind any call still running); True once asked."""
        self._show_state("checking", "Checking the whole log…")
        self.problems.hide()
        self.error_label.clear_message()
        self.set_busy(True)
        report = self.ops.reporter()  # the status line then says how far: "Verifying the access log... 40%"
        self.ops.run(lambda s, ws: s.audit.verify(ws, progress=report), done=self._show_result, errors=self.error_label,
                     progress="Verifying the access log", finished=self._answered, owner=self)
        return True

    def set_busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        self.busy_bar.set_busy(busy)

    def _answered(self, result: Result[VerifyResult]) -> None:
        self.set_busy(False)
        if not result.ok:
            self._show_state("", "")  # ended in an error, shown below

    def _show_result(self, result: VerifyResult) -> None:
        self.result = result
        if result.intact:
            self._show_state("intact", intact_text(result))
            self.problems.hide()
            return
        self._show_state("broken", broken_text(result))
        shown = result.problems[:MAX_PROBLEMS_SHOWN]
        more = len(result.problems) - len(shown)
        self.problems.setPlainText("\n".join(shown) + (f"\n… and {more} more" if more > 0 else ""))
        self.problems.show()

    def _show_state(self, state: str, text: str) -> None:
        # The stylesheet colours by this property (green intact, red broken); the words say it too.
        self.status.setProperty("state", state)
        self.status.setText(text)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def wipe(self) -> None:
        self.result = None
        self._show_state("", "")
        self.problems.clear()
        self.problems.hide()
