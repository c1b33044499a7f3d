"""`gvm-desktop` without a command: the sign-in window first, the App built behind it (gui/shell/main.py `launch`).

Typing goes on while the vault opens and is kept; Sign in and Enter wait for it; an error on the
way stays on the window. And the command line sends exactly the GUI's own forms that way, all
else through its full parser.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.cli import GuiStart, gui_start, main
from gvm_desktop.cli.main import build_parser
from gvm_desktop.core.errors import ExitCode, GvmError, VaultCorrupt
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.shell.main import Startup
from gvm_desktop.gui.shell.signin import OPENING_TEXT
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.gui.conftest import demo_account

OFFICER = demo_account(Role.OFFICER)
DAMAGED = "The vault database is damaged: its first page is all zeros."


class Paints(QObject):
    """Counts the paints a window gets (read from the opening worker too: a plain int)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


@pytest.fixture
def gates() -> Iterator[list[threading.Event]]:
    """Builds a test holds back; all let go at the end, so no closing window waits on one."""
    held: list[threading.Event] = []
    yield held
    for gate in held:
        gate.set()


@pytest.fixture
def start(qtbot: QtBot) -> Iterator[Callable[..., tuple[Startup, Paints]]]:
    """A Startup as `launch` makes it, with the test's build; its window shown and exposed."""
    made: list[Startup] = []

    def starter(build: Callable[[], App], *, demo: bool = False) -> tuple[Startup, Paints]:
        startup = Startup(build, demo=demo)
        paints = Paints()
        startup.window.installEventFilter(paints)
        made.append(startup)
        startup.show()
        qtbot.waitExposed(startup.window)
        return startup, paints

    yield starter
    for startup in made:
        startup.shut_down()  # signs out of any session, closes every window


def test_typing_goes_on_while_the_vault_opens_and_what_was_typed_signs_in(
    qtbot: QtBot, gui_demo_app: App, gates: list[threading.Event], start: Callable[..., tuple[Startup, Paints]]
) -> None:
    gate = threading.Event()
    gates.append(gate)
    began: list[tuple[threading.Thread, int]] = []
    paints_seen: list[Paints] = []

    def build() -> App:
        began.append((threading.current_thread(), paints_seen[0].count))
        gate.wait(10)
        return gui_demo_app

    startup, paints = start(build)
    paints_seen.append(paints)
    window = startup.window
    qtbot.waitUntil(lambda: bool(began), timeout=5000)
    assert began[0][0] is not threading.main_thread()
    assert began[0][1] >= 1  # the window had painted before the App's build began

    assert window.opening and window.opening_label.isVisible() and window.opening_label.text() == OPENING_TEXT
    assert not window.sign_in_button.isEnabled()
    qtbot.keyClicks(window.username, OFFICER.username)
    qtbot.keyClicks(window.password, OFFICER.password)
    qtbot.keyClick(window.password, Qt.Key.Key_Return)  # Enter waits for the vault as the button does
    assert not window.busy and not window.error_label.isVisible()

    gate.set()
    qtbot.waitUntil(lambda: not window.opening, timeout=5000)
    assert (window.username.text(), window.password.text()) == (OFFICER.username, OFFICER.password)
    assert window.sign_in_button.isEnabled() and not window.opening_label.isVisible()
    assert window.username.isEnabled() and window.password.isEnabled()

    qtbot.keyClick(window.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: startup.shell is not None and startup.shell.main_window is not None, timeout=10000)
    assert startup.shell is not None and startup.shell.signin_window is None
    assert startup.exit_code == 0


@pytest.mark.parametrize(("raised", "shown", "code"), [
    (VaultCorrupt(DAMAGED), DAMAGED, ExitCode.INTEGRITY),
    (GvmError("Permission denied: /srv/vault"), "Permission denied: /srv/vault", ExitCode.OTHER),
    (ValueError("Quillmere lives at 12 Placeholder Road"), "Unexpected error (ValueError)", ExitCode.OTHER),
], ids=["damaged", "refused", "unexpected"])
def test_an_error_opening_the_vault_stays_on_the_window(
    qtbot: QtBot, start: Callable[..., tuple[Startup, Paints]], capsys: pytest.CaptureFixture[str],
    raised: Exception, shown: str, code: ExitCode
) -> None:
    def build() -> App:
        raise raised

    startup, _paints = start(build)
    window = startup.window
    qtbot.waitUntil(lambda: window.error_label.isVisible(), timeout=5000)
    assert window.error_label.text() == shown
    assert not window.opening and not window.opening_label.isVisible()
    assert not window.sign_in_button.isEnabled() and not window.sign_in()
    assert startup.exit_code == int(code)
    assert capsys.readouterr().err == f"gvm-desktop: {shown}\n"  # as the command line words its errors


