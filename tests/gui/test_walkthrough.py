"""A person's whole life on the matrix, on screen: proposed, approved, scored, proposed for removal, removed."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.common.dialogs import FormDialog, NoteDialog
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.matrix.matrix_model import GONE_TEXT
from gvm_desktop.gui.record.record_view import RecordView
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.helpers import (
    actions_in,
    days_ago,
    fill_evidence,
    fill_person,
    load_rows,
    log_as_auditor,
    open_record,
    settle,
)

Opener = Callable[[Role], MainWindow]
FAMILY = "Walkthroughson"


def _home(main: MainWindow) -> MatrixHome:
    assert isinstance(main.home, MatrixHome)
    return main.home


def _decide(qtbot: QtBot, view: RecordView, button_name: str, note: str) -> FormDialog:
    button = getattr(view, button_name)
    assert button.isVisibleTo(view), button_name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = view.action_dialog
    assert isinstance(dialog, NoteDialog) and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(dialog.text, note)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    # Closed; or deleted already, with the view it belonged to when the person left the matrix.
    assert not shiboken6.isValid(dialog) or not dialog.isVisible(), dialog.error_label.text()
    return dialog


def _search(qtbot: QtBot, home: MatrixHome, text: str) -> list[dict]:
    home.matrix.search.setText(text)
    home.matrix.apply_search()  # what the 150 ms debounce does
    model = home.matrix.model
    load_rows(model)
    return [model.row_values(r) or {} for r in range(model.rowCount())]


def test_propose_approve_score_remove(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    officer = _home(open_main(Role.OFFICER))
    spoc = _home(open_main(Role.SPOC))
    proposed_before = officer.count_labels["proposed"].text()

    # 1. The officer proposes a person, with two entries from different source types.
    dialog = officer.propose()
    assert dialog is not None
    fill_person(dialog.person, given="Testa", family=FAMILY, born=days_ago(gui_demo_app, 20 * 365))
    fill_evidence(dialog.evidence, kind="violent_offence", source="police", on=days_ago(gui_demo_app, 30),
                  ref="CAD/1234/26")
    assert dialog.add_entry()
    assert "Not yet corroborated" in dialog.corroboration.text()
    fill_evidence(dialog.evidence, kind="gang_association", source="community", on=days_ago(gui_demo_app, 20),
                  ref="COMM/55/26", grading="2CP")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.entries.rowCount() == 2
    assert "Corroborated: the SPOC can approve this." in dialog.corroboration.text()
    qtbot.keyClicks(dialog.reason, "Seen with the set at two incidents this autumn; corroborated.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not dialog.isVisible(), dialog.error_label.text()
    assert officer.notice.text().startswith("Proposed as N-")
    ref = officer.notice.text().split()[2].rstrip(".")
    assert officer.count_labels["proposed"].text() == str(int(proposed_before) + 1)
    rows = _search(qtbot, officer, FAMILY[:6])
    assert [(r["ref"], r["status"]) for r in rows] == [(ref, "proposed")]

    # 2. The SPOC opens it (after saying why) and approves the addition.
    view = open_record(qtbot, spoc, ref, "Deciding on the proposal for the matrix")
    assert view.details.values["Status"].text() == "Proposed"
    assert "addition awaiting" in view.details.values["Waiting for"].text()
    assert view.details.values["Officer-observed code"].text().startswith("IC1")
    assert view.details.values["Aliases"].text() == "T-Bone, Testy"
    assert not view.propose_removal_button.isVisibleTo(view)
    _decide(qtbot, view, "approve_button", "Two sources within the window: approved for the matrix.")

    # 3. The record was read again: active, with its score and band on screen.
    assert view.isVisible() and view.record is not None
    assert view.details.values["Status"].text() == "Active"
    assert view.details.values["Date added"].text() == gui_demo_app.env.clock.now().date().isoformat()
    assert view.scores.harm_score.text() == "10" and view.scores.harm_band.text() == "Green"
    assert view.scores.victim_score.text() == "0"
    assert "offender" in view.scores.classification.text()
    assert view.scores.lines.rowCount() == 1  # the violent offence; gang association scores nothing
    assert not view.approve_button.isVisibleTo(view)
    assert view.history is not None
    view.tabs.setCurrentWidget(view.history)  # the state before approval is kept as version 1
    settle()
    assert view.history.model.rowCount() == 1
    view.history.table.selectRow(0)
    assert "status: proposed" in view.history.snapshot.text()
    assert view.history.model.row_at(0).changed_by == "demo.spoc"
    spoc_view = view

    # 4. The officer proposes the removal. Their list is out of sight meanwhile: nothing fetches its rows.
    officer.matrix.table.hide()
    officer_view = open_record(qtbot, officer, ref, "Reviewing whether this person should stay listed")
    assert officer_view.details.values["Status"].text() == "Active"
    assert not officer_view.approve_removal_button.isVisibleTo(officer_view)
    _decide(qtbot, officer_view, "propose_removal_button", "No further intelligence; the person has moved away.")
    assert "removal proposed" in officer_view.details.values["Waiting for"].text()
    assert not officer_view.propose_removal_button.isVisibleTo(officer_view)
    officer_view.close_view()

    # 5. The SPOC reads it again (the same reason, logged again) and approves the removal.
    spoc_view.reload()
    settle()
    _decide(qtbot, spoc_view, "approve_removal_button", "Agreed: removed, nothing current supports listing.")
    assert spoc.notice.text() == f"{ref} was removed from the matrix."
    assert not shiboken6.isValid(spoc_view) or not spoc_view.isVisible()  # closed (and by now deleted)

    # 6. Gone from the officer's matrix. Their list predates the removal: its row, fetched now, says so.
    assert officer.matrix.model.rowCount() == 1
    load_rows(officer.matrix.model)
    assert officer.matrix.model.index(0, 0).data() == GONE_TEXT
    assert _search(qtbot, officer, FAMILY) == []  # a new search asks the service again
    assert officer.matrix.summary.text() == "No one matches"
    actions = actions_in(log_as_auditor(gui_demo_app, 400))
    for action in ("matrix.propose_add", "matrix.approve_add", "matrix.propose_remove", "matrix.remove"):
        assert action in actions
