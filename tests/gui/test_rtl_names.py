"""Issue 14, defect 4: a right-to-left name beside other text is isolated, so the reference is never pulled into it."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.evidence import SourceType
from gvm_desktop.core.policy import Role
from gvm_desktop.core.text import FSI, PDI, isolate
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.helpers import open_record
from tests.services.test_matrix_flow import evidence, person

Opener = Callable[[Role], MainWindow]
GIVEN, FAMILY = "אבירם 😀محمد", "Quillbrook"


def test_isolate_wraps_text_in_first_strong_isolates() -> None:
    assert isolate("אבירם") == f"{FSI}אבירם{PDI}" == "\u2068אבירם\u2069"


def test_the_record_header_keeps_the_reference_out_of_a_right_to_left_name(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.OFFICER)
    officer = gui_demo_app.auth.sign_in("demo.officer", "lantern-quarry-officer-7")
    ref = gui_demo_app.changes.propose(officer, person(given_name=GIVEN, family_name=FAMILY),
                                       evidence=[evidence(SourceType.POLICE)], reason="Synthetic person, right to left.")
    gui_demo_app.auth.sign_out(officer)
    view = open_record(qtbot, main.home, ref)  # type: ignore[arg-type]
    # The name in an isolate of its own: its right-to-left run ends at PDI, before " — N-…".
    assert view.title.text() == f"{FSI}{GIVEN} {FAMILY}{PDI} — {ref}"
