"""The auditor's workspace: a lazily paged log, filters, flags, verification, exports and audit forms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, qInstallMessageHandler
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import FLAG_LABELS, LogFilter
from gvm_desktop.core.log_verification import VerifyResult
from gvm_desktop.core.policy import Role
from gvm_desktop.gui.audit.log_model import COLUMNS, OUTCOME_TINTS, LogTableModel
from gvm_desktop.gui.shell.home import AuditorHome
from gvm_desktop.gui.shell.main_window import MainWindow
from gvm_desktop.services.log_export import check_signed_export
from tests.gui.conftest import demo_account
from tests.gui.helpers import days_ago, protect_and_send, settle

Opener = Callable[[Role], MainWindow]
REASON = "Checking the address before the weekly briefing"


def _auditor(main: MainWindow) -> AuditorHome:
    home = main.home
    assert isinstance(home, AuditorHome)
    return home


def _spy_search(app: App, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    real = app.log.search

    def spy(ws, f, **kwargs):
        calls.append({"filter": f, **kwargs})
        return real(ws, f, **kwargs)

    monkeypatch.setattr(app.log, "search", spy)
    return calls


def _officer_opens(app: App, *, operation: str | None = None) -> str:
    """The demo officer opens the first record of their list (through the service), then signs out."""
    acct = demo_account(Role.OFFICER)
    ws = app.auth.sign_in(acct.username, acct.password)
    try:
        view = app.matrix.view(ws)
        ref = str(app.matrix.rows(ws, view, view.ids[:1])[0].values["ref"])
        category = "linked_operation" if operation else "quarterly_review"
        app.records.open(ws, ref, Justification.make(category, REASON, operation))
    finally:
        app.auth.sign_out(ws)
    return ref


def _wait_idle(qtbot: QtBot, home: AuditorHome) -> None:
    settle()
    assert not home.ops.busy


def _model_reports(model: LogTableModel) -> list[str]:
    reports: list[str] = []
    previous = qInstallMessageHandler(
        lambda _mode, context, message: reports.append(message) if context.category == "qt.modeltest" else None)
    try:
        tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
        model.fetchMore()
        settle()  # the older page is inserted when it arrives
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                model.data(model.index(row, col))
                model.data(model.index(row, col), Qt.ItemDataRole.BackgroundRole)
        model.clear()
        del tester
    finally:
        qInstallMessageHandler(previous)
    return reports


def test_log_is_fetched_a_page_at_a_time_and_passes_the_model_tester(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    admin_acct = demo_account(Role.ADMIN)
    admin = gui_demo_app.auth.sign_in(admin_acct.username, admin_acct.password)
    for _ in range(100):  # enough entries for several small pages
        gui_demo_app.accounts.list(admin)
    gui_demo_app.auth.sign_out(admin)

    home = _auditor(open_main(Role.AUDITOR))
    panel, model = home.log_panel, home.log_model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Seq", "Time (local)", "User", "Role", "BCU", "Action", "Record ref", "Reason", "Outcome", "Detail"]
    assert len(COLUMNS) == 10
    calls = _spy_search(gui_demo_app, monkeypatch)
    model.page_size = 40
    panel.load()
    settle()  # the first page, and whatever the view asks for once it has laid out
    assert model.filter is not None and not panel.filters.error_label.isVisible()
    assert len(calls) == 1 and calls[0].get("before_seq") is None  # first show: one page
    assert model.rowCount() == 40 and model.canFetchMore()
    last_seq = model.entry_at(39).seq  # type: ignore[union-attr]

    panel.table.scrollToBottom()
    qtbot.waitUntil(lambda: len(calls) == 2)
    settle()
    assert calls[1]["before_seq"] == last_seq and calls[1]["limit"] == 40
    assert model.rowCount() == 80 and model.pages_fetched == 2
    seqs = [model.entry_at(r).seq for r in range(model.rowCount())]  # type: ignore[union-attr]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 80  # newest first, no overlap

    assert _model_reports(model) == []
    assert model.rowCount() == 0 and not model.canFetchMore()


def test_filters_requery_and_the_services_message_is_shown(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = _auditor(open_main(Role.AUDITOR))
    bar, model = home.log_panel.filters, home.log_model
    calls = _spy_search(gui_demo_app, monkeypatch)

    bar.username.setText("demo.admin")
    qtbot.mouseClick(bar.apply_button, Qt.MouseButton.LeftButton)
    settle()
    assert len(calls) == 1 and calls[0]["filter"].username == "demo.admin"
    assert model.rowCount() > 0
    assert {model.entry_at(r).entry.username for r in range(model.rowCount())} == {"demo.admin"}  # type: ignore[union-attr]
    assert not bar.error_label.isVisible()
    assert "user demo.admin" in home.log_panel.summary.text()

    bar.username.clear()
    bar.action.setCurrentIndex(bar.action.findData(Action.SIGN_IN.value))
    bar.apply()
    settle()
    assert calls[-1]["filter"].actions == ("auth.sign_in",)
    assert {model.entry_at(r).entry.action for r in range(model.rowCount())} == {Action.SIGN_IN}  # type: ignore[union-attr]

    bar.set_dates(days_ago(gui_demo_app, 0), days_ago(gui_demo_app, 5))  # from after to
    bar.apply()
    settle()
    assert bar.error_label.isVisible()
    assert bar.error_label.text().startswith("The date range is reversed")
    assert model.rowCount() == 0  # no rows that answer another filter
    assert not home.log_panel.export_csv_button.isEnabled()  # and no export of "everything" by surprise
    never = tmp_path / "never-written.pdf"
    assert not home.log_panel.export_pack_to(never) and not never.exists()

    bar.reset()
    bar.username.setText("nobody.here")
    bar.apply()
    settle()
    assert bar.error_label.text() == "There is no account 'nobody.here'."
    bar.reset()
    settle()
    assert not bar.error_label.isVisible() and model.rowCount() > 0
    assert home.log_panel.export_csv_button.isEnabled()


def test_refused_and_failed_rows_are_tinted_and_say_so(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    acct = demo_account(Role.OFFICER)
    ws = gui_demo_app.auth.sign_in(acct.username, acct.password)
    with pytest.raises(Exception):  # noqa: B017 - a refusal of any kind will do
        gui_demo_app.accounts.list(ws)
    gui_demo_app.auth.sign_out(ws)
    home = _auditor(open_main(Role.AUDITOR))
    model = home.log_model
    row = next(r for r in range(model.rowCount()) if model.entry_at(r).entry.outcome.value == "refused")  # type: ignore[union-attr]
    outcome_col = [key for key, _t, _s in COLUMNS].index("outcome")
    assert model.index(row, outcome_col).data() == "refused"
    assert model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) in OUTCOME_TINTS.values()
    allowed = next(r for r in range(model.rowCount()) if model.entry_at(r).entry.outcome.value == "allowed")  # type: ignore[union-attr]
    assert model.index(allowed, 0).data(Qt.ItemDataRole.BackgroundRole) is None


def test_auditor_finds_an_officers_open_issues_its_form_and_records_the_answer(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, tmp_path: Path) -> None:
    ref = _officer_opens(gui_demo_app, operation="OP-TEST-1")
    home = _auditor(open_main(Role.AUDITOR))
    panel = home.log_panel
    qtbot.keyClicks(panel.filters.record_ref, ref)
    qtbot.keyClick(panel.filters.record_ref, Qt.Key.Key_Return)
    settle()
    model = home.log_model
    opens = [r for r in range(model.rowCount()) if model.entry_at(r).entry.action is Action.RECORD_OPEN]  # type: ignore[union-attr]
    assert len(opens) == 1
    assert not panel.issue_button.isEnabled()  # nothing selected yet
    panel.select_row(opens[0])
    entry = panel.selected_entry()
    assert entry is not None and entry.entry.username == "demo.officer" and entry.entry.record_ref == ref
    assert panel.details.text_of("Justification") == REASON
    assert panel.details.text_of("Operation") == "OP-TEST-1"
    assert REASON in panel.details.toPlainText()
    assert panel.issue_button.isEnabled() and panel.timeline_button.isEnabled()

    dialog = panel.issue_form()
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
    target = tmp_path / "form.pdf"
    dialog.selectFile(str(target))
    dialog.accept()
    protect_and_send(qtbot, panel, Role.AUDITOR)  # the form leaves encrypted and signed (issue 15)
    _wait_idle(qtbot, home)
    assert not panel.error_label.isVisible(), panel.error_label.text()
    assert target.exists() and target.read_bytes().startswith(b"%PDF")
    assert "Audit form #1 issued to demo.officer" in panel.result_label.text()

    qtbot.mouseClick(panel.timeline_button, Qt.MouseButton.LeftButton)  # everything this user did
    settle()
    assert panel.filters.username.text() == "demo.officer" and panel.filters.record_ref.text() == ""
    assert {model.entry_at(r).entry.username for r in range(model.rowCount())} == {"demo.officer"}  # type: ignore[union-attr]
    assert model.rowCount() > 1

    forms = home.forms_panel
    home.tabs.setCurrentWidget(forms)
    settle()
    assert forms.model.rowCount() == 1
    form = forms.model.row_at(0)
    assert (form.log_seq, form.subject, form.answer) == (entry.seq, "demo.officer", None)
    forms.select_form(form.id)
    assert forms.answer_button.isEnabled()
    note_dialog = forms.record_answer()
    assert note_dialog is not None and note_dialog.isVisible()
    answer = "I opened it for Operation Test One,\nto check the address before the briefing."
    qtbot.keyClicks(note_dialog.text, "too short")
    assert not note_dialog.ok_button.isEnabled()
    note_dialog.text.setPlainText(answer)
    qtbot.mouseClick(note_dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert not note_dialog.isVisible()
    assert forms.model.row_at(0).answer == answer
    assert forms.answer_view.toPlainText() == answer
    assert not forms.answer_button.isEnabled()  # answered once, for good
    assert "0 awaiting" in forms.summary.text()


def test_verify_runs_off_the_gui_thread_and_shows_intact(qtbot: QtBot, open_main: Opener) -> None:
    home = _auditor(open_main(Role.AUDITOR))
    bar = home.verify_bar
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    # The result comes back queued: until the event loop runs, the page shows it is busy.
    assert home.ops.busy and bar.busy_bar.isVisible() and not bar.button.isEnabled()
    assert not home.tabs.isEnabled() and bar.status.text() == "Checking the whole log…"
    _wait_idle(qtbot, home)
    result = bar.result
    assert result is not None and result.intact
    assert bar.status.text() == (f"Intact: {result.entries:,} entries, head {result.head_seq}:{result.head_hash[:16]}; "
                                 f"verification key {result.key_fingerprint}")
    assert len(result.key_fingerprint) == 24  # five groups of four hex digits the auditors can read to each other
    assert bar.status.property("state") == "intact"
    assert not bar.problems.isVisible() and home.tabs.isEnabled() and not bar.busy_bar.isVisible()


def test_a_damaged_log_reads_red_with_its_problems(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = ("entry 7: its MAC is wrong (forged or re-chained entry)", "entries 9 to 11 are missing")
    broken = VerifyResult(False, 40, 40, "ab" * 32, problems, 0.01)
    monkeypatch.setattr(gui_demo_app.audit, "verify", lambda ws, **_: broken)
    home = _auditor(open_main(Role.AUDITOR))
    home.verify_bar.verify()
    _wait_idle(qtbot, home)
    bar = home.verify_bar
    assert bar.status.property("state") == "broken"
    assert bar.status.text().startswith("NOT intact: 2 problems") and problems[0] in bar.status.text()
    assert bar.problems.isVisible() and bar.problems.toPlainText().splitlines() == list(problems)


def test_flags_find_a_record_opened_without_an_operation_and_jump_to_it(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    ref = _officer_opens(gui_demo_app)  # no operation reference
    home = _auditor(open_main(Role.AUDITOR))
    flags = home.flags_panel
    home.tabs.setCurrentWidget(flags)
    qtbot.mouseClick(flags.find_button, Qt.MouseButton.LeftButton)
    settle()
    labels = [flags.model.index(r, 0).data() for r in range(flags.model.rowCount())]
    assert FLAG_LABELS["no_operation"] in labels
    view_row = next(r for r in range(flags.proxy.rowCount())
                    if flags.flag_at(r).kind == "no_operation" and flags.flag_at(r).record_ref == ref)  # type: ignore[union-attr]
    flag = flags.flag_at(view_row)
    assert flag is not None and flag.username == "demo.officer"

    rect = flags.table.visualRect(flags.proxy.index(view_row, 0))
    qtbot.mouseClick(flags.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # as a person's first click
    qtbot.mouseDClick(flags.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle()
    assert home.tabs.currentWidget() is home.log_panel
    entry = home.log_panel.selected_entry()
    assert entry is not None and entry.seq == flag.seq and entry.entry.record_ref == ref
    assert home.log_panel.filters.record_ref.text() == ref

    flags.until.setDate(flags.since.date().addDays(-1))  # reversed: the service's message, inline
    flags.find_flags()
    settle()
    assert flags.error_label.text().startswith("The date range is reversed") and flags.model.rowCount() == 0


def test_exports_write_signed_files_and_an_unwritable_path_is_a_message(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, tmp_path: Path) -> None:
    home = _auditor(open_main(Role.AUDITOR))
    panel = home.log_panel
    panel.filters.username.setText("demo.admin")
    panel.filters.apply()
    settle()
    count = home.log_model.rowCount()
    assert home.log_model.complete and count > 0

    dialog = panel.export_csv()
    csv_path = tmp_path / "selection.csv"
    dialog.selectFile(str(csv_path))
    dialog.accept()
    _wait_idle(qtbot, home)
    assert csv_path.exists() and csv_path.with_name("selection.csv.sig").exists()
    assert check_signed_export(csv_path)[0]
    assert f"Exported {count} entries to {csv_path}" in panel.result_label.text()

    pdf_path = tmp_path / "pack.pdf"
    protect_and_send(qtbot, panel.export_pack_to(pdf_path), Role.AUDITOR)
    _wait_idle(qtbot, home)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert f"Audit pack of {count} entries saved to {pdf_path}" in panel.result_label.text()

    missing = tmp_path / "no-such-folder" / "x.csv"
    assert panel.export_csv_to(missing)
    _wait_idle(qtbot, home)
    assert panel.error_label.isVisible()
    assert panel.error_label.text() == f"Cannot write the export to {missing}: No such file or directory."
    assert not panel.result_label.isVisible() and home.tabs.isEnabled()  # nothing crashed; the page carries on


def test_monthly_audit_counts_a_bcus_month(qtbot: QtBot, open_main: Opener, gui_demo_app: App) -> None:
    _officer_opens(gui_demo_app)
    home = _auditor(open_main(Role.AUDITOR))
    monthly = home.monthly_panel
    home.tabs.setCurrentWidget(monthly)
    monthly.bcu.setCurrentIndex(monthly.bcu.findData("CE"))
    qtbot.mouseClick(monthly.show_button, Qt.MouseButton.LeftButton)
    settle()
    actions = {monthly.actions_model.row_at(r).action: monthly.actions_model.row_at(r).count
               for r in range(monthly.actions_model.rowCount())}
    assert actions["record.open"] >= 1
    users = [monthly.users_model.row_at(r).username for r in range(monthly.users_model.rowCount())]
    assert "demo.officer" in users
    assert monthly.summary.text().startswith("CE 2026-11: ") and "; 1 distinct records opened;" in monthly.summary.text()

    monthly.month.setText("2026-13")
    monthly.show_audit()
    settle()
    assert monthly.error_label.text() == "A month is YYYY-MM (got '2026-13')."
    assert monthly.actions_model.rowCount() == 0


def test_two_filters_asked_before_either_answers_leave_the_newer_one_on_screen(open_main: Opener) -> None:
    home = _auditor(open_main(Role.AUDITOR))
    model = home.log_model
    model.load(LogFilter(username="demo.officer"), errors=home.log_panel.filters.error_label)
    model.load(LogFilter(username="demo.admin"), errors=home.log_panel.filters.error_label)
    settle()
    assert model.filter is not None and model.filter.username == "demo.admin"
    assert {model.entry_at(r).entry.username for r in range(model.rowCount())} == {"demo.admin"}  # type: ignore[union-attr]


def test_the_log_names_actions_in_plain_words(qtbot: QtBot, open_main: Opener) -> None:
    """Issue 14, item 9: "Signed in", "Opened a record", never the code (which the details add in brackets)."""
    home = _auditor(open_main(Role.AUDITOR))
    model = home.log_model
    action_col = [key for key, _t, _s in COLUMNS].index("action")
    shown = {model.index(r, action_col).data() for r in range(model.rowCount())}
    assert "Signed in" in shown
    assert not any("." in text for text in shown)
    filters = home.log_panel.filters
    assert filters.action.findText("Opened a record") >= 0 and filters.action.findText("record.open") < 0


def test_the_flags_and_monthly_audit_tabs_show_the_current_month_on_arrival(qtbot: QtBot, open_main: Opener,
                                                                            gui_demo_app: App) -> None:
    """Issue 14, item 9: no empty tab waiting for a button; each reading is logged, as the button's is."""
    main = open_main(Role.AUDITOR)
    home = _auditor(main)
    today = gui_demo_app.env.clock.now().date()
    first = today.replace(day=1)
    assert home.flags_panel.summary.text() == ""  # nothing read before the tab is opened
    home.tabs.setCurrentWidget(home.flags_panel)
    settle()
    assert str(first) in home.flags_panel.summary.text() and str(today) in home.flags_panel.summary.text()
    home.tabs.setCurrentWidget(home.monthly_panel)
    settle()
    assert home.monthly_panel.month.text() == today.strftime("%Y-%m")
    assert home.monthly_panel.summary.text() != "" and home.monthly_panel.users_model.rowCount() > 0
