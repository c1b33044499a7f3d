"""The administrator's home: accounts and the idle-lock setting, and no one on the matrix.

Separation of duties (core/policy.py): the admin role runs accounts and
settings but may not read people's records, so this page calls no matrix service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from gvm_desktop.core.settings import IDLE_LOCK_MINUTES
from gvm_desktop.gui.home_base import HomePage, panel
from gvm_desktop.gui.table_models import AccountsTableModel, sorted_view_model
from gvm_desktop.gui.widgets import ErrorLabel, ReadOnlyTable, heading, note

if TYPE_CHECKING:
    from gvm_desktop.app import App
    from gvm_desktop.services.context import Workspace


class AdminHome(HomePage):
    # A new idle-lock value was saved; the main window applies it to this session at once.
    idle_minutes_changed = Signal(int)

    def __init__(self, app: App, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(app, ws, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addWidget(heading("Administration", self))
        layout.addWidget(note(
            "Accounts and vault settings. The administrator role cannot see the people on the matrix.", self))

        layout.addWidget(heading("Accounts", self, level=2))
        self.accounts_model = AccountsTableModel(self)
        self.accounts_view = ReadOnlyTable(sorted_view_model(self.accounts_model, self), self)
        self.accounts_view.setObjectName("accountsTable")
        self.accounts_view.setAccessibleName("Accounts")
        layout.addWidget(self.accounts_view, 1)
        accounts_row = QHBoxLayout()
        self.refresh_button = QPushButton("&Refresh accounts", self)
        self.refresh_button.clicked.connect(self.load_accounts)
        self.accounts_count = QLabel(self)
        accounts_row.addWidget(self.refresh_button)
        accounts_row.addWidget(self.accounts_count, 1)
        layout.addLayout(accounts_row)
        layout.addWidget(self.error_label)

        layout.addWidget(self._idle_panel())

    def _idle_panel(self) -> QWidget:
        box = panel(self)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(12, 10, 12, 10)
        inner.addWidget(heading("Idle lock", box, level=2))
        inner.addWidget(note(
            f"{IDLE_LOCK_MINUTES.description} Applies to every account; "
            f"from {IDLE_LOCK_MINUTES.minimum} to {IDLE_LOCK_MINUTES.maximum} minutes.", box))
        row = QHBoxLayout()
        label = QLabel("&Lock after", box)
        self.idle_spin = QSpinBox(box)
        self.idle_spin.setObjectName("idleMinutes")
        self.idle_spin.setAccessibleName("Idle lock minutes")
        # The spin box mirrors the setting's bounds; the service still checks (a GUI limit protects nothing).
        self.idle_spin.setRange(IDLE_LOCK_MINUTES.minimum, IDLE_LOCK_MINUTES.maximum)
        self.idle_spin.setSuffix(" minutes")
        label.setBuddy(self.idle_spin)
        self.apply_button = QPushButton("&Apply", box)
        self.apply_button.clicked.connect(lambda: self.apply_idle_minutes())
        self.idle_spin.lineEdit().returnPressed.connect(lambda: self.apply_idle_minutes())
        row.addWidget(label)
        row.addWidget(self.idle_spin)
        row.addWidget(self.apply_button)
        row.addStretch(1)
        inner.addLayout(row)
        self.idle_status = QLabel(box)
        self.idle_status.setObjectName("note")
        self.idle_error = ErrorLabel(box)
        inner.addWidget(self.idle_status)
        inner.addWidget(self.idle_error)
        return box

    # -- data -------------------------------------------------------------------

    def load(self) -> None:
        self.load_accounts()
        minutes = self.call_service(lambda: self.app.settings.idle_lock_minutes(self.ws), self.idle_error)
        if minutes is not None:
            self.idle_spin.setValue(minutes)
            self.idle_status.setText(f"Sessions lock after {minutes} minutes without input.")

    def load_accounts(self) -> None:
        accounts = self.call_service(lambda: self.app.accounts.list(self.ws))
        if accounts is None:
            return
        self.accounts_model.set_rows(accounts)
        active = sum(1 for a in accounts if a.active)
        self.accounts_count.setText(f"{len(accounts)} accounts, {active} active")
        self.accounts_view.resizeColumnsToContents()

    def apply_idle_minutes(self, value: int | None = None) -> bool:
        """Save the idle-lock minutes (the spin box's value unless given); True if the vault took it."""
        minutes = self.idle_spin.value() if value is None else value
        saved = self.call_service(
            lambda: self.app.settings.change(self.ws, IDLE_LOCK_MINUTES.key, minutes), self.idle_error
        )
        if saved is None:
            self.idle_status.clear()
            return False
        self.idle_spin.setValue(saved)
        self.idle_status.setText(f"Saved: sessions lock after {saved} minutes without input.")
        self.idle_minutes_changed.emit(saved)
        return True
