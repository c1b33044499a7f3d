"""Each role's home: built from the services, wiped on lock, refusals shown as text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt, qInstallMessageHandler
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.audit.log_model import LogTableModel
from gvm_desktop.gui.common.operations import SessionOps
from gvm_desktop.gui.common.table_models import AccountsTableModel, RowTableModel
from gvm_desktop.gui.shell.home import PARTNER_TEXT, AuditorHome, MatrixHome, PartnerHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.vaults import DEMO_ACCOUNTS, DEMO_AGREEMENT_FIELDS
from tests.gui.conftest import all_texts, leaked, model_texts, settle

Opener = Callable[[Role], MainWindow]


def _check_model(model: RowTableModel) -> None:
    """Run Qt's own model checker over the model, through a wipe and a refill.

    The tester reports through Qt's message log (category qt.modeltest), so collect that.
    """
    rows = [model.row_at(r) for r in range(model.rowCount())]
    reports: list[str] = []
    previous = qInstallMessageHandler(
        lambda _mode, context, message: reports.append(message) if context.category == "qt.modeltest" else None
    )
    try:
        tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
        model.clear()
        assert model.rowCount() == 0
        model.set_rows(rows)
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                model.data(model.index(row, col))
        del tester
    finally:
        qInstallMessageHandler(previous)
    assert reports == []


def test_admin_home_lists_the_accounts_through_a_sound_model(qtbot: QtBot, open_main: Opener) -> None:
    main = open_main(Role.ADMIN)
    home = main.home
    assert isinstance(home, AdminHome)
    model = home.accounts_model
    assert isinstance(model, AccountsTableModel)
    assert model.rowCount() == len(DEMO_ACCOUNTS) == 5
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Username", "Display name", "Role", "BCU", "Status", "Last sign-in"]
    assert {model.row_at(r).username for r in range(model.rowCount())} == {a.username for a in DEMO_ACCOUNTS}
    texts = model_texts(model)
    assert "Demo Administrator" in texts and "active" in texts and "All BCUs" in texts
    _check_model(model)
    assert home.error_label.text() == ""


def test_admin_sees_nobody_on_the_matrix(qtbot: QtBot, open_main: Opener, demo_people_text: list[str]) -> None:
    main = open_main(Role.ADMIN)
    assert leaked(all_texts(main), demo_people_text) == []


def test_admin_idle_minutes_45_is_refused_20_is_saved(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.ADMIN)
    home = main.home
    assert isinstance(home, AdminHome)
    assert (home.idle_spin.minimum(), home.idle_spin.maximum()) == (1, 30)
    assert home.idle_spin.value() == 10

    home.apply_idle_minutes(45)  # past the spin box's bounds: the service must refuse
    settle()
    assert home.idle_error.isVisible()
    assert "from 1 to 30" in home.idle_error.text()
    assert gui_demo_app.settings.idle_lock_minutes(main._ws) == 10

    home.idle_spin.setValue(20)
    home.apply_button.click()
    settle()
    assert not home.idle_error.isVisible()
    assert "20 minutes" in home.idle_status.text()
    assert gui_demo_app.settings.idle_lock_minutes(main._ws) == 20
    assert main.idle_watch.minutes == 20  # this session follows at once


def test_auditor_home_shows_the_access_log(qtbot: QtBot, open_main: Opener) -> None:
    main = open_main(Role.AUDITOR)
    home = main.home
    assert isinstance(home, AuditorHome)
    model = home.log_model
    assert isinstance(model, LogTableModel)
    assert model.rowCount() >= 9  # create, 5 accounts, import, sign-out, this sign-in
    entries = [model.entry_at(r) for r in range(model.rowCount())]
    actions = {e.entry.action.value for e in entries if e}
    assert {"auth.sign_in", "account.add", "matrix.import"} <= actions
    seqs = [e.seq for e in entries if e]
    assert seqs == sorted(seqs, reverse=True)  # newest first, as the service gives them
    assert home.log_view.model().index(0, 0).data() == str(seqs[0])


def test_the_demo_partner_sees_what_their_agreement_shares_and_until_when(qtbot: QtBot, open_main: Opener,
                                                                          gui_demo_app: App) -> None:
    """Issue 14, item 10: the demo gives its partner an agreement, so the demo shows what a partner really sees."""
    main = open_main(Role.PARTNER)
    home = main.home
    assert isinstance(home, PartnerHome)
    assert home.text.text() == PARTNER_TEXT
    assert "data sharing agreement" in PARTNER_TEXT
    assert "never allows copying, printing or exporting" in PARTNER_TEXT
    qtbot.waitUntil(lambda: home.matrix.isVisible() and home.matrix.model.rowCount() > 0)
    assert home.matrix.model.columns == DEMO_AGREEMENT_FIELDS  # its fields only: no name
    until = gui_demo_app.env.clock.now().date() + timedelta(days=365)
    assert f"in force until {until.isoformat()}" in home.shared.text()
    assert not home.error_label.isVisible()


def test_spoc_home_shows_overview_counts(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.SPOC)
    home = main.home
    assert isinstance(home, MatrixHome)
    overview = gui_demo_app.matrix.overview(main._ws)
    assert home.count_labels["proposed"].text() == str(overview.by_status["proposed"])


def test_refusal_from_a_service_is_shown_as_text(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.AUDITOR)
    # A page the auditor's role may not use: the service refuses, the page says so and carries on.
    page = MatrixHome(SessionOps(gui_demo_app, main._ws))
    qtbot.addWidget(page)
    page.ops.setParent(page)  # found (and waited for) with the page
    page.load()
    settle()
    assert page.error_label.text() == "The auditor role may not see the matrix."
    assert page.count_labels["total"].text() == "–"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_lock_empties_tables_that_had_rows(qtbot: QtBot, open_main: Opener, role: Role) -> None:
    main = open_main(role)
    assert any(m.rowCount() > 0 for m in main.findChildren(QAbstractItemModel))
    main.session_actions.lock.trigger()
    assert main._ws.locked
    assert all(m.rowCount() == 0 for m in main.findChildren(QAbstractItemModel))


def test_real_vault_has_no_demo_banner(qtbot: QtBot, app: App, admin_ws) -> None:
    window = MainWindow(app, admin_ws)
    qtbot.addWidget(window)
    settle()
    assert window.demo_banner is None
    assert window.windowTitle() == "gvm-desktop"
    assert isinstance(window.home, AdminHome) and window.home.accounts_model.rowCount() == 1
    window.close()
    assert admin_ws.locked  # closing the window signs out
