"""Each role's main task, start to finish, with the keyboard alone (issue 14, "Must hold").

Keys go to whatever has the focus (tests/gui/keyboard.py); no widget is clicked or set
directly. What the task did is then read back through the services, as an auditor would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QFileDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.evidence import SourceType
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.audit.home_auditor import AuditorHome
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.matrix.propose_dialog import ProposeDialog
from gvm_desktop.gui.record.record_view import RecordView
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.log_export import check_signed_export
from tests.gui.accessibility import accessible_name
from tests.gui.conftest import demo_account, settle
from tests.gui.helpers import days_ago, log_as_auditor
from tests.gui.keyboard import fill, focused, press, tab_to, type_text
from tests.gui.test_review_bulk import _recommend_all
from tests.services.test_matrix_flow import evidence, person
from tests.support.vault_access import read_bcu

Opener = Callable[[Role], MainWindow]
CTRL = Qt.KeyboardModifier.ControlModifier
NEW_PASSWORD = "quarry-lantern-harbour-violet-9"
ALT = Qt.KeyboardModifier.AltModifier


def _activate(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def test_officer_searches_opens_with_a_reason_and_proposes_with_two_entries(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.OFFICER)
    home = main.home
    assert isinstance(home, MatrixHome)
    _activate(qtbot, main)
    model = home.matrix.model
    family = str((model.row_values(0) or {})["name"]).split()[-1]

    # Search: Ctrl+F, type the start of a family name; the list follows.
    press(Qt.Key.Key_F, CTRL)
    assert focused() is home.matrix.search
    type_text(family[:5])
    qtbot.waitUntil(lambda: home.matrix.model.query == family[:5].lower() or home.matrix.model.query == family[:5])
    settle()
    assert all(family[:5].lower() in str((model.row_values(r) or {}).get("name", "")).lower()
               for r in range(model.rowCount()))
    ref = model.ref_at(0)

    # Open the first row: Tab to the table, Enter, say why, Enter.
    tab_to("Matrix")  # the table's accessible name
    press(Qt.Key.Key_Down, wait=False)
    press(Qt.Key.Key_Home, wait=False)
    press(Qt.Key.Key_Return, wait=False)
    dialog = home.opener.justify_dialog
    assert dialog is not None and dialog.isVisible()
    fill("Reason", "Intelligence")
    fill("Why, in words", "Checking the listing before the partnership meeting")
    press(Qt.Key.Key_Return)
    view = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RecordView) and w.isVisible())
    assert view.record is not None and view.record.ref == ref
    press(Qt.Key.Key_Escape)
    assert not view.isVisible()

    # Propose: Ctrl+N, the person, two evidence entries from different sources, the reason, Alt+P.
    _activate(qtbot, main)
    press(Qt.Key.Key_N, CTRL)
    propose = home.dialog
    assert isinstance(propose, ProposeDialog) and propose.isVisible()
    type_text("Keyboardo")  # the first field has the focus
    fill("Family name", "Tabwalker")
    fill("Date of birth", days_ago(gui_demo_app, 19 * 365 + 30).isoformat())
    for name, text in (("Gender", "Male"), ("Ethnicity (self-defined)", "White: English"), ("Disability", "No"),
                       ("Address", "12 Keyboard Walk"), ("Postcode", "ZZ1 1ZZ"), ("Borough", "Hackney")):
        fill(name, text)
    for kind, source, ref_text, grading, dated in (("Violent", "Police", "CAD/77/26", "1BP", 30),
                                                   ("Gang", "Community", "COMM/78/26", "2CP", 20)):
        fill("Kind of evidence", kind)
        fill("Source type", source)
        fill("Source reference", ref_text)
        tab_to("Source evaluation")
        type_text(grading[0] + " ")  # "C " is the item, "Choose…" is not
        tab_to("Intelligence assessment")
        type_text(grading[1] + " ")  # "C " is the item, "Choose…" is not
        tab_to("Handling code")
        type_text(grading[2] + " ")  # "C " is the item, "Choose…" is not
        fill("Dated on", days_ago(gui_demo_app, dated).isoformat())
        fill("Summary", "Synthetic sighting typed at the keyboard for the test.")
        press(Qt.Key.Key_E, ALT)
    assert propose.entries.rowCount() == 2, propose.evidence_error.text()
    fill("Why this person should be on the matrix", "Seen with the set twice this autumn, two sources agree.")
    press(Qt.Key.Key_P, ALT)
    assert not propose.isVisible(), propose.error_label.text()
    assert home.notice.text().startswith("Proposed as N-")

    new_ref = home.notice.text().split()[2].rstrip(".")
    logged = {(e.entry.action.value, e.entry.record_ref): e.entry for e in log_as_auditor(gui_demo_app)}
    opened = logged[("record.open", ref)]
    assert opened.justification == "Checking the listing before the partnership meeting"
    assert opened.reason_category == "intelligence_development"
    assert ("matrix.propose_add", new_ref) in logged
    evidence = read_bcu(gui_demo_app, "CE", "SELECT COUNT(*) FROM evidence e JOIN nominals n ON n.id = e.nominal_id "
                        "WHERE n.ref = ?", (new_ref,))
    assert [tuple(row) for row in evidence] == [(2,)]


def test_auditor_filters_verifies_and_exports(qtbot: QtBot, open_main: Opener, tmp_path: Path) -> None:
    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    _activate(qtbot, main)

    # Filter: Alt+U goes to the user field (its label's mnemonic); type, Enter applies.
    press(Qt.Key.Key_U, ALT)
    assert accessible_name(focused()) == "Username"
    type_text("demo.admin")
    press(Qt.Key.Key_Return)
    model = home.log_model
    assert model.rowCount() > 0
    users = {entry.entry.username for r in range(model.rowCount()) if (entry := model.entry_at(r)) is not None}
    assert users == {"demo.admin"}

    # Verify: Alt+V; the result is said on the page.
    press(Qt.Key.Key_V, ALT)
    settle()
    verify = home.verify_bar
    assert verify.result is not None and verify.result.intact, verify.status.text()
    assert verify.status.property("state") == "intact"

    # Export the selection as signed CSV: Alt+C, type where, Enter.
    press(Qt.Key.Key_C, ALT)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, QFileDialog), dialog
    target = tmp_path / "admin-entries.csv"
    line = focused()
    assert isinstance(line, QLineEdit)
    line.selectAll()
    type_text(str(target))
    press(Qt.Key.Key_Return)
    settle()
    assert target.exists() and target.with_name("admin-entries.csv.sig").exists()
    assert check_signed_export(target)[0]


def test_spoc_approves_decides_the_review_and_signs_off(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    # Set-up through the services: an officer's corroborated proposal, and a recommendation for everyone reviewed.
    officer = gui_demo_app.auth.sign_in(demo_account(Role.OFFICER).username, demo_account(Role.OFFICER).password)
    proposed = gui_demo_app.changes.propose(
        officer, person(given_name="Keyla", family_name="Approvable-Testcase"),
        evidence=[evidence(SourceType.POLICE), evidence(SourceType.COMMUNITY, grade="2CC")],
        reason="Linked to two synthetic incidents this year.")
    gui_demo_app.auth.sign_out(officer)
    review_id, _refs = _recommend_all(gui_demo_app)

    main = open_main(Role.SPOC)
    home = main.home
    assert isinstance(home, MatrixHome) and home.queue is not None
    _activate(qtbot, main)

    # Approve: from "Waiting for you", the proposals; type the reference to pick it; Enter; say why; approve.
    tab_to(home.queue.proposals_button.text().replace("&", ""))
    press(Qt.Key.Key_Space)
    assert accessible_name(focused()) == "Proposals waiting for your approval"
    type_text(proposed)
    press(Qt.Key.Key_Return, wait=False)
    assert home.opener.justify_dialog is not None and home.opener.justify_dialog.isVisible()
    fill("Reason", "Deciding")
    fill("Why, in words", "Deciding on the officer's proposal for the matrix")
    press(Qt.Key.Key_Return)
    view = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RecordView) and w.isVisible())
    assert view.record is not None and view.record.ref == proposed
    press(Qt.Key.Key_P, ALT)  # Approve addition…
    type_text("Two source types within the window: approved for the matrix.")
    press(Qt.Key.Key_A, ALT)  # Approve
    assert view.details.values["Status"].text() == "Active"
    _activate(qtbot, view)  # what the window manager does when the note's dialog closes (offscreen has none)
    press(Qt.Key.Key_Escape)

    # The review: Alt+Q, to the table, select everyone, agree after one confirmation, then sign off with the password.
    _activate(qtbot, main)
    press(Qt.Key.Key_Q, ALT)
    tab_to("People in the review")
    press(Qt.Key.Key_A, CTRL)
    press(Qt.Key.Key_G, ALT)  # Agree with recommendations…
    confirm = QApplication.activeModalWidget() or QApplication.activeWindow()
    assert confirm is not None and "Agree with" in confirm.windowTitle()
    press(Qt.Key.Key_Return)
    panel = home.review
    assert panel is not None and panel.sign_button.isEnabled(), panel.sign_button.text()
    press(Qt.Key.Key_N, ALT)  # Sign off…
    type_text(demo_account(Role.SPOC).password)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.status.property("state") == "signed", timeout=30_000)
    spoc = gui_demo_app.auth.sign_in(demo_account(Role.SPOC).username, demo_account(Role.SPOC).password)
    try:
        signed = gui_demo_app.reviews.find(spoc)
    finally:
        gui_demo_app.auth.sign_out(spoc)
    assert signed is not None and signed.id == review_id and signed.signed_at is not None


def test_admin_adds_then_disables_an_account(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.ADMIN)
    home = main.home
    assert isinstance(home, AdminHome)
    _activate(qtbot, main)

    # Add: Alt+N on the Accounts tab; the form opens in its first field (the role).
    press(Qt.Key.Key_N, ALT)
    assert accessible_name(focused()) == "Role"
    type_text("Gang")
    fill("BCU", "Central East")
    fill("Display name", "PC Keyboard Newcomer")
    fill("Username", "kb.newcomer")
    fill("First password", NEW_PASSWORD)
    fill("Repeat the first password", NEW_PASSWORD)
    press(Qt.Key.Key_A, ALT)  # Add account
    settle()

    # Disable: to the list, type the username to go to its row, Alt+D, confirm with the Disable button's key.
    tab_to("Accounts", kind=QAbstractItemView)  # the list, not the tab of that name
    type_text("kb.newcomer")
    press(Qt.Key.Key_D, ALT)  # Disable…
    confirm = QApplication.activeModalWidget() or QApplication.activeWindow()
    assert confirm is not None and confirm.windowTitle() == "Disable kb.newcomer"
    press(Qt.Key.Key_D, ALT)  # Disable kb.newcomer
    settle(60)

    admin = gui_demo_app.auth.sign_in(demo_account(Role.ADMIN).username, demo_account(Role.ADMIN).password)
    try:
        account = next(a for a in gui_demo_app.accounts.list(admin) if a.username == "kb.newcomer")
    finally:
        gui_demo_app.auth.sign_out(admin)
    assert (account.role, account.bcu, account.display_name) == (Role.OFFICER, "CE", "PC Keyboard Newcomer")
    assert not account.active
