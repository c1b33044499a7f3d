"""The administrator's home: accounts, inactive accounts, data sharing, retention, the reference population, the
idle-lock setting and what the workstation's own policy fixes; and no one on the matrix.

Separation of duties (core/policy.py): the admin role runs accounts and
settings but may not read people's records, so this page calls no matrix service. Its Disproportionality tab
holds counts only, and is where the reference population is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget

from gvm_desktop.core.settings import AUTO_DISABLE_INACTIVE, IDLE_LOCK_MINUTES
from gvm_desktop.gui.admin.accounts_page import AccountsPage
from gvm_desktop.gui.admin.agreements_page import AgreementsPage
from gvm_desktop.gui.admin.backup_panel import BackupPanel, ReminderLine
from gvm_desktop.gui.admin.inactive_panel import InactivePanel
from gvm_desktop.gui.admin.policy_panel import PolicyPanel
from gvm_desktop.gui.admin.reference_sample import add_sample_row
from gvm_desktop.gui.admin.retention_page import RetentionPage
from gvm_desktop.gui.common.home_base import HomePage, panel
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.overdue_banner import OverdueBanner
from gvm_desktop.gui.common.widgets import ErrorLabel, heading, note
from gvm_desktop.gui.review.disproportionality_page import DisproportionalityPage

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.gui.common.operations import SessionOps


class AdminHome(HomePage):
    # A new idle-lock value was saved; the main window applies it to this session at once.
    idle_minutes_changed = Signal(int)

    def __init__(self, ops: SessionOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addWidget(heading("Administration", self))
        layout.addWidget(note(
            "Accounts and vault settings. The administrator role cannot see the people on the matrix.", self))
        # At the top, read at sign-in: the backup reminder, when one is due (a line, never a box to dismiss).
        self.backup_reminder = ReminderLine(self)
        layout.addWidget(self.backup_reminder)
        # Quarterly review hook: overdue reviews, by BCU and count only (no people).
        self.overdue = OverdueBanner(ops, self, self)
        layout.addWidget(self.overdue)

        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        self.accounts = AccountsPage(self, self.tabs)
        # The names the other pages and tests know the accounts list by.
        self.accounts_model = self.accounts.model
        self.accounts_view = self.accounts.table
        self.refresh_button = self.accounts.refresh_button
        self.accounts_count = self.accounts.count
        self.tabs.addTab(self.accounts, "A&ccounts")
        self.tabs.addTab(self._inactive_page(), "&Inactive accounts")
        self.agreements = AgreementsPage(self, self.tabs)
        self.tabs.addTab(self.agreements, "Data sharin&g")
        self.retention = RetentionPage(self, self.tabs)
        self.tabs.addTab(self.retention, "Re&tention")
        # The reference population the disproportionality report counts against; the report itself reads people's
        # demographics, which the administrator holds no key to (separation of duties, enforced by keys).
        self.disproportionality = DisproportionalityPage(ops, self, self.tabs)
        self.sample = add_sample_row(self.disproportionality)
        self.tabs.addTab(self.disproportionality, "Reference p&opulation")
        # The inactive list is read (and that reading logged) only when its tab is opened; so are the others.
        self.tabs.currentChanged.connect(lambda _i: self._tab_shown())
        layout.addWidget(self.error_label)

        # Side by side: at 1280x800 and 150% there is no height to spare for a second box under the first.
        settings_row = QHBoxLayout()
        settings_row.addWidget(self._idle_panel(), 1)
        self.machine_policy = PolicyPanel(ops, self, errors=self.error_label)
        settings_row.addWidget(self.machine_policy, 1)
        self.backup = BackupPanel(ops, self, reminder_line=self.backup_reminder)
        self.backup.lock_requested.connect(self.lock_requested)
        settings_row.addWidget(self.backup, 1)
        layout.addLayout(settings_row)
        ops.changed.connect(self._changed)

    def _inactive_page(self) -> QWidget:
        page = QWidget(self.tabs)
        inner = QVBoxLayout(page)
        inner.addWidget(note("Accounts nobody has signed in to for six months. Select them and disable: you are "
                             "asked to confirm, with each account named.", page))
        self.inactive = InactivePanel(self, page, can_disable=True)
        inner.addWidget(self.inactive, 1)
        box = panel(page)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(12, 8, 12, 8)
        self.auto_disable = QCheckBox("Disable inactive accounts a&utomatically", box)
        self.auto_disable.setObjectName("autoDisableInactive")
        self.auto_disable.toggled.connect(self.apply_auto_disable)
        box_layout.addWidget(self.auto_disable)
        box_layout.addWidget(note("When on, an administrator's sign-in disables every account unused for six months, "
                                  "without asking. When off, they are only listed here.", box))
        self.auto_status = note("", box)
        self.auto_error = ErrorLabel(box)
        box_layout.addWidget(self.auto_status)
        box_layout.addWidget(self.auto_error)
        inner.addWidget(box)
        return page

    def _tab_shown(self) -> None:
        shown = self.tabs.currentWidget()
        if self.tabs.currentIndex() == 1 and not self.inactive.loaded:
            self.inactive.load()
        elif shown is self.agreements and not self.agreements.loaded:
            self.agreements.load()
        elif shown is self.retention and not self.retention.loaded:
            self.retention.load()
        elif self.tabs.currentWidget() is self.disproportionality and not self.disproportionality.loaded:
            self.disproportionality.load()  # the report's reading is logged: only once its tab is opened

    def set_busy(self, busy: bool) -> None:
        # Disabling rewrites the vault off the GUI thread; nothing on this page may ask the vault meanwhile.
        self.tabs.setEnabled(not busy)
        self.idle_spin.setEnabled(not busy)
        self.apply_button.setEnabled(not busy)

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
        # Shown only when the workstation's policy fixes a maximum: the administrator sees why the box stops there.
        self.idle_fixed = QLabel(box)
        self.idle_fixed.setObjectName("note")
        self.idle_fixed.setWordWrap(True)
        self.idle_fixed.hide()
        self.idle_status = QLabel(box)
        self.idle_status.setObjectName("note")
        self.idle_error = ErrorLabel(box)
        inner.addWidget(self.idle_fixed)
        inner.addWidget(self.idle_status)
        inner.addWidget(self.idle_error)
        return box

    # -- data -------------------------------------------------------------------

    def load(self) -> None:
        self.overdue.load()  # quarterly review hook; first, so the accounts' own errors are not cleared by it
        self.load_accounts()
        self.machine_policy.load()
        self.backup.load()
        self.ops.run(lambda s, ws: (s.settings.fixed_maximum(ws, IDLE_LOCK_MINUTES.key), s.settings.fixed_because(ws)),
                     done=self._show_idle_fixed, errors=self.idle_error, owner=self)
        self.ops.run(lambda s, ws: s.settings.idle_lock_minutes(ws), done=self._show_idle_minutes,
                     errors=self.idle_error, owner=self)
        self.ops.run(lambda s, ws: s.settings.value(ws, AUTO_DISABLE_INACTIVE.key), done=self._show_auto_disable,
                     errors=self.auto_error, owner=self)

    def _changed(self, changes: frozenset[Change]) -> None:
        if Change.ACCOUNTS in changes:
            self.load_accounts(quietly=True)

    def _show_idle_fixed(self, fixed: tuple[int | None, str]) -> None:
        maximum, because = fixed
        if maximum is None:
            return
        self.idle_spin.setMaximum(maximum)
        self.idle_fixed.setText(f"Fixed at most {maximum} minutes by {because}.")
        self.idle_fixed.show()

    def _show_idle_minutes(self, minutes: int) -> None:
        self.idle_spin.setValue(minutes)
        self.idle_status.setText(f"Sessions lock after {minutes} minutes without input.")

    def _show_auto_disable(self, value: int) -> None:
        self.auto_disable.blockSignals(True)  # showing the stored value is not a change to save
        self.auto_disable.setChecked(value == 1)
        self.auto_disable.blockSignals(False)
        self.auto_status.setText("On: inactive accounts are disabled at an administrator's sign-in." if value == 1
                                 else "Off: inactive accounts are listed here, and disabled only when you confirm.")

    def apply_auto_disable(self, on: bool) -> None:
        """Save the checkbox; on a refusal the box goes back to the stored value."""
        self.ops.run(lambda s, ws: s.settings.change(ws, AUTO_DISABLE_INACTIVE.key, 1 if on else 0),
                     done=self._show_auto_disable, errors=self.auto_error,
                     finished=lambda result: None if result.ok else self._show_auto_disable(0 if on else 1),
                     changes={Change.SETTINGS}, owner=self)

    def wipe(self) -> None:
        self.accounts.wipe()
        self.agreements.wipe()
        self.retention.wipe()
        self.inactive.wipe()
        self.overdue.wipe()  # quarterly review hook
        self.disproportionality.wipe()
        self.backup.wipe()
        super().wipe()

    def load_accounts(self, *, quietly: bool = False) -> None:
        """Read the accounts. `quietly`: a refresh after a change, which leaves the error line as it is."""
        self.accounts.load(quietly=quietly)

    def apply_idle_minutes(self, value: int | None = None) -> None:
        """Save the idle-lock minutes (the spin box's value unless given); the window follows once saved."""
        minutes = self.idle_spin.value() if value is None else value
        self.ops.run(lambda s, ws: s.settings.change(ws, IDLE_LOCK_MINUTES.key, minutes), done=self._idle_saved,
                     failed=self._idle_refused, errors=self.idle_error, changes={Change.SETTINGS}, owner=self)

    def _idle_saved(self, saved: int) -> None:
        self.idle_spin.setValue(saved)
        self.idle_status.setText(f"Saved: sessions lock after {saved} minutes without input.")
        self.idle_minutes_changed.emit(saved)

    def _idle_refused(self, error: GvmError) -> None:
        self.idle_status.clear()
        self.idle_error.show_error(error)
