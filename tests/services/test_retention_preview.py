"""The retention purge's preview: what the purge would remove now, by reference and count, with the purge's own cutoffs;
only the administrator may ask, and a refusal is logged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.services.test_removal_scan import ADMIN, OFFICER, SPOC, add_marked_person, decide_all, sign_in
from tests.support.vault_access import conn_of

SIGNED_ON = date(2026, 11, 2)  # ManualClock's start
REMOVAL = "Not seen with the group for over a year and no current intelligence links them to it."


def _a_signed_review_and_a_removal(app: App) -> int:
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    decide_all(app, officer, spoc, review.id)
    app.reviews.sign(spoc, review.id, SPOC.password)
    ref = add_marked_person(app, officer, spoc)
    app.changes.propose_removal(officer, ref, REMOVAL)
    app.changes.approve_removal(spoc, ref, "Agreed: remove; nothing current supports inclusion.")
    for ws in (officer, spoc):
        app.auth.sign_out(ws)
    return review.id


def test_the_preview_lists_exactly_what_the_purge_then_removes(demo_app: App, clock: ManualClock) -> None:
    review_id = _a_signed_review_and_a_removal(demo_app)
    clock.advance(timedelta(days=4 * 365 - 1))  # one day short of four years: nothing is due yet
    admin = sign_in(demo_app, ADMIN)
    nothing = demo_app.retention.preview(admin)
    assert nothing.empty and nothing.years == 4
    assert demo_app.retention.purge(admin).archive == 0

    clock.advance(timedelta(days=2))
    preview = demo_app.retention.preview(admin)
    archived = conn_of(admin).execute("SELECT bcu, count(*) FROM archive GROUP BY bcu ORDER BY bcu").fetchall()
    assert preview.archive_by_bcu == dict(archived) and preview.archive_by_bcu["CE"] >= 1  # the demo's and ours
    assert [(r.id, r.bcu, r.signed_on, r.due_on) for r in preview.reviews] == [
        (review_id, "CE", SIGNED_ON, date(2030, 11, 2))]
    head = conn_of(admin).execute("SELECT max(seq) FROM access_log").fetchone()[0]
    assert demo_app.retention.preview(admin) == preview  # asking again changes nothing, and logs nothing
    assert conn_of(admin).execute("SELECT max(seq) FROM access_log").fetchone()[0] == head

    due_refs = {r.ref for r in preview.archive_rows}
    assert all(r.due_on <= preview.today for r in preview.archive_rows)
    purged = demo_app.retention.purge(admin)
    assert (purged.archive, purged.reviews) == (preview.archive, len(preview.reviews))
    left = {r[0] for r in conn_of(admin).execute("SELECT ref FROM archive")}
    assert due_refs and not due_refs & left  # exactly the references listed went
    assert demo_app.retention.preview(admin).empty


def test_the_preview_is_refused_to_anyone_but_an_administrator_and_the_refusal_logged(demo_app: App) -> None:
    for account in DEMO_ACCOUNTS:
        if account.role is Role.ADMIN:
            continue
        ws = demo_app.auth.sign_in(account.username, account.password)
        with pytest.raises(PermissionDenied):
            demo_app.retention.preview(ws)
        last = conn_of(ws).execute("SELECT action, outcome FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
        assert tuple(last) == ("retention.purge", "refused")
