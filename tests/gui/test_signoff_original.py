"""Issue 15: signing off makes the signed original, under a PDF password that meets the rule or is generated."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.passwords import check_password
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation, Verdict
from gvm_desktop.gui.review.review_dialogs import SignOffDialog
from gvm_desktop.reports.pdf_signing import verify_pdf
from tests.gui.test_review_panel import RETAIN_ALL, SPOC, _ok, _review_tab, _sign_in, _sign_off, _wait_idle


def test_sign_off_refuses_a_weak_pdf_password_then_saves_the_original_under_a_generated_one(
        qtbot: QtBot, open_main, gui_demo_app: App, tmp_path: Path) -> None:
    app = gui_demo_app
    officer, spoc = _sign_in(app, Role.OFFICER), _sign_in(app, Role.SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    for item in app.reviews.items(officer, review.id):
        app.reviews.recommend(officer, review.id, item.ref, Recommendation.RETAIN, RETAIN_ALL)
        app.reviews.decide(spoc, review.id, item.ref, Verdict.AGREE)
    main = open_main(Role.SPOC)
    panel = _review_tab(main)
    dialog = _sign_off(panel)
    assert isinstance(dialog, SignOffDialog)
    target = tmp_path / "orig.pdf"
    dialog.set_sheet_path(target)
    qtbot.keyClicks(dialog.pdf.pdf_password, "abc")
    qtbot.keyClicks(dialog.pdf.pdf_again, "abc")
    qtbot.keyClicks(dialog.password, SPOC.password)
    _ok(qtbot, dialog)
    _wait_idle(qtbot, main.home)
    assert dialog.isVisible() and "too short" in dialog.error_label.text(), dialog.error_label.text()
    phrase = dialog.pdf.generate()
    check_password(phrase, "pdf")
    assert dialog.pdf.pdf_password.text() == phrase == dialog.pdf.pdf_again.text()
    assert dialog.pdf.generated_row.isVisible() and dialog.pdf.passphrase.text() == phrase
    dialog.pdf.copy()
    assert QGuiApplication.clipboard().text() == phrase and dialog.pdf.clipboard.pending
    qtbot.keyClicks(dialog.password, SPOC.password)
    _ok(qtbot, dialog)
    _wait_idle(qtbot, main.home)
    assert not dialog.isVisible(), dialog.error_label.text()
    assert QGuiApplication.clipboard().text() == ""  # wiped when the dialog closed
    ca = app.reviews.ca_certificate(spoc)
    v = verify_pdf(target.read_bytes(), ca_cert_der=ca, password=phrase)
    assert v.ok and v.signer_username == SPOC.username
    assert str(target) in panel.notice.text()
