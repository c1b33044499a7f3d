"""Issue 14, defect 2: Tab leaves a date field whole; a digit typed afterwards never lands in its month."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateTimeEdit, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.gui.common.form_fields import date_box

TODAY = date(2026, 11, 29)


def _form(qtbot: QtBot) -> tuple[QWidget, QWidget, QLineEdit]:
    form = QWidget()
    qtbot.addWidget(form)
    layout = QVBoxLayout(form)
    box = date_box(form, TODAY, empty=False, name="Dated on")
    after = QLineEdit(form)
    layout.addWidget(box)
    layout.addWidget(after)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    return form, box, after


def test_tab_leaves_the_date_and_a_digit_typed_next_goes_to_the_next_field(qtbot: QtBot) -> None:
    form, box, after = _form(qtbot)
    box.setFocus()
    box.setCurrentSection(QDateTimeEdit.Section.YearSection)
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    # The window's focus moved to the next field (offscreen, the window may not be active: ask the window), and the
    # date box did not step into its month, where the next digit would have gone.
    assert form.focusWidget() is after
    assert box.currentSection() == QDateTimeEdit.Section.YearSection
    qtbot.keyClick(form.focusWidget(), Qt.Key.Key_1)
    assert box.date().toPython() == TODAY and after.text() == "1"
