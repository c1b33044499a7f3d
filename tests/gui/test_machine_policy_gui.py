"""Issue 16: the window shows what the workstation's policy fixes as fixed, and says whose rule it is and where it is
written. The policy here is a file in a temp folder, read as the application reads /etc/gvm-desktop/policy.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.machine_policy import NO_POLICY
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.common.pdf_password import ProtectedPdfDialog, pdf_password_verdict
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.machine_policy import load_machine_policy
from tests.conftest import copy_demo
from tests.gui.accessibility import unnamed, unreachable
from tests.gui.conftest import settle
from tests.gui.helpers import protect_and_send
from tests.gui.test_disproportionality_page import _load_reference_as_admin, _open_tab

Opener = Callable[[Role], MainWindow]
STRICT = ("max_idle_lock_minutes = 5\nunencrypted_exports = false\ndevice_binding_required = true\n"
          "min_pdf_password_score = 4\nbackup_reminder_days = 7\n")
# Meets the product's own rule (zxcvbn 3), not the policy's 4.
FAIR_PASSWORD = "Summer2026!abc"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "policy.toml"
    path.parent.mkdir()
    path.write_text(STRICT, encoding="utf-8")
    return path


@pytest.fixture
def gui_demo_app(make_app: Callable[..., App], _demo_template: Path, tmp_path: Path, policy_file: Path) -> App:
    """The shared demo vault, on a workstation whose policy fixes every setting it can."""
    return copy_demo(_demo_template, tmp_path / "demo-vault",
                     partial(make_app, machine_policy=load_machine_policy(policy_file)))


def _admin_home(open_main: Opener) -> AdminHome:
    main = open_main(Role.ADMIN)
    home = main.home
    assert isinstance(home, AdminHome)
    return home


def test_the_admin_home_lists_what_the_policy_fixes_and_where_it_is_written(
        qtbot: QtBot, open_main: Opener, policy_file: Path) -> None:
    home = _admin_home(open_main)
    shown = home.machine_policy
    assert shown.isVisible()
    assert shown.lines == [
        "Sessions lock after at most 5 minutes without input",
        "Exports always need a password",
        "Vaults must be bound to this workstation (a demo vault excepted)",
        "PDF passwords at least strength 4 of 4",
        "A backup at least every 7 days",
    ]
    assert all(f"• {line}." in shown.settings.text() for line in shown.lines)
    assert str(policy_file) in shown.source.text()
    assert "no one in the vault can loosen it" in shown.source.text()
    # The idle lock's own box says the same where the setting is changed.
    assert home.idle_fixed.isVisible() and home.idle_fixed.text() == (
        f"Fixed at most 5 minutes by this workstation's policy ({policy_file}).")
    assert home.idle_spin.maximum() == 5


def test_the_panel_is_named_reachable_and_gone_when_the_policy_fixes_nothing(
        qtbot: QtBot, open_main: Opener) -> None:
    home = _admin_home(open_main)
    shown = home.machine_policy
    assert shown.accessibleName() == "This workstation's policy"
    assert unnamed(home) == []
    shown.settings.setFocus(Qt.FocusReason.TabFocusReason)  # a screen reader's user reads it from the keyboard
    assert shown.settings.hasFocus()
    assert unreachable(home) == []
    shown.show_policy(NO_POLICY)
    assert not shown.isVisible() and shown.lines == []


def test_the_panel_fits_beside_the_idle_lock_at_150_percent_of_1280x800(qtbot: QtBot, open_main: Opener) -> None:
    main = open_main(Role.ADMIN)
    main.resize(853, 533)  # 1280x800 at a scale factor of 1.5, in logical pixels
    settle()
    home = main.home
    assert isinstance(home, AdminHome)
    qtbot.wait(20)
    shown = home.machine_policy
    assert shown.isVisible() and shown.height() >= shown.minimumSizeHint().height()
    assert shown.geometry().top() == home.idle_spin.parentWidget().geometry().top()  # side by side, not stacked
    assert home.tabs.height() > 150, "the tabs are left room for their lists"


def test_the_export_dialog_shows_both_fixed_settings_and_holds_ok_below_the_minimum(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, tmp_path: Path, policy_file: Path) -> None:
    _load_reference_as_admin(gui_demo_app, tmp_path)
    main = open_main(Role.SPOC)
    main.resize(1400, 950)
    page = _open_tab(main)
    target = tmp_path / "report.pdf"
    dialog = page.export_to(target)
    assert isinstance(dialog, ProtectedPdfDialog)
    settle()  # the policy arrives from the session's worker
    rows = dialog.pdf
    # A SPOC holds the right to export unencrypted; the workstation forbids it, and the dialog says so beside it.
    assert rows.unencrypted.isVisible() and not rows.unencrypted.isEnabled()
    assert rows.unencrypted_fixed.isVisible()
    assert rows.unencrypted_fixed.text() == (f"Not offered: exports always need a password, fixed by this "
                                             f"workstation's policy ({policy_file}).")
    assert "strength 4 of 4" in rows.rule.text() and str(policy_file) in rows.rule.text()
    assert dialog.ok_button.isEnabled()  # nothing typed: OK says what is missing

    qtbot.keyClicks(rows.pdf_password, FAIR_PASSWORD)
    assert not dialog.ok_button.isEnabled()
    assert "policy asks a stronger PDF password" in rows.rule.text() and rows.rule.property("invalid")
    rows.pdf_password.clear()
    assert dialog.ok_button.isEnabled() and not rows.rule.property("invalid")
    phrase = rows.generate()
    assert pdf_password_verdict(phrase, gui_demo_app.env.machine_policy)[0] is True
    assert dialog.ok_button.isEnabled() and rows.rule.text() == "This PDF password meets the rule."
    protect_and_send(qtbot, dialog, Role.SPOC, pdf_password=phrase)
    assert target.read_bytes().startswith(b"%PDF")


def test_the_dialog_and_the_service_judge_a_password_alike(policy_file: Path) -> None:
    """The dialog runs the services' own check at the policy's score: what it lets through, they take."""
    strict = load_machine_policy(policy_file)
    assert pdf_password_verdict(FAIR_PASSWORD, NO_POLICY)[0] is True
    assert pdf_password_verdict(FAIR_PASSWORD, strict)[0] is False
    assert pdf_password_verdict("short", NO_POLICY) == (False, "The password is too short: use at least 12 characters.")
    assert pdf_password_verdict("", strict)[0] is None
