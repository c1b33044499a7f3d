"""Interventions and police activity: added from the record's tab, shown after reload, logged; refusals save nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.table_models import RowTableModel
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.record.activity_forms import AddActivityDialog, AddInterventionDialog
from gvm_desktop.gui.record.record_view import RecordView
from gvm_desktop.gui.shell.home import AuditorHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import all_texts, leaked, screen_texts
from tests.gui.helpers import REASON, actions_in, days_ago, log_as_auditor, open_record, pick, qdate, settle

Opener = Callable[[Role], MainWindow]
T = TypeVar("T")


def _view(qtbot: QtBot, main: MainWindow) -> RecordView:
    home = main.home
    assert isinstance(home, MatrixHome)
    return open_record(qtbot, home, home.matrix.model.ref_at(0) or "")


def _rows(model: RowTableModel[T]) -> list[T]:
    return [model.row_at(r) for r in range(model.rowCount())]


def _activate(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def _alt(qtbot: QtBot, window: QWidget, key: Qt.Key) -> None:
    qtbot.keyClick(window.focusWidget() or window, key, Qt.KeyboardModifier.AltModifier)


def test_added_intervention_and_activity_show_in_the_tab_and_are_logged(
    qtbot: QtBot, open_main: Opener, gui_demo_app: App
) -> None:
    view = _view(qtbot, open_main(Role.OFFICER))
    ref = view.ref
    tab = view.activity
    interventions_before, activity_before = tab.interventions.rowCount(), tab.activity.rowCount()

    # Keyboard only: Alt+I shows the tab, Alt+N opens the form, mnemonics reach its fields.
    _activate(qtbot, view)
    _alt(qtbot, view, Qt.Key.Key_I)
    assert view.tabs.currentWidget() is tab
    assert tab.add_intervention_button.isVisible() and tab.add_activity_button.isVisible()
    _alt(qtbot, view, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: view.action_dialog is not None, timeout=2000)  # a mnemonic "animates" its click
    dialog = view.action_dialog
    assert isinstance(dialog, AddInterventionDialog) and dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    assert dialog.referral.currentText() == ""  # no referral chosen for the officer
    _activate(qtbot, dialog)
    assert dialog.focusWidget() in (dialog.referral, dialog.referral.lineEdit())
    qtbot.keyClicks(dialog.focusWidget(), "Mentoring")
    _alt(qtbot, dialog, Qt.Key.Key_P)
    assert dialog.focusWidget() is dialog.provider
    qtbot.keyClicks(dialog.provider, "Synthetic Mentoring Trust")
    _alt(qtbot, dialog, Qt.Key.Key_T)
    qtbot.waitUntil(dialog.taken_up.isChecked, timeout=2000)
    dialog.offered_on.setDate(qdate(days_ago(gui_demo_app, 10)))
    dialog.outcome.setPlainText("Attending weekly sessions.")
    start = days_ago(gui_demo_app, 5)
    end = gui_demo_app.env.clock.now().date() + timedelta(days=90)  # an end may be planned ahead
    dialog.starts_on.setDate(qdate(start))
    dialog.ends_on.setDate(qdate(end))
    assert dialog.ends_on.date() == qdate(end)
    qtbot.keyClick(dialog.provider, Qt.Key.Key_Return)  # the default button: Add intervention
    settle()
    assert not dialog.isVisible(), dialog.error_label.text()

    assert tab.interventions.rowCount() == interventions_before + 1
    added = next(i for i in _rows(tab.interventions) if i.provider == "Synthetic Mentoring Trust")
    assert (added.referral, added.taken_up, added.outcome) == ("Mentoring", True, "Attending weekly sessions.")
    assert (added.offered_on, added.starts_on, added.ends_on) == (days_ago(gui_demo_app, 10), start, end)
    assert tab.interventions_title.text() == f"Interventions offered: {interventions_before + 1}"

    tab.add_activity_button.click()
    activity = view.action_dialog
    assert isinstance(activity, AddActivityDialog) and activity.isVisible()
    assert activity.kind.currentData() is None  # neither stop nor arrest until chosen
    pick(activity.kind, "arrest")
    activity.on.setDate(qdate(days_ago(gui_demo_app, 2)))
    activity.note.setPlainText("Arrested after a synthetic test incident.")
    qtbot.mouseClick(activity.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not activity.isVisible(), activity.error_label.text()

    assert tab.activity.rowCount() == activity_before + 1
    row = next(a for a in _rows(tab.activity) if a.note == "Arrested after a synthetic test incident.")
    assert (row.kind, row.on) == ("arrest", days_ago(gui_demo_app, 2))

    entries = log_as_auditor(gui_demo_app)
    mine = [e.entry for e in entries if e.entry.record_ref == ref]
    assert [e.action.value for e in mine if e.action.value in ("matrix.intervention_add", "matrix.activity_add")] \
        == ["matrix.activity_add", "matrix.intervention_add"]  # newest first
    # Each change is followed by a read of the record, logged with the reason the view was opened with.
    opens = [e for e in mine if e.action.value == "record.open"]
    assert len(opens) == 3 and {e.justification for e in opens} == {REASON}


def test_an_end_before_the_start_shows_the_service_message_and_saves_nothing(
    qtbot: QtBot, open_main: Opener, gui_demo_app: App
) -> None:
    view = _view(qtbot, open_main(Role.OFFICER))
    before = view.activity.interventions.rowCount()
    dialog = view.add_intervention()
    assert isinstance(dialog, AddInterventionDialog)

    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert dialog.error_label.text() == "The referral is required."  # the service's words

    dialog.referral.setCurrentIndex(dialog.referral.findText("Education"))
    dialog.provider.setText("Demo Youth Service")
    dialog.starts_on.setDate(qdate(days_ago(gui_demo_app, 5)))
    dialog.ends_on.setDate(qdate(days_ago(gui_demo_app, 20)))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert dialog.error_label.text() == "The intervention ends before it starts."
    assert dialog.isVisible() and dialog.provider.text() == "Demo Youth Service"  # nothing typed is lost
    assert view.activity.interventions.rowCount() == before
    dialog.reject()

    activity = view.add_activity()
    assert isinstance(activity, AddActivityDialog)
    qtbot.mouseClick(activity.ok_button, Qt.MouseButton.LeftButton)
    assert activity.error_label.text() == "Choose the kind of police activity (stop or arrest)."
    # Neither date can be later than today: the boxes stop there (the clock's today).
    today = gui_demo_app.env.clock.now().date()
    activity.on.setDate(qdate(today + timedelta(days=3)))
    assert activity.on.date() == qdate(today)
    activity.reject()

    assert view.activity.interventions.rowCount() == before
    logged = actions_in(log_as_auditor(gui_demo_app))
    assert "matrix.intervention_add" not in logged and "matrix.activity_add" not in logged


def test_the_add_buttons_are_for_those_who_may_change_the_matrix(qtbot: QtBot, open_main: Opener) -> None:
    spoc_view = _view(qtbot, open_main(Role.SPOC))
    assert not spoc_view.add_intervention_button.isHidden() and not spoc_view.add_activity_button.isHidden()
    spoc_view.close_view()

    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    home.tabs.setCurrentIndex(1)
    settle()
    view = open_record(qtbot, home, home.matrix.model.ref_at(0) or "", "Audit form 12: checking this access")
    view.tabs.setCurrentWidget(view.activity)
    assert view.add_intervention_button.isHidden() and view.add_activity_button.isHidden()
    assert not view.activity.add_intervention_button.isVisible() and not view.activity.add_activity_button.isVisible()


@pytest.mark.parametrize("which", ["intervention", "activity"])
def test_ctrl_l_with_a_form_open_leaves_no_personal_data_on_screen(
    qtbot: QtBot, open_main: Opener, demo_people_text: list[str], which: str
) -> None:
    main = open_main(Role.OFFICER)
    view = _view(qtbot, main)
    assert view.record is not None
    name = view.record.full_name
    dialog: FormDialog
    if which == "intervention":
        dialog = view.add_intervention()
        assert isinstance(dialog, AddInterventionDialog)
        dialog.provider.setText(f"Key worker for {name}")
        dialog.outcome.setPlainText(f"{name} attended twice.")
    else:
        dialog = view.add_activity()
        assert isinstance(dialog, AddActivityDialog)
        dialog.note.setPlainText(f"{name} stopped near the station.")
    assert leaked(all_texts(dialog), demo_people_text)

    _activate(qtbot, dialog)
    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main.is_locked, timeout=2000)

    assert main._ws.locked
    assert not shiboken6.isValid(dialog) or (not dialog.isVisible() and leaked(all_texts(dialog), demo_people_text) == [])
    assert leaked(screen_texts(), demo_people_text) == []
    qtbot.waitUntil(lambda: not shiboken6.isValid(view))  # deleted with the home
    assert leaked(screen_texts(), demo_people_text) == []
