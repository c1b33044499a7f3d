"""A failed decision does not silence the "no linked operation" flag (issue 11, item 6, as a reviewer reproduced it).

A SPOC's read given as a proposal decision is not flagged when the SPOC decided on that record. Only
a decision the log records as taken counts: an approval carried out, or one refused for want of
corroboration (the SPOC read the evidence, and the refusal says what is missing). An approval that
failed because there was no proposal under that reference decided nothing.
"""

from __future__ import annotations

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import NotFound, ValidationError
from gvm_desktop.core.evidence import SourceType
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from tests.services.test_flag_categories import TO_DECIDE, _active, _no_operation
from tests.services.test_matrix_flow import evidence, person, sign_in

DECIDING = Justification.make("proposal_decision", TO_DECIDE)


def test_an_approval_that_failed_for_want_of_a_proposal_is_no_decision(demo_app: App, clock: ManualClock) -> None:
    spoc = sign_in(demo_app, Role.SPOC)
    first, second = _active(spoc, 2)  # active people: there is nothing to decide on either
    for ref in (first, second):
        clock.advance(60)
        demo_app.records.open(spoc, ref, DECIDING)
    with pytest.raises(NotFound, match="There is no live record"):
        demo_app.changes.approve_addition(spoc, first, "Approving although nothing is proposed.")
    flagged = _no_operation(demo_app)
    assert set(flagged) == {(first, spoc.session.username), (second, spoc.session.username)}
    assert "decided nothing on this record within 7 days" in flagged[(first, spoc.session.username)]


def test_an_approval_refused_for_want_of_corroboration_is_a_decision(demo_app: App, clock: ManualClock) -> None:
    officer, spoc = sign_in(demo_app, Role.OFFICER), sign_in(demo_app, Role.SPOC)
    ref = demo_app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE)],
                                   reason="One synthetic report of association only.")
    clock.advance(60)
    demo_app.records.open(spoc, ref, DECIDING)
    with pytest.raises(ValidationError, match="cannot become active"):
        demo_app.changes.approve_addition(spoc, ref, "Approving on one source alone.")
    assert _no_operation(demo_app) == {}
