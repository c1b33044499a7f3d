"""Issue 11, item 7 through the services: flags from each person's dated history, rationales that are reasons,
and one rationale reused for many people warned of before sign-off and counted on the sheet. All people are invented.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.people import NominalDraft
from gvm_desktop.core.review import FocusFlag, Recommendation, Verdict
from gvm_desktop.core.review_views import ReviewItem
from gvm_desktop.services.context import Workspace
from tests.reports.pdftools import text
from tests.services.test_reviews import _AUDITOR, COVERS_EVERY_FLAG, OFFICER, SPOC, sign_in
from tests.support.vault_access import conn_of

TODAY = date(2026, 11, 2)  # the ManualClock's first day


def _evidence(kind: EvidenceType, source: SourceType, days_ago: int, grade: str = "1BP") -> EvidenceDraft:
    return EvidenceDraft(kind=kind, source_type=source, source_ref=f"SYN/{kind.value}/{days_ago}",
                         grading=Grading.parse(grade), on=TODAY - timedelta(days=days_ago),
                         summary="Synthetic entry for a review-flag test.", social_media_note=None)


def _add_active(app: App, officer: Workspace, spoc: Workspace, family: str,
                events: list[tuple[EvidenceType, int]]) -> str:
    """A corroborated person (police and community), with these dated events, approved today."""
    draft = NominalDraft(given_name="Synthia", family_name=family, date_of_birth=date(2001, 2, 3), gender="F",
                         ethnicity="W1", disability="N", address="1 Invented Row", postcode="ZZ9 1AA",
                         borough="Hackney", bcu="CE", aliases=())
    entries = [_evidence(EvidenceType.GANG_ASSOCIATION, SourceType.POLICE, 20),
               _evidence(EvidenceType.GANG_ASSOCIATION, SourceType.COMMUNITY, 25, "2CC"),
               *(_evidence(kind, SourceType.POLICE, days) for kind, days in events)]
    ref = app.changes.propose(officer, draft, evidence=entries, reason="Synthetic proposal for a review-flag test.")
    app.changes.approve_addition(spoc, ref, "Corroborated by two source types.")
    return ref


def test_flags_come_from_the_harm_history_since_approval(demo_app: App, clock: ManualClock) -> None:
    officer, spoc = sign_in(demo_app, OFFICER), sign_in(demo_app, SPOC)
    victim_only = _add_active(demo_app, officer, spoc, "Victimonly-Testcase",
                              [(EvidenceType.VICTIMISATION, 40), (EvidenceType.VICTIMISATION, 400)])
    green_always = _add_active(demo_app, officer, spoc, "Greenalways-Testcase", [(EvidenceType.WEAPONS_ACCESS, 30)])
    # 10 + 8 = 18 at approval (Amber from 15); 400 days old at the review, so 5 + 4 = 9, Green today.
    amber_once = _add_active(demo_app, officer, spoc, "Amberonce-Testcase",
                             [(EvidenceType.VIOLENT_OFFENCE, 300), (EvidenceType.WEAPONS_OFFENCE, 300)])
    for ws in (officer, spoc):
        demo_app.auth.sign_out(ws)
    clock.advance(timedelta(days=100))  # into 2027Q1: the officer's first sign-in of the quarter opens its review
    officer = sign_in(demo_app, OFFICER)
    review = demo_app.reviews.find(officer)
    assert review is not None and review.quarter == "2027Q1"
    items = {i.ref: i for i in demo_app.reviews.items(officer, review.id)}

    victim = items[victim_only]
    assert victim.harm_score == 0 and victim.victim_band != "Green"  # scored as a victim, never for harm
    assert FocusFlag.NEVER_SCORED in victim.flags  # victim events are not a harm score
    assert FocusFlag.GREEN_THROUGHOUT in victim.flags

    green = items[green_always]
    assert green.harm_band == "Green" and green.harm_score > 0
    assert FocusFlag.NEVER_SCORED not in green.flags
    assert FocusFlag.GREEN_THROUGHOUT in green.flags

    amber = items[amber_once]
    assert amber.harm_band == "Green" and FocusFlag.GREEN_BAND in amber.flags  # Green today...
    assert FocusFlag.GREEN_THROUGHOUT not in amber.flags  # ...but Amber on the day they were approved
    assert FocusFlag.NEVER_SCORED not in amber.flags


def _first_review(app: App) -> tuple[Workspace, Workspace, int, list[ReviewItem]]:
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    items = app.reviews.items(officer, review.id)
    assert len(items) >= 4  # the demo's CE: three to share a rationale, one to remove
    return officer, spoc, review.id, items


def test_a_rationale_that_only_restates_the_flags_is_refused(demo_app: App) -> None:
    officer, _spoc, review_id, items = _first_review(demo_app)
    flagged = next(i for i in items if FocusFlag.GREEN_BAND in i.flags)
    restated = ("Green band, zero harm score, never scored, under 18, corroborating intelligence, custody: "
                "all considered; retain after review.")
    with pytest.raises(ValidationError, match=r"only restates the focus flags is not a reason: say why this person"):
        demo_app.reviews.recommend(officer, review_id, flagged.ref, Recommendation.RETAIN, restated)
    after = next(i for i in demo_app.reviews.items(officer, review_id) if i.ref == flagged.ref)
    assert after.recommendation is None  # nothing saved
    demo_app.reviews.recommend(officer, review_id, flagged.ref, Recommendation.RETAIN,
                               restated + " Seen carrying a blade with the group at the October stop.")


# The same words for three people, written three ways: case, punctuation and spacing differ.
SHARED = (COVERS_EVERY_FLAG, COVERS_EVERY_FLAG.upper(),
          "  " + COVERS_EVERY_FLAG.replace(",", ";").replace(":", " --").replace(" ", "   ") + "!!")


def test_one_rationale_for_three_people_is_warned_of_but_never_blocks_sign_off(demo_app: App, tmp_path: Path) -> None:
    officer, spoc, review_id, items = _first_review(demo_app)
    refs = [i.ref for i in items]
    shared, removed = refs[:3], refs[3]
    for n, ref in enumerate(refs):
        if ref == removed:  # a removal's rationale is not counted: it leaves the vault with the person
            rec, why = Recommendation.REMOVE, COVERS_EVERY_FLAG
        else:
            rec, why = Recommendation.RETAIN, SHARED[n] if ref in shared else f"{COVERS_EVERY_FLAG} Case note {n}."
        demo_app.reviews.recommend(officer, review_id, ref, rec, why)
    assert len(demo_app.reviews.rationale_warnings(spoc, review_id)) == 1  # warned of before any verdict

    for ref in refs:
        demo_app.reviews.decide(spoc, review_id, ref, Verdict.AGREE)
    warnings = demo_app.reviews.rationale_warnings(spoc, review_id)
    assert len(warnings) == 1
    assert warnings[0].refs == tuple(sorted(shared))
    assert warnings[0].sentence == f"The same rationale was given for 3 people: {', '.join(sorted(shared))}."
    # Reading the rationales is logged, as reading the review is.
    logged = conn_of(spoc).execute("SELECT detail FROM access_log WHERE action = 'review.read' AND operation_ref = ? "
                               "ORDER BY seq DESC", (f"review:{review_id}",)).fetchone()[0]
    assert logged.endswith("rationale check, 1 shared by 3 people")

    # The warning is not a refusal: the review signs, and its sheet prints the count and the group.
    assert demo_app.reviews.sign(spoc, review_id, SPOC.password) == 1
    out = tmp_path / "sheet.pdf"
    demo_app.reports.export_review(spoc, review_id, out, account_password=SPOC.password, pdf_password=None,
                                   unencrypted=True)
    flat = " ".join(text(out, layout=False).split())
    assert f"The same rationale was given for 3 people: {', '.join(sorted(shared))}." in flat
    assert re.search(r"^Same rationale\s+People$", text(out, page=1), re.MULTILINE)
    assert re.search(r"^1 rationale\s+3\s", text(out, page=1), re.MULTILINE)


def test_rationale_warnings_are_read_only_by_the_bcus_review_roles(demo_app: App) -> None:
    _officer, spoc, review_id, _items = _first_review(demo_app)
    assert demo_app.reviews.rationale_warnings(sign_in(demo_app, OFFICER), review_id) == ()
    with pytest.raises(PermissionDenied):
        demo_app.reviews.rationale_warnings(sign_in(demo_app, _AUDITOR), review_id)
    other = conn_of(spoc).execute("INSERT INTO reviews (bcu, quarter, opened_at) VALUES ('NE', '2026Q4', 'x')").lastrowid
    with pytest.raises(NotFound):
        demo_app.reviews.rationale_warnings(spoc, int(other or 0))
