"""Times on screen are the workstation's, with its zone named; the UTC record stays beside them (tooltip, details),
and a time column sorts by the UTC value, not by its local text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import VersionRecord
from gvm_desktop.gui.audit.home_auditor import AuditorHome
from gvm_desktop.gui.common.table_models import SORT_ROLE, sorted_view_model
from gvm_desktop.gui.record.record_models import VersionsModel
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.support.zones import workstation_zone

Opener = Callable[[Role], MainWindow]
ZONE = "America/New_York"  # five hours behind UTC in November (EST): a local time that cannot pass for UTC


@pytest.fixture
def new_york() -> Iterator[None]:
    with workstation_zone(ZONE):
        yield


def _in_new_york(at_utc: str) -> datetime:
    return datetime.fromisoformat(at_utc.replace("Z", "+00:00")).astimezone(ZoneInfo(ZONE))


def test_a_log_row_shows_local_time_with_its_zone_and_keeps_utc_beside_it(
        qtbot: QtBot, open_main: Opener, new_york: None) -> None:
    home = open_main(Role.AUDITOR).home
    assert isinstance(home, AuditorHome)
    model, panel = home.log_model, home.log_panel
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Time (local)"
    item = model.entry_at(0)
    assert item is not None
    local = _in_new_york(item.entry.at_utc)
    cell = model.index(0, 1)
    assert cell.data() == f"{local.day} {local:%b %Y %H:%M} EST"
    utc_seconds = item.entry.at_utc[11:19]
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == f"{item.entry.at_utc[:10]} {utc_seconds} UTC"
    assert cell.data(SORT_ROLE) == item.entry.at_utc

    home.tabs.setCurrentWidget(panel)
    panel.select_row(0)
    assert panel.selected_entry() == item
    shown = panel.details.toPlainText()
    assert f"{local.day} {local:%b %Y %H:%M} EST" in shown and f"{utc_seconds} UTC" in shown


def test_a_records_versions_show_local_times_and_sort_by_utc(qtbot: QtBot, new_york: None) -> None:
    model = VersionsModel()
    # As text, "10 Nov" comes before "2 Nov"; in time, after. And 01:30 EST on 3 Nov is 06:30 UTC.
    model.set_rows([VersionRecord(2, "2026-11-10T14:00:00Z", "demo.officer", "later", {}),
                    VersionRecord(1, "2026-11-03T06:30:00Z", "demo.officer", "earlier", {})])
    proxy = sorted_view_model(model)
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, 1).data() for r in range(2)] == ["3 Nov 2026 01:30 EST", "10 Nov 2026 09:00 EST"]
    assert proxy.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) == "2026-11-03 06:30:00 UTC"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Replaced at"
