"""Cyclic garbage collection on the GUI thread only.

Python collects cycles on whichever thread happens to allocate past the threshold, and the pages' service
calls run on worker threads (operations.py). A collection there that frees the last reference to a window
without a parent (a dialog a page made and dropped) deletes its Qt object off the GUI thread, while the GUI
thread may be walking the application's windows: a crash in Qt (seen as a freed window inside
QApplication.topLevelWidgets()). So automatic collection is off, and a timer on the GUI thread collects as
Python itself would: the same thresholds, the youngest generation due and those below it.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 200  # often enough that memory grows no more than between Python's own collections


class MainThreadCollector(QObject):
    """Installed once on the QApplication (`install`); takes over from Python's automatic collection."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start(INTERVAL_MS)

    def collect_due(self) -> None:
        counts = gc.get_count()
        due = [g for g in range(3) if counts[g] > self.thresholds[g]]
        if due:
            gc.collect(max(due))


def install(app: QObject) -> MainThreadCollector:
    found = app.findChild(MainThreadCollector)
    return found if isinstance(found, MainThreadCollector) else MainThreadCollector(app)
