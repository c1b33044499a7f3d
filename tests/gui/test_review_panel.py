"""The quarterly review tab walked through as the officer and the SPOC, its wipe on lock, and the overdue banner."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation, Verdict
from gvm_desktop.core.review_views import ReviewItem
from gvm_desktop.gui.common.home_base import HomePage
from gvm_desktop.gui.review.review_dialogs import ExportSheetDialog, OverrideDialog, RecommendDialog, SignOffDialog
from gvm_desktop.gui.review.review_panel import ReviewPanel
from gvm_desktop.gui.shell.home import AdminHome, MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.context import Workspace
from tests.gui.conftest import all_texts, demo_account, leaked, settle
from tests.gui.helpers import load_rows

Opener = Callable[[Role], MainWindow]
OFFICER = demo_account(Role.OFFICER)
SPOC = demo_account(Role.SPOC)
# Touches every focus flag's words (core/review.py FLAG_TERMS), so it may retain anyone.
RETAIN_ALL = ("Retained: green band, zero harm score and corroborating intelligence reviewed; custody and age considered; "
              "still active")
SHORT_OF_FLAGS = "Still active with the group this quarter"  # long enough, but about none of the flags
REMOVE_WHY = "No harm recorded in two years and nothing current links them to the group"
OVERRIDE_WHY = "New events since the review opened: score again before deciding to keep them on"


# -- helpers ------------------------------------------------------------------------------------------------------------

def _home(main: MainWindow) -> MatrixHome:
    home = main.home
    assert isinstance(home, MatrixHome) and home.tabs is not None
    return home


def _review_tab(main: MainWindow) -> ReviewPanel:
    """Open the Quarterly review tab: the panel reads the review only then."""
    home = _home(main)
    assert not home.review.loaded
    home.tabs.setCurrentWidget(home.review)  # type: ignore[union-attr]
    settle()
    assert home.review.loaded, home.review.error_label.text()
    return home.review


def _items(panel: ReviewPanel) -> list[ReviewItem]:
    return [panel.model.row_at(r) for r in range(panel.model.rowCount())]


def _item(panel: ReviewPanel, ref: str) -> ReviewItem:
    return next(i for i in _items(panel) if i.ref == ref)


def _select(panel: ReviewPanel, refs: Sequence[str]) -> None:
    """Select these people's rows (as ctrl-clicks would); the first becomes the current row."""
    selection = panel.table.selectionModel()
    selection.clearSelection()
    for n, ref in enumerate(refs):
        row = panel.model.row_of_ref(ref)
        assert row is not None, ref
        index = panel.proxy.mapFromSource(panel.model.index(row, 0))
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        selection.select(index, flags)
        if n == 0:
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)


def _type(qtbot: QtBot, dialog: RecommendDialog | OverrideDialog, text: str) -> None:
    dialog.text.clear()
    qtbot.keyClicks(dialog.text, text)


def _ok(qtbot: QtBot, dialog: RecommendDialog | OverrideDialog | SignOffDialog | ExportSheetDialog) -> None:
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()


def _wait_idle(qtbot: QtBot, page: HomePage) -> None:
    settle()
    assert not page.ops.busy


def _matrix_refs(home: MatrixHome) -> set[str]:
    model = home.matrix.model
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    load_rows(model)
    return {model.ref_at(r) or "" for r in range(model.rowCount())}


def _sign_off(panel: ReviewPanel) -> SignOffDialog | None:
    """Press Sign off: the service's warning is read first, then the password is asked for."""
    panel.sign_off()
    settle()
    return panel.dialog if isinstance(panel.dialog, SignOffDialog) and panel.dialog.isVisible() else None


def _complete_via_services(app: App, officer: Workspace, spoc: Workspace, review_id: int) -> None:
    """Everyone retained and agreed, then signed: a review with nothing left to do."""
    for item in app.reviews.items(officer, review_id):
        app.reviews.recommend(officer, review_id, item.ref, Recommendation.RETAIN, RETAIN_ALL)
        app.reviews.decide(spoc, review_id, item.ref, Verdict.AGREE)
    assert app.reviews.sign(spoc, review_id, SPOC.password) == 0


def _sign_in(app: App, role: Role) -> Workspace:
    account = demo_account(role)
    return app.auth.sign_in(account.username, account.password)


# -- the walk-through ---------------------------------------------------------------------------------------------------

