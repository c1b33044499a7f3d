"""Opening a record: the justification first; Cancel reads nothing; OK shows the tabs; a lock wipes it."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.record.justify_dialog import START_HINT
from gvm_desktop.gui.shell.home import AuditorHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import all_texts, leaked, screen_texts, settle
from tests.gui.helpers import REASON, actions_in, justify, log_as_auditor, open_record

Opener = Callable[[Role], MainWindow]


def _home(main: MainWindow) -> MatrixHome:
    assert isinstance(main.home, MatrixHome)
    return main.home


def _spy_open(app: App, monkeypatch) -> list[str]:
    refs: list[str] = []
    real = app.records.open

    def spy(ws, ref, justification):
        refs.append(ref)
        return real(ws, ref, justification)

    monkeypatch.setattr(app.records, "open", spy)
    return refs


def test_cancel_on_the_justification_reads_nothing(qtbot: QtBot, open_main: Opener, gui_demo_app: App,
                                                   monkeypatch) -> None:
    home = _home(open_main(Role.OFFICER))
    opened = _spy_open(gui_demo_app, monkeypatch)
    table = home.matrix.table
    table.setFocus()
    table.selectRow(0)
    ref = home.matrix.model.ref_at(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    settle()  # this user's last reason is looked for (there is none)
    dialog = home.opener.justify_dialog
    assert dialog is not None and dialog.isVisible() and dialog.isModal()
    assert dialog.subject.text() == f"Why are you opening record {ref}?"  # the reference only: nothing about them

    # No reason is preselected; OK stays disabled until the core's rules are met, and the hint says which.
    assert dialog.category.currentData() is None
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.text() == START_HINT and not dialog.hint.property("invalid")
    qtbot.keyClicks(dialog.text, "too short")
    assert dialog.hint.text() == "Choose a reason." and dialog.hint.property("invalid")
    dialog.category.setCurrentIndex(dialog.category.findData("safeguarding"))
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.text() == "Say why in at least 10 characters."
    dialog.category.setCurrentIndex(dialog.category.findData("linked_operation"))
    qtbot.keyClicks(dialog.text, " but now long enough")
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.text() == "A linked-operation reason needs the operation reference."
    qtbot.keyClicks(dialog.operation, "OP-SYNTH-17")
    assert dialog.ok_button.isEnabled()

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Cancel, on a typed form: it warns and keeps what was typed
    assert dialog.isVisible() and "not saved" in dialog.error_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # asked again: discarded
    settle()
    assert not dialog.isVisible()
    assert opened == []
    assert home.opener.views == []
    entries = log_as_auditor(gui_demo_app)
    assert "record.open" not in actions_in(entries)
    assert not any(e.entry.record_ref == ref and e.entry.action.value.startswith("record.") for e in entries)


def test_ok_opens_the_record_view_with_its_tabs_and_logs_the_reason(
    qtbot: QtBot, open_main: Opener, gui_demo_app: App, monkeypatch
) -> None:
    home = _home(open_main(Role.OFFICER))
    opened = _spy_open(gui_demo_app, monkeypatch)
    home.matrix.table.selectRow(0)
    ref = home.matrix.model.ref_at(0)
    name = home.matrix.model.row_values(0)["name"]  # type: ignore[index]
    home.matrix.open_button.click()
    dialog = home.opener.justify_dialog
    assert dialog is not None
    justify(qtbot, dialog)
    qtbot.waitUntil(lambda: home.opener.current_view is not None)
    view = home.opener.current_view
    assert view is not None and view.isVisible()
    assert opened == [ref]
    assert dialog.result_value is None  # handed to the view, not kept in the dialog

    titles = [view.tabs.tabText(i).replace("&", "") for i in range(view.tabs.count())]
    assert titles == ["Details", "Evidence", "Scores", "Interventions and activity"]  # no History for officers
    record = view.record
    assert record is not None and record.full_name == name
    assert view.details.values["Name"].text() == name
    assert view.details.values["Reference"].text() == ref
    assert view.details.values["Ethnicity (self-defined)"].text().startswith(record.ethnicity)
    assert view.evidence.model.rowCount() == len(record.evidence) > 0
    view.tabs.setCurrentWidget(view.evidence)
    view.evidence.table.selectRow(0)  # read one entry in full, with what its grading means
    shown = view.evidence.model.row_at(view.evidence.table.model().mapToSource(
        view.evidence.table.model().index(0, 0)).row())
    assert shown.summary in view.evidence.detail.text() and str(shown.grading) in view.evidence.detail.text()
    assert "source;" in view.evidence.detail.text()
    assert view.scores.harm_score.text() == str(record.harm_score)
    assert view.scores.harm_band.text() == record.harm_band
    assert view.scores.victim_band.text() == record.victim_band
    assert record.classification in view.scores.classification.text()
    assert record.policy_version in view.scores.policy.text()
    assert view.scores.lines.rowCount() == len(record.score_lines)
    # Officer actions; approvals are the SPOC's.
    assert view.add_evidence_button.isVisibleTo(view) and view.edit_button.isVisibleTo(view)
    assert not view.approve_button.isVisibleTo(view) and not view.approve_removal_button.isVisibleTo(view)

    logged = [e for e in log_as_auditor(gui_demo_app) if e.entry.action.value == "record.open"]
    assert logged[0].entry.record_ref == ref
    assert logged[0].entry.justification == REASON
    assert logged[0].entry.reason_category == "quarterly_review"

    # The next time, the last reason is offered, but nothing is read until OK.
    view.close_view()
    again = home.opener.open(ref)
    assert again is not None
    settle()  # the last reason arrives
    assert again.text.text() == REASON and again.ok_button.isEnabled()
    assert again.category.currentData() == "quarterly_review"
    assert "from last time" in again.hint.text()
    assert opened == [ref]
    again.reject()


def test_a_typed_reference_that_does_not_exist_is_said_in_the_dialog(qtbot: QtBot, open_main: Opener) -> None:
    home = _home(open_main(Role.OFFICER))
    qtbot.keyClicks(home.matrix.ref_edit, "n-999999")
    qtbot.keyClick(home.matrix.ref_edit, Qt.Key.Key_Return)
    dialog = home.opener.justify_dialog
    assert dialog is not None and dialog.subject.text() == "Why are you opening record N-999999?"
    justify(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.error_label.text() == "There is no live record N-999999."
    assert home.opener.views == []


def test_spoc_history_is_read_only_when_its_tab_is_opened(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    home = _home(open_main(Role.SPOC))
    view = open_record(qtbot, home, home.matrix.model.ref_at(0) or "")
    assert view.history is not None
    assert view.tabs.tabText(4).replace("&", "") == "History"
    assert "record.history" not in actions_in(log_as_auditor(gui_demo_app))
    view.tabs.setCurrentWidget(view.history)
    settle()
    assert view.history.loaded
    logged = [e for e in log_as_auditor(gui_demo_app) if e.entry.action.value == "record.history"]
    assert logged and logged[0].entry.justification == REASON


def test_ctrl_l_in_an_open_record_view_locks_and_wipes_everything(
    qtbot: QtBot, open_main: Opener, demo_people_text: list[str]
) -> None:
    main = open_main(Role.OFFICER)
    home = _home(main)
    view = open_record(qtbot, home, home.matrix.model.ref_at(0) or "")
    name = view.details.values["Name"].text()
    assert name in screen_texts()
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    qtbot.keyClick(view.tabs, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: main.is_locked, timeout=2000)
    assert main._ws.locked
    assert not shiboken6.isValid(view) or not view.isVisible()  # hidden and blanked, then deleted with the home
    assert all(m.rowCount() == 0 for m in main.findChildren(QAbstractItemModel))
    assert leaked(all_texts(main), demo_people_text) == []
    assert leaked(screen_texts(), demo_people_text) == []  # no window anywhere shows a name
    qtbot.waitUntil(lambda: not shiboken6.isValid(home))
    assert leaked(screen_texts(), demo_people_text) == []


def test_home_wipe_blanks_an_open_record_view_before_it_is_deleted(
    qtbot: QtBot, open_main: Opener, demo_people_text: list[str]
) -> None:
    home = _home(open_main(Role.OFFICER))
    view = open_record(qtbot, home, home.matrix.model.ref_at(0) or "")
    evidence_dialog = view.add_evidence()
    evidence_dialog.form.summary.setPlainText("Half-typed summary about the person")
    assert leaked(all_texts(view), demo_people_text)
    home.wipe()  # what the lock does first, before the page and its windows are deleted
    assert not view.isVisible() and not evidence_dialog.isVisible()
    assert view.record is None and view.windowTitle() == ""
    assert view.details.values["Name"].text() == "" and view.title.text() == ""
    assert view.evidence.model.rowCount() == 0 and view.scores.lines.rowCount() == 0
    assert evidence_dialog.form.summary.toPlainText() == ""
    assert leaked(all_texts(view), demo_people_text) == []
    assert home.matrix.model.rowCount() == 0 and home.matrix.search.text() == ""


def test_lock_with_the_justification_dialog_open_closes_it(qtbot: QtBot, open_main: Opener) -> None:
    main = open_main(Role.OFFICER)
    home = _home(main)
    dialog = home.opener.open(home.matrix.model.ref_at(0) or "")
    assert dialog is not None
    qtbot.keyClicks(dialog.text, "typed before the lock")
    main.session_actions.lock.trigger()
    assert main.is_locked and not dialog.isVisible()
    assert dialog.text.text() == "" and dialog.result_value is None


def test_auditor_opens_a_reference_only_after_saying_why(qtbot: QtBot, open_main: Opener,
                                                         gui_demo_app: App) -> None:
    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    assert home.matrix.model.rowCount() == 0  # not listed until the tab is opened
    home.tabs.setCurrentIndex(1)
    settle()
    model = home.matrix.model
    assert model.columns == ("ref", "bcu", "status") and model.rowCount() > 0
    assert not home.matrix.search.isVisible()
    view = open_record(qtbot, home, model.ref_at(0) or "", "Audit form 12: checking this access")
    assert view.history is not None
    assert not any(b.isVisibleTo(view) for b in view.action_buttons())  # auditors read; they change nothing
    logged = [e for e in log_as_auditor(gui_demo_app) if e.entry.action.value == "record.open"]
    assert logged[0].entry.role == "auditor" and logged[0].entry.justification == "Audit form 12: checking this access"
