"""Cycles are collected on the GUI thread only (gui/common/collector.py), and still collected."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from gvm_desktop.gui.common.collector import INTERVAL_MS, MainThreadCollector, install


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_automatic_collection_is_off_and_the_gui_thread_collects(qapp: QApplication, qtbot: QtBot) -> None:
    collector = install(qapp)
    assert isinstance(collector, MainThreadCollector) and install(qapp) is collector  # once per application
    assert not gc.isenabled()
    # A cycle holding a parentless window, dropped on a worker that then allocates a lot: nothing is collected
    # there (the window is not deleted off the GUI thread) ...
    holder: list[weakref.ref[QDialog]] = []
    kept: list[list[object]] = []

    def worker() -> None:
        cycle = _Cycle()
        cycle.dialog = QDialog.__new__(QDialog)  # type: ignore[attr-defined]  # a wrapper only: made on this thread
        holder.append(weakref.ref(cycle))  # type: ignore[arg-type]
        del cycle
        kept.extend([] for _ in range(50_000))  # far past generation 0's threshold, and still alive afterwards

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert holder[0]() is not None
    # ... and the GUI thread's timer collects it.
    qtbot.waitUntil(lambda: holder[0]() is None, timeout=INTERVAL_MS * 20)
    kept.clear()
