"""While the log is verified, the status bar says how far the check is ("Verifying the access log... 40%")."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.audit.home_auditor import AuditorHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.store import log_chain
from gvm_desktop.store.database import Connection
from tests.gui.conftest import settle

CHUNK = 2  # the demo's log is a few dozen entries: a dozen chunks and more
Opener = Callable[[Role], MainWindow]
PERCENT = re.compile(r"^Verifying the access log\.\.\. (\d+)%$")


@pytest.fixture
def walk_held_half_way(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The chain walk in small chunks, stopped half-way until the test lets it go on: a slow verification."""
    assert log_chain.verify.__kwdefaults__ is not None
    monkeypatch.setitem(log_chain.verify.__kwdefaults__, "chunk", CHUNK)
    go_on = threading.Event()
    chunks = log_chain._chunks

    def held(conn: Connection, start: log_chain.WalkStart, size: int) -> Iterator[tuple[int, int]]:
        spans = list(chunks(conn, start, size))
        for i, span in enumerate(spans):
            if i == len(spans) // 2:
                go_on.wait(20)  # the chunks before this one are reported: the window shows their share
            yield span

    monkeypatch.setattr(log_chain, "_chunks", held)
    yield go_on
    go_on.set()  # a failing test never leaves the worker waiting


def test_the_status_bar_shows_the_verifications_percentage(
        qtbot: QtBot, open_main: Opener, walk_held_half_way: threading.Event) -> None:
    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    bar = home.verify_bar
    bar.button.setFocus()
    qtbot.keyClick(bar.button, Qt.Key.Key_Space)

    def shown() -> int | None:
        found = PERCENT.match(main.statusBar().currentMessage())
        return int(found[1]) if found else None

    qtbot.waitUntil(lambda: shown() is not None, timeout=10_000)
    qtbot.waitUntil(lambda: (shown() or 0) > 0, timeout=10_000)
    part = shown()
    assert part is not None and 0 < part < 100  # half-way, and said so while the check still runs
    assert home.ops.busy and not bar.button.isEnabled()

    walk_held_half_way.set()
    settle()
    assert bar.result is not None and bar.result.intact
    assert main.statusBar().currentMessage() == ""  # the line goes when the check ends
