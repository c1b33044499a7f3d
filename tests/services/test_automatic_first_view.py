"""The list a home shows by itself is logged as such, and is not use of the matrix (issue 11, item 4).

The window asks `matrix.view(..., automatic=True)` when a home opens; the service decides what the
log says: the list and that view's first page of rows are marked AUTOMATIC_VIEW, which the
six-month rule passes over. Further pages (scrolled to), a search, an open still count as use, and
the monthly audit still counts the automatic rows as viewed: they were on screen.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.governance import AUTOMATIC_VIEW
from gvm_desktop.core.policy import Role
from gvm_desktop.core.record_use import UseCounts
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
OFFICER = ACC[Role.OFFICER]
REFUSAL = r"withdrawn because you have not used it for six months; your BCU's SPOC can restore it\."
DAY_100 = timedelta(days=100)


def sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def _details(ws: Workspace, action: str) -> list[str]:
    return [r[0] for r in conn_of(ws).execute("SELECT detail FROM access_log WHERE action = ? AND username = ? ORDER BY seq",
                                          (action, OFFICER.username))]


def test_the_automatic_list_and_its_first_page_are_marked_other_pages_and_searches_are_not(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    view = demo_app.matrix.view(officer, automatic=True)
    assert view.automatic and len(view.ids) >= 4
    demo_app.matrix.rows(officer, view, view.ids[:2])  # the first page, painted as the home opens
    demo_app.matrix.rows(officer, view, view.ids[2:4])  # the next page: scrolled to
    searched = demo_app.matrix.view(officer, query="a", automatic=True)  # a search is never the application's doing
    assert not searched.automatic
    demo_app.matrix.rows(officer, searched, searched.ids[:1])

    lists, rows = _details(officer, "matrix.list"), _details(officer, "matrix.rows")
    assert lists[0] == f"{AUTOMATIC_VIEW}: {len(view.ids)} people; no search text"
    assert not lists[1].startswith(AUTOMATIC_VIEW) and "1 word(s)" in lists[1]
    assert rows[0].startswith(f"{AUTOMATIC_VIEW}: 2 rows N-")
    assert not rows[1].startswith(AUTOMATIC_VIEW) and not rows[2].startswith(AUTOMATIC_VIEW)

    # Still records shown: the monthly audit counts all five rows as viewed, the automatic two included.
    audit = demo_app.governance.monthly_audit(sign_in(demo_app, Role.SPOC), "CE", "2026-11")
    assert {(u.username, u.bcu): u.counts for u in audit.by_user}[(OFFICER.username, "CE")] == UseCounts(viewed=5)


@pytest.mark.parametrize("scrolled", [False, True])
def test_only_the_automatic_first_view_leaves_the_six_months_running(demo_app: App, clock: ManualClock,
                                                                    scrolled: bool) -> None:
    clock.advance(DAY_100)
    officer = sign_in(demo_app, Role.OFFICER)
    view = demo_app.matrix.view(officer, automatic=True)
    demo_app.matrix.rows(officer, view, view.ids[:2])
    if scrolled:
        demo_app.matrix.rows(officer, view, view.ids[2:4])  # scrolling on is use
    demo_app.auth.sign_out(officer)
    clock.advance(DAY_100)  # 200 days after the grant, 100 after the session
    if scrolled:
        demo_app.auth.sign_out(sign_in(demo_app, Role.OFFICER))
    else:
        with pytest.raises(PermissionDenied, match=REFUSAL):
            sign_in(demo_app, Role.OFFICER)
