"""Text is never cut silently at a field's limit: the count shows as people type, and what would go over is said.

Driven by the keyboard in the real propose form and the justification dialog: typing to the limit and one more
character, pasting (Ctrl+V) text that would go over into a line (refused whole, never cut), and pasting too much
into a text box (kept whole, counted in the error colour, refused at Add entry with the limit).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.justification import MAX_TEXT
from gvm_desktop.core.policy import Role
from gvm_desktop.core.text import NAME_MAX, TEXT_MAX
from gvm_desktop.gui.common.form_fields import LimitCount
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.helpers import days_ago, fill_evidence, pick, settle

Opener = Callable[[Role], MainWindow]


def paste(qtbot: QtBot, box: QLineEdit | QPlainTextEdit, text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText(text)
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    clipboard.clear()


def alarmed(count: LimitCount) -> bool:
    return bool(count.property("over"))


def test_a_name_line_counts_refuses_one_more_and_refuses_a_paste_whole(qtbot: QtBot, open_main: Opener) -> None:
    home = open_main(Role.OFFICER).home
    assert isinstance(home, MatrixHome)
    dialog = home.propose()
    assert dialog is not None
    given, count = dialog.person.given_name, dialog.person.given_count
    assert count.isVisible() and count.text() == f"0 / {NAME_MAX}" and not alarmed(count)

    qtbot.keyClicks(given, "Ann")
    assert count.text() == f"3 / {NAME_MAX}"
    qtbot.keyClicks(given, "a" * (NAME_MAX - 3))
    assert given.text() == "Ann" + "a" * (NAME_MAX - 3) and count.text() == f"{NAME_MAX} / {NAME_MAX}"
    qtbot.keyClicks(given, "Z")  # one more: not taken, and the count says why
    assert len(given.text()) == NAME_MAX and "Z" not in given.text()
    assert "at the limit" in count.text() and alarmed(count)

    qtbot.keyClick(given, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(given, "Tessa ")
    before = given.text()
    too_much = "Synthetic-" * 12  # 120 characters: Qt's own limit would have kept the first 94 of them, silently
    paste(qtbot, given, too_much)
    assert given.text() == before, "a paste over the limit must be refused whole, never cut"
    assert f"would make {len(before) + len(too_much):,} characters" in count.text() and alarmed(count)
    paste(qtbot, given, "Louise")  # what fits goes in, and the warning goes with the next edit
    assert given.text() == before + "Louise" and count.text() == f"{len(before) + 6} / {NAME_MAX}"
    assert not alarmed(count)


def test_a_text_box_keeps_a_long_paste_whole_and_says_it_is_too_long(qtbot: QtBot, open_main: Opener,
                                                                    gui_demo_app: App) -> None:
    home = open_main(Role.OFFICER).home
    assert isinstance(home, MatrixHome)
    dialog = home.propose()
    assert dialog is not None
    form = dialog.evidence
    fill_evidence(form, kind="gang_association", source="police", on=days_ago(gui_demo_app, 3), ref="CAD/9/26",
                  summary="")
    assert form.summary_count.text() == f"0 / {TEXT_MAX:,}"
    long_text = ("Seen with the set on patrol. " * 80)[: TEXT_MAX + 50]
    paste(qtbot, form.summary, long_text)
    assert form.summary.toPlainText() == long_text, "nothing typed or pasted into a text box is cut"
    assert form.summary_count.text().startswith(f"{TEXT_MAX + 50:,} / {TEXT_MAX:,}")
    assert "too long by 50" in form.summary_count.text() and alarmed(form.summary_count)
    assert not dialog.add_entry()
    assert dialog.evidence_error.text() == f"The summary is {TEXT_MAX + 50:,} characters long; the limit is {TEXT_MAX:,}."
    assert form.summary.toPlainText() == long_text  # still all there to shorten
    qtbot.keyClick(form.summary, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    for _ in range(50):
        qtbot.keyClick(form.summary, Qt.Key.Key_Backspace)
    assert form.summary_count.text() == f"{TEXT_MAX:,} / {TEXT_MAX:,}" and not alarmed(form.summary_count)


def test_the_justification_refuses_a_paste_over_its_limit_whole(qtbot: QtBot, open_main: Opener) -> None:
    home = open_main(Role.OFFICER).home
    assert isinstance(home, MatrixHome)
    settle()
    opener = home.opener
    model = home.matrix.model
    ref = model.ref_at(0)
    assert ref
    dialog = opener.open(ref)
    assert dialog is not None and dialog.isVisible()
    settle()
    pick(dialog.category, "quarterly_review")
    dialog.text.clear()
    qtbot.keyClicks(dialog.text, "Preparing the review")
    before = dialog.text.text()
    paste(qtbot, dialog.text, "x" * MAX_TEXT)
    assert dialog.text.text() == before
    assert dialog.text_count.property("over") and "would make" in dialog.text_count.text()
    dialog.reject()


def test_a_review_rationale_over_its_limit_is_counted_and_not_sent(qtbot: QtBot, open_main: Opener) -> None:
    """The rationale box keeps a long paste whole, says by how much it is over, and OK waits."""
    from gvm_desktop.core.review import MAX_RATIONALE, Recommendation
    from gvm_desktop.gui.review.review_dialogs import RecommendDialog
    from tests.gui.test_review_panel import _review_tab, _select

    main = open_main(Role.OFFICER)
    panel = _review_tab(main)
    _select(panel, [panel.model.row_at(0).ref])
    dialog = panel.recommend()
    assert isinstance(dialog, RecommendDialog)
    dialog.choose(Recommendation.REMOVE)
    QGuiApplication.clipboard().setText("No current intelligence links this person to the set. " * 80)
    dialog.text.setFocus()
    qtbot.keyClick(dialog.text, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    typed = dialog.text.toPlainText()
    assert len(typed) > MAX_RATIONALE  # kept whole, not cut
    assert dialog.limit.is_over() and "too long" in dialog.limit.text()
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def test_a_password_or_a_display_name_over_its_limit_is_refused_whole_never_cut(qtbot: QtBot) -> None:
    """Qt's maxLength cut a pasted 300-character password to 256 without a word: the account then had a
    password its owner never typed. Now the paste is refused whole, and a tip says why."""
    from PySide6.QtWidgets import QWidget

    from gvm_desktop.core.passwords import MAX_DISPLAY_NAME, MAX_LENGTH
    from gvm_desktop.gui.common.form_fields import limit_line
    from gvm_desktop.gui.common.password_dialog import password_field

    holder = QWidget()
    qtbot.addWidget(holder)
    password = password_field(holder, "New password")
    name = QLineEdit(holder)
    limit_line(name, MAX_DISPLAY_NAME)
    for field, limit in ((password, MAX_LENGTH), (name, MAX_DISPLAY_NAME)):
        QGuiApplication.clipboard().setText("quarry-lantern " * 30)  # 450 characters
        field.setFocus()
        qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert field.text() == ""  # refused whole, not the first `limit` characters
        QGuiApplication.clipboard().setText("q" * limit)
        qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert len(field.text()) == limit  # up to the limit is taken as it is
