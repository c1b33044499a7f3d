"""The auditor's Monthly audit tab: the three counts per BCU (with London's roll-up) and per user, and its exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.core.record_use import LONDON, UseCounts
from gvm_desktop.gui.shell.home import AuditorHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.log_export import check_signed_export
from tests.gui.conftest import settle
from tests.gui.helpers import protect_and_send
from tests.services.test_monthly_audit_counts import _activity

Opener = Callable[[Role], MainWindow]


def _monthly(open_main: Opener) -> tuple[AuditorHome, object]:
    home = open_main(Role.AUDITOR).home
    assert isinstance(home, AuditorHome)
    home.tabs.setCurrentWidget(home.monthly_panel)
    return home, home.monthly_panel


def test_the_panel_shows_london_and_each_users_counts(qtbot: QtBot, open_main: Opener, gui_demo_app: App,
                                                      tmp_path: Path) -> None:
    _activity(gui_demo_app, tmp_path)
    _home, panel = _monthly(open_main)
    assert panel.bcu.currentData() == LONDON  # an auditor starts from the London roll-up
    panel.show_audit()
    settle()
    assert not panel.error_label.isVisible(), panel.error_label.text()
    bcus = {panel.bcus_model.row_at(r).bcu: panel.bcus_model.row_at(r) for r in range(panel.bcus_model.rowCount())}
    assert bcus["CE"].counts == UseCounts(viewed=10, downloaded=5, edited=4) and bcus["CE"].users == 4
    assert bcus[LONDON].counts == UseCounts(viewed=12, downloaded=5, edited=64) and bcus[LONDON].users == 5
    users = {(panel.users_model.row_at(r).username, panel.users_model.row_at(r).bcu): panel.users_model.row_at(r).counts
             for r in range(panel.users_model.rowCount())}
    assert users[("demo.officer", "CE")] == UseCounts(viewed=8, edited=3)
    assert users[("demo.auditor", "NE")] == UseCounts(viewed=1)
    assert panel.summary.text().startswith("London (all BCUs) 2026-11: 5 users viewed 12, downloaded 5 and edited 64")

    panel.bcu.setCurrentIndex(panel.bcu.findData("CE"))
    panel.show_audit()
    settle()
    assert not panel.error_label.isVisible(), panel.error_label.text()
    assert [panel.bcus_model.row_at(r).bcu for r in range(panel.bcus_model.rowCount())] == ["CE"]
    assert panel.summary.text().startswith("CE 2026-11: 4 users viewed 10, downloaded 5 and edited 4 records; "
                                           "2 distinct records opened;")

    csv_path, pdf_path = tmp_path / "ce.csv", tmp_path / "ce.pdf"
    assert panel.export_csv_to(csv_path)
    settle()
    assert check_signed_export(csv_path)[0] and panel.result_label.text().startswith(f"Exported the audit to {csv_path}")
    protect_and_send(qtbot, panel.export_pdf_to(pdf_path), Role.AUDITOR)  # it names officers (issue 15)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert panel.result_label.text() == f"The audit of CE 2026-11 saved to {pdf_path}, signed with your key."

    panel.month.setText("2026-13")
    panel.show_audit()
    settle()
    assert panel.error_label.text() == "A month is YYYY-MM (got '2026-13')."
    assert panel.bcus_model.rowCount() == panel.users_model.rowCount() == 0


def test_the_users_table_names_roles_as_the_pdf_does(qtbot: QtBot, open_main: Opener, gui_demo_app: App,
                                                     tmp_path: Path) -> None:
    """The Role column reads "Gang-team officer" (core/labels.py, as the monthly audit PDF prints it), not "officer"."""
    _activity(gui_demo_app, tmp_path)
    _home, panel = _monthly(open_main)
    panel.show_audit()
    settle()
    assert not panel.error_label.isVisible(), panel.error_label.text()
    model = panel.users_model
    role_column = [c.title for c in model.columns].index("Role")
    shown = {model.row_at(r).username: model.index(r, role_column).data() for r in range(model.rowCount())}
    assert shown["demo.officer"] == "Gang-team officer"
    assert shown["demo.auditor"] == "Auditor"
