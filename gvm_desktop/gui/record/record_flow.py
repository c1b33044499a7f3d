"""Opening a record, always in the same order: ask why; only on OK, read it; then show it.

Every way in (double-click, Enter, the Open button, a typed reference, the
duplicate offer of the propose form) goes through `RecordOpener.open`, so there
is exactly one path from a reference to a person's details, and it starts with
the justification dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from gvm_desktop.core.justification import Justification
from gvm_desktop.core.records import NominalRecord
from gvm_desktop.gui.record.justify_dialog import JustifyDialog
from gvm_desktop.gui.record.record_view import RecordView

if TYPE_CHECKING:
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Call

Opened = tuple[NominalRecord, Justification]  # what reading a record returns: the record and the reason given


def read_record(ref: str, reason: Justification) -> Call[Opened]:
    """The call behind the justification's OK: the record, read (and logged) with the reason given."""
    return lambda s, ws: (s.records.open(ws, ref, reason), reason)


class RecordOpener(QObject):
    gone = Signal(str)  # a record left the matrix; the text says which and how

    def __init__(self, page: HomePage) -> None:
        super().__init__(page)
        self._page = page
        self.justify_dialog: JustifyDialog[Opened] | None = None
        self.views: list[RecordView] = []

    def open(self, ref: str) -> JustifyDialog[Opened] | None:
        """Ask why; nothing about the person is read until OK.

        This user's last reason for the record, if any, is read from the access log (never the record)
        and filled in when it arrives, unless something was typed meanwhile.
        """
        ref = ref.strip().upper()
        if not ref:
            return None
        page = self._page
        dialog = JustifyDialog(f"Why are you opening record {ref}?", lambda reason: read_record(ref, reason),
                               page.ops, page)
        page.adopt(dialog)
        dialog.accepted.connect(lambda: self._show(dialog))
        self.justify_dialog = dialog
        dialog.open()
        page.ops.run(lambda s, ws: s.records.last_justification(ws, ref), done=dialog.offer,
                     failed=page.error_label.show_error, owner=dialog)
        return dialog

    def _show(self, dialog: JustifyDialog[Opened]) -> None:
        opened = dialog.result_value
        if opened is None:  # not reached: accepted is emitted only after the call stored the result
            return
        record, reason = opened
        dialog.result_value = None  # the record now lives in its view only
        dialog.deleteLater()
        self.justify_dialog = None
        view = RecordView(self._page.ops, record, reason, self._page)
        self._page.adopt(view)
        view.gone.connect(self.gone)
        view.destroyed.connect(lambda _obj=None, v=view: self._forget(v))
        self.views.append(view)
        view.show()
        view.raise_()
        view.activateWindow()

    def _forget(self, view: RecordView) -> None:
        if view in self.views:
            self.views.remove(view)

    @property
    def current_view(self) -> RecordView | None:
        return self.views[-1] if self.views else None
