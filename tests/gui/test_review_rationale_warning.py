"""The sign-off dialog shows a rationale given for several people before the password is typed; the recommend
dialog hints when a retain rationale only restates the flags (issue 11, item 7). All people are invented."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation, Verdict
from gvm_desktop.gui.review.review_dialogs import RecommendDialog, SignOffDialog
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.test_review_panel import (
    RETAIN_ALL,
    SPOC,
    _ok,
    _review_tab,
    _select,
    _sign_in,
    _sign_off,
    _type,
    _wait_idle,
)

Opener = Callable[[Role], MainWindow]
RESTATED = "Retain: green band, zero harm score, never scored; corroborating intelligence, custody and age considered."


def test_sign_off_shows_the_reused_rationale_and_still_signs(qtbot: QtBot, open_main: Opener,
                                                             gui_demo_app: App) -> None:
    app = gui_demo_app
    officer, spoc = _sign_in(app, Role.OFFICER), _sign_in(app, Role.SPOC)
    summary = app.reviews.find(officer)
    assert summary is not None
    refs = [i.ref for i in app.reviews.items(officer, summary.id)]
    assert len(refs) >= 3
    for n, ref in enumerate(refs):
        # Three share one text (case and punctuation aside); anyone else has their own.
        why = (RETAIN_ALL, RETAIN_ALL.upper(), RETAIN_ALL.replace(";", ",") + ".")[n] if n < 3 else f"{RETAIN_ALL}, note {n}"
        app.reviews.recommend(officer, summary.id, ref, Recommendation.RETAIN, why)
        app.reviews.decide(spoc, summary.id, ref, Verdict.AGREE)

    main = open_main(Role.SPOC)
    panel = _review_tab(main)
    dialog = _sign_off(panel)
    assert isinstance(dialog, SignOffDialog) and dialog.isVisible()
    shared = ", ".join(sorted(refs[:3]))
    assert dialog.reused.isVisible()
    assert f"The same rationale was given for 3 people: {shared}." in dialog.reused.text()
    assert "Signing is not blocked" in dialog.reused.text()
    assert dialog.ok_button.text().replace("&", "") == "Sign off anyway"
    # Never cut off: the label has all the height its text needs (inside its scroll area).
    assert dialog.reused.height() >= dialog.reused.heightForWidth(dialog.reused.width())

    # Shown, not a refusal: the password signs as before.
    qtbot.keyClicks(dialog.password, SPOC.password)
    _ok(qtbot, dialog)
    _wait_idle(qtbot, main.home)  # type: ignore[arg-type]
    assert not dialog.isVisible(), dialog.error_label.text()
    signed = app.reviews.find(main._ws)
    assert signed is not None and signed.signed_at is not None


def test_no_warning_when_every_rationale_is_its_own(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.SPOC)
    panel = _review_tab(main)
    dialog = _sign_off(panel)  # nobody has a rationale yet
    assert isinstance(dialog, SignOffDialog)
    assert not dialog.reused_area.isVisible() and dialog.reused.text() == ""
    assert dialog.ok_button.text().replace("&", "") == "Sign off"
    dialog.reject()

    # The recommend dialog says, while typing, that touching every flag's words is not yet a reason.
    flagged = next(i for i in (panel.model.row_at(r) for r in range(panel.model.rowCount())) if i.flags)
    _select(panel, [flagged.ref])
    recommend = panel.recommend()
    assert isinstance(recommend, RecommendDialog)
    recommend.choose(Recommendation.RETAIN)
    _type(qtbot, recommend, RESTATED)
    assert "only in the flags' own words" in recommend.hint.text()
    assert recommend.hint.property("invalid") is True
    _type(qtbot, recommend, RETAIN_ALL)
    assert recommend.hint.text() == "Every focus flag is addressed."
