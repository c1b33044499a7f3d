"""The background runner: work off the GUI thread, outcome on it, errors scrubbed."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from gvm_desktop.core.errors import AuthenticationError, GvmError
from gvm_desktop.gui.common.worker import TaskRunner, UnexpectedError, error_text


def _run(qtbot: QtBot, runner: TaskRunner, fn) -> tuple[list[object], list[GvmError], list[threading.Thread]]:
    results: list[object] = []
    errors: list[GvmError] = []
    callback_threads: list[threading.Thread] = []

    def on_result(value: object) -> None:
        callback_threads.append(threading.current_thread())
        results.append(value)

    def on_error(error: GvmError) -> None:
        callback_threads.append(threading.current_thread())
        errors.append(error)

    assert runner.start(fn, on_result, on_error)
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    return results, errors, callback_threads


def test_result_comes_back_on_the_gui_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    worker_threads: list[threading.Thread] = []

    def work() -> int:
        worker_threads.append(threading.current_thread())
        return 42

    results, errors, callback_threads = _run(qtbot, runner, work)
    assert results == [42] and errors == []
    assert worker_threads[0] is not threading.main_thread()
    assert callback_threads == [threading.main_thread()]


def test_gvm_error_arrives_without_its_traceback(qtbot: QtBot) -> None:
    def work() -> None:
        password = "secret-in-a-frame"  # noqa: F841 - a local the traceback would keep alive
        raise AuthenticationError("Sign-in failed.")

    results, errors, _ = _run(qtbot, TaskRunner(), work)
    assert results == []
    assert isinstance(errors[0], AuthenticationError)
    assert errors[0].message == "Sign-in failed."
    assert errors[0].__traceback__ is None and errors[0].__context__ is None


def test_unexpected_error_is_named_by_type_only(qtbot: QtBot) -> None:
    def work() -> None:
        raise KeyError("Ambervale, 3 Fictive Larch Close")

    _, errors, _ = _run(qtbot, TaskRunner(), work)
    assert isinstance(errors[0], UnexpectedError)
    assert errors[0].message == "Unexpected error (KeyError)"
    assert error_text(RuntimeError("Ambervale")) == "Unexpected error (RuntimeError)"


def test_one_task_at_a_time_and_forgotten_outcomes_are_dropped(qtbot: QtBot) -> None:
    runner = TaskRunner()
    release = threading.Event()
    delivered: list[object] = []
    assert runner.start(lambda: release.wait(5), delivered.append, delivered.append)
    assert runner.busy
    assert not runner.start(lambda: None, delivered.append, delivered.append)
    release.set()
    assert runner.finish_and_forget()
    assert not runner.busy
    qtbot.wait(50)  # let the queued delivery arrive, and be ignored
    assert delivered == []
