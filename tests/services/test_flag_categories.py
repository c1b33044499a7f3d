"""The "no linked operation" flag: the workflow's own reasons (the quarterly review, a SPOC deciding a proposal)
are not flagged when the workflow was real; reasons that would normally have an operation still are."""

from __future__ import annotations

from datetime import timedelta

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.evidence import SourceType
from gvm_desktop.core.justification import Justification, ReasonCategory
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation, Verdict
from gvm_desktop.services.context import Workspace
from tests.services.test_matrix_flow import TODAY, evidence, person, sign_in
from tests.support.vault_access import conn_of

TO_DECIDE = "Reading the evidence before deciding on the proposal"
FOR_REVIEW = "Preparing my recommendation for the quarterly review"


def _no_operation(app: App) -> dict[tuple[str | None, str | None], str]:
    """(record, user) -> detail of every "no linked operation" flag today."""
    flags = app.log.flags(sign_in(app, Role.AUDITOR), TODAY, TODAY)
    return {(f.record_ref, f.username): f.detail for f in flags if f.kind == "no_operation"}


def _categories(ws: Workspace, action: str) -> set[str | None]:
    return {r[0] for r in conn_of(ws).execute("SELECT reason_category FROM access_log WHERE action = ?", (action,))}


def _active(ws: Workspace, n: int) -> list[str]:
    return [r[0] for r in conn_of(ws).execute(
        "SELECT ref FROM nominals WHERE bcu = 'CE' AND status = 'active' ORDER BY id LIMIT ?", (n,))]


def test_a_spoc_approval_and_the_review_raise_no_flag_but_an_unlinked_read_still_does(
        demo_app: App, clock: ManualClock) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    spoc = sign_in(demo_app, Role.SPOC)
    officer_name, spoc_name = officer.session.username, spoc.session.username
    corroborated = [evidence(SourceType.POLICE), evidence(SourceType.COMMUNITY, grade="2CC")]
    approved = demo_app.changes.propose(officer, person(), evidence=corroborated,
                                        reason="Linked to two synthetic incidents this year.")
    rejected = demo_app.changes.propose(officer, person(given_name="Ottilie", family_name="Brackwater-Testcase"),
                                        evidence=[evidence(SourceType.POLICE)],
                                        reason="One synthetic report of association only.")

    # The SPOC reads each proposal to decide it, decides, and the record view reads it again afterwards.
    deciding = Justification.make("proposal_decision", TO_DECIDE)
    for ref in (approved, rejected):
        clock.advance(60)
        demo_app.records.open(spoc, ref, deciding)
    clock.advance(60)
    demo_app.changes.approve_addition(spoc, approved, "Approved after reading both graded entries.")
    demo_app.records.open(spoc, approved, deciding)
    demo_app.changes.reject_addition(spoc, rejected, "Rejected: one source is not corroboration.")

    # The quarter's review opened at the first sign-in: the officer reads people for it; the SPOC decides one.
    review = demo_app.reviews.find(officer)
    assert review is not None and review.signed_at is None
    in_review, unlinked, idle, browsed = _active(officer, 4)
    demo_app.records.open(officer, in_review, Justification.make("quarterly_review", FOR_REVIEW))
    demo_app.reviews.recommend(officer, review.id, in_review, Recommendation.REMOVE,
                               "No longer meets the criteria at all.")
    demo_app.reviews.decide(spoc, review.id, in_review, Verdict.AGREE)

    # Reasons that would normally carry an operation are still flagged, and so is a workflow reason that does
    # not hold: a SPOC "deciding" a record with nothing to decide, an officer (who decides nothing), a "review"
    # read that led to no recommendation, an auditor "reviewing" outside any review of theirs.
    demo_app.records.open(officer, unlinked, Justification.make("intelligence_development",
                                                                "Building a picture of the group's associates"))
    demo_app.records.open(spoc, idle, deciding)
    demo_app.records.open(officer, idle, deciding)
    demo_app.records.open(officer, browsed, Justification.make("quarterly_review", FOR_REVIEW))
    auditor = sign_in(demo_app, Role.AUDITOR)
    demo_app.records.history(auditor, idle, Justification.make("quarterly_review", FOR_REVIEW))

    flagged = _no_operation(demo_app)
    assert set(flagged) == {(unlinked, officer_name), (idle, spoc_name), (idle, officer_name),
                            (browsed, officer_name), (idle, auditor.session.username)}
    assert flagged[(unlinked, officer_name)] == "no operation reference given"
    assert "proposal decision" in flagged[(idle, spoc_name)] and "within 7 days" in flagged[(idle, spoc_name)]
    assert "no review of their BCU was under way" in flagged[(idle, auditor.session.username)]
    assert "no recommendation or decision on this record followed" in flagged[(browsed, officer_name)]

    # The workflow's own log entries carry its category.
    proposal, review_reason = ReasonCategory.PROPOSAL_DECISION.value, ReasonCategory.QUARTERLY_REVIEW.value
    assert _categories(spoc, "matrix.approve_add") == {proposal}
    assert _categories(spoc, "matrix.reject_add") == {proposal}
    assert _categories(spoc, "review.open") == {review_reason}
    assert _categories(spoc, "review.verdict") == {review_reason}


def test_a_decision_a_week_later_is_no_longer_the_reason_for_an_open(demo_app: App, clock: ManualClock) -> None:
    officer, spoc = sign_in(demo_app, Role.OFFICER), sign_in(demo_app, Role.SPOC)
    ref = demo_app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE)],
                                   reason="Linked to two synthetic incidents this year.")
    demo_app.records.open(spoc, ref, Justification.make("proposal_decision", TO_DECIDE))
    clock.advance(timedelta(days=8))
    spoc = sign_in(demo_app, Role.SPOC)
    demo_app.changes.reject_addition(spoc, ref, "Rejected: one source is not corroboration.")
    assert set(_no_operation(demo_app)) == {(ref, spoc.session.username)}
