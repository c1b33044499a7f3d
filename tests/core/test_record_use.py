"""Which logged actions the monthly audit counts as viewed, downloaded or edited: one decision per action, in core."""

from __future__ import annotations

import pytest

from gvm_desktop.core.audit import Action
from gvm_desktop.core.policy import Role
from gvm_desktop.core.record_use import (
    ACTIONS_BY_SOURCE,
    LONDON,
    NOT_RECORD_USE,
    RECORD_USE,
    SHOWN_COUNT,
    Counting,
    Source,
    Use,
    UseCounts,
    audit_csv,
    build_monthly,
    counting,
    record_refs,
    shown_count,
    tally,
)


def test_every_action_is_decided_once_counted_or_said_why_not() -> None:
    # A new Action fails here until someone decides whether it views, downloads or edits a record.
    undecided = set(Action) - set(RECORD_USE) - set(NOT_RECORD_USE)
    assert not undecided, f"decide in core/record_use.py how the monthly audit counts: {sorted(undecided)}"
    assert not set(RECORD_USE) & set(NOT_RECORD_USE)
    assert all(len(why) > 5 for why in NOT_RECORD_USE.values())


def test_the_brief_list_of_uses() -> None:
    viewed = {a for a, c in RECORD_USE.items() if c.use is Use.VIEWED}
    downloaded = {a for a, c in RECORD_USE.items() if c.use is Use.DOWNLOADED}
    edited = {a for a, c in RECORD_USE.items() if c.use is Use.EDITED}
    assert {Action.RECORD_OPEN, Action.RECORD_HISTORY, Action.STATUS_CHECK, Action.MATRIX_ROWS} <= viewed
    assert {Action.REVIEW_EXPORT, Action.SUBJECT_ACCESS, Action.LOG_EXPORT, Action.AUDIT_FORM_ISSUE} <= downloaded
    assert {Action.RECORD_EDIT, Action.EVIDENCE_ADD, Action.INTERVENTION_ADD, Action.ACTIVITY_ADD, Action.PROPOSE_ADD,
            Action.PROPOSE_REMOVE, Action.APPROVE_ADD, Action.REJECT_ADD, Action.APPROVE_REMOVE} <= edited


def test_matrix_rows_depend_on_who_saw_them() -> None:
    assert counting("matrix.rows", Role.OFFICER) == Counting(Use.VIEWED, Source.SHOWN)
    assert counting("matrix.rows", Role.SPOC) == Counting(Use.VIEWED, Source.SHOWN)
    assert counting("matrix.rows", Role.PARTNER) == Counting(Use.DOWNLOADED, Source.SHOWN)  # a disclosure
    assert counting("matrix.rows", Role.AUDITOR) is None  # references only
    assert counting("auth.sign_in", Role.OFFICER) is None
    assert counting("no.such_action", Role.OFFICER) is None


def test_every_shown_action_says_how_many_rows() -> None:
    assert set(ACTIONS_BY_SOURCE[Source.SHOWN]) == {a.value for a in SHOWN_COUNT}
    assert shown_count("matrix.rows", "40 rows N-000001..N-000040") == 40
    assert shown_count("matrix.rows", "DSA #3 Synthetic Probation 2: 12 rows shown") == 12
    assert shown_count("review.read", "CE 2026Q3: 41 people") == 41
    assert shown_count("matrix.import", "1200 synthetic demo people: 900 active") == 1200
    assert shown_count("retention.purge", "7 archive records past retention; 1 signed reviews") == 7
    assert shown_count("matrix.rows", None) == 1  # at least the one record it showed


def test_tally_counts_each_record_once_under_its_bcu() -> None:
    counts = tally(
        touches=[("o", "officer", "record.open", "CE", 3), ("o", "officer", "matrix.status_check", "NE", 1),
                 ("a", "auditor", "record.open", "CE", 1), ("o", "officer", "matrix.edit", None, 2),
                 ("o", "officer", "auth.sign_in", None, 9)],  # not a record use: ignored
        documents=[(10, "s", "spoc", "review.export", None, None), (11, "s", "spoc", "report.subject_access", "N-000002", "CE"),
                   (12, "a", "auditor", "access_log.export", None, None)],  # nothing registered: no record known
        disclosed={10: {"CE": 40, None: 1}, 11: {"CE": 1}},
        shown=[("p", "partner", "matrix.rows", "CE", "DSA #1 X: 5 rows shown", 2),
               ("a", "auditor", "matrix.rows", None, "9 rows", 1)])  # an auditor's rows are references: not a use
    assert counts == {
        ("o", "officer", "CE"): UseCounts(viewed=3), ("o", "officer", "NE"): UseCounts(viewed=1),
        ("o", "officer", None): UseCounts(edited=2), ("a", "auditor", "CE"): UseCounts(viewed=1),
        ("s", "spoc", "CE"): UseCounts(downloaded=41), ("s", "spoc", None): UseCounts(downloaded=1),
        ("p", "partner", "CE"): UseCounts(downloaded=10),
    }


def test_the_roll_up_and_a_bcu_from_the_same_counts() -> None:
    counts = {("o", "officer", "CE"): UseCounts(3, 0, 1), ("a", "auditor", "CE"): UseCounts(1, 2, 0),
              ("a", "auditor", "NE"): UseCounts(1, 0, 0), ("x", "admin", None): UseCounts(0, 0, 60)}
    ce = build_monthly(scope="CE", month="2026-11", counts=counts, bcus_in_vault=[], records_opened=2, activity={},
                       refusals=0)
    assert [(u.username, u.bcu) for u in ce.by_user] == [("o", "CE"), ("a", "CE")]
    assert [(b.bcu, b.users, b.counts) for b in ce.by_bcu] == [("CE", 2, UseCounts(4, 2, 1))]
    assert ce.total.counts == UseCounts(4, 2, 1) and not ce.london
    london = build_monthly(scope=LONDON, month="2026-11", counts=counts, bcus_in_vault=["CE", "NE", "SW"],
                           records_opened=2, activity={}, refusals=0)
    assert [(b.bcu, b.users, b.counts.total) for b in london.by_bcu] == [
        ("CE", 2, 7), ("NE", 1, 1), ("SW", 0, 0), (None, 1, 60)]
    assert (london.total.bcu, london.total.users, london.total.counts) == (LONDON, 3, UseCounts(5, 2, 61))
    data, rows = audit_csv(london)
    lines = data.decode().splitlines()
    assert rows == len(lines) - 1 == 4 + 4 + 1
    assert lines[0] == "month,level,bcu,username,role,users,viewed,downloaded,edited,total"
    assert "2026-11,user,not known,x,admin,,0,0,60,60" in lines
    assert lines[-1] == "2026-11,london,London (all BCUs),,,3,5,2,61,68"


@pytest.mark.parametrize(("given", "kept"), [
    (["N-000123", "user:5", None, "dsa:2", "N-000123", "N-1"], ["N-000123"]),
    ([], []),
])
def test_only_record_references_are_registered(given: list[str | None], kept: list[str]) -> None:
    assert record_refs(given) == kept
