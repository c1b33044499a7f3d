"""The quarterly review through the services: open, recommend, decide, sign, and what signing does."""

from __future__ import annotations

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import AuthenticationError, NotFound, PermissionDenied, UndecidedError, ValidationError
from gvm_desktop.core.review import FocusFlag, Recommendation, Verdict
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database
from tests.support.vault_access import conn_of

OFFICER, SPOC, _AUDITOR, _PARTNER, ADMIN = DEMO_ACCOUNTS
COVERS_EVERY_FLAG = ("Retained after review: green band and zero harm score considered, corroborating intelligence "
                     "checked, custody and age (under 18 safeguarding) considered; still active in the gang.")


def sign_in(app: App, who: object) -> Workspace:
    return app.auth.sign_in(who.username, who.password)  # type: ignore[attr-defined]


def decide_all(app: App, officer: Workspace, spoc: Workspace, review_id: int, *, remove: set[str] = frozenset(),
               skip: set[str] = frozenset()) -> list[str]:
    refs = [i.ref for i in app.reviews.items(officer, review_id)]
    for ref in refs:
        if ref in skip:
            continue
        if ref in remove:
            app.reviews.recommend(officer, review_id, ref, Recommendation.REMOVE, "No longer meets the criteria at all.")
        else:
            app.reviews.recommend(officer, review_id, ref, Recommendation.RETAIN, COVERS_EVERY_FLAG)
        app.reviews.decide(spoc, review_id, ref, Verdict.AGREE)
    return refs


def test_first_sign_in_of_the_quarter_opens_the_review_with_everyone_active(demo_app: App) -> None:
    officer = sign_in(demo_app, OFFICER)
    summary = demo_app.reviews.find(officer)
    assert summary is not None and summary.quarter == "2026Q4" and summary.bcu == "CE" and not summary.signed_at
    active = conn_of(officer).execute("SELECT count(*) FROM nominals WHERE bcu = 'CE' AND status = 'active'").fetchone()[0]
    assert summary.people == active > 0
    actions = [r[0] for r in conn_of(officer).execute("SELECT action FROM access_log WHERE action = 'review.open'")]
    assert actions == ["review.open"]
    # A second sign-in opens nothing more.
    demo_app.auth.sign_out(officer)
    again = sign_in(demo_app, SPOC)
    assert len(demo_app.reviews.list(again)) == 1


def test_focus_flags_follow_the_facts(demo_app: App) -> None:
    officer = sign_in(demo_app, OFFICER)
    review = demo_app.reviews.find(officer)
    assert review is not None
    items = demo_app.reviews.items(officer, review.id)
    assert items  # the loop below must have people to check
    for item in items:
        assert (FocusFlag.GREEN_BAND in item.flags) == (item.harm_band == "Green")
        assert (FocusFlag.ZERO_HARM in item.flags) == (item.harm_score == 0)
        assert (FocusFlag.UNDER_18 in item.flags) == (item.age < 18)


def test_a_flagged_person_needs_a_rationale_that_addresses_the_flag(demo_app: App) -> None:
    officer = sign_in(demo_app, OFFICER)
    review = demo_app.reviews.find(officer)
    assert review is not None
    flagged = next(i for i in demo_app.reviews.items(officer, review.id) if FocusFlag.GREEN_BAND in i.flags)
    with pytest.raises(ValidationError, match="at least 20 characters"):
        demo_app.reviews.recommend(officer, review.id, flagged.ref, Recommendation.RETAIN, "still active")
    with pytest.raises(ValidationError, match="Green band"):
        demo_app.reviews.recommend(officer, review.id, flagged.ref, Recommendation.RETAIN,
                                   "Still active in the group according to the team, keep as is.")
    demo_app.reviews.recommend(officer, review.id, flagged.ref, Recommendation.REMOVE,
                               "Nothing recent: the criteria are not met.")


def test_only_the_spoc_decides_and_an_override_needs_a_reason(demo_app: App) -> None:
    officer, spoc = sign_in(demo_app, OFFICER), sign_in(demo_app, SPOC)
    review = demo_app.reviews.find(officer)
    assert review is not None
    ref = demo_app.reviews.items(officer, review.id)[0].ref
    demo_app.reviews.recommend(officer, review.id, ref, Recommendation.RETAIN, COVERS_EVERY_FLAG)
    with pytest.raises(PermissionDenied):
        demo_app.reviews.decide(officer, review.id, ref, Verdict.AGREE)
    with pytest.raises(ValidationError, match="override needs a reason"):
        demo_app.reviews.decide(spoc, review.id, ref, Verdict.OVERRIDE, decision=Recommendation.REMOVE, reason="no")
    demo_app.reviews.decide(spoc, review.id, ref, Verdict.OVERRIDE, decision=Recommendation.REMOVE,
                            reason="The intelligence relied on is older than the policy's window.")
    item = next(i for i in demo_app.reviews.items(spoc, review.id) if i.ref == ref)
    assert item.verdict is Verdict.OVERRIDE and item.decision is Recommendation.REMOVE


