"""Filling a demo vault with a realistic synthetic matrix (through the same tables as real work)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from gvm_desktop.core.changes import archive_age_band
from gvm_desktop.core.people import NominalDraft, age_on
from gvm_desktop.core.scoring import ScoreCard, ScoringEvent, ScoringPolicy, score
from gvm_desktop.core.synthetic_matrix import MatrixExtras, extras_for
from gvm_desktop.store.protocols import Unit

PROPOSAL_REASON = "Synthetic demo proposal awaiting a second source."
REMOVAL_REASON = "Synthetic demo removal: no current evidence of involvement."
ACTIVITY_NOTE = "Synthetic demo entry."


def fill(store: Unit, people: list[NominalDraft], *, seed: int, today: date, at: str, by: int, policy: ScoringPolicy,
         retention_years: int, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Add `people` with their evidence, scores, custody, interventions and activity; some removed. Returns counts.

    Inside the caller's operation, which logs the import. In batches of BATCH people, each table
    written by one statement per batch: the rows are those proposing, evidencing, approving and
    removing each person one by one leaves (tests/services/test_demo_bulk.py compares the two).
    `progress(done, total)` hears of each batch begun, and of the end.
    """
    extras = extras_for([p.date_of_birth for p in people], seed=seed, today=today)
    counts = {"active": 0, "proposed": 0, "removed": 0, "evidence": 0}
    purge_after = _purge_after(today, retention_years)
    for start in range(0, len(people), BATCH):
        if progress is not None:
            progress(start, len(people))
        batch, details = people[start:start + BATCH], extras[start:start + BATCH]
        ids = store.nominals.insert_people(
            [(person, _state(x), _score(x, today, policy)) for person, x in zip(batch, details, strict=True)],
            at=at, created_by=by)
        _add_details(store, list(zip(ids, details, strict=True)), at=at, by=by)
        removed = {nominal_id: archive_age_band(age_on(person.date_of_birth, today))
                   for nominal_id, person, x in zip(ids, batch, details, strict=True) if x.status == "remove"}
        if removed:
            store.records.archive_and_delete_many(removed, removed_at=at, reason=REMOVAL_REASON, proposed_by=by,
                                                  approved_by=by, purge_after=purge_after)
        for x in details:
            counts["evidence"] += len(x.evidence)
            counts[{"proposed": "proposed", "remove": "removed"}.get(x.status, "active")] += 1
    if counts["removed"]:
        store.records.compact_search_index()  # once, after all the removals (see its docstring)
    if progress is not None:
        progress(len(people), len(people))
    return counts


BATCH = 250  # people per statement: a few hundredths of a second each, often enough for a moving bar


def _state(x: MatrixExtras) -> dict[str, Any]:
    """The columns proposing, then approving, the person sets besides their draft: what the record ends with."""
    state: dict[str, Any] = {"gangs": "\n".join(x.gangs)}
    if x.status != "proposed":
        state.update(status="active", date_added=min(e.on for e in x.evidence).isoformat())
    if x.in_custody:
        state.update(in_custody=1, custody_from=x.custody_from.isoformat() if x.custody_from else None)
    return state


def _score(x: MatrixExtras, today: date, policy: ScoringPolicy) -> ScoreCard:
    """The card rescoring the stored evidence gives (the events' ids, unknown before the insert, score nothing)."""
    return score([ScoringEvent(n, e.kind.value, e.on) for n, e in enumerate(x.evidence)], today, policy)


def _add_details(store: Unit, people: Sequence[tuple[int, MatrixExtras]], *, at: str, by: int) -> None:
    records = store.records
    records.add_evidence_many([(nominal_id, e) for nominal_id, x in people for e in x.evidence], at, by)
    records.add_interventions([
        (nominal_id, {"referral": referral, "provider": provider, "offered_on": offered.isoformat(), "taken_up": taken,
                      "outcome": outcome, "starts_on": offered.isoformat() if taken else None, "ends_on": None})
        for nominal_id, x in people for referral, provider, offered, taken, outcome in x.interventions], by)
    records.add_activities([(nominal_id, kind, on, ACTIVITY_NOTE) for nominal_id, x in people for kind, on in x.activity],
                           by)
    records.add_proposals([(nominal_id, "add", PROPOSAL_REASON) for nominal_id, x in people if x.status == "proposed"],
                          by, at)


def _purge_after(today: date, years: int) -> str:
    """The day a removal on `today` is purged: `years` on, 29 February falling on 1 March."""
    if today.month == 2 and today.day == 29:
        return date(today.year + years, 3, 1).isoformat()
    return today.replace(year=today.year + years).isoformat()
