"""Issue 14, item 8: what waits for the SPOC, on their home, with counts from the services and a way to each place."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.evidence import SourceType
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation
from gvm_desktop.gui.record.justify_dialog import JustifyDialog
from gvm_desktop.gui.shell.home import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.context import Workspace
from tests.gui.conftest import demo_account, settle
from tests.gui.helpers import log_as_auditor
from tests.services.test_matrix_flow import evidence, person

Opener = Callable[[Role], MainWindow]
RETAIN_ALL = ("Retained: green band, zero harm score and corroborating intelligence reviewed; custody and age considered; "
              "still active")
REMOVE_WHY = "No harm recorded in two years and nothing current links them to the group"


def _sign_in(app: App, role: Role) -> Workspace:
    account = demo_account(role)
    return app.auth.sign_in(account.username, account.password)


def _waiting_work(app: App) -> tuple[str, str, int]:
    """As the officer: one person proposed, one removal proposed, two review recommendations.
    Returns (the addition's ref, the removal's ref, the review's people)."""
    officer = _sign_in(app, Role.OFFICER)  # opens the quarter's review
    added = app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE)],
                                reason="Linked to two synthetic incidents this year.")
    summary = app.reviews.find(officer)
    assert summary is not None
    refs = [i.ref for i in app.reviews.items(officer, summary.id)]
    app.changes.propose_removal(officer, refs[-1], REMOVE_WHY)
    for ref in refs[:2]:
        app.reviews.recommend(officer, summary.id, ref, Recommendation.RETAIN, RETAIN_ALL)
    app.auth.sign_out(officer)
    return added, refs[-1], summary.people


# -- the services -------------------------------------------------------------------------------------------------------

def test_the_counts_come_from_the_services_and_only_the_spoc_may_ask(demo_app: App) -> None:
    added, removing, people = _waiting_work(demo_app)
    spoc = _sign_in(demo_app, Role.SPOC)
    waiting = demo_app.changes.waiting(spoc)
    assert (waiting.additions, waiting.removals) == ((added,), (removing,))
    (review,) = demo_app.reviews.waiting(spoc)
    assert (review.quarter, review.to_decide, review.to_recommend, review.overdue) == ("2026Q4", 2, people - 2, False)

    # References only, no record read: logged as a list of references, with the counts.
    listed = [e.entry for e in log_as_auditor(demo_app) if e.entry.action is Action.MATRIX_REFERENCES]
    assert listed and listed[0].outcome is Outcome.ALLOWED and listed[0].record_ref is None
    assert listed[0].detail == "waiting for the SPOC of CE: 1 additions, 1 removals"

    officer = _sign_in(demo_app, Role.OFFICER)
    with pytest.raises(PermissionDenied):
        demo_app.changes.waiting(officer)
    with pytest.raises(PermissionDenied):
        demo_app.reviews.waiting(officer)
    refused = [e.entry for e in log_as_auditor(demo_app)
               if e.entry.outcome is Outcome.REFUSED and e.entry.username == demo_account(Role.OFFICER).username]
    assert {e.action for e in refused} >= {Action.MATRIX_REFERENCES, Action.REVIEW_READ}


def test_a_decision_leaves_the_counts(demo_app: App) -> None:
    added, removing, _people = _waiting_work(demo_app)
    spoc = _sign_in(demo_app, Role.SPOC)
    demo_app.changes.reject_addition(spoc, added, "Rejected: the second source never came in.")
    review = demo_app.reviews.waiting(spoc)[0]
    first = demo_app.reviews.items(spoc, review.review_id)[0]
    assert demo_app.reviews.agree_with(spoc, review.review_id, [first.ref]) == 1
    waiting = demo_app.changes.waiting(spoc)
    assert (waiting.additions, waiting.removals) == ((), (removing,))
    assert demo_app.reviews.waiting(spoc)[0].to_decide == 1


# -- the window ---------------------------------------------------------------------------------------------------------

def _home(main: MainWindow) -> MatrixHome:
    home = main.home
    assert isinstance(home, MatrixHome) and home.tabs is not None
    return home


def test_the_spoc_home_says_what_waits_and_goes_there(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    added, removing, people = _waiting_work(gui_demo_app)
    main = open_main(Role.SPOC)
    home = _home(main)
    queue = home.queue
    assert queue is not None and queue.isVisible()
    assert queue.summary() == (f"1 addition and 1 removal to approve · 2 review items to decide "
                               f"({people - 2} more await a recommendation)")
    assert not queue.proposals_list.isVisible()

    # The proposals: listed by the button (keyboard), Enter on one opens it, asking why first.
    queue.proposals_button.setFocus()
    qtbot.keyClick(queue.proposals_button, Qt.Key.Key_Space)
    assert queue.proposals_list.isVisible() and queue.proposals_list.hasFocus()
    assert list(queue.references()) == [added, removing]
    qtbot.keyClick(queue.proposals_list, Qt.Key.Key_Down)
    qtbot.keyClick(queue.proposals_list, Qt.Key.Key_Return)
    dialog = home.opener.justify_dialog
    assert isinstance(dialog, JustifyDialog) and dialog.isVisible() and removing in dialog.subject.text()
    dialog.reject()
    settle()

    # The review: its tab, this quarter, the undecided only, the first of them selected.
    (button,) = queue.review_buttons
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    settle()
    panel = home.review
    assert home.tabs.currentWidget() is panel and panel.loaded  # type: ignore[union-attr]
    assert panel.quarter == "2026Q4" and panel.undecided_only.isChecked()
    assert panel.proxy.rowCount() == people and main.focusWidget() is panel.table and panel.current_item() is not None

    # Deciding in the panel is a change to the review: the line follows.
    panel.agree()  # the first undecided row: recommended
    settle()
    assert "1 review item to decide" in queue.summary()


def test_nothing_waiting_is_said_and_officers_have_no_queue(qtbot: QtBot, open_main: Opener,
                                                             gui_demo_app: App) -> None:
    app = gui_demo_app
    assert _home(open_main(Role.OFFICER)).queue is None  # the officer's sign-in opens the quarter's review
    officer, spoc = _sign_in(app, Role.OFFICER), _sign_in(app, Role.SPOC)
    summary = app.reviews.find(officer)
    assert summary is not None
    refs = [i.ref for i in app.reviews.items(officer, summary.id)]
    for ref in refs:
        app.reviews.recommend(officer, summary.id, ref, Recommendation.RETAIN, RETAIN_ALL)
    app.reviews.agree_with(spoc, summary.id, refs)  # decided, not yet signed: nothing left to do in it

    queue = _home(open_main(Role.SPOC)).queue
    assert queue is not None and queue.isVisible()
    assert queue.summary() == "Nothing is waiting for you." and queue.nothing.isVisible()
    assert not queue.proposals_button.isVisible() and queue.review_buttons == []
