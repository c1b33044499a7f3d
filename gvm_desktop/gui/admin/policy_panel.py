"""The administrator's view of the workstation's own policy: what it fixes, in plain words, and where it is written.

The vault's administrator cannot loosen any of it (the services enforce it: services/settings.py, context.py,
auth.py, reports), so the page says so rather than letting them find out setting by setting. Hidden when
the policy fixes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gvm_desktop.core.machine_policy import MachinePolicy, fixed_settings
from gvm_desktop.gui.common.home_base import panel
from gvm_desktop.gui.common.widgets import ErrorLabel, heading, note

if TYPE_CHECKING:
    from gvm_desktop.gui.common.operations import SessionOps

TITLE = "This workstation's policy"


def where_written(policy: MachinePolicy) -> str:
    where = policy.source or "the workstation's own settings"
    return f"Set in {where} by whoever manages this workstation: no one in the vault can loosen it."


class PolicyPanel(QWidget):
    """A bordered box on the admin home listing each setting the workstation's policy fixes."""

    def __init__(self, ops: SessionOps, parent: QWidget | None, *, errors: ErrorLabel) -> None:
        super().__init__(parent)
        self.ops = ops
        # The page's own error line: a line kept free here too would make the box taller than the idle lock's beside it.
        self._errors = errors
        self.setObjectName("machinePolicyPanel")
        self.setAccessibleName(TITLE)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        box = panel(self)
        outer.addWidget(box)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(12, 10, 12, 10)
        inner.addWidget(heading(TITLE, box, level=2))
        self.settings = QLabel(box)
        self.settings.setObjectName("machinePolicySettings")
        self.settings.setWordWrap(True)
        self.settings.setAccessibleName("Settings this workstation's policy fixes")
        # Tab reaches it, so a screen reader's user hears it without hunting for it with the mouse.
        self.settings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                              | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.source = note("", box)
        self.source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the path, to copy
        inner.addWidget(self.settings)
        inner.addWidget(self.source)
        inner.addStretch(1)  # at the top of its box, level with the idle lock's beside it
        self.lines: list[str] = []
        self.hide()

    def load(self) -> None:
        self.ops.run(lambda s, ws: s.settings.machine_policy(ws), done=self.show_policy, errors=self._errors, owner=self)

    def show_policy(self, policy: MachinePolicy) -> None:
        self.lines = fixed_settings(policy)
        self.settings.setText("\n".join(f"• {line}." for line in self.lines))
        self.source.setText(where_written(policy) if self.lines else "")
        self.setVisible(bool(self.lines))
