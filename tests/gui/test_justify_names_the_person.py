"""The justification dialog refuses a reason that names the person, says why, and keeps the text to correct."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account
from tests.gui.helpers import justify, settle
from tests.support.vault_access import conn_of

WHY_NOT_WHO = "write why, not who: the reference is already recorded"


def test_a_reason_with_the_persons_name_keeps_the_dialog_open_with_the_text(
        qtbot: QtBot, open_main: Callable[[Role], MainWindow], gui_demo_app: App) -> None:
    home = open_main(Role.OFFICER).home
    assert isinstance(home, MatrixHome)
    ref = home.matrix.model.ref_at(0)
    acct = demo_account(Role.SPOC)  # a holder of CE's compartment, where the person is
    reader = gui_demo_app.auth.sign_in(acct.username, acct.password)
    family, born = conn_of(reader).execute("SELECT family_name, date_of_birth FROM nominals WHERE ref = ?", (ref,)).fetchone()
    gui_demo_app.auth.sign_out(reader)

    dialog = home.opener.open(ref)
    assert dialog is not None
    naming = f"Safeguarding visit for {family.upper()} planned"
    justify(qtbot, dialog, naming, category="safeguarding")
    assert dialog.isVisible() and home.opener.views == []  # nothing was read
    assert WHY_NOT_WHO in dialog.error_label.text() and dialog.error_label.isVisible()
    assert family not in dialog.error_label.text()
    assert dialog.text.text() == naming  # kept for correction

    dated = f"Check of the record, born {born[8:10]}/{born[5:7]}/{born[:4]}"
    dialog.text.selectAll()
    qtbot.keyClicks(dialog.text, dated)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert dialog.isVisible() and WHY_NOT_WHO in dialog.error_label.text()

    dialog.text.selectAll()
    qtbot.keyClicks(dialog.text, "Safeguarding visit planned for this week")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: home.opener.current_view is not None, timeout=3000)
    view = home.opener.current_view
    assert view is not None and view.ref == ref
