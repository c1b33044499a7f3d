"""Governance on screen: the SPOC's team access (training, grants) and disabling inactive accounts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import AUTO_DISABLE_INACTIVE
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.admin.inactive_panel import ConfirmDisableDialog
from gvm_desktop.gui.admin.team_access import TeamAccessPanel
from gvm_desktop.gui.admin.training_dialog import RecordTrainingDialog
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account
from tests.gui.helpers import days_ago, settle

Opener = Callable[[Role], MainWindow]
NEW_OFFICER, NEW_PASSWORD = "new.officer", "quartz-lantern-meadow-64"


def _add_untrained_officer(app: App) -> None:
    acct = demo_account(Role.ADMIN)
    ws = app.auth.sign_in(acct.username, acct.password)
    app.accounts.add(ws, username=NEW_OFFICER, display_name="PC New Officer", role=Role.OFFICER, bcu="CE",
                     password=NEW_PASSWORD)
    app.auth.sign_out(ws)


def _officer_sees_the_matrix(app: App) -> bool:
    ws = app.auth.sign_in(NEW_OFFICER, NEW_PASSWORD)
    try:
        app.matrix.overview(ws)
        return True
    except PermissionDenied:
        return False
    finally:
        app.auth.sign_out(ws)


def _team(main: MainWindow) -> TeamAccessPanel:
    home = main.home
    assert isinstance(home, MatrixHome) and home.tabs is not None and home.team is not None
    assert home.team.model.rowCount() == 0  # nothing is read until the tab is opened
    home.tabs.setCurrentWidget(home.team)
    settle()
    assert home.team.loaded
    return home.team


def test_spoc_grants_after_recording_training_and_the_officers_access_follows(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    _add_untrained_officer(gui_demo_app)
    assert not _officer_sees_the_matrix(gui_demo_app)
    main = open_main(Role.SPOC)
    team = _team(main)
    names = {team.model.row_at(r).account.username for r in range(team.model.rowCount())}
    assert names == {"demo.officer", "demo.spoc", "demo.partner", NEW_OFFICER}  # their BCU's, nobody else's
    assert team.select_username(NEW_OFFICER)
    member = team.selected_member()
    assert member is not None and member.training_text() == "none recorded"
    assert team.grant_button.isEnabled() and team.training_button.isEnabled()

    qtbot.mouseClick(team.grant_button, Qt.MouseButton.LeftButton)  # no training yet: the service refuses
    settle()
    assert team.error_label.isVisible() and "has no current 'Gangs Matrix data protection' training" in \
        team.error_label.text()
    assert not _officer_sees_the_matrix(gui_demo_app)

    dialog = team.record_training()
    assert isinstance(dialog, RecordTrainingDialog) and dialog.isVisible()
    dialog.set_dates(days_ago(gui_demo_app, 2), days_ago(gui_demo_app, 5))  # expiry before completion
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert dialog.isVisible() and "expires before" in dialog.error_label.text()
    dialog.set_dates(days_ago(gui_demo_app, 2), days_ago(gui_demo_app, -363))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not dialog.isVisible()
    assert team.selected_username() == NEW_OFFICER  # the refreshed list keeps the selection
    member = team.selected_member()
    assert member is not None and member.training_text() == f"current until {days_ago(gui_demo_app, -363)}"
    assert team.result_label.text() == f"Training recorded for {NEW_OFFICER}."

    qtbot.mouseClick(team.grant_button, Qt.MouseButton.LeftButton)
    settle()
    assert not team.error_label.isVisible()
    assert team.result_label.text() == f"{NEW_OFFICER} may now use the CE matrix."
    assert _officer_sees_the_matrix(gui_demo_app)

    qtbot.mouseClick(team.revoke_button, Qt.MouseButton.LeftButton)
    settle()
    assert team.result_label.text() == f"{NEW_OFFICER} can no longer use the CE matrix."
    assert not _officer_sees_the_matrix(gui_demo_app)

    assert team.select_username("demo.partner")  # a partner needs no course and gets no grant
    assert not team.grant_button.isEnabled() and not team.training_button.isEnabled()


def test_admin_disables_an_inactive_account_only_after_confirming(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, clock: ManualClock) -> None:
    clock.advance(timedelta(days=200))
    main = open_main(Role.ADMIN)
    home = main.home
    assert isinstance(home, AdminHome)
    panel = home.inactive
    assert panel.model.rowCount() == 0 and not panel.loaded
    home.tabs.setCurrentIndex(1)
    settle()
    listed = {panel.model.row_at(r).account.username for r in range(panel.model.rowCount())}
    assert listed == {"demo.officer", "demo.spoc", "demo.auditor", "demo.partner"}  # not the admin signed in now
    assert not panel.disable_button.isEnabled()  # nothing chosen

    panel.select_usernames(["demo.partner"])
    dialog = panel.ask_disable()
    assert isinstance(dialog, ConfirmDisableDialog) and dialog.isVisible()
    assert "demo.partner" in dialog.names.text() and "demo.officer" not in dialog.names.text()
    assert dialog.ok_button.text() == "Disable 1 account"
    dialog.reject()  # thinking better of it disables nothing
    assert all(a.active for a in gui_demo_app.accounts.list(main._ws))

    dialog = panel.ask_disable()
    assert dialog is not None
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not panel.error_label.isVisible(), panel.error_label.text()
    assert panel.result_label.text() == "Disabled: demo.partner. They can no longer sign in."
    status = {home.accounts_model.row_at(r).username: home.accounts_model.row_at(r).status
              for r in range(home.accounts_model.rowCount())}
    assert status["demo.partner"] == "disabled" and status["demo.officer"] == "active"
    assert "demo.partner" not in {panel.model.row_at(r).account.username for r in range(panel.model.rowCount())}


def test_admin_checkbox_turns_automatic_disabling_on_and_off(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main = open_main(Role.ADMIN)
    home = main.home
    assert isinstance(home, AdminHome)
    assert not home.auto_disable.isChecked()
    home.auto_disable.click()
    settle()
    assert gui_demo_app.settings.value(main._ws, AUTO_DISABLE_INACTIVE.key) == 1
    assert home.auto_status.text().startswith("On:")
    home.auto_disable.click()
    settle()
    assert gui_demo_app.settings.value(main._ws, AUTO_DISABLE_INACTIVE.key) == 0


def test_spoc_inactive_list_is_their_bcus_only(
        qtbot: QtBot, open_main: Opener, clock: ManualClock) -> None:
    clock.advance(timedelta(days=200))
    team = _team(open_main(Role.SPOC))
    listed = {team.inactive.model.row_at(r).account.bcu for r in range(team.inactive.model.rowCount())}
    assert listed == {"CE"}
    assert team.inactive.disable_button.isVisible()


@pytest.mark.parametrize("role", [Role.OFFICER])
def test_officers_get_no_team_tab(qtbot: QtBot, open_main: Opener, role: Role) -> None:
    home = open_main(role).home
    assert isinstance(home, MatrixHome) and home.tabs is not None  # officers have the Quarterly review tab now
    assert home.team is None and "Team access" not in [home.tabs.tabText(i).replace("&", "") for i in range(home.tabs.count())]
