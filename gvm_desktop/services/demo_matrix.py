"""Filling a demo vault with a realistic synthetic matrix (through the same tables as real work)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from gvm_desktop.core.changes import archive_age_band
from gvm_desktop.core.people import NominalDraft, age_on
from gvm_desktop.core.scoring import ScoringPolicy, score
from gvm_desktop.core.synthetic_matrix import extras_for
from gvm_desktop.store.protocols import Unit


def fill(store: Unit, ids: list[int], people: list[NominalDraft], *, seed: int, today: date, at: str,
         by: int, policy: ScoringPolicy, retention_years: int,
         progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Evidence, scores, custody, interventions and activity for each person; some removed. Returns counts.

    Inside the caller's operation, which logs the import. `progress(done, total)` hears of every
    PROGRESS_EVERY people filled (and of the last).
    """
    records = store.records
    extras = extras_for([p.date_of_birth for p in people], seed=seed, today=today)
    counts = {"active": 0, "proposed": 0, "removed": 0, "evidence": 0}
    for done, (nominal_id, person, x) in enumerate(zip(ids, people, extras, strict=True)):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(ids))
        for e in x.evidence:
            records.add_evidence(nominal_id, e, at, by)
        counts["evidence"] += len(x.evidence)
        changes: dict[str, object] = {"gangs": "\n".join(x.gangs)}
        if x.status != "proposed":
            changes.update(status="active", date_added=min(e.on for e in x.evidence).isoformat())
        if x.in_custody:
            changes.update(in_custody=1, custody_from=x.custody_from.isoformat() if x.custody_from else None)
        records.update(nominal_id, changes)
        records.store_score(nominal_id, score(records.scoring_events(nominal_id), today, policy))
        for referral, provider, offered, taken, outcome in x.interventions:
            records.add_intervention(nominal_id, {
                "referral": referral, "provider": provider, "offered_on": offered.isoformat(), "taken_up": taken,
                "outcome": outcome, "starts_on": offered.isoformat() if taken else None, "ends_on": None}, by)
        for kind, on in x.activity:
            records.add_activity(nominal_id, kind, on, "Synthetic demo entry.", by)
        if x.status == "proposed":
            records.add_proposal(nominal_id, "add", "Synthetic demo proposal awaiting a second source.", by, at)
            counts["proposed"] += 1
        elif x.status == "remove":
            records.archive_and_delete(
                nominal_id, removed_at=at, reason="Synthetic demo removal: no current evidence of involvement.",
                proposed_by=by, approved_by=by, purge_after=today.replace(year=today.year + retention_years).isoformat()
                if not (today.month == 2 and today.day == 29) else date(today.year + retention_years, 3, 1).isoformat(),
                age_band=archive_age_band(age_on(person.date_of_birth, today)))
            counts["removed"] += 1
        else:
            counts["active"] += 1
    if counts["removed"]:
        records.compact_search_index()  # once, after all the removals (see its docstring)
    if progress is not None:
        progress(len(ids), len(ids))
    return counts


PROGRESS_EVERY = 20  # people filled between two reports: about 100 ms, often enough for a moving bar