def test_officer_recommends_and_spoc_decides_and_signs_through_the_panel(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    app = gui_demo_app
    officer_main = open_main(Role.OFFICER)
    summary = app.reviews.find(officer_main._ws)
    assert summary is not None and summary.signed_at is None  # opened by the officer's first sign-in of the quarter
    assert (summary.bcu, summary.quarter, summary.recommended) == ("CE", "2026Q4", 0)

    panel = _review_tab(officer_main)
    assert panel.model.rowCount() == summary.people >= 3
    assert panel.status.property("state") == "open" and panel.status.text().startswith("Open since 2026-11-02")
    assert panel.count_labels["people"].text() == str(summary.people)
    assert panel.count_labels["flagged"].text() == str(summary.flagged)
    assert panel.recommend_button.isVisibleTo(panel)
    assert not any(b.isVisibleTo(panel) for b in (panel.agree_button, panel.override_button, panel.open_button,
                                                  panel.sign_button, panel.export_button))  # the SPOC's

    panel.flagged_only.setChecked(True)
    assert panel.proxy.rowCount() == summary.flagged
    panel.flagged_only.setChecked(False)
    panel.undecided_only.setChecked(True)
    assert panel.proxy.rowCount() == summary.people  # nobody decided yet
    panel.undecided_only.setChecked(False)

    # The most-flagged person through the dialog: a rationale short of the flags is refused, nothing typed is lost.
    first = max(_items(panel), key=lambda i: len(i.flags))
    assert first.flags
    _select(panel, [first.ref])
    assert panel.recommend_button.isEnabled()
    dialog = panel.recommend()
    assert isinstance(dialog, RecommendDialog) and dialog.isVisible()
    dialog.choose(Recommendation.RETAIN)
    _type(qtbot, dialog, SHORT_OF_FLAGS)
    assert dialog.hint.isVisible() and "must address" in dialog.hint.text()
    _ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert "needs a rationale that addresses" in dialog.error_label.text()
    assert dialog.text.toPlainText() == SHORT_OF_FLAGS
    assert _item(panel, first.ref).recommendation is None  # nothing saved
    _type(qtbot, dialog, RETAIN_ALL)
    assert dialog.hint.text() == "Every focus flag is addressed."
    _ok(qtbot, dialog)
    assert not dialog.isVisible()
    assert _item(panel, first.ref).recommendation is Recommendation.RETAIN
    assert panel.notice.text() == f"Recommendation saved for {first.ref}."

    # The rest through the service, as another officer's session would: one removal, one to be overridden.
    others = [i for i in _items(panel) if i.ref != first.ref]
    remove_ref, override_ref, last_ref = others[0].ref, others[1].ref, others[-1].ref
    for item in others:
        rec, why = (Recommendation.REMOVE, REMOVE_WHY) if item.ref == remove_ref else (Recommendation.RETAIN, RETAIN_ALL)
        app.reviews.recommend(officer_main._ws, summary.id, item.ref, rec, why)
    panel.load()
    settle()
    assert panel.loaded and panel.count_labels["recommended"].text() == str(summary.people)
    officer_main.close()  # signs out

    # The SPOC: agree with all but two, override one, leave the last undecided for now.
    main = open_main(Role.SPOC)
    home = _home(main)
    assert remove_ref in _matrix_refs(home)
    panel = _review_tab(main)
    assert all(b.isVisibleTo(panel) for b in (panel.agree_button, panel.override_button, panel.sign_button,
                                              panel.open_button, panel.export_button))
    assert not panel.open_button.isEnabled()  # this quarter's review is open
    assert not panel.export_button.isEnabled()  # only a signed review has a sheet
    agree_refs = [i.ref for i in _items(panel) if i.ref not in (override_ref, last_ref)]
    _select(panel, agree_refs)
    assert panel.agree() == len(agree_refs)
    settle()
    assert panel.notice.text().startswith(f"Agreed with {len(agree_refs)} recommendation")
    assert {i.ref for i in _items(panel) if i.verdict is Verdict.AGREE} == set(agree_refs)

    _select(panel, [override_ref])
    override = panel.override()
    assert isinstance(override, OverrideDialog)
    assert Recommendation.RETAIN not in override.radios  # the recommendation itself is no override
    override.choose(Recommendation.RESCORE)
    _type(qtbot, override, "Score them again")  # under 20 characters: OK waits
    assert not override.ok_button.isEnabled()
    _type(qtbot, override, OVERRIDE_WHY)
    _ok(qtbot, override)
    assert not override.isVisible()
    overridden = _item(panel, override_ref)
    assert (overridden.verdict, overridden.decision) == (Verdict.OVERRIDE, Recommendation.RESCORE)
    texts = {panel.model.headerData(c, Qt.Orientation.Horizontal): panel.model.data(panel.model.index(
        panel.model.row_of_ref(override_ref) or 0, c)) for c in range(panel.model.columnCount())}
    assert (texts["SPOC verdict"], texts["Final decision"], texts["Recommendation"]) == ("Overridden", "Rescore", "Retain")

    # Sign-off refused while someone is undecided: the dialog lists them.
    panel.undecided_only.setChecked(True)
    assert [panel.model.row_at(panel.proxy.mapToSource(panel.proxy.index(r, 0)).row()).ref
            for r in range(panel.proxy.rowCount())] == [last_ref]
    panel.undecided_only.setChecked(False)
    sign = _sign_off(panel)
    assert isinstance(sign, SignOffDialog) and sign.isVisible()
    assert sign.password.echoMode() == sign.password.EchoMode.Password
    qtbot.keyClicks(sign.password, SPOC.password)
    _ok(qtbot, sign)
    _wait_idle(qtbot, home)
    assert sign.isVisible() and sign.undecided_refs.isVisible() and sign.undecided_refs.text() == last_ref
    assert "Nothing was signed" in sign.error_label.text()
    sign.reject()

    _select(panel, [last_ref])
    assert panel.agree() == 1
    settle()
    assert panel.notice.text() == "Agreed with 1 recommendation."

    # A wrong password: refused, said so, and the review is still open.
    sign = _sign_off(panel)
    assert isinstance(sign, SignOffDialog)
    qtbot.keyClicks(sign.password, "not-the-spoc-password-1")
    _ok(qtbot, sign)
    _wait_idle(qtbot, home)
    assert sign.isVisible() and "password is wrong" in sign.error_label.text()
    assert "still open" in sign.error_label.text() and sign.password.text() == ""
    still = app.reviews.find(main._ws)
    assert still is not None and still.signed_at is None and still.decided == still.people
    assert remove_ref in _matrix_refs(home)

    # The right password: signed, the decisions carried out.
    qtbot.keyClicks(sign.password, SPOC.password)
    _ok(qtbot, sign)
    _wait_idle(qtbot, home)
    assert not sign.isVisible(), sign.error_label.text()
    signed = app.reviews.find(main._ws)
    assert signed is not None and signed.signed_at is not None and signed.signed_by == SPOC.username
    assert panel.status.property("state") == "signed"
    assert panel.status.text() == f"Signed by {SPOC.username} on 2026-11-02"
    assert "1 person was removed" in panel.notice.text()
    _select(panel, [first.ref])
    assert not any(b.isEnabled() for b in (panel.recommend_button, panel.agree_button, panel.override_button,
                                           panel.sign_button))
    assert panel.recommend() is None and panel.override() is None and panel.agree() == 0
    assert panel.open_button.isEnabled() and panel.open_button.text().replace("&", "") == "Open new review"
    assert panel.export_button.isEnabled()
    refs = _matrix_refs(home)  # reloaded by the panel's `changed`
    assert remove_ref not in refs and {first.ref, override_ref, last_ref} <= refs

    # A change after sign-off needs a new review of the quarter: it lists who is left, and decides afresh.
    assert panel.open_review()
    settle()
    again = app.reviews.find(main._ws)
    assert again is not None and again.id != signed.id and again.supersedes == signed.id
    assert panel.status.property("state") == "open" and panel.model.rowCount() == signed.people - 1
    assert panel.model.row_of_ref(remove_ref) is None and not panel.sign_button.isEnabled()
    assert panel.sign_button.text().replace("&", "") == f"Sign off ({again.people} undecided)"


def test_agreeing_with_several_saves_all_of_them_or_none(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    """One call for the whole selection (ReviewService.agree_with): a refusal for one person leaves all undecided."""
    app = gui_demo_app
    officer = _sign_in(app, Role.OFFICER)  # opens the quarter's review
    main = open_main(Role.SPOC)
    summary = app.reviews.find(main._ws)
    assert summary is not None
    refs = [i.ref for i in app.reviews.items(officer, summary.id)][:3]
    for ref in refs:
        app.reviews.recommend(officer, summary.id, ref, Recommendation.RETAIN, RETAIN_ALL)
    panel = _review_tab(main)
    _select(panel, refs)
    # The middle one leaves the matrix behind the panel's back: the table still offers them.
    app.changes.propose_removal(officer, refs[1], REMOVE_WHY)
    app.changes.approve_removal(main._ws, refs[1], "Agreed: removed, nothing current supports listing.")

    assert panel.agree() == 3
    settle()
    assert f"{refs[1]} has left the matrix" in panel.error_label.text()
    assert panel.notice.text() == "Nothing was saved: none of the 3 selected was agreed."
    assert all(i.verdict is None for i in app.reviews.items(main._ws, summary.id) if i.ref in refs)

    panel.load()
    settle()
    _select(panel, [refs[0], refs[2]])
    assert panel.agree() == 2
    settle()
    assert not panel.error_label.isVisible(), panel.error_label.text()
    assert panel.notice.text() == "Agreed with 2 recommendations."
    assert {i.ref for i in _items(panel) if i.verdict is Verdict.AGREE} == {refs[0], refs[2]}


def test_the_review_sheet_is_exported_through_the_panel(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, tmp_path: Path) -> None:
    officer = _sign_in(gui_demo_app, Role.OFFICER)  # opens the quarter's review
    main = open_main(Role.SPOC)
    summary = gui_demo_app.reviews.find(main._ws)
    assert summary is not None
    _complete_via_services(gui_demo_app, officer, main._ws, summary.id)
    panel = _review_tab(main)
    assert panel.status.property("state") == "signed" and panel.export_button.isEnabled()

    chooser = panel.export_sheet()
    assert isinstance(chooser, QFileDialog) and chooser.isVisible()
    assert chooser.testOption(QFileDialog.Option.DontUseNativeDialog)
    target = tmp_path / "review-sheet.pdf"
    chooser.selectFile(str(target))
    chooser.accept()
    settle()
    dialog = panel.dialog
    assert isinstance(dialog, ExportSheetDialog) and dialog.isVisible() and dialog.path == target

    assert dialog.unencrypted.isVisibleTo(dialog) and not dialog.unencrypted.isChecked()
    qtbot.keyClicks(dialog.pdf_password, "ferry-lantern-walnut-93")
    qtbot.keyClicks(dialog.pdf_again, "ferry-lantern-walnut-39")
    qtbot.keyClicks(dialog.account_password, SPOC.password)
    _ok(qtbot, dialog)
    assert dialog.isVisible() and "differ" in dialog.error_label.text() and not target.exists()
    assert (dialog.pdf_password.text(), dialog.pdf_again.text()) == ("", "")  # both typed again

    qtbot.keyClicks(dialog.pdf_password, "ferry-lantern-walnut-93")
    qtbot.keyClicks(dialog.pdf_again, "ferry-lantern-walnut-93")
    _ok(qtbot, dialog)
    _wait_idle(qtbot, _home(main))
    assert not dialog.isVisible(), dialog.error_label.text()
    assert target.exists() and target.read_bytes().startswith(b"%PDF")
    assert panel.notice.text().startswith(f"Review sheet saved to {target} (encrypted with the PDF password")


# -- lock ---------------------------------------------------------------------------------------------------------------

def test_locking_wipes_the_review_tab_and_its_dialogs(
        qtbot: QtBot, open_main: Opener, demo_people_text: list[str]) -> None:
    main = open_main(Role.SPOC)
    panel = _review_tab(main)
    assert panel.model.rowCount() > 0 and leaked(all_texts(main), demo_people_text)  # names are on screen
    _select(panel, [panel.model.row_at(0).ref])
    dialog = panel.recommend()
    assert dialog is not None
    qtbot.keyClicks(dialog.text, "typed before the lock")
    main.session_actions.lock.trigger()
    assert main.is_locked
    assert not shiboken6.isValid(dialog) or (not dialog.isVisible() and dialog.text.toPlainText() == "")
    assert not shiboken6.isValid(panel) or (panel.model.rowCount() == 0 and panel.summary is None)
    assert leaked(all_texts(main), demo_people_text) == []


# -- the overdue banner -------------------------------------------------------------------------------------------------

def test_the_overdue_banner_names_a_review_whose_quarter_ended_unsigned(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, clock: ManualClock) -> None:
    officer = _sign_in(gui_demo_app, Role.OFFICER)  # opens CE's 2026Q4 review
    assert gui_demo_app.reviews.find(officer) is not None
    gui_demo_app.auth.sign_out(officer)
    clock.advance(timedelta(days=63))  # 2027-01-04: 2026Q4 ended on 2026-12-31, unsigned

    main = open_main(Role.SPOC)
    banner = _home(main).overdue
    assert banner is not None and banner.isVisible()
    assert [(o.bcu, o.quarter, o.review_id is not None) for o in banner.items] == [("CE", "2026Q4", True)]
    assert banner.title.text() == "1 quarterly review is overdue"
    assert "2026Q4: review" in banner.text.text() and "is not signed" in banner.text.text()
    image = banner.grab().toImage()
    assert QColor(image.pixel(6, image.height() // 2)) == QColor("#b3261e")  # red, not a grey note

    panel = _review_tab(main)  # this quarter (2027Q1) by default, opened at this sign-in
    assert panel.quarter == "2027Q1" and panel.status.property("state") == "open"
    index = panel.quarter_box.findData("2026Q4")
    assert index >= 0 and "OVERDUE" in panel.quarter_box.itemText(index)
    panel.quarter_box.setCurrentIndex(index)
    panel.load()
    settle()
    assert panel.loaded
    assert panel.status.property("state") == "overdue"
    assert panel.status.text().startswith("OVERDUE: 2026Q4 ended on 2026-12-31")
    # Held back by the undecided people, not by being late: late is better than never.
    assert not panel.sign_button.isEnabled() and "undecided" in panel.sign_button.text()

    admin = open_main(Role.ADMIN)
    admin_home = admin.home
    assert isinstance(admin_home, AdminHome)
    assert admin_home.overdue.isVisible()
    assert ("CE", "2026Q4") in {(o.bcu, o.quarter) for o in admin_home.overdue.items}
    assert "2026Q4" in admin_home.overdue.text.text() and "CE" in admin_home.overdue.text.text()


def test_the_overdue_banner_is_hidden_once_last_quarter_is_signed(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.SPOC)
    home = _home(main)
    banner = home.overdue
    assert banner is not None and banner.isVisible()  # the demo BCU has no 2026Q3 review at all
    assert [(o.bcu, o.quarter, o.review_id) for o in banner.items] == [("CE", "2026Q3", None)]
    assert "no review was opened" in banner.text.text()

    # The SPOC opens it from the tab: last quarter is offered though it has no review.
    panel = _review_tab(main)
    panel.quarter_box.setCurrentIndex(panel.quarter_box.findData("2026Q3"))
    assert panel.quarter_box.currentText() == "2026Q3 (no review)"
    panel.load()
    settle()
    assert panel.loaded and panel.summary is None and panel.model.rowCount() == 0
    assert panel.status.text() == "No review of 2026Q3 has been opened."
    assert panel.open_button.isEnabled() and not panel.sign_button.isEnabled()
    assert panel.open_review()
    settle()
    late = panel.summary
    assert late is not None and late.quarter == "2026Q3" and panel.model.rowCount() == late.people
    officer = _sign_in(gui_demo_app, Role.OFFICER)
    _complete_via_services(gui_demo_app, officer, main._ws, late.id)
    home.load()
    settle()
    assert not banner.isVisible() and banner.items == [] and banner.text.text() == ""


def test_officers_have_the_review_tab_but_no_banner(qtbot: QtBot, open_main: Opener) -> None:
    home = _home(open_main(Role.OFFICER))
    tabs = home.tabs
    assert tabs is not None
    assert [tabs.tabText(i).replace("&", "") for i in range(tabs.count())] == ["Matrix", "Quarterly review"]
    assert home.overdue is None and home.team is None


def test_the_review_table_sorts_on_raw_values(qtbot: QtBot, open_main: Opener) -> None:
    panel = _review_tab(open_main(Role.OFFICER))
    proxy = panel.proxy

    def column(title: str) -> list[ReviewItem]:
        number = next(c for c in range(panel.model.columnCount())
                      if panel.model.headerData(c, Qt.Orientation.Horizontal) == title)
        panel.table.sortByColumn(number, Qt.SortOrder.AscendingOrder)
        return [panel.model.row_at(proxy.mapToSource(proxy.index(r, 0)).row()) for r in range(proxy.rowCount())]

    by_harm = column("Harm")  # Red, Amber, Green; within a band the highest score first
    keys = [(["Red", "Amber", "Green"].index(i.harm_band), -i.harm_score) for i in by_harm]
    assert keys == sorted(keys)
    by_age = column("Age")
    assert [i.age for i in by_age] == sorted(i.age for i in by_age)
    by_flags = column("Focus flags")  # the most flags first
    assert [len(i.flags) for i in by_flags] == sorted((len(i.flags) for i in by_flags), reverse=True)