def test_a_missing_demo_vault_is_made_behind_the_progress_dialog_then_its_accounts_listed(
    qtbot: QtBot, make_app: Callable[..., App], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    start: Callable[..., tuple[Startup, Paints]]
) -> None:
    monkeypatch.setattr("gvm_desktop.core.synthetic.DEMO_PEOPLE", 30)  # a small demo: the flow, not the size
    app = make_app(tmp_path / "demo")
    startup, _paints = start(lambda: app, demo=True)
    window = startup.window
    assert window.demo_banner is not None and window.demo_banner.isVisible()
    qtbot.waitUntil(lambda: not window.opening, timeout=30000)
    assert app.vault_exists()
    table = window.demo_accounts
    assert table is not None and table.isVisible()
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [a.username for a in DEMO_ACCOUNTS]
    assert window.sign_in_button.isEnabled() and not window.no_vault_label.isVisible()


def test_closing_the_window_while_the_vault_opens_ends_without_taking_the_app(
    qtbot: QtBot, gui_demo_app: App, gates: list[threading.Event], start: Callable[..., tuple[Startup, Paints]]
) -> None:
    gate = threading.Event()
    gates.append(gate)
    began = threading.Event()

    def build() -> App:
        began.set()
        gate.wait(10)
        return gui_demo_app

    startup, _paints = start(build)
    qtbot.waitUntil(began.is_set, timeout=5000)
    threading.Timer(0.2, gate.set).start()  # the build ends while the window is closing
    with qtbot.waitSignal(startup.finished, timeout=5000):
        startup.window.close()
    qtbot.wait(50)
    assert startup.shell is None  # the App built meanwhile was dropped, not handed to a closed window


# -- the command line's way in --------------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "expected"), [
    ([], GuiStart(None, False)),
    (["--demo"], GuiStart(None, True)),
    (["--vault", "some/folder"], GuiStart(Path("some/folder"), False)),
    (["--vault=some/folder"], GuiStart(Path("some/folder"), False)),
    (["--demo", "--vault", "v"], GuiStart(Path("v"), True)),
    (["--vault", "demo", "--demo"], GuiStart(Path("demo"), True)),
], ids=["plain", "demo", "vault", "vault-equals", "demo-vault", "vault-named-demo"])
def test_the_gui_forms_read_as_the_full_parser_reads_them(argv: list[str], expected: GuiStart) -> None:
    assert gui_start(argv) == expected
    args = build_parser().parse_args(argv)
    assert (args.command, args.demo, getattr(args, "vault", None)) == (None, expected.demo, expected.vault)


@pytest.mark.parametrize("argv", [
    ["--help"], ["--version"], ["--vault"], ["--vault", "--demo"], ["--vault="], ["--demo", "--demo"],
    ["--vault", "a", "--vault", "b"], ["--dem"], ["--as", "x"], ["--password-stdin"], ["demo"], ["matrix", "list"],
    ["--vault", "v", "check"], ["--", "--demo"], ["-h"],
])
def test_everything_else_goes_through_the_full_parser(argv: list[str]) -> None:
    assert gui_start(argv) is None


def test_main_sends_the_gui_forms_to_launch_and_the_rest_to_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[tuple[Path | None, bool]] = []

    def fake_launch(vault: Path | None = None, *, demo: bool = False) -> int:
        launched.append((vault, demo))
        return 7

    monkeypatch.setattr("gvm_desktop.gui.shell.main.launch", fake_launch)
    assert main(["--vault", "v", "--demo"]) == 7
    assert launched == [(Path("v"), True)]
    err = io.StringIO()
    assert main(["--vault"], stderr=err) == int(ExitCode.USAGE)  # the parser's usage error, as before
    assert err.getvalue().startswith("gvm-desktop: ") and launched == [(Path("v"), True)]


def test_the_entry_point_stays_the_function_whoever_imports_the_commands() -> None:
    import gvm_desktop.cli
    import gvm_desktop.cli.main  # the submodule, named as the entry function is

    assert gvm_desktop.cli.main is main and callable(main)
    assert sys.modules["gvm_desktop.cli.main"].build_parser is build_parser


def test_the_demo_accounts_are_listed_at_the_first_paint_while_the_vault_opens(
    qtbot: QtBot, gui_demo_app: App, gates: list[threading.Event], start: Callable[..., tuple[Startup, Paints]]
) -> None:
    gate = threading.Event()
    gates.append(gate)

    def build() -> App:
        gate.wait(10)
        return gui_demo_app

    startup, _paints = start(build, demo=True)
    window = startup.window
    assert window.opening  # the vault is still opening
    table = window.demo_accounts
    assert table is not None and table.isVisible()
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [a.username for a in DEMO_ACCOUNTS]
    gate.set()
    qtbot.waitUntil(lambda: not window.opening, timeout=5000)
