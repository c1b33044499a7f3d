"""Issue 14, item 7: the administrator's daily work in the window, with the keyboard alone, through the services the
command line uses: accounts (add, disable, reset a password), one's own password (any role), data sharing agreements
(register, link a partner, end), the retention purge after its preview, and the shipped sample reference population.

Keys go to whatever has the focus; what each action did is then read back through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.disproportionality import parse_reference_csv
from gvm_desktop.core.errors import AuthenticationError
from gvm_desktop.core.policy import Role
from gvm_desktop.core.text import isolate
from gvm_desktop.gui.admin.account_dialogs import AddAccountDialog, ConfirmDisableAccountDialog, ResetPasswordDialog
from gvm_desktop.gui.admin.agreement_dialogs import AddAgreementDialog, EndAgreementDialog, LinkPartnerDialog
from gvm_desktop.gui.admin.home_admin import AdminHome
from gvm_desktop.gui.admin.reference_sample import SAMPLE_NAME, shipped_sample
from gvm_desktop.gui.admin.retention_page import ConfirmPurgeDialog
from gvm_desktop.gui.common.password_dialog import OwnPasswordDialog, change_own_password, password_verdict
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account, settle

Opener = Callable[[Role], MainWindow]
ALT = Qt.KeyboardModifier.AltModifier
NEW_PASSWORD = "saffron-lighthouse-kettle-93"
OTHER_PASSWORD = "quartz-meadow-bicycle-trellis"


# -- a person at the keyboard ----------------------------------------------------------------------------------------

def focused() -> QWidget:
    widget = QApplication.focusWidget()
    if widget is None:
        window = QApplication.activeWindow()
        assert window is not None, "no window has the focus"
        return window
    return widget


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifier)
    if modifier & ALT:
        QTest.qWait(150)  # a mnemonic animates its button's click: clicked comes 100 ms later
    QApplication.processEvents()
    settle()


def type_text(text: str) -> None:
    here = focused()
    if isinstance(here, QComboBox):
        QTest.qWait(QApplication.keyboardInputInterval() + 50)  # a combo's type-ahead starts afresh
    QTest.keyClicks(here, text)
    QApplication.processEvents()


def tab_to(name: str, limit: int = 40) -> QWidget:
    for _ in range(limit):
        here = focused()
        if here.accessibleName() == name:
            return here
        QTest.keyClick(here, Qt.Key.Key_Tab)
        QApplication.processEvents()
    raise AssertionError(f"Tab never reached {name!r}; focus is on {focused().accessibleName()!r}")


def activate(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def admin_home(qtbot: QtBot, open_main: Opener) -> tuple[MainWindow, AdminHome]:
    main = open_main(Role.ADMIN)
    home = main.home
    assert isinstance(home, AdminHome)
    activate(qtbot, main)
    return main, home


def dialog_of(kind: type[QDialog]) -> QDialog:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    assert len(found) == 1, found
    return found[0]


def choose_row(table_name: str, wanted: Callable[[], bool], limit: int = 30) -> None:
    """Tab to the table, then walk it with the arrow keys until `wanted()`."""
    tab_to(table_name)
    press(Qt.Key.Key_Home)
    press(Qt.Key.Key_Space)  # the current row becomes the selected one
    for _ in range(limit):
        if wanted():
            return
        press(Qt.Key.Key_Down)
    raise AssertionError(f"no row of {table_name} was the one wanted")


def selected_username(home: AdminHome) -> str | None:
    account = home.accounts.selected()
    return account.username if account is not None else None


def signs_in(app: App, username: str, password: str) -> bool:
    try:
        app.auth.sign_out(app.auth.sign_in(username, password))
    except AuthenticationError:
        return False
    return True


# -- accounts --------------------------------------------------------------------------------------------------------

def test_the_admin_adds_an_account_with_the_meter_following_the_password(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main, home = admin_home(qtbot, open_main)
    page = home.accounts
    press(Qt.Key.Key_N, ALT)  # Add account…
    dialog = dialog_of(AddAccountDialog)
    assert isinstance(dialog, AddAccountDialog)
    activate(qtbot, dialog)
    assert focused() is dialog.role  # the first field has the cursor
    press(Qt.Key.Key_Down)  # Gang-team officer
    tab_to("BCU")
    press(Qt.Key.Key_Down)  # Central East (CE)
    tab_to("Display name")
    type_text("Keyboard Officer")
    tab_to("Username")
    type_text("k.officer")
    tab_to("First password")
    type_text("k.officer-secret-1")
    assert "must not contain the username" in dialog.meter.words.text() and not dialog.meter.passes
    QTest.keyClick(focused(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(NEW_PASSWORD)
    assert dialog.meter.passes and "meets the rule" in dialog.meter.words.text()
    tab_to("Repeat the first password")
    type_text(NEW_PASSWORD)
    press(Qt.Key.Key_Return)
    assert not dialog.isVisible(), dialog.error_label.text()
    assert page.status.text().startswith("Account added: k.officer (Gang-team officer in CE).")
    accounts = {a.username: a for a in gui_demo_app.accounts.list(main._ws)}
    assert accounts["k.officer"].role is Role.OFFICER and accounts["k.officer"].bcu == "CE"
    assert "k.officer" in {page.model.row_at(r).username for r in range(page.model.rowCount())}
    assert signs_in(gui_demo_app, "k.officer", NEW_PASSWORD)


def test_an_auditor_takes_no_bcu_and_a_refusal_keeps_the_form(qtbot: QtBot, open_main: Opener) -> None:
    _main, home = admin_home(qtbot, open_main)
    dialog = home.accounts.ask_add()
    assert isinstance(dialog, AddAccountDialog)
    activate(qtbot, dialog)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)  # Auditor
    assert not dialog.bcu.isEnabled() and dialog.bcu.currentText().startswith("None")
    tab_to("Display name")
    type_text("Keyboard Auditor")
    tab_to("Username")
    type_text("demo.officer")  # taken
    tab_to("First password")
    type_text(NEW_PASSWORD)
    tab_to("Repeat the first password")
    type_text(NEW_PASSWORD)
    press(Qt.Key.Key_Return)
    assert dialog.isVisible() and "is taken" in dialog.error_label.text()
    assert dialog.display_name.text() == "Keyboard Auditor"  # nothing typed is lost


def test_the_admin_disables_an_account_after_a_confirmation_naming_the_key_rotation(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main, home = admin_home(qtbot, open_main)
    page = home.accounts
    choose_row("Accounts", lambda: selected_username(home) == "demo.partner")
    press(Qt.Key.Key_D, ALT)  # Disable…
    dialog = dialog_of(ConfirmDisableAccountDialog)
    assert isinstance(dialog, ConfirmDisableAccountDialog)
    text = " ".join(label.text() for label in dialog.findChildren(type(dialog.names)))
    assert "demo.partner" in text and "data key is rotated" in text and "Central East (CE) BCU data key" in text
    activate(qtbot, dialog)
    press(Qt.Key.Key_Return)  # Cancel is the default: Enter disables nobody
    assert not dialog.isVisible()
    assert all(a.active for a in gui_demo_app.accounts.list(main._ws))

    activate(qtbot, main)
    press(Qt.Key.Key_D, ALT)
    dialog = dialog_of(ConfirmDisableAccountDialog)
    activate(qtbot, dialog)
    press(Qt.Key.Key_D, ALT)  # the dialog's own "Disable demo.partner"
    settle()
    assert page.status.text().startswith("Disabled: demo.partner."), page.error_label.text()
    status = {a.username: a.status for a in gui_demo_app.accounts.list(main._ws)}
    assert status["demo.partner"] == "disabled" and status["demo.officer"] == "active"
    partner = demo_account(Role.PARTNER)
    assert not signs_in(gui_demo_app, partner.username, partner.password)


def test_the_admin_resets_a_forgotten_password(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    _main, home = admin_home(qtbot, open_main)
    page = home.accounts
    choose_row("Accounts", lambda: selected_username(home) == "demo.officer")
    press(Qt.Key.Key_E, ALT)  # Reset password…
    dialog = dialog_of(ResetPasswordDialog)
    assert isinstance(dialog, ResetPasswordDialog)
    activate(qtbot, dialog)
    assert focused() is dialog.password
    type_text(NEW_PASSWORD)
    tab_to("Repeat the new password")
    type_text(NEW_PASSWORD[:-1])
    press(Qt.Key.Key_Return)
    assert dialog.isVisible() and "differ" in dialog.error_label.text()  # checked before any Argon2id
    type_text(NEW_PASSWORD)
    press(Qt.Key.Key_Return)
    assert not dialog.isVisible(), dialog.error_label.text()
    assert page.status.text().startswith("Password of demo.officer reset (logged).")
    officer = demo_account(Role.OFFICER)
    assert signs_in(gui_demo_app, officer.username, NEW_PASSWORD)
    assert not signs_in(gui_demo_app, officer.username, officer.password)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER])
def test_anyone_changes_their_own_password_and_a_wrong_current_one_is_said_inline(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, role: Role) -> None:
    main = open_main(role)
    home = main.home
    assert home is not None
    activate(qtbot, main)
    if isinstance(home, AdminHome):
        press(Qt.Key.Key_M, ALT)  # Change my password…
        dialog = dialog_of(OwnPasswordDialog)
    else:
        dialog = change_own_password(home, home.ops)  # the Session menu opens it for the other roles
    assert isinstance(dialog, OwnPasswordDialog)
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    account = demo_account(role)
    activate(qtbot, dialog)
    assert focused() is dialog.current
    type_text("not-my-password-at-all")
    tab_to("New password")
    type_text(OTHER_PASSWORD)
    assert dialog.meter.passes
    tab_to("Repeat the new password")
    type_text(OTHER_PASSWORD)
    press(Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.error_label.text() == "Your current password is not right: nothing was changed."
    assert focused() is dialog.current and dialog.current.text() == ""
    type_text(account.password)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=5000)
    settle()
    if isinstance(home, AdminHome):
        assert home.accounts.status.text().startswith("Your password was changed")
    assert signs_in(gui_demo_app, account.username, OTHER_PASSWORD)
    assert not signs_in(gui_demo_app, account.username, account.password)


def test_the_meter_says_the_product_rule() -> None:
    assert password_verdict("", "someone")[0] == 0
    score, words = password_verdict("short", "someone")
    assert score == 0 and "too short" in words
    score, words = password_verdict("password12345", "someone")
    assert score < 3 and "too easy to guess" in words
    score, words = password_verdict(NEW_PASSWORD, "someone")
    assert score >= 3 and words.endswith("meets the rule.")
    # Over zxcvbn's 72 characters: judged on its first 72, as the rule judges it, never an error.
    score, words = password_verdict("-".join(["lantern", "quarry", "harbour", "violet"] * 3), "someone")
    assert score >= 3 and words.endswith("meets the rule.")


# -- data sharing agreements -----------------------------------------------------------------------------------------

def test_the_admin_registers_an_agreement_links_the_partner_and_ends_it(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    main, home = admin_home(qtbot, open_main)
    page = home.agreements
    press(Qt.Key.Key_G, ALT)  # the Data sharing tab, read when first shown
    assert home.tabs.currentWidget() is page and page.model.rowCount() == 1  # the demo's agreement

    press(Qt.Key.Key_N, ALT)  # Add agreement…
    dialog = dialog_of(AddAgreementDialog)
    assert isinstance(dialog, AddAgreementDialog)
    activate(qtbot, dialog)
    assert focused() is dialog.organisation
    type_text("Keyboard Youth Service (synthetic)")
    tab_to("BCU")
    press(Qt.Key.Key_Down)  # Central East (CE)
    tab_to("Fields shared")
    press(Qt.Key.Key_Space)  # Reference
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Space)  # Age
    assert dialog.ticked() == ["ref", "age"]
    press(Qt.Key.Key_Return)
    assert not dialog.isVisible(), dialog.error_label.text()
    assert page.status.text().startswith("Agreement registered: #2")
    added = {a.id: a for a in gui_demo_app.dsa.list(main._ws)}[2]
    assert added.fields == ("ref", "age") and added.bcu == "CE" and added.ends_on - added.starts_on == timedelta(days=365)

    activate(qtbot, main)
    choose_row("Data sharing agreements", lambda: getattr(page.selected(), "id", None) == 2)
    press(Qt.Key.Key_K, ALT)  # Link partner…
    link = dialog_of(LinkPartnerDialog)
    assert isinstance(link, LinkPartnerDialog)
    activate(qtbot, link)
    press(Qt.Key.Key_Down)  # demo.partner, the only partner account of CE
    press(Qt.Key.Key_Return)
    assert not link.isVisible(), link.error_label.text()
    activate(qtbot, main)
    assert page.status.text() == (f"demo.partner now previews under agreement #2 "
                                  f"{isolate('Keyboard Youth Service (synthetic)')} (Central East (CE)) (logged).")
    assert gui_demo_app.dsa.list(main._ws)  # the link is the partner's: it previews under #2 at its next sign-in

    press(Qt.Key.Key_E, ALT)  # End agreement…
    end = dialog_of(EndAgreementDialog)
    assert isinstance(end, EndAgreementDialog)
    activate(qtbot, end)
    press(Qt.Key.Key_Return)  # Cancel is the default: Enter ends nothing
    assert not end.isVisible() and {a.id: a for a in gui_demo_app.dsa.list(main._ws)}[2].in_force(added.starts_on)
    activate(qtbot, main)
    press(Qt.Key.Key_E, ALT)
    end = dialog_of(EndAgreementDialog)
    activate(qtbot, end)
    press(Qt.Key.Key_E, ALT)  # the dialog's own "End agreement #2", from today (its date box's default)
    assert not end.isVisible(), end.error_label.text()
    ended = {a.id: a for a in gui_demo_app.dsa.list(main._ws)}[2]
    assert ended.ends_on == added.starts_on - timedelta(days=1)
    assert "ended: its last day was" in page.status.text()
    states = {page.model.row_at(r).id: page.model.columns[-1].text(page.model.row_at(r))
              for r in range(page.model.rowCount())}
    assert states == {1: "In force", 2: "Ended"}


# -- retention -------------------------------------------------------------------------------------------------------

def test_the_admin_previews_the_purge_then_purges_after_confirming_the_count(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, clock: ManualClock) -> None:
    clock.advance(timedelta(days=5 * 365))  # the demo's removed people are past their purge date
    main, home = admin_home(qtbot, open_main)
    page = home.retention
    press(Qt.Key.Key_T, ALT)  # the Retention tab shows what is due when first opened
    preview = page.preview
    assert preview is not None and preview.archive > 0
    assert page.model.rowCount() == preview.archive + len(preview.reviews)
    assert page.summary.text().startswith(f"Due on {preview.today}: {preview.archive} archive records")

    press(Qt.Key.Key_P, ALT)  # Purge…
    dialog = dialog_of(ConfirmPurgeDialog)
    assert isinstance(dialog, ConfirmPurgeDialog)
    total = preview.archive + len(preview.reviews)
    assert dialog.ok_button.text() == f"&Purge {total} items"
    activate(qtbot, dialog)
    press(Qt.Key.Key_P, ALT)
    settle()
    assert page.status.text().startswith(f"Purged {preview.archive} archive records and {len(preview.reviews)} "
                                         "signed reviews"), page.error_label.text()
    assert page.preview is not None and page.preview.empty and page.model.rowCount() == 0
    assert not page.purge_button.isEnabled()
    assert gui_demo_app.retention.preview(main._ws).empty


# -- the reference population ----------------------------------------------------------------------------------------

def test_the_shipped_sample_loads_and_the_page_says_what_was_loaded(
        qtbot: QtBot, open_main: Opener) -> None:
    _main, home = admin_home(qtbot, open_main)
    rows = len(parse_reference_csv(shipped_sample().read_text(encoding="utf-8")).counts)
    press(Qt.Key.Key_O, ALT)  # Reference population
    assert home.tabs.currentWidget() is home.disproportionality
    press(Qt.Key.Key_M, ALT)  # Use the shipped sample
    page = home.disproportionality
    assert not page.error_label.isVisible(), page.error_label.text()
    assert f"Reference population loaded: {rows:,} rows from {SAMPLE_NAME}" in page.notice.text()
