"""The auditors' workspace at the service layer: filters, pages, flags, signed exports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import Role
from gvm_desktop.services.log_export import check_signed_export
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database, log_chain
from gvm_desktop.store.log_chain import LogChainRepository
from gvm_desktop.store.repository import bound
from tests.support.vault_access import conn_of, vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
TODAY = date(2026, 11, 2)
NO_OP = Justification.make("safeguarding", "Welfare check after a referral")
WITH_OP = Justification.make("linked_operation", "Briefing for a planned operation", "Op DEMO/26")


def sign_in(app: App, role: Role):
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def ce_refs(app: App, ws, n: int) -> list[str]:
    return [r[0] for r in conn_of(ws).execute(
        "SELECT ref FROM nominals WHERE bcu='CE' AND status='active' ORDER BY id LIMIT ?", (n,))]


def test_filters_pages_and_their_validation(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    refs = ce_refs(demo_app, officer, 3)
    for ref in refs:
        demo_app.records.open(officer, ref, WITH_OP)
    auditor = sign_in(demo_app, Role.AUDITOR)
    page = demo_app.log.search(auditor, LogFilter(username=ACC[Role.OFFICER].username, actions=("record.open",)))
    assert [e.entry.record_ref for e in page.entries] == refs[::-1] and page.next_before is None
    one = demo_app.log.search(auditor, LogFilter(record_ref=refs[1].lower()))
    assert [e.entry.record_ref for e in one.entries] == [refs[1]]
    first = demo_app.log.search(auditor, LogFilter(), limit=5)
    second = demo_app.log.search(auditor, LogFilter(), before_seq=first.next_before, limit=5)
    assert first.next_before and max(e.seq for e in second.entries) < min(e.seq for e in first.entries)
    by_reason = demo_app.log.search(auditor, LogFilter(reason_category="linked_operation", since=TODAY, until=TODAY))
    assert len(by_reason.entries) == 3
    for bad, error, message in [
        (LogFilter(username="ghost.user"), NotFound, "no account 'ghost.user'"),
        (LogFilter(since=TODAY, until=TODAY - timedelta(days=1)), ValidationError, "date range is reversed"),
        (LogFilter(actions=("record.open", "'; DROP TABLE access_log;--")), ValidationError, "Unknown action"),
        (LogFilter(record_ref="x" * 10_000), ValidationError, "at most 30 characters"),
        (LogFilter(username="u" * 10_000), ValidationError, "at most 40 characters"),
        (LogFilter(outcome="maybe"), ValidationError, "allowed, refused or failed"),
    ]:
        with pytest.raises(error, match=message):
            demo_app.log.search(auditor, bad)
    with pytest.raises(PermissionDenied):
        demo_app.log.search(officer, LogFilter())


def test_flags_for_patterns_worth_a_look(demo_app: App, clock: ManualClock) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    refs = ce_refs(demo_app, officer, 5)  # the small demo BCU: flag bursts of more than 3 here
    for ref in refs:  # a burst: many different records inside the hour
        clock.advance(60)
        demo_app.records.open(officer, ref, NO_OP)
    other = conn_of(officer).execute("SELECT ref FROM person_index WHERE bcu <> 'CE' LIMIT 1").fetchone()[0]
    with pytest.raises(NotFound):
        demo_app.records.open(officer, other, NO_OP)
    demo_app.changes.approve_removal(sign_in(demo_app, Role.SPOC), refs[0], "Synthetic: removed for the flags test.")
    auditor = sign_in(demo_app, Role.AUDITOR)
    flags = demo_app.log.flags(auditor, TODAY, TODAY, burst_records=3)
    kinds = {f.kind for f in flags}
    assert kinds == {"no_operation", "burst", "outside_bcu", "removed_since"}
    assert sum(f.kind == "no_operation" for f in flags) == len(refs)
    assert [f.record_ref for f in flags if f.kind == "removed_since"] == [refs[0]]
    assert [f.record_ref for f in flags if f.kind == "outside_bcu"] == [other]
    with pytest.raises(ValidationError, match="reversed"):
        demo_app.log.flags(auditor, TODAY, TODAY - timedelta(days=1))


def test_signed_csv_export_verifies_and_any_change_shows(demo_app: App, tmp_path: Path) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    for ref in ce_refs(demo_app, officer, 2):
        demo_app.records.open(officer, ref, Justification.make("other", "=HYPERLINK(\"x\") formula-looking text"))
    auditor = sign_in(demo_app, Role.AUDITOR)
    out = tmp_path / "opens.csv"
    result = demo_app.exports.export_csv(auditor, LogFilter(actions=("record.open",)), out)
    assert result.entries == 2 and out.exists() and result.signature_path.exists()
    text = out.read_text()
    assert "'=HYPERLINK" in text  # a formula is kept as text, not run by a spreadsheet
    ok, why = check_signed_export(out)
    assert ok, why
    out.write_text(text.replace("record.open", "record.opem", 1))
    assert check_signed_export(out) == (False, "the CSV was changed after it was signed")
    with pytest.raises(OSError):
        demo_app.exports.export_csv(auditor, LogFilter(), tmp_path / "no-such-folder" / "x.csv")
    assert not (tmp_path / "no-such-folder").exists()
    with pytest.raises(PermissionDenied):
        demo_app.exports.export_csv(sign_in(demo_app, Role.PARTNER), LogFilter(), tmp_path / "p.csv")


def _actions(ws) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn_of(ws).execute("SELECT action, outcome FROM access_log ORDER BY seq")]


def test_a_question_is_logged_once_and_its_later_pages_are_plain_reads(demo_app: App) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    before = _actions(auditor)
    first = demo_app.log.search(auditor, LogFilter(), limit=2)
    assert _actions(auditor) == [*before, ("access_log.search", "allowed")]
    demo_app.log.search(auditor, LogFilter(), before_seq=first.next_before, limit=2)
    assert _actions(auditor) == [*before, ("access_log.search", "allowed")]


def test_an_export_logs_itself_once_and_a_failed_one_says_it_failed(demo_app: App, tmp_path: Path) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    before = _actions(auditor)
    demo_app.exports.export_csv(auditor, LogFilter(actions=("auth.sign_in",)), tmp_path / "ok.csv")
    assert _actions(auditor) == [*before, ("access_log.export", "allowed")]
    with pytest.raises(OSError):
        demo_app.exports.export_csv(auditor, LogFilter(), tmp_path / "missing" / "x.csv")
    assert _actions(auditor) == [*before, ("access_log.export", "allowed"), ("access_log.export", "failed")]
    detail = conn_of(auditor).execute("SELECT detail FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert detail == "signed CSV (everything) not written to x.csv"


def test_verification_holds_no_write_lock_while_it_walks_the_log(demo_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """At ten million entries the walk takes seconds: writers elsewhere must not wait for it."""
    auditor = sign_in(demo_app, Role.AUDITOR)
    key = bytes(vault_of(auditor)._key)
    walked: list[bool] = []

    def verify_then_try_a_write(conn: database.Connection, key0: bytes, *, stop_after: int = 20,
                                native: bool = True) -> log_chain.ChainReport:
        other = database.connect(demo_app.paths.database, key)
        try:
            other.execute("PRAGMA busy_timeout = 0")
            other.execute("BEGIN IMMEDIATE")  # fails at once if the check held the write lock
            other.execute("ROLLBACK")
        finally:
            other.close()
        walked.append(True)
        return log_chain.verify(conn, key0, stop_after=stop_after, native=native)

    monkeypatch.setattr(LogChainRepository, "verify", bound(verify_then_try_a_write))
    assert demo_app.audit.verify(auditor).intact and walked == [True]
    assert _actions(auditor)[-1] == ("access_log.verify", "allowed")


def test_a_later_page_of_a_question_never_asked_is_logged_as_a_question(demo_app: App) -> None:
    """Through Python an auditor could ask for "the page before entry 10**18" and page through the whole log
    unseen: a later page counts as a plain read only for a question this session asked (and logged) first."""
    auditor = sign_in(demo_app, Role.AUDITOR)
    before = _actions(auditor)
    demo_app.log.search(auditor, LogFilter(username="demo.admin"), before_seq=10**18, limit=50)
    assert _actions(auditor) == [*before, ("access_log.search", "allowed")]


def test_a_signed_csv_never_stands_under_its_name_without_its_log_entry(demo_app: App, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after both files are written but before the commit leaves no export behind, under any name."""
    from gvm_desktop.services import log_export

    auditor = sign_in(demo_app, Role.AUDITOR)
    before = _actions(auditor)
    real = log_export.remember_export_key

    def crash(store, public):  # type: ignore[no-untyped-def]
        real(store, public)
        raise RuntimeError("crash before the commit")

    monkeypatch.setattr(log_export, "remember_export_key", crash)
    out = tmp_path / "exports"
    out.mkdir()
    with pytest.raises(RuntimeError):
        demo_app.exports.export_csv(auditor, LogFilter(), out / "log.csv")
    assert list(out.iterdir()) == []
    assert _actions(auditor) == before
