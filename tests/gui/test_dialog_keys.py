"""Issue 14, defects 1 and 5: a form opens with the cursor in its first field, and one stray key never throws
away what was typed (Space on a focused Cancel, Escape, the window's close button only warn; again discards)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPlainTextEdit
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.common.dialogs import NoteDialog
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import settle

Opener = Callable[[Role], MainWindow]
REASON = "Agreed: the evidence is corroborated by two police sources."


def _note_dialog(main: MainWindow, sent: list[str]) -> NoteDialog:
    home = main.home
    dialog = NoteDialog("Approve the addition", "Why do you approve it?",
                        lambda _s, _ws, text: sent.append(text), home.ops, main, ok_text="Approve")  # type: ignore[union-attr]
    dialog.open()
    return dialog


def test_a_note_dialog_opens_with_the_cursor_in_its_text(qtbot: QtBot, open_main: Opener) -> None:
    sent: list[str] = []
    dialog = _note_dialog(open_main(Role.SPOC), sent)
    qtbot.waitExposed(dialog)
    # The widget that takes the keys when the dialog's window is active (offscreen, activation is the platform's).
    assert dialog.focusWidget() is dialog.text
    # Typed straight away, the letters land in the box (not on a button), and a space is a space.
    qtbot.keyClicks(dialog.focusWidget(), REASON)
    assert dialog.text.toPlainText() == REASON and dialog.isVisible()
    qtbot.keyClick(dialog.ok_button, Qt.Key.Key_Space)
    settle()
    assert sent == [REASON] and not dialog.isVisible()


def test_space_on_a_focused_cancel_warns_and_keeps_the_text(qtbot: QtBot, open_main: Opener) -> None:
    sent: list[str] = []
    dialog = _note_dialog(open_main(Role.SPOC), sent)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.text, REASON)
    dialog.cancel_button.setFocus()
    qtbot.keyClick(dialog.cancel_button, Qt.Key.Key_Space)
    assert dialog.isVisible() and dialog.text.toPlainText() == REASON
    assert dialog.error_label.isVisible() and "not saved" in dialog.error_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # asked twice: discarded
    assert not dialog.isVisible() and sent == []


def test_escape_and_the_close_button_warn_once_on_a_typed_form(qtbot: QtBot, open_main: Opener) -> None:
    dialog = _note_dialog(open_main(Role.SPOC), [])
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.text, "Partly typed")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.text.toPlainText() == "Partly typed"
    dialog.close()
    assert not dialog.isVisible()  # the second time, as said


def test_an_untouched_form_closes_at_once(qtbot: QtBot, open_main: Opener) -> None:
    dialog = _note_dialog(open_main(Role.SPOC), [])
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_propose_form_opens_in_its_first_field(qtbot: QtBot, open_main: Opener) -> None:
    main = open_main(Role.OFFICER)
    home = main.home
    home.propose_button.click()  # type: ignore[union-attr]
    settle()
    dialog = next(w for w in QApplication.topLevelWidgets() if w.isVisible() and w.windowTitle().startswith("Propose"))
    focused = dialog.focusWidget()
    assert focused is not None and dialog.isAncestorOf(focused)
    assert not isinstance(focused, QPlainTextEdit) or focused.toPlainText() == ""
    assert focused.metaObject().className() in ("QLineEdit", "QComboBox", "QDateEdit", "QPlainTextEdit")
