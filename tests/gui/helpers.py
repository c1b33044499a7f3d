"""Driving the matrix screens from tests: justify, open, fill forms, read the access log, wait for the worker."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.audit import LoggedEntry
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.common.home_base import HomePage
from gvm_desktop.gui.matrix.evidence_form import EvidenceForm
from gvm_desktop.gui.matrix.matrix_model import MatrixTableModel
from gvm_desktop.gui.matrix.person_form import PersonForm
from gvm_desktop.gui.record.justify_dialog import JustifyDialog
from gvm_desktop.gui.record.record_view import RecordView
from tests.gui.conftest import demo_account, settle

__all__ = ["settle"]  # tests wait through here or conftest alike

REASON = "Preparing the quarterly review of this person"


def pick(combo: QComboBox, code: str) -> None:
    index = combo.findData(code)
    assert index >= 0, code
    combo.setCurrentIndex(index)


def qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def justify(qtbot: QtBot, dialog: JustifyDialog, text: str = REASON, category: str = "quarterly_review") -> None:
    """Answer the justification dialog by typing, then press OK and wait for the answer."""
    settle()  # the last reason, if any, is offered first: typing comes after it
    pick(dialog.category, category)
    dialog.text.clear()
    qtbot.keyClicks(dialog.text, text)
    assert dialog.ok_button.isEnabled(), dialog.hint.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()


def load_rows(model: MatrixTableModel) -> None:
    """Have every page of the matrix model fetched (as scrolling through it would), and wait for them."""
    settle()
    for row in range(0, model.rowCount(), model.batch_size):
        model.row_values(row)  # a missing page is asked for
    settle()


def open_record(qtbot: QtBot, page: HomePage, ref: str, text: str = REASON) -> RecordView:
    opener = page.opener  # type: ignore[attr-defined]
    dialog = opener.open(ref)
    assert dialog is not None and dialog.isVisible()
    justify(qtbot, dialog, text)
    qtbot.waitUntil(lambda: opener.current_view is not None and opener.current_view.isVisible(), timeout=3000)
    settle()
    view = opener.current_view
    assert view is not None and view.ref == ref
    return view


def fill_person(form: PersonForm, *, given: str, family: str, born: date, borough: str = "Hackney") -> None:
    form.given_name.setText(given)
    form.family_name.setText(family)
    form.date_of_birth.setDate(qdate(born))
    pick(form.gender, "M")
    pick(form.ethnicity, "W1")
    pick(form.disability, "N")
    pick(form.observed, "IC1")
    form.address.setText("7 Synthetic Test Row")
    form.postcode.setText("ZZ9 9ZZ")
    pick(form.borough, borough)
    form.aliases.setText("Testy, T-Bone")
    form.gangs.setText("Synthetic Set 7")


def fill_evidence(form: EvidenceForm, *, kind: str, source: str, on: date, ref: str, grading: str = "1BP",
                  summary: str = "Synthetic entry seen on patrol, recorded for the test.", note: str = "") -> None:
    pick(form.kind, kind)
    pick(form.source_type, source)
    form.source_ref.setText(ref)
    pick(form.evaluation, grading[0])
    pick(form.assessment, grading[1])
    pick(form.handling, grading[2])
    form.on.setDate(qdate(on))
    form.summary.setPlainText(summary)
    form.social_note.setPlainText(note)


def days_ago(app: App, days: int) -> date:
    return app.env.clock.now().date() - timedelta(days=days)


def log_as_auditor(app: App, limit: int = 200) -> list[LoggedEntry]:
    """The latest access-log entries, read the way an auditor would (through the service)."""
    acct = demo_account(Role.AUDITOR)
    ws = app.auth.sign_in(acct.username, acct.password)
    try:
        return app.audit.recent(ws, limit)
    finally:
        app.auth.sign_out(ws)


def actions_in(entries: list[LoggedEntry]) -> list[str]:
    return [e.entry.action.value for e in entries]


def protect_and_send(qtbot: QtBot, where: QWidget, role: Role, pdf_password: str = "copper-kettle-review-2026") -> None:
    """Answer a protected PDF export (issue 15): the PDF's password twice and the user's own, then OK, and wait.

    `where` is the dialog, or the widget that opened it (after a file dialog, which hands it on).
    """
    from gvm_desktop.gui.common.pdf_password import ProtectedPdfDialog

    settle()
    dialog = where if isinstance(where, ProtectedPdfDialog) else next(
        d for d in where.findChildren(ProtectedPdfDialog) if d.isVisible())
    assert dialog.isVisible()
    dialog.pdf.pdf_password.setText(pdf_password)
    dialog.pdf.pdf_again.setText(pdf_password)
    dialog.account_password.setText(demo_account(role).password)
    dialog.submit()

    def closed() -> bool:
        try:
            return not dialog.isVisible()
        except RuntimeError:  # deleted once closed
            return True

    qtbot.waitUntil(closed, timeout=30_000)
    settle()
