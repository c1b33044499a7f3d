"""The monthly audit counts no record viewed for a review's rationale check (issue 11, item 5, as a reviewer found it).

Before sign-off the SPOC is shown which people kept share one rationale: references and the
wording, nobody's record. It is logged as reading the review (review.read, "rationale check, N
shared by M people"), and was counted as one record viewed each time: once per sign-off dialog
or `review sign`, for a check that may have shown nothing at all. Reading the review's list
counts its people; the check adds none.
"""

from __future__ import annotations

from gvm_desktop.app import App
from gvm_desktop.core.record_use import UseCounts, shown_count
from gvm_desktop.core.review import Recommendation
from gvm_desktop.services.context import Workspace
from tests.services.test_reviews import COVERS_EVERY_FLAG, OFFICER, SPOC, sign_in
from tests.support.vault_access import conn_of

MONTH = "2026-11"


def _spocs_uses(app: App, spoc: Workspace) -> UseCounts:
    audit = app.governance.monthly_audit(spoc, "CE", MONTH)
    return {(u.username, u.bcu): u.counts for u in audit.by_user}.get((SPOC.username, "CE"), UseCounts())


def test_the_rationale_check_counts_no_record_viewed(demo_app: App) -> None:
    officer, spoc = sign_in(demo_app, OFFICER), sign_in(demo_app, SPOC)
    review = demo_app.reviews.find(spoc)  # opened at the quarter's first sign-in
    assert review is not None
    items = demo_app.reviews.items(spoc, review.id)  # the SPOC reads the review: one view per person listed
    assert len(items) >= 3
    assert _spocs_uses(demo_app, spoc) == UseCounts(viewed=len(items))

    assert demo_app.reviews.rationale_warnings(spoc, review.id) == ()  # a check that showed nothing...
    assert _spocs_uses(demo_app, spoc) == UseCounts(viewed=len(items))  # ...viewed nothing

    for item in items[:3]:  # one rationale for three people: now the check shows their references
        demo_app.reviews.recommend(officer, review.id, item.ref, Recommendation.RETAIN, COVERS_EVERY_FLAG)
    for _ in range(2):  # the sign-off dialog, then `review sign`, each ask again
        assert len(demo_app.reviews.rationale_warnings(spoc, review.id)) == 1
    assert _spocs_uses(demo_app, spoc) == UseCounts(viewed=len(items))

    checks = [r[0] for r in conn_of(spoc).execute("SELECT detail FROM access_log WHERE action = 'review.read' "
                                              "AND detail LIKE '%rationale check%' ORDER BY seq")]
    assert len(checks) == 3 and checks[-1].endswith("rationale check, 1 shared by 3 people")  # still logged
    assert [shown_count("review.read", d) for d in checks] == [0, 0, 0]
    assert shown_count("review.read", f"CE {review.quarter}: {len(items)} people") == len(items)
