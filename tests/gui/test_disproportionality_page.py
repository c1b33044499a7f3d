"""The Disproportionality tab: the admin's reference import, the SPOC's report and its export, refusals, wipe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.disproportionality import ETHNIC_GROUPS
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.review.disproportionality_page import DisproportionalityPage
from gvm_desktop.gui.shell.home import AdminHome, AuditorHome, MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import demo_account, settle
from tests.gui.helpers import protect_and_send

Opener = Callable[[Role], MainWindow]
POPULATIONS = (40_000, 60_000, 15_000, 110_000, 20_000)  # Asian, Black, Mixed, White, Other, per borough
ROWS = len(BCUS["CE"][1]) * len(ETHNIC_GROUPS)


def _write_reference(path: Path) -> Path:
    lines = ["borough,dimension,group,population"]
    lines += [f"{borough},ethnicity,{group},{n}" for borough in BCUS["CE"][1] for group, n in zip(ETHNIC_GROUPS, POPULATIONS,
                                                                                                 strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tab_texts(main: MainWindow) -> list[str]:
    tabs = main.home.tabs  # type: ignore[union-attr]
    return [tabs.tabText(i).replace("&", "") for i in range(tabs.count())]


def _open_tab(main: MainWindow) -> DisproportionalityPage:
    """Open the Disproportionality tab: the page reads (and logs) the report only then."""
    home = main.home
    page = home.disproportionality  # type: ignore[union-attr]
    assert isinstance(page, DisproportionalityPage) and not page.loaded
    home.tabs.setCurrentWidget(page)  # type: ignore[union-attr]
    settle()
    assert page.loaded is page.can_read  # the administrator's page reads no report (no key to the people)
    return page


def _choose(dialog: QFileDialog | None, path: Path) -> None:
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.selectFile(str(path))
    dialog.accept()
    settle()


def _load_reference_as_admin(app: App, tmp_path: Path) -> None:
    admin = demo_account(Role.ADMIN)
    ws = app.auth.sign_in(admin.username, admin.password)
    app.reports.load_reference(ws, _write_reference(tmp_path / "reference.csv"))


def test_the_tab_is_for_the_spoc_auditor_and_admin_not_the_officer(qtbot: QtBot, open_main: Opener) -> None:
    officer = open_main(Role.OFFICER)
    assert isinstance(officer.home, MatrixHome) and officer.home.disproportionality is None
    assert "Disproportionality" not in _tab_texts(officer)
    for role, home_type in ((Role.SPOC, MatrixHome), (Role.AUDITOR, AuditorHome), (Role.ADMIN, AdminHome)):
        main = open_main(role)
        title = "Reference population" if role is Role.ADMIN else "Disproportionality"
        assert isinstance(main.home, home_type) and title in _tab_texts(main), role
        page = main.home.disproportionality  # type: ignore[union-attr]
        assert page is not None and not page.loaded  # nothing read (and logged) before the tab is opened
        assert page.import_button.isVisibleTo(page) is (role is Role.ADMIN)
        assert (page.bcu_box is None) is (role is Role.SPOC)  # the SPOC's BCU is fixed


def test_the_page_says_plainly_when_no_reference_is_loaded(qtbot: QtBot, open_main: Opener) -> None:
    page = _open_tab(open_main(Role.SPOC))
    assert page.bcu == "CE" and page.quarter_box.count() == 4
    assert page.error_label.isVisible() and "No reference population is loaded" in page.error_label.text()
    assert page.report is None and page.panel.summary.text() == "No report loaded."
    assert not page.panel.export_button.isEnabled()


def test_the_admin_imports_the_reference_and_sees_the_row_count(
        qtbot: QtBot, open_main: Opener, tmp_path: Path) -> None:
    main = open_main(Role.ADMIN)
    page = _open_tab(main)
    # The administrator holds no key to people's demographics: the page loads the reference and reads no report.
    assert not page.load_button.isVisible() and not page.panel.isVisible() and not page.error_label.isVisible()
    _choose(page.choose_reference(), _write_reference(tmp_path / "reference.csv"))
    assert not page.error_label.isVisible(), page.error_label.text()
    assert f"Reference population loaded: {ROWS} rows from reference.csv" in page.notice.text()
    page.load()
    settle()
    assert page.report is None and not page.error_label.isVisible()


def test_a_bad_csv_is_refused_inline_naming_the_line(qtbot: QtBot, open_main: Opener, tmp_path: Path) -> None:
    page = _open_tab(open_main(Role.ADMIN))
    bad = tmp_path / "bad.csv"
    bad.write_text("borough,dimension,group,population\nHackney,ethnicity,Black,lots\n", encoding="utf-8")
    _choose(page.choose_reference(), bad)
    assert page.error_label.isVisible()
    assert "Line 2" in page.error_label.text() and "not a whole number" in page.error_label.text()
    assert not page.notice.isVisible()


def test_the_spoc_reads_the_report_exports_it_and_a_wipe_forgets_it(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, tmp_path: Path) -> None:
    _load_reference_as_admin(gui_demo_app, tmp_path)
    main = open_main(Role.SPOC)
    main.resize(1400, 950)
    page = _open_tab(main)
    assert not page.error_label.isVisible(), page.error_label.text()
    report = page.report
    assert report is not None and report.bcu == "CE" and str(report.quarter) == page.quarter
    panel = page.panel
    assert panel.matrix_set.count() == len(ETHNIC_GROUPS) and panel.reference_set.count() == len(ETHNIC_GROUPS)
    assert sum(panel.matrix_set.at(i) for i in range(panel.matrix_set.count())) > 0
    assert list(panel.rri_series) == list(ETHNIC_GROUPS) and panel.rri_series["White"].count() > 0
    assert panel.figures.rowCount() > 0 and panel.export_button.isEnabled()

    target = tmp_path / "disproportionality.pdf"
    _choose(page.export_report(), target)
    protect_and_send(qtbot, page, Role.SPOC)  # it leaves suppressed, encrypted and signed (issue 15)
    assert not page.error_label.isVisible(), page.error_label.text()
    assert target.read_bytes().startswith(b"%PDF")
    assert page.notice.text().startswith(f"Report saved to {target} (")

    page.wipe()
    assert page.report is None and not page.loaded
    assert panel.matrix_set.count() == 0 and not panel.rri_series and panel.figures.rowCount() == 0
    assert not page.notice.isVisible() and not page.error_label.isVisible()


def test_locking_the_spoc_home_wipes_the_page(qtbot: QtBot, open_main: Opener, gui_demo_app: App, tmp_path: Path) -> None:
    _load_reference_as_admin(gui_demo_app, tmp_path)
    main = open_main(Role.SPOC)
    page = _open_tab(main)
    assert page.report is not None
    main.home.wipe()
    assert page.report is None and page.panel.matrix_set.count() == 0
