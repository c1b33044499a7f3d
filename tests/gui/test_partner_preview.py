"""A partner under a DSA: only the agreement's columns, only while in force; no opening, copying, printing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.shell.home import PartnerHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account
from tests.gui.helpers import load_rows
from tests.support.vault_access import holder_signs_in

Opener = Callable[[Role], MainWindow]


def _agreement(app: App, fields: list[str]) -> None:
    admin = demo_account(Role.ADMIN)
    ws = app.auth.sign_in(admin.username, admin.password)
    today = app.env.clock.now().date()
    agreement = app.dsa.register(ws, organisation="Synthetic Probation Service", bcu="CE", fields=fields,
                                 starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=60))
    app.dsa.link_partner(ws, "demo.partner", agreement.id)
    app.auth.sign_out(ws)
    holder_signs_in(app)


def _partner_home(open_main: Opener) -> tuple[MainWindow, PartnerHome]:
    main = open_main(Role.PARTNER)
    assert isinstance(main.home, PartnerHome)
    return main, main.home


def test_partner_sees_only_the_agreements_columns_and_cannot_copy(
    qtbot: QtBot, open_main: Opener, gui_demo_app: App
) -> None:
    _agreement(gui_demo_app, ["ref", "age", "harm_band"])
    main, home = _partner_home(open_main)
    model, table = home.matrix.model, home.matrix.table
    assert model.columns == ("ref", "age", "harm_band")
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == ["Ref", "Age", "Harm band"]
    assert model.rowCount() > 0
    load_rows(model)
    assert all(set(model.row_values(r) or {}) == {"ref", "age", "harm_band"} for r in range(model.rowCount()))
    until = gui_demo_app.env.clock.now().date() + timedelta(days=60)
    assert home.shared.text() == (f"Your agreement shares: Ref, Age, Harm band. It is in force until {until.isoformat()}; "
                                  "the preview ends then.")
    assert home.error_label.text() == ""
    assert not home.matrix.search.isVisible()  # no names shared, so no searching by name

    # No copy: Ctrl+C leaves the clipboard alone, no context menu, no drag, no copy/print/export action.
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("unchanged")
    table.setFocus()
    table.setCurrentIndex(home.matrix.proxy.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(table, Qt.Key.Key_Insert, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "unchanged"
    assert table.contextMenuPolicy() == Qt.ContextMenuPolicy.PreventContextMenu
    assert not table.dragEnabled()
    assert home.matrix.clipboard is None
    words = [a.text().replace("&", "").lower() for a in main.findChildren(QAction)]
    assert not any(w in text for text in words for w in ("copy", "print", "export"))

    # Nothing opens: no button, no reference box, Enter does nothing.
    assert not home.matrix.open_button.isVisible() and not home.matrix.ref_edit.isVisible()
    opened: list[str] = []
    home.matrix.open_requested.connect(opened.append)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    table.doubleClicked.emit(home.matrix.proxy.index(0, 0))
    assert opened == []


def test_partner_sorts_only_by_shared_columns_and_searches_names_when_shared(
    qtbot: QtBot, open_main: Opener, gui_demo_app: App
) -> None:
    _agreement(gui_demo_app, ["ref", "name", "harm_band"])
    _main, home = _partner_home(open_main)
    model = home.matrix.model
    assert home.matrix.search.isVisible()
    assert model.sort_key_of(model.columns.index("harm_band")) is None  # its score is not shared
    assert model.sort_key_of(model.columns.index("name")) == "name"
    load_rows(model)
    name = str((model.row_values(0) or {})["name"])
    home.matrix.search.setText(name.split()[-1][:4])
    home.matrix.apply_search()
    load_rows(model)
    assert model.rowCount() > 0
    assert any((model.row_values(r) or {}).get("name") == name for r in range(model.rowCount()))


def test_agreement_out_of_force_shows_the_services_message(
    qtbot: QtBot, open_main: Opener, gui_demo_app: App, clock: ManualClock
) -> None:
    _agreement(gui_demo_app, ["ref", "age"])
    clock.advance(timedelta(days=90))
    _main, home = _partner_home(open_main)
    qtbot.waitUntil(lambda: home.error_label.isVisible())
    assert "nothing is shared outside those dates" in home.error_label.text()
    assert not home.matrix.isVisible() and home.matrix.model.rowCount() == 0
