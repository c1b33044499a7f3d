"""The forms: bad input is named and saves nothing; duplicates are offered; status check; edit; add evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import NominalRecord
from gvm_desktop.gui.matrix.evidence_form import NOTE_REQUIRED
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.matrix.propose_dialog import UNADDED_ENTRY
from gvm_desktop.gui.record.record_actions import AddEvidenceDialog, EditDialog
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.helpers import (
    REASON,
    actions_in,
    days_ago,
    fill_evidence,
    fill_person,
    justify,
    load_rows,
    log_as_auditor,
    open_record,
    qdate,
    settle,
)

Opener = Callable[[Role], MainWindow]


def _home(main: MainWindow) -> MatrixHome:
    assert isinstance(main.home, MatrixHome)
    return main.home


def _active_record(app: App, main: MainWindow) -> NominalRecord:
    """An active person of the officer's BCU, read through the service for the test's set-up."""
    model = _home(main).matrix.model
    load_rows(model)
    row = next(r for r in range(model.rowCount()) if (model.row_values(r) or {}).get("status") == "active")
    return app.records.open(main._ws, model.ref_at(row) or "", Justification.make("other", "Test set-up read"))


def test_bad_input_is_named_and_nothing_is_saved(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    home = _home(open_main(Role.OFFICER))
    total = home.count_labels["total"].text()
    dialog = home.propose()
    assert dialog is not None
    today = gui_demo_app.env.clock.now().date()
    fill_person(dialog.person, given="Futura", family="Notyetborn", born=days_ago(gui_demo_app, 19 * 365))

    # A date of birth in the future cannot even be entered: the box stops at today (the clock's today)...
    assert dialog.person.date_of_birth.maximumDate() == qdate(today)
    dialog.person.date_of_birth.setDate(qdate(today + timedelta(days=3)))
    assert dialog.person.date_of_birth.date() == qdate(today)
    # ...and today itself breaks the age rule, which is said in the rule's own words.
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "The date of birth gives an age of 0; it must be from 10 to 100."

    # A 10,000-character summary is refused when the entry is added, with the limit.
    dialog.person.date_of_birth.setDate(qdate(days_ago(gui_demo_app, 19 * 365)))
    fill_evidence(dialog.evidence, kind="gang_association", source="police", on=days_ago(gui_demo_app, 5),
                  ref="CAD/1/26", summary="x" * 10_000)
    assert "too long" in dialog.evidence.summary_count.text()
    assert not dialog.add_entry()
    assert dialog.evidence_error.text() == "The summary is 10,000 characters long; the limit is 2,000."
    assert dialog.entries.rowCount() == 0
    # Proposing now would lose the entry silently: refused, with what to do.
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == UNADDED_ENTRY

    # Social media needs its note.
    fill_evidence(dialog.evidence, kind="social_media", source="open_source", on=days_ago(gui_demo_app, 5),
                  ref="URL-7", summary="A post showing the set's sign.")
    assert dialog.evidence.note_hint.text() == NOTE_REQUIRED
    assert not dialog.add_entry()
    assert "social-media note" in dialog.evidence_error.text()

    # With no entries at all, the proposal is refused before the service is asked.
    dialog.evidence.reset()
    qtbot.keyClicks(dialog.reason, "Long enough reason for the proposal to be read.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text().startswith("Add at least one evidence entry")
    assert dialog.isVisible()
    dialog.reject()
    home.load()
    settle()
    assert home.count_labels["total"].text() == total
    assert "matrix.propose_add" not in actions_in(log_as_auditor(gui_demo_app))


def test_service_refusal_is_shown_in_the_form_and_saves_nothing(qtbot: QtBot, open_main: Opener,
                                                                gui_demo_app: App) -> None:
    home = _home(open_main(Role.OFFICER))
    dialog = home.propose()
    assert dialog is not None
    fill_person(dialog.person, given="Shorty", family="Reasonless", born=days_ago(gui_demo_app, 25 * 365))
    fill_evidence(dialog.evidence, kind="gang_association", source="police", on=days_ago(gui_demo_app, 5),
                  ref="CAD/2/26")
    assert dialog.add_entry()
    qtbot.keyClicks(dialog.reason, "Too short.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert dialog.error_label.text() == "The reason needs at least 20 characters."  # the service's words
    assert dialog.isVisible() and dialog.entries.rowCount() == 1  # nothing typed is lost
    assert "matrix.propose_add" not in actions_in(log_as_auditor(gui_demo_app))


def test_a_duplicate_offers_the_existing_record(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.OFFICER)
    home = _home(main)
    existing = _active_record(gui_demo_app, main)
    dialog = home.propose()
    assert dialog is not None
    fill_person(dialog.person, given=existing.given_name, family=existing.family_name, born=existing.date_of_birth)
    fill_evidence(dialog.evidence, kind="gang_association", source="police", on=days_ago(gui_demo_app, 5),
                  ref="CAD/3/26")
    assert dialog.add_entry()
    qtbot.keyClicks(dialog.reason, "Seen again with the same set, new sighting.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert f"already held as {existing.ref}" in dialog.error_label.text()
    assert [b.text() for b in dialog.duplicate_buttons] == [f"Open {existing.ref} instead…"]
    qtbot.mouseClick(dialog.duplicate_buttons[0], Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    justification = home.opener.justify_dialog
    assert justification is not None and justification.subject.text() == f"Why are you opening record {existing.ref}?"


def test_status_check_asks_why_then_answers_yes_or_no(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.OFFICER)
    home = _home(main)
    person = _active_record(gui_demo_app, main)
    dialog = home.status_check()
    assert dialog is not None
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "The given name is required."
    qtbot.keyClicks(dialog.given_name, person.given_name)
    qtbot.keyClicks(dialog.family_name, person.family_name)
    dialog.date_of_birth.setDate(qdate(person.date_of_birth))

    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    why = dialog.justify_dialog
    assert why is not None and why.isVisible()
    why.reject()  # Cancel: nothing asked
    assert dialog.answer is None
    assert "matrix.status_check" not in actions_in(log_as_auditor(gui_demo_app))

    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.justify_dialog is not None
    justify(qtbot, dialog.justify_dialog, "Safeguarding referral from a school", "safeguarding")
    assert dialog.answer is not None and dialog.answer.on_matrix
    assert dialog.result_title.text().startswith("Yes")
    assert dialog.result_ref.text() == person.ref
    assert dialog.harm_band.text() == person.harm_band and dialog.victim_band.text() == person.victim_band
    assert "DSupt Demo SPOC" in dialog.contact.text() and "Central East" in dialog.contact.text()

    dialog.family_name.setText("Nobodyhere")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    justify(qtbot, dialog.justify_dialog, "Safeguarding referral from a school", "safeguarding")  # type: ignore[arg-type]
    assert dialog.answer is not None and not dialog.answer.on_matrix
    assert dialog.result_title.text().startswith("No")
    assert dialog.result_ref.text() == "" and dialog.contact.text() == ""


def test_edit_and_add_evidence_reload_the_view(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    home = _home(open_main(Role.OFFICER))
    view = open_record(qtbot, home, home.matrix.model.ref_at(0) or "")
    evidence_before = view.evidence.model.rowCount()

    edit = view.edit()
    assert isinstance(edit, EditDialog)
    assert edit.person.family_name.text() == view.record.family_name  # type: ignore[union-attr]
    qtbot.keyClicks(edit.reason, "Correcting the record after a review.")
    qtbot.mouseClick(edit.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert edit.error_label.text() == "Nothing changed."
    edit.person.aliases.setText("Synthetic Alias")
    qtbot.mouseClick(edit.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not edit.isVisible(), edit.error_label.text()
    assert view.details.values["Aliases"].text() == "Synthetic Alias"
    assert view.details.values["Version"].text() == "2"

    custody = view.edit()
    assert isinstance(custody, EditDialog)
    custody.in_custody.setChecked(True)
    custody.custody_from.setDate(qdate(days_ago(gui_demo_app, 12)))
    qtbot.keyClicks(custody.reason, "Remanded in custody by the court.")
    qtbot.mouseClick(custody.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not custody.isVisible(), custody.error_label.text()
    assert view.details.values["Custody"].text() == f"In custody since {days_ago(gui_demo_app, 12).isoformat()}"

    add = view.add_evidence()
    assert isinstance(add, AddEvidenceDialog)
    fill_evidence(add.form, kind="weapons_access", source="partner_agency", on=days_ago(gui_demo_app, 3),
                  ref="YOS/77")
    qtbot.mouseClick(add.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not add.isVisible(), add.error_label.text()
    assert view.evidence.model.rowCount() == evidence_before + 1
    # Each reload after a change is a read of its own, logged with the reason the view was opened with.
    opens = [e.entry for e in log_as_auditor(gui_demo_app) if e.entry.action.value == "record.open"]
    assert len(opens) == 4 and {e.justification for e in opens} == {REASON}


def test_dates_are_typed_whole_or_not_at_all(qtbot: QtBot, open_main: Opener) -> None:
    home = _home(open_main(Role.OFFICER))
    dialog = home.status_check()
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    born = dialog.date_of_birth
    assert born.text() == "Not entered"

    born.setFocus()
    qtbot.keyClicks(born, "2001-05-06")  # dashes typed after a full section do not skip the next one
    assert born.date().toString("yyyy-MM-dd") == "2001-05-06"

    born.setDate(born.minimumDate())
    born.setFocus()
    qtbot.keyClicks(born, "2001-05")
    dialog.given_name.setFocus()  # leaving with half a date: it is no date
    assert born.text() == "Not entered"

    born.setFocus()
    qtbot.keyClicks(born, "2030-01-01")  # a year after today is refused; what is left fails the age rule
    dialog.given_name.setText("Any")
    dialog.family_name.setText("Body")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text().startswith("The date of birth gives an age of 0")
    assert dialog.justify_dialog is None  # not even asked why: nothing would be checked
