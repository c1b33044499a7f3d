"""Issue 16: the SPOC imports a legacy spreadsheet in the window: files, the column mapping with its preview, a dry
run that says every row's fate, then the import as proposals. Keys go to whatever has the focus; what the import did
is read back through the services the window calls.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QComboBox

from gvm_desktop.app import App
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.import_mapping import parse_mapping
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.importing.import_dialog import ConfirmImportDialog, ImportDialog
from gvm_desktop.gui.importing.mapping_form import NOT_IN_FILE
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.importing import write_report_csv
from tests.gui.conftest import demo_account, settle
from tests.gui.keyboard import choose, press, tab_to
from tests.services.test_import_messy import HEADERS, person
from tests.support.workbooks import xlsx_bytes

Opener = Callable[[Role], MainWindow]
ALT = Qt.KeyboardModifier.AltModifier
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
XLSX, TOML = SAMPLES / "legacy-matrix.xlsx", SAMPLES / "legacy-matrix.toml"
SAMPLE_PEOPLE = 40


def spoc_ws(app: App) -> Workspace:
    account = demo_account(Role.SPOC)
    return app.auth.sign_in(account.username, account.password)


def open_import(window: MainWindow) -> ImportDialog:
    """Alt+E on the SPOC's home, as a person does."""
    home = window.home
    assert isinstance(home, MatrixHome)
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)
    press(Qt.Key.Key_E, ALT)
    assert isinstance(home.dialog, ImportDialog) and home.dialog.isVisible()
    return home.dialog


def read(dialog: ImportDialog, spreadsheet: Path, mapping: Path | None = TOML) -> None:
    """Both paths typed in (no file dialog in tests), then Enter in the spreadsheet's field reads the file."""
    dialog.set_files(spreadsheet, mapping)
    dialog.file_edit.setFocus()
    press(Qt.Key.Key_Return)


def dry_run(dialog: ImportDialog) -> None:
    press(Qt.Key.Key_D, ALT)  # the Dry run tab
    press(Qt.Key.Key_N, ALT)  # Run a dry run


def test_the_spoc_imports_the_sample_as_proposals(open_main: Opener, gui_demo_app: App) -> None:
    window = open_main(Role.SPOC)
    home = window.home
    assert isinstance(home, MatrixHome) and home.queue is not None
    ws = spoc_ws(gui_demo_app)
    waiting_before = len(gui_demo_app.changes.waiting(ws).additions)
    dialog = open_import(window)
    assert not dialog.import_button.isEnabled() and not dialog.dry_run_button.isEnabled()

    read(dialog, XLSX)
    assert dialog.error_label.isHidden(), dialog.error_label.text()
    assert dialog.preview_model.rowCount() == 20
    assert dialog.mapping_form.combos["given_name"].currentText() == "Forename"
    assert dialog.preview_model.headerData(1, Qt.Orientation.Horizontal) == "Given name"
    assert dialog.problems.isHidden(), dialog.problems.text()
    assert "Group 1:" in dialog.mapping_form.evidence.text()

    dry_run(dialog)
    assert f"{SAMPLE_PEOPLE} would be added, 0 refused" in dialog.counts.text()
    assert dialog.fate_model.rowCount() == SAMPLE_PEOPLE
    assert dialog.import_button.isEnabled() and dialog.import_button.text() == f"&Import {SAMPLE_PEOPLE} people…"
    assert len(gui_demo_app.changes.waiting(ws).additions) == waiting_before  # the dry run added nobody

    press(Qt.Key.Key_I, ALT)
    confirm = dialog.confirm
    assert isinstance(confirm, ConfirmImportDialog) and confirm.isVisible()
    assert f"{SAMPLE_PEOPLE} people" in confirm.message.text() and "approve" in confirm.message.text()
    tab_to(f"Import {SAMPLE_PEOPLE} people")
    press(Qt.Key.Key_Space)

    assert dialog.error_label.isHidden(), dialog.error_label.text()
    assert "Imported." in dialog.counts.text() and f"{SAMPLE_PEOPLE} added" in dialog.counts.text()
    assert not dialog.import_button.isEnabled()  # the same file twice would be all duplicates
    assert len(gui_demo_app.changes.waiting(ws).additions) == waiting_before + SAMPLE_PEOPLE
    assert "imported as proposals" in window.last_action_label.text()
    # The SPOC's "waiting for you" line followed the change (Change.MATRIX), without a reload asked for.
    assert home.queue.waiting is not None and len(home.queue.waiting.additions) == waiting_before + SAMPLE_PEOPLE
    assert "imported from a spreadsheet" in home.notice.text()


