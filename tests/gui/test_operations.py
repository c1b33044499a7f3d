"""The GUI's one operation helper: off the GUI thread, in order, errors worded once, changes announced."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.core.errors import GvmError, SessionLocked, ValidationError
from gvm_desktop.gui.common.operations import Change, Result, SessionOps
from gvm_desktop.gui.common.widgets import ErrorLabel


def _ops(qtbot: QtBot) -> tuple[SessionOps, QWidget]:
    owner = QWidget()
    qtbot.addWidget(owner)
    ws = SimpleNamespace(session=SimpleNamespace(username="tester"))
    return SessionOps(SimpleNamespace(name="services"), ws, owner), owner  # type: ignore[arg-type]  # stand-ins


def test_calls_run_off_the_gui_thread_in_order_and_results_come_back_typed(qtbot: QtBot) -> None:
    ops, _ = _ops(qtbot)
    gui_thread = threading.get_ident()
    seen: list[tuple[str, Any]] = []
    threads: list[int] = []

    def call(n: int) -> Any:
        def run(services: Any, ws: Any) -> int:
            threads.append(threading.get_ident())
            assert services.name == "services" and ws.session.username == "tester"
            time.sleep(0.01 * (3 - n))  # the first is the slowest: order must still hold
            return n * 10
        return run

    results: list[Result[int]] = []
    for n in range(3):
        ops.run(call(n), done=lambda v, n=n: seen.append((f"done{n}", v)), finished=results.append)
    assert ops.busy
    assert ops.wait_idle()
    assert seen == [("done0", 0), ("done1", 10), ("done2", 20)]
    assert [r.value for r in results] == [0, 10, 20] and all(r.ok for r in results)
    assert threads and gui_thread not in threads and len(set(threads)) == 1  # one worker thread
    assert not ops.busy


def test_a_refusal_is_worded_once_in_the_error_line_and_nothing_claims_success(qtbot: QtBot) -> None:
    ops, owner = _ops(qtbot)
    label = ErrorLabel(owner)
    done: list[object] = []
    changed: list[object] = []
    ops.changed.connect(changed.append)

    def refuse(_s: Any, _w: Any) -> None:
        raise ValidationError("The date is in the future.")

    ops.run(refuse, done=done.append, errors=label, changes={Change.MATRIX})
    assert ops.wait_idle()
    assert label.text() == "The date is in the future." and not label.isHidden()
    assert done == [] and changed == []


def test_an_unexpected_error_shows_only_its_type_never_its_text(qtbot: QtBot) -> None:
    ops, _ = _ops(qtbot)
    failures: list[GvmError] = []

    def leak(_s: Any, _w: Any) -> None:
        raise KeyError("Quillbrook N-001201 secret")

    ops.run(leak, failed=failures.append)
    assert ops.wait_idle()
    assert len(failures) == 1 and "secret" not in failures[0].message and "KeyError" in failures[0].message
    assert failures[0].__traceback__ is None


def test_success_announces_what_changed_and_clears_an_old_error(qtbot: QtBot) -> None:
    ops, owner = _ops(qtbot)
    label = ErrorLabel(owner)
    label.show_message("an older failure")
    changed: list[frozenset[Change]] = []
    ops.changed.connect(changed.append)
    ops.run(lambda _s, _w: "saved", errors=label, changes={Change.MATRIX, Change.LOG})
    assert ops.wait_idle()
    assert changed == [frozenset({Change.MATRIX, Change.LOG})]
    assert label.isHidden() and label.text() == ""


def test_a_lost_session_is_reported_once_as_session_lost(qtbot: QtBot) -> None:
    ops, owner = _ops(qtbot)
    label = ErrorLabel(owner)
    lost: list[bool] = []
    ops.session_lost.connect(lambda: lost.append(True))

    def locked(_s: Any, _w: Any) -> None:
        raise SessionLocked("The session is locked: unlock it with your password.")

    ops.run(locked, errors=label)
    assert ops.wait_idle()
    assert lost == [True] and label.isHidden()


def test_an_outcome_for_a_closed_widget_is_dropped(qtbot: QtBot) -> None:
    ops, _ = _ops(qtbot)
    gone = QWidget()
    got: list[object] = []
    release = threading.Event()
    ops.run(lambda _s, _w: release.wait(5), done=got.append, owner=gone)
    gone.deleteLater()
    qtbot.waitUntil(lambda: not _alive(gone), timeout=2000)
    release.set()
    assert ops.wait_idle()
    assert got == []


def _alive(widget: QWidget) -> bool:
    return shiboken6.isValid(widget)


def test_a_slow_call_shows_progress_and_clears_it(qtbot: QtBot) -> None:
    ops, _ = _ops(qtbot)
    lines: list[str] = []
    ops.progress_changed.connect(lines.append)
    ops.run(lambda _s, _w: time.sleep(0.6))
    assert ops.wait_idle()
    assert lines == ["Working...", ""]
    lines.clear()
    ops.run(lambda _s, _w: None, progress="Exporting the review sheet")
    assert ops.wait_idle()
    assert lines == ["Exporting the review sheet...", ""]


def test_finish_and_forget_drops_the_queue_and_the_running_outcome(qtbot: QtBot) -> None:
    ops, _ = _ops(qtbot)
    got: list[object] = []
    release = threading.Event()
    ops.run(lambda _s, _w: release.wait(5), done=got.append)
    ops.run(lambda _s, _w: "second", done=got.append)
    threading.Timer(0.05, release.set).start()
    assert ops.finish_and_forget(5000)
    qtbot.wait(50)
    assert got == [] and not ops.busy


def test_a_failing_callback_is_said_on_the_error_line_and_the_queue_goes_on(qtbot: QtBot) -> None:
    ops, owner = _ops(qtbot)
    label = ErrorLabel(owner)
    after: list[object] = []

    def broken(_value: object) -> None:
        raise KeyError("Quillbrook N-001201")

    ops.run(lambda _s, _w: 1, done=broken, errors=label)
    ops.run(lambda _s, _w: 2, done=after.append)
    assert ops.wait_idle()
    assert "KeyError" in label.text() and "Quillbrook" not in label.text()
    assert after == [2]
