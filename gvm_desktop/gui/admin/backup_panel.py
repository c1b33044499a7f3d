"""The administrator's Backup box: when the vault was last backed up, the reminder when one is due, "Back up now…".

The backup runs on the session's worker (the vault stays in use; the service copies it under its write lock)
and writes a new file only: an existing one is refused by the service, whose words are shown. The reminder
is also put at the top of the admin home (`ReminderLine`), a line to read rather than a box to dismiss.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.local_time import local_text, utc_text
from gvm_desktop.gui.common.home_base import panel
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.shortcuts import add_lock_shortcut
from gvm_desktop.gui.common.widgets import BusyBar, ErrorLabel, NoticeLabel, heading

if TYPE_CHECKING:
    from gvm_desktop.core.backup_manifest import BackupMade, LastBackup
    from gvm_desktop.gui.common.operations import SessionOps

TITLE = "Backup"
SUFFIX = "gvmbackup"
NEVER = "Last backup: never."


def size_text(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


class ReminderLine(QLabel):
    """The reminder, prominent at the top of the admin home; hidden when no backup is due."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorLabel")  # the stylesheet's loud line: a due backup is a risk, not a note
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def say(self, text: str | None) -> None:
        self.setText(text or "")
        self.setVisible(bool(text))


class BackupPanel(QWidget):
    lock_requested = Signal()  # Ctrl+L in the save dialog (the main window's shortcut does not reach a dialog)

    def __init__(self, ops: SessionOps, parent: QWidget | None, *, reminder_line: ReminderLine | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.reminder_line = reminder_line
        self.setObjectName("backupPanel")
        self.setAccessibleName(TITLE)
        self.made: BackupMade | None = None
        self.dialog: QFileDialog | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        box = panel(self)
        outer.addWidget(box)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(12, 10, 12, 10)
        inner.addWidget(heading(TITLE, box, level=2))
        row = QHBoxLayout()
        self.last = QLabel(NEVER, box)
        self.last.setObjectName("lastBackup")
        self.last.setWordWrap(True)
        self.button = QPushButton("&Back up now…", box)
        self.button.setToolTip("One file holding the whole vault, still encrypted, with a signed manifest")
        row.addWidget(self.last, 1)
        row.addWidget(self.button)
        inner.addLayout(row)
        self.reminder = QLabel(box)
        self.reminder.setObjectName("errorLabel")
        self.reminder.setWordWrap(True)
        self.reminder.hide()
        inner.addWidget(self.reminder)
        self.busy = BusyBar(box)
        self.result = NoticeLabel(box)
        self.result.setObjectName("backupResult")
        self.error_label = ErrorLabel(box)
        inner.addWidget(self.busy)
        inner.addWidget(self.result)
        inner.addWidget(self.error_label)
        inner.addStretch(1)
        self.button.clicked.connect(lambda: self.ask_backup())

    def load(self) -> None:
        self.ops.run(lambda s, ws: (s.backup.last_backup(ws), s.backup.reminder(ws)), done=self._show,
                     errors=self.error_label, owner=self)

    def _show(self, found: tuple[LastBackup | None, str | None]) -> None:
        last, reminder = found
        if last is None:
            self.last.setText(NEVER)
            self.last.setToolTip("")
        else:
            self.last.setText(f"Last backup: {local_text(last.at)}.")
            self.last.setToolTip(f"{utc_text(last.at)}, backup {last.backup_id}")
        if self.reminder_line is not None:
            self.reminder_line.say(reminder)  # said once, at the top of the home: not again in the box
            return
        self.reminder.setText(reminder or "")
        self.reminder.setVisible(bool(reminder))

    def ask_backup(self) -> QFileDialog:
        """Where to write the backup: Qt's own save dialog, made once and opened again each time (not one made and
        deleted per press: a file dialog deleted while its folder is still being read has crashed the process)."""
        if self.dialog is None:
            dialog = QFileDialog(self, "Back up the vault", QDir.homePath(), f"gvm-desktop backups (*.{SUFFIX})")
            dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setFileMode(QFileDialog.FileMode.AnyFile)
            dialog.setDefaultSuffix(SUFFIX)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.fileSelected.connect(lambda name: self.back_up_to(Path(name)))
            add_lock_shortcut(dialog).triggered.connect(self.lock_requested)
            self.dialog = dialog
        self.dialog.selectFile(f"gvm-vault-{self.ops.clock.now().date().isoformat()}.{SUFFIX}")
        self.dialog.open()
        return self.dialog

    def back_up_to(self, out: Path) -> None:
        """Write the backup to `out` on the worker; the service refuses a file that exists."""
        self.result.clear()
        self.busy.set_busy(True)
        self.button.setEnabled(False)
        self.ops.run(lambda s, ws: s.backup.backup(ws, out), done=self._made, errors=self.error_label,
                     progress="Backing up the vault", changes=frozenset({Change.LOG}),
                     said="Vault backed up (logged)", owner=self, finished=lambda _r: self._ended())

    def _ended(self) -> None:
        self.busy.set_busy(False)
        self.button.setEnabled(True)

    def _made(self, made: BackupMade) -> None:
        self.made = made
        manifest = made.manifest
        self.result.setText(f"Backed up to {made.path} ({size_text(made.size)}, {len(manifest.parts)} files). "
                            f"Access log head at the backup: {manifest.head}. Keep it away from this workstation.")
        self.load()

    def wipe(self) -> None:
        self.made = None
        self.result.clear()