def test_a_messy_file_lists_every_refused_row_and_import_stays_off(open_main: Opener, tmp_path: Path) -> None:
    rows = [person("Tallowbrook"), person("Cobaltfen", SDE="W7"), person("Drizzlegill", Postcode=None),
            person("Mosaicdell", dob=date(2031, 1, 1)), None, person("Tallowbrook")]
    messy = tmp_path / "messy.xlsx"
    messy.write_bytes(xlsx_bytes([list(HEADERS)] + [[r.get(h) for h in HEADERS] if r else [] for r in rows]))
    dialog = open_import(open_main(Role.SPOC))
    read(dialog, messy)
    assert dialog.warnings.isVisible() and "'BCU'" in dialog.warnings.text()  # neither mapped nor ignored
    combo = dialog.mapping_form.combos["bcu"]
    combo.setFocus()
    choose(combo, "BCU")
    combo.activated.emit(combo.currentIndex())  # what Enter on a chosen item sends
    assert dialog.mapping.columns["bcu"] == "BCU" and dialog.warnings.isHidden()

    dry_run(dialog)
    report = dialog.report
    assert report is not None
    assert {(r.number, r.fate) for r in report.blocking} == {(3, "refused"), (4, "refused"), (5, "refused"),
                                                            (7, "duplicate")}
    assert "4 rows stop the import" in dialog.counts.text()
    assert dialog.blocking_only.isChecked() and dialog.fate_filter.rowCount() == 4
    assert not dialog.import_button.isEnabled() and dialog.ask_import() is None
    refused = {r.number: r for r in report.blocking}
    assert (refused[3].column or "").startswith("SDE") and (refused[4].column or "").startswith("Postcode")

    dialog.save_report_to(tmp_path / "report.csv")
    with (tmp_path / "report.csv").open(encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ["row", "fate", "column", "reason", "ref"] and len(lines) == 1 + len(rows)
    assert not any(name in cell for line in lines for cell in line for name in ("Tallowbrook", "Cobaltfen"))
    # The window's report is the command line's, byte for byte.
    write_report_csv(report, tmp_path / "cli-report.csv")  # type: ignore[arg-type]
    assert (tmp_path / "report.csv").read_bytes() == (tmp_path / "cli-report.csv").read_bytes()


def test_the_mapping_screen_says_what_is_missing_and_a_changed_mapping_needs_a_new_dry_run(
        open_main: Opener, tmp_path: Path) -> None:
    dialog = open_import(open_main(Role.SPOC))
    read(dialog, XLSX)
    dry_run(dialog)
    assert dialog.import_button.isEnabled()

    press(Qt.Key.Key_L, ALT)  # back to the columns
    combo = dialog.mapping_form.combos["postcode"]
    combo.setFocus()
    choose(combo, NOT_IN_FILE)
    combo.activated.emit(combo.currentIndex())
    assert dialog.problems.isVisible() and "columns.postcode" in dialog.problems.text()
    assert not dialog.import_button.isEnabled()  # the dry run was of another mapping
    assert "Postcode" not in [dialog.preview_model.headerData(c, Qt.Orientation.Horizontal)
                              for c in range(dialog.preview_model.columnCount())]

    dialog.save_mapping_to(tmp_path / "mine.toml")
    saved = parse_mapping((tmp_path / "mine.toml").read_text(encoding="utf-8"))
    assert "postcode" not in saved.columns and saved.columns["given_name"] == "Forename"
    assert dialog.mapping_edit.text() == str(tmp_path / "mine.toml")


def test_a_file_changed_after_its_dry_run_is_refused_and_nothing_imported(
        open_main: Opener, gui_demo_app: App, tmp_path: Path) -> None:
    copy = tmp_path / "matrix.xlsx"
    copy.write_bytes(XLSX.read_bytes())
    dialog = open_import(open_main(Role.SPOC))
    read(dialog, copy)
    dry_run(dialog)
    ws = spoc_ws(gui_demo_app)
    waiting = len(gui_demo_app.changes.waiting(ws).additions)
    copy.write_bytes(XLSX.read_bytes() + b"\0")  # changed on disk after the dry run (a colleague saved it, say)
    press(Qt.Key.Key_I, ALT)
    assert dialog.confirm is not None
    dialog.confirm.ok_button.setFocus()
    press(Qt.Key.Key_Space)
    assert "changed since the dry run" in dialog.error_label.text()
    assert not dialog.import_button.isEnabled() and dialog.isVisible()
    assert len(gui_demo_app.changes.waiting(ws).additions) == waiting


def test_errors_are_said_in_the_window_which_keeps_what_was_chosen(open_main: Opener, tmp_path: Path) -> None:
    dialog = open_import(open_main(Role.SPOC))
    read(dialog, tmp_path / "absent.xlsx")
    assert dialog.isVisible() and dialog.error_label.isVisible() and "absent.xlsx" in dialog.error_label.text()
    assert dialog.file_edit.text() == str(tmp_path / "absent.xlsx")

    formula = tmp_path / "formula.csv"
    formula.write_text("Forename,Surname\n=HYPERLINK(\"http://x\"),Smith\n", encoding="utf-8")
    read(dialog, formula, None)
    assert dialog.error_label.text().startswith("formula.csv: Row 2, column A:"), dialog.error_label.text()
    assert dialog.preview is None and not dialog.dry_run_button.isEnabled()

    bad_mapping = tmp_path / "bad.toml"
    bad_mapping.write_text("[columns]\nfirst_name = \"Forename\"\n", encoding="utf-8")
    read(dialog, XLSX, bad_mapping)
    assert "columns.first_name" in dialog.error_label.text()


def test_the_import_starts_from_the_files_own_headers_without_a_mapping(open_main: Opener) -> None:
    dialog = open_import(open_main(Role.SPOC))
    read(dialog, XLSX, None)
    assert dialog.error_label.isHidden(), dialog.error_label.text()
    combo: QComboBox = dialog.mapping_form.combos["given_name"]
    assert combo.currentText() == NOT_IN_FILE and combo.findText("Forename") > 0
    assert "columns.given_name" in dialog.problems.text()
    assert dialog.sample_button.isVisible()
    dialog.use_sample_mapping()
    settle()
    assert dialog.mapping_form.combos["given_name"].currentText() == "Forename" and dialog.problems.isHidden()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.ADMIN])
def test_others_have_no_import_and_the_service_refuses_them(role: Role, open_main: Opener, gui_demo_app: App) -> None:
    window = open_main(role)
    home = window.home
    if isinstance(home, MatrixHome):
        assert not home.import_button.isVisible() and home.start_import() is None
    assert window.role_action is None or "Import" not in window.role_action.text()
    shown = [b.text() for b in window.findChildren(QAbstractButton) if b.isVisibleTo(window)]
    assert not any("Import a spreadsheet" in t for t in shown), shown
    account = demo_account(role)
    ws = gui_demo_app.auth.sign_in(account.username, account.password)
    with pytest.raises(PermissionDenied):
        gui_demo_app.importing.dry_run(ws, XLSX, parse_mapping(TOML.read_text(encoding="utf-8")))


def test_the_lock_wipes_the_file_the_window_read(open_main: Opener) -> None:
    window = open_main(Role.SPOC)
    dialog = open_import(window)
    read(dialog, XLSX)
    assert dialog.preview_model.rowCount() == 20
    window.lock()
    settle()
    assert dialog.preview_model.rowCount() == 0 and dialog.fate_model.rowCount() == 0 and dialog.preview is None
