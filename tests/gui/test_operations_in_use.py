"""The operation helper as pages use it: calls chained from an outcome, one worker thread, progress in the
status bar, and the Qt work-around."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.audit.home_auditor import AuditorHome
from gvm_desktop.gui.common.operations import SessionOps
from tests.gui.conftest import settle


def _ops(qtbot: QtBot) -> tuple[SessionOps, QWidget]:
    owner = QWidget()  # returned too: the test holds it, so it (and the operations under it) live to the end
    qtbot.addWidget(owner)
    ws = SimpleNamespace(session=SimpleNamespace(username="tester"))
    return SessionOps(SimpleNamespace(name="services"), ws, owner), owner  # type: ignore[arg-type]  # stand-ins


def test_a_call_started_from_an_outcome_runs_after_it_in_order(qtbot: QtBot) -> None:
    """A page often asks again when an answer lands (the list after the counts): that call must not be lost."""
    ops, _owner = _ops(qtbot)
    seen: list[str] = []

    def first_done(_value: Any) -> None:
        seen.append("first")
        ops.run(lambda _s, _w: "chained", done=seen.append)

    ops.run(lambda _s, _w: "first", done=first_done)
    ops.run(lambda _s, _w: "queued", done=seen.append)
    assert ops.wait_idle()
    assert seen == ["first", "queued", "chained"]  # first in, first out: the chained call joins the queue
    assert not ops.busy


def test_waiting_keeps_the_one_worker_thread(qtbot: QtBot) -> None:
    ops, _owner = _ops(qtbot)
    threads: list[int] = []
    for _ in range(5):
        ops.run(lambda _s, _w: threads.append(threading.get_ident()))
        assert ops.wait_idle()
    assert len(set(threads)) == 1 and threading.get_ident() not in threads


class _Pinger(QObject):
    ping = Signal()


def test_emitting_signals_cannot_use_up_true() -> None:
    """PySide6 6.12.0's emit() drops a reference to True per signal, and Python 3.11 then aborts after a few
    thousand (pyproject.toml excludes it): the binding installed must leave True's count where it was."""
    pinger = _Pinger()
    before = sys.getrefcount(True)
    for _ in range(20_000):
        pinger.ping.emit()
    assert sys.getrefcount(True) >= before


def test_slow_work_shows_in_the_status_bar_and_pauses_the_page(qtbot: QtBot, open_main: Callable[[Role], Any]) -> None:
    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    lines: list[str] = []
    main.ops.progress_changed.connect(lambda _line: lines.append(main.statusBar().currentMessage()))
    home.verify_bar.verify()
    assert main.statusBar().currentMessage() == "Verifying the access log..." and not home.tabs.isEnabled()
    settle()
    assert lines[-1] == "" and main.statusBar().currentMessage() == "" and home.tabs.isEnabled()
    assert home.verify_bar.result is not None and home.verify_bar.result.intact

    # A call merely running late says "Working..." but leaves the page alone (a field keeps its focus).
    release = threading.Event()
    main.ops.run(lambda _s, _w: release.wait(5))
    qtbot.waitUntil(lambda: main.statusBar().currentMessage() == "Working...", timeout=3000)
    assert home.tabs.isEnabled()
    release.set()
    settle()
    assert main.statusBar().currentMessage() == ""