def test_sign_off_refuses_undecided_and_wrong_passwords_then_carries_out_removals(demo_app: App) -> None:
    officer, spoc = sign_in(demo_app, OFFICER), sign_in(demo_app, SPOC)
    review = demo_app.reviews.find(officer)
    assert review is not None
    refs = [i.ref for i in demo_app.reviews.items(officer, review.id)]
    to_remove, left = refs[0], refs[1]
    decide_all(demo_app, officer, spoc, review.id, remove={to_remove}, skip={left})
    with pytest.raises(UndecidedError) as refused:
        demo_app.reviews.sign(spoc, review.id, SPOC.password)
    assert refused.value.refs == [left] and left in str(refused.value)
    demo_app.reviews.recommend(officer, review.id, left, Recommendation.RESCORE, "Rescore under the current policy.")
    demo_app.reviews.decide(spoc, review.id, left, Verdict.AGREE)
    with pytest.raises(AuthenticationError, match="nothing was signed"):
        demo_app.reviews.sign(spoc, review.id, "not-the-password-at-all")
    assert demo_app.reviews.find(spoc).signed_at is None  # type: ignore[union-attr]
    assert conn_of(spoc).execute("SELECT status FROM nominals WHERE ref = ?", (to_remove,)).fetchone() == ("active",)

    assert demo_app.reviews.sign(spoc, review.id, SPOC.password) == 1
    signed = demo_app.reviews.find(spoc)
    assert signed is not None and signed.signed_at and signed.signed_by == SPOC.username
    assert conn_of(spoc).execute("SELECT 1 FROM nominals WHERE ref = ?", (to_remove,)).fetchone() is None
    assert conn_of(spoc).execute("SELECT reason FROM archive WHERE ref = ?", (to_remove,)).fetchone()[0].startswith(
        "Quarterly review 2026Q4")
    kept = conn_of(spoc).execute("SELECT last_reviewed FROM nominals WHERE ref = ?", (refs[2],)).fetchone()[0]
    assert kept == "2026-11-02"
    log = conn_of(spoc).execute("SELECT action, record_ref, outcome FROM access_log WHERE operation_ref = ? ORDER BY seq",
                            (f"review:{review.id}",)).fetchall()
    assert ("matrix.remove", to_remove, "allowed") in log and ("matrix.rescore", left, "allowed") in log
    assert ("review.sign", None, "refused") in log and log[-1] == ("review.sign", None, "allowed")
    # Immutable: the service refuses, and so does the database underneath it.
    with pytest.raises(ValidationError, match="cannot change"):
        demo_app.reviews.recommend(officer, review.id, refs[2], Recommendation.REMOVE, "Changed my mind about this.")
    with pytest.raises(database.IntegrityError, match="signed review"):
        conn_of(spoc).execute("UPDATE review_items SET rationale = 'x' WHERE review_id = ?", (review.id,))
    # A later change is a new review of the same quarter.
    new_id = demo_app.reviews.open(spoc)
    assert new_id != review.id and demo_app.reviews.find(spoc).supersedes == review.id  # type: ignore[union-attr]
    assert to_remove not in {i.ref for i in demo_app.reviews.items(spoc, new_id)}


def test_overdue_reviews_show_to_the_spoc_and_the_admin(demo_app: App, clock: object) -> None:
    officer = sign_in(demo_app, OFFICER)
    demo_app.auth.sign_out(officer)
    from datetime import timedelta

    clock.advance(timedelta(days=70))  # type: ignore[attr-defined]  # into 2027Q1: 2026Q4 ended unsigned
    admin = sign_in(demo_app, ADMIN)
    overdue = demo_app.reviews.overdue(admin)
    assert any(o.bcu == "CE" and o.quarter == "2026Q4" and o.review_id is not None for o in overdue)
    spoc = sign_in(demo_app, SPOC)
    assert [o.quarter for o in demo_app.reviews.overdue(spoc)] == ["2026Q4"]
    with pytest.raises(PermissionDenied):
        demo_app.reviews.overdue(sign_in(demo_app, OFFICER))


def test_another_bcus_review_is_refused(demo_app: App) -> None:
    spoc = sign_in(demo_app, SPOC)
    with pytest.raises(ValidationError, match="Not a quarter"):
        demo_app.reviews.open(spoc, "2026-Q3'; DROP TABLE reviews; --")
    with pytest.raises(ValidationError, match="has not started"):
        demo_app.reviews.open(spoc, "2027Q2")
    other = conn_of(spoc).execute("INSERT INTO reviews (bcu, quarter, opened_at) VALUES ('NE', '2026Q4', 'x')").lastrowid
    with pytest.raises(NotFound, match=rf"^There is no review {other}\.$"):
        demo_app.reviews.items(spoc, int(other or 0))
