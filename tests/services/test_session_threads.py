"""Two threads through one workspace at once (a lazy page fetch and a review-sheet export): they take
turns on the one connection, never overlap inside it, and the access log stays intact."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import unit
from tests.services.test_review_export import PDF_PASSWORD, _signed_review
from tests.services.test_reviews import SPOC, sign_in
from tests.support.vault_access import vault_of

AUDITOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.AUDITOR)


def _spy_on_operations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float, float]]:
    """Record (thread, entered, left) for every outermost operation, measured inside the session's lock."""
    spans: list[tuple[int, float, float]] = []
    real = Workspace.operation

    @contextmanager
    def spied(self: Workspace, *args: object, **kwargs: object) -> Iterator[object]:
        with real(self, *args, **kwargs) as op:  # type: ignore[arg-type]
            outermost = op._root is op
            entered = time.perf_counter()
            try:
                yield op
            finally:
                if outermost:
                    spans.append((threading.get_ident(), entered, time.perf_counter()))

    monkeypatch.setattr(Workspace, "operation", spied)
    return spans


def test_a_page_fetch_and_an_export_on_one_workspace_take_turns(
    demo_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    review_id, _refs, _removed = _signed_review(demo_app)
    ws = sign_in(demo_app, SPOC)
    view = demo_app.matrix.view(ws)
    assert len(view.ids) >= 3
    log_before = unit.reading(vault_of(ws)).log.count()
    spans = _spy_on_operations(monkeypatch)

    errors: list[BaseException] = []
    pages: list[int] = []
    exported: list[object] = []
    start = threading.Barrier(2)

    def fetch_pages() -> None:
        try:
            start.wait()
            for i in range(40):
                ids = view.ids[i % (len(view.ids) - 2):][:3]  # a page of three, as a table scrolls
                pages.append(len(demo_app.matrix.rows(ws, view, ids)))
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    def export() -> None:
        try:
            start.wait()
            exported.append(demo_app.reports.export_review(
                ws, review_id, tmp_path / "sheet.pdf", account_password=SPOC.password, pdf_password=PDF_PASSWORD))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fetch_pages), threading.Thread(target=export)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert pages == [3] * 40 and len(exported) == 1

    # Both threads really worked at once, and never inside the connection together.
    threads_seen = {thread for thread, _, _ in spans}
    assert len(threads_seen) == 2
    ordered = sorted(spans, key=lambda s: s[1])
    for (_, _, left), (_, entered, _) in itertools.pairwise(ordered):
        assert entered >= left, "two operations overlapped on one connection"

    # Every fetch and the export are in the log, and the chain verifies.
    store = unit.reading(vault_of(ws))
    added = store.log.count() - log_before
    actions = [e.entry.action for e in store.log.recent(added)]  # before the auditor adds entries of their own
    assert actions.count(Action.MATRIX_ROWS) == 40 and Action.REVIEW_EXPORT in actions
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    assert demo_app.audit.verify(auditor).intact
