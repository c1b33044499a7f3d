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
    from gvm_desktop.app import App
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.services.context import Workspace

Opened = tuple[NominalRecord, Justification]  # what reading a record returns: the record and the reason given


class RecordOpener(QObject):
    changed = Signal(str)  # a record was changed from its view
    gone = Signal(str)  # a record left the matrix; the text says which and how

    def __init__(self, app: App, ws: Workspace, page: HomePage) -> None:
        super().__init__(page)
        self._app, self._ws, self._page = app, ws, page
        self.justify_dialog: JustifyDialog[Opened] | None = None
        self.views: list[RecordView] = []

    def open(self, ref: str) -> JustifyDialog[Opened] | None:
        """Ask why (prefilled with this user's last reason for the record, if any); nothing is read yet."""
        ref = ref.strip().upper()
        if not ref:
            return None
        # Reads only this user's own earlier reason from the access log, never the record.
        prefill = self._page.call_service(lambda: self._app.records.last_justification(self._ws, ref))
        dialog = JustifyDialog(f"Why are you opening record {ref}?", lambda reason: self._read(ref, reason), self._page,
                               prefill=prefill)
        self._page.adopt(dialog)
        dialog.accepted.connect(lambda: self._show(dialog))
        self.justify_dialog = dialog
        dialog.open()
        return dialog

    def _read(self, ref: str, reason: Justification) -> Opened:
        return self._app.records.open(self._ws, ref, reason), reason

    def _show(self, dialog: JustifyDialog[Opened]) -> None:
        opened = dialog.result_value
        if opened is None:  # not reached: accepted is emitted only after submit stored the result
            return
        record, reason = opened
        dialog.result_value = None  # the record now lives in its view only
        dialog.deleteLater()
        self.justify_dialog = None
        view = RecordView(self._app, self._ws, record, reason, self._page)
        self._page.adopt(view)
        view.changed.connect(self.changed)
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
