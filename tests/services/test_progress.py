"""Slow work says how far it is: verification after each chunk of the log, a CSV export per page read, a purge
per step. Each report is (done, total); done only grows, and the last report is the whole."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import Role
from gvm_desktop.services import log_export
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import log_chain
from tests.services.test_removal_scan import ADMIN
from tests.services.test_retention_preview import _a_signed_review_and_a_removal
from tests.support.vault_access import conn_of, vault_of

AUDITOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.AUDITOR)
SMALL_CHUNK = 3  # the demo's log is a few dozen entries: many chunks, as ten million are at 10,000


Reports = list[tuple[int, int]]


def _recorder() -> tuple[Reports, log_chain.Progress]:
    heard: Reports = []
    return heard, lambda done, total: heard.append((done, total))


def _grows_to_the_whole(heard: Reports) -> None:
    assert len(heard) > 1
    dones = [done for done, _total in heard]
    assert dones == sorted(dones) and len(set(dones)) == len(dones)  # each report is further on
    assert len({total for _done, total in heard}) == 1
    assert heard[-1][0] == heard[-1][1] > 0


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert log_chain.verify.__kwdefaults__ is not None
    monkeypatch.setitem(log_chain.verify.__kwdefaults__, "chunk", SMALL_CHUNK)


def test_verification_reports_each_chunk_up_to_the_whole_log(demo_app: App, small_chunks: None) -> None:
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    heard, progress = _recorder()
    result = demo_app.audit.verify(auditor, progress=progress)
    assert result.intact
    _grows_to_the_whole(heard)
    assert heard[-1] == (result.entries, result.entries)  # a sound log: sequence numbers are its entries
    assert len(heard) == -(-result.entries // SMALL_CHUNK)  # once a chunk, never more


def test_the_python_walk_reports_as_the_compiled_one_does(demo_app: App) -> None:
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    key0 = vault_of(auditor).log_key0
    assert key0 is not None
    native, native_progress = _recorder()
    python, python_progress = _recorder()
    log_chain.verify(conn_of(auditor), key0, chunk=SMALL_CHUNK, progress=native_progress)
    log_chain.verify(conn_of(auditor), key0, chunk=SMALL_CHUNK, native=False, progress=python_progress)
    _grows_to_the_whole(python)
    assert python == native


def test_a_fault_the_python_walk_describes_never_takes_the_percentage_back(demo_app: App) -> None:
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    key0 = vault_of(auditor).log_key0
    assert key0 is not None
    conn = conn_of(auditor)
    (last,) = conn.execute("SELECT max(seq) FROM access_log").fetchone()
    # Tampering late in the log: the compiled walk reports most of it, then the Python walk walks it all again.
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_update")
    conn.execute("UPDATE access_log SET detail = 'rewritten' WHERE seq = ?", (last - 3,))
    heard, progress = _recorder()
    report = log_chain.verify(conn, key0, chunk=SMALL_CHUNK, progress=progress)
    assert not report.intact
    dones = [done for done, _total in heard]
    assert dones == sorted(dones) and dones[-1] >= last - 3 - SMALL_CHUNK


def test_a_csv_export_reports_each_page_read(demo_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_export, "_SELECTION_PAGE", 5)
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    heard, progress = _recorder()
    result = demo_app.exports.export_csv(auditor, LogFilter(), tmp_path / "all.csv", progress=progress)
    assert result.entries > 3 * 5
    _grows_to_the_whole(heard)


def test_an_audit_pack_reports_each_page_read(demo_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_export, "_SELECTION_PAGE", 5)
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    heard, progress = _recorder()
    count = demo_app.forms.export_pack(auditor, LogFilter(), tmp_path / "pack.pdf", progress,
                                       account_password=AUDITOR.password, pdf_password="copper-kettle-review-2026")
    assert count > 3 * 5 and (tmp_path / "pack.pdf").exists()
    _grows_to_the_whole(heard)


def test_a_purge_reports_each_step_up_to_the_compaction(demo_app: App, clock: ManualClock) -> None:
    _a_signed_review_and_a_removal(demo_app)
    clock.advance(timedelta(days=4 * 365 + 1))
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    preview = demo_app.retention.preview(admin)
    heard, progress = _recorder()
    purged = demo_app.retention.purge(admin, progress=progress)
    assert (purged.archive, purged.reviews) == (preview.archive, len(preview.reviews)) and purged.reviews == 1
    # The archive's rows, the one signing day's review, the commit, the compaction.
    assert heard == [(1, 4), (2, 4), (3, 4), (4, 4)]

    nothing_left, progress = _recorder()
    demo_app.retention.purge(admin, progress=progress)
    assert nothing_left == [(1, 3), (2, 3), (3, 3)]  # no review day; the compaction step is skipped, and said done
