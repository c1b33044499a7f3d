"""One person's record: reading it whole, versioning it, its evidence, proposals and removal."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.records import (
    SNAPSHOT_FIELDS,
    ActivityRecord,
    EvidenceRecord,
    InterventionRecord,
    PendingProposal,
    VersionRecord,
)
from gvm_desktop.core.retention import DueArchive
from gvm_desktop.core.review_rows import ArchivedDemographics
from gvm_desktop.core.scoring import ScoreCard, ScoringEvent
from gvm_desktop.store import bcu_rows
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound


def fields(conn: Connection, nominal_id: int) -> dict[str, Any]:
    cols = ", ".join(("id", "ref", "version", "harm_score", "victim_score", "harm_band", "victim_band",
                      "classification", "score_policy", "scored_on", *SNAPSHOT_FIELDS))
    cur = conn.execute(f"SELECT {cols} FROM nominals WHERE id = ?", (nominal_id,))
    row = cur.fetchone()
    names = [d[0] for d in cur.description]
    return dict(zip(names, row, strict=True))


def current_version(conn: Connection, nominal_id: int) -> int:
    return int(conn.execute("SELECT version FROM nominals WHERE id = ?", (nominal_id,)).fetchone()[0])


def date_of_birth(conn: Connection, nominal_id: int) -> date:
    return date.fromisoformat(conn.execute("SELECT date_of_birth FROM nominals WHERE id = ?",
                                           (nominal_id,)).fetchone()[0])


def aliases(conn: Connection, nominal_id: int) -> tuple[str, ...]:
    return tuple(r[0] for r in conn.execute(
        "SELECT alias FROM nominal_aliases WHERE nominal_id = ? ORDER BY alias", (nominal_id,)))


def set_aliases(conn: Connection, nominal_id: int, names: tuple[str, ...]) -> None:
    conn.execute("DELETE FROM nominal_aliases WHERE nominal_id = ?", (nominal_id,))
    conn.executemany("INSERT OR IGNORE INTO nominal_aliases (nominal_id, alias) VALUES (?, ?)",
                     [(nominal_id, a) for a in names])


def snapshot(conn: Connection, nominal_id: int) -> dict[str, Any]:
    data = fields(conn, nominal_id)
    snap = {k: data[k] for k in SNAPSHOT_FIELDS}
    snap["aliases"] = list(aliases(conn, nominal_id))
    return snap


def save_version(conn: Connection, nominal_id: int, version: int, at: str, by: int, reason: str) -> None:
    """Keep the state *as it now is* as version `version`, before a change is applied."""
    conn.execute(
        "INSERT INTO nominal_versions (nominal_id, version, changed_at, changed_by, reason, snapshot) "
        "VALUES (?,?,?,?,?,?)",
        (nominal_id, version, at, by, reason, json.dumps(snapshot(conn, nominal_id), ensure_ascii=False)),
    )


def update(conn: Connection, nominal_id: int, changes: dict[str, Any]) -> None:
    bad = set(changes) - set(SNAPSHOT_FIELDS) - {"version"}
    if bad:
        raise KeyError(f"not updatable: {sorted(bad)}")
    assignments = ", ".join(f"{k} = ?" for k in changes)  # keys checked against a fixed list above
    conn.execute(f"UPDATE nominals SET {assignments} WHERE id = ?", (*changes.values(), nominal_id))


def versions(conn: Connection, nominal_id: int) -> list[VersionRecord]:
    rows = conn.execute(
        "SELECT v.version, v.changed_at, u.username, v.reason, v.snapshot FROM nominal_versions v "
        "LEFT JOIN users u ON u.id = v.changed_by WHERE v.nominal_id = ? ORDER BY v.version",
        (nominal_id,),
    )
    return [VersionRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


_ADD_EVIDENCE = ("INSERT INTO evidence (nominal_id, kind, source_type, source_ref, grading, on_date, summary, "
                 "social_media_note, added_at, added_by) VALUES (?,?,?,?,?,?,?,?,?,?)")


def _evidence_values(nominal_id: int, e: EvidenceDraft, at: str, by: int) -> tuple[Any, ...]:
    return (nominal_id, e.kind.value, e.source_type.value, e.source_ref, str(e.grading), e.on.isoformat(), e.summary,
            e.social_media_note, at, by)


def add_evidence(conn: Connection, nominal_id: int, e: EvidenceDraft, at: str, by: int) -> int:
    cur = conn.execute(_ADD_EVIDENCE, _evidence_values(nominal_id, e, at, by))
    return bcu_rows.new_id(conn, cur, "evidence")


def add_evidence_many(conn: Connection, entries: Iterable[tuple[int, EvidenceDraft]], at: str, by: int) -> None:
    """add_evidence for many entries, (nominal id, entry) each, in one statement; ids are given in this order.

    No rescoring: the caller stores each person's score (see nominals.insert_people).
    """
    conn.executemany(_ADD_EVIDENCE, [_evidence_values(nominal_id, e, at, by) for nominal_id, e in entries])


def evidence(conn: Connection, nominal_id: int) -> list[EvidenceRecord]:
    rows = conn.execute(
        "SELECT id, kind, source_type, source_ref, grading, on_date, summary, social_media_note, added_at "
        "FROM evidence WHERE nominal_id = ? ORDER BY on_date DESC, id DESC", (nominal_id,))
    return [EvidenceRecord(r[0], EvidenceType(r[1]), SourceType(r[2]), r[3], Grading(*r[4]), date.fromisoformat(r[5]),
                           r[6], r[7], r[8]) for r in rows]


def scoring_events(conn: Connection, nominal_id: int) -> list[ScoringEvent]:
    return [ScoringEvent(r[0], r[1], date.fromisoformat(r[2])) for r in conn.execute(
        "SELECT id, kind, on_date FROM evidence WHERE nominal_id = ?", (nominal_id,))]


# The columns a score card is stored in, in the order of score_values.
SCORE_COLUMNS = ("harm_score", "victim_score", "harm_band", "victim_band", "classification", "score_policy",
                 "scored_on")


def score_values(card: ScoreCard) -> tuple[Any, ...]:
    """What a card stores in SCORE_COLUMNS (store_score's, and a bulk insert's, alike)."""
    return (card.harm, card.victim, card.harm_band.value, card.victim_band.value, card.classification.value,
            card.policy_version, card.computed_on.isoformat())


def store_score(conn: Connection, nominal_id: int, card: ScoreCard) -> None:
    assignments = ", ".join(f"{c} = ?" for c in SCORE_COLUMNS)  # a fixed list of our own columns
    conn.execute(f"UPDATE nominals SET {assignments} WHERE id = ?", (*score_values(card), nominal_id))


_ADD_INTERVENTION = ("INSERT INTO interventions (nominal_id, referral, provider, offered_on, taken_up, outcome, "
                     "starts_on, ends_on, added_by) VALUES (?,?,?,?,?,?,?,?,?)")


def _intervention_values(nominal_id: int, values: Mapping[str, Any], by: int) -> tuple[Any, ...]:
    return (nominal_id, values["referral"], values["provider"], values["offered_on"], int(values["taken_up"]),
            values["outcome"], values["starts_on"], values["ends_on"], by)


def add_intervention(conn: Connection, nominal_id: int, values: dict[str, Any], by: int) -> int:
    cur = conn.execute(_ADD_INTERVENTION, _intervention_values(nominal_id, values, by))
    return bcu_rows.new_id(conn, cur, "interventions")


def add_interventions(conn: Connection, rows: Iterable[tuple[int, Mapping[str, Any]]], by: int) -> None:
    """add_intervention for many, (nominal id, values) each, in one statement."""
    conn.executemany(_ADD_INTERVENTION, [_intervention_values(nominal_id, values, by) for nominal_id, values in rows])


def interventions(conn: Connection, nominal_id: int) -> list[InterventionRecord]:
    def d(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    rows = conn.execute(
        "SELECT id, referral, provider, offered_on, taken_up, outcome, starts_on, ends_on FROM interventions "
        "WHERE nominal_id = ? ORDER BY offered_on DESC", (nominal_id,))
    return [InterventionRecord(r[0], r[1], r[2], date.fromisoformat(r[3]), bool(r[4]), r[5], d(r[6]), d(r[7]))
            for r in rows]


_ADD_ACTIVITY = "INSERT INTO police_activity (nominal_id, kind, on_date, note, added_by) VALUES (?,?,?,?,?)"


def add_activity(conn: Connection, nominal_id: int, kind: str, on: date, note: str, by: int) -> int:
    cur = conn.execute(_ADD_ACTIVITY, (nominal_id, kind, on.isoformat(), note, by))
    return bcu_rows.new_id(conn, cur, "police_activity")


def add_activities(conn: Connection, rows: Iterable[tuple[int, str, date, str]], by: int) -> None:
    """add_activity for many, (nominal id, kind, on, note) each, in one statement."""
    conn.executemany(_ADD_ACTIVITY, [(nominal_id, kind, on.isoformat(), note, by) for nominal_id, kind, on, note in rows])


def activity(conn: Connection, nominal_id: int) -> list[ActivityRecord]:
    rows = conn.execute("SELECT id, kind, on_date, note FROM police_activity WHERE nominal_id = ? "
                        "ORDER BY on_date DESC", (nominal_id,))
    return [ActivityRecord(r[0], r[1], date.fromisoformat(r[2]), r[3]) for r in rows]


_ADD_PROPOSAL = "INSERT INTO proposals (nominal_id, kind, reason, proposed_by, proposed_at) VALUES (?,?,?,?,?)"


def add_proposal(conn: Connection, nominal_id: int, kind: str, reason: str, by: int, at: str) -> int:
    cur = conn.execute(_ADD_PROPOSAL, (nominal_id, kind, reason, by, at))
    return bcu_rows.new_id(conn, cur, "proposals")


def add_proposals(conn: Connection, rows: Iterable[tuple[int, str, str]], by: int, at: str) -> None:
    """add_proposal for many, (nominal id, kind, reason) each, in one statement."""
    conn.executemany(_ADD_PROPOSAL, [(nominal_id, kind, reason, by, at) for nominal_id, kind, reason in rows])


def pending_proposal(conn: Connection, nominal_id: int, kind: str) -> PendingProposal | None:
    """The latest pending proposal of this kind ("add", "remove"), if any."""
    r = conn.execute("SELECT id, reason, proposed_by FROM proposals WHERE nominal_id = ? AND kind = ? "
                     "AND status = 'pending' ORDER BY id DESC LIMIT 1", (nominal_id, kind)).fetchone()
    return PendingProposal(int(r[0]), r[1], r[2]) if r else None


def pending_ids(conn: Connection, kind: str) -> set[int]:
    """Every person with a pending proposal of this kind: one query for a SPOC's queue, not one per person."""
    return {int(r[0]) for r in conn.execute(
        "SELECT DISTINCT nominal_id FROM proposals WHERE kind = ? AND status = 'pending'", (kind,))}


def pending_kinds(conn: Connection, nominal_id: int) -> tuple[str, ...]:
    return tuple(r[0] for r in conn.execute(
        "SELECT kind FROM proposals WHERE nominal_id = ? AND status = 'pending'", (nominal_id,)))


def decide(conn: Connection, proposal_id: int, status: str, by: int, at: str, note: str) -> None:
    conn.execute("UPDATE proposals SET status = ?, decided_by = ?, decided_at = ?, decision = ? WHERE id = ?",
                 (status, by, at, note, proposal_id))


def archive_and_delete(conn: Connection, nominal_id: int, *, removed_at: str, reason: str, proposed_by: int | None,
                       approved_by: int | None, purge_after: str, age_band: str) -> str:
    """Keep the minimal archive row, then delete the person and everything hanging off them."""
    data = fields(conn, nominal_id)
    conn.execute(
        "INSERT INTO archive (ref, bcu, date_added, removed_at, reason, proposed_by, approved_by, purge_after, gender, "
        "ethnicity, age_band) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (data["ref"], data["bcu"], data["date_added"], removed_at, reason, proposed_by, approved_by, purge_after,
         data["gender"], data["ethnicity"], age_band),
    )
    conn.execute("DELETE FROM nominal_search WHERE rowid = ?", (nominal_id,))
    conn.execute("DELETE FROM nominals WHERE id = ?", (nominal_id,))  # evidence, versions... cascade
    return str(data["ref"])


def archive_and_delete_many(conn: Connection, age_bands: Mapping[int, str], *, removed_at: str, reason: str,
                            proposed_by: int | None, approved_by: int | None, purge_after: str) -> None:
    """archive_and_delete for many people removed alike, by id -> age band, in that order: three statements.

    The archive row is copied from the person's row by SQL, so no field of theirs passes through Python.
    """
    conn.executemany(
        "INSERT INTO archive (ref, bcu, date_added, removed_at, reason, proposed_by, approved_by, purge_after, gender, "
        "ethnicity, age_band) SELECT ref, bcu, date_added, ?, ?, ?, ?, ?, gender, ethnicity, ? FROM nominals WHERE id = ?",
        [(removed_at, reason, proposed_by, approved_by, purge_after, band, nominal_id)
         for nominal_id, band in age_bands.items()],
    )
    conn.executemany("DELETE FROM nominal_search WHERE rowid = ?", [(nominal_id,) for nominal_id in age_bands])
    conn.executemany("DELETE FROM nominals WHERE id = ?", [(nominal_id,) for nominal_id in age_bands])


def compact_search_index(conn: Connection) -> None:
    """Rewrite the name index so a deleted person's words leave it, not just their row id.

    Call it once per transaction, after the deletions: SQLite 3.50's FTS5 reported
    "corrupt structure record" when 'optimize' ran many times inside one long
    transaction that also inserted tens of thousands of rows (seen at 60,000).
    """
    conn.execute("INSERT INTO nominal_search (nominal_search) VALUES ('optimize')")


def search_terms(conn: Connection) -> set[str]:
    """Every word the name index holds (tests use it to prove a removal leaves nothing behind).

    fts5vocab reads the index of one schema: main in a single-file vault, else each held compartment's.
    """
    terms: set[str] = set()
    for schema in bcu_rows.index_schemas(conn, "nominal_search"):
        # Schema names come from the compartments' own checked names, the only text formatted in here.
        vocabulary = "nominal_search_terms" if schema == bcu_rows.PLAIN_SCHEMA else f"nominal_search_terms_{schema}"
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocabulary} USING fts5vocab({schema}, nominal_search, row)")
        terms.update(r[0] for r in conn.execute(f"SELECT term FROM temp.{vocabulary}"))
    return terms


# What "due" means for an archive row, for the purge and its preview alike: purge_after on or before the day.
_ARCHIVE_DUE = "purge_after <= ?"


def purge_archive(conn: Connection, today: str) -> int:
    # The archive is in common (no name, date of birth or address: what the administrator's purge acts on).
    return int(conn.execute(f"DELETE FROM archive WHERE {_ARCHIVE_DUE}", (today,)).rowcount)


def due_archive_rows(conn: Connection, today: str) -> list[DueArchive]:
    """The archive rows purge_archive(today) would delete, soonest due first."""
    rows = conn.execute(f"SELECT ref, bcu, purge_after FROM archive WHERE {_ARCHIVE_DUE} ORDER BY purge_after, ref",
                        (today,))
    return [DueArchive(str(ref), str(bcu), date.fromisoformat(str(due)[:10])) for ref, bcu, due in rows]


def archive_count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM archive").fetchone()[0])


def removal_dates(conn: Connection) -> dict[str, str]:
    """When each archived reference was removed."""
    return {r[0]: r[1] for r in conn.execute("SELECT ref, removed_at FROM archive")}



def archived_demographics(conn: Connection, bcu: str) -> list[ArchivedDemographics]:
    """What the archive keeps for the count, of everyone removed from the BCU and not yet purged."""
    rows = conn.execute("SELECT ethnicity, gender, age_band, substr(date_added, 1, 10), substr(removed_at, 1, 10) "
                        "FROM archive WHERE bcu = ?", (bcu,))
    return [ArchivedDemographics(ethnicity, gender, age_band, added_on, removed_on)
            for ethnicity, gender, age_band, added_on, removed_on in rows]


class RecordsRepository(Repository):
    """One person's record: fields, versions, evidence, scores, interventions, activity, proposals, archive."""

    __slots__ = ()

    fields = bound(fields)
    current_version = bound(current_version)
    date_of_birth = bound(date_of_birth)
    aliases = bound(aliases)
    set_aliases = bound(set_aliases)
    save_version = bound(save_version)
    update = bound(update)
    versions = bound(versions)
    add_evidence = bound(add_evidence)
    add_evidence_many = bound(add_evidence_many)
    evidence = bound(evidence)
    scoring_events = bound(scoring_events)
    store_score = bound(store_score)
    add_intervention = bound(add_intervention)
    add_interventions = bound(add_interventions)
    interventions = bound(interventions)
    add_activity = bound(add_activity)
    add_activities = bound(add_activities)
    activity = bound(activity)
    add_proposal = bound(add_proposal)
    add_proposals = bound(add_proposals)
    pending_proposal = bound(pending_proposal)
    pending_ids = bound(pending_ids)
    due_archive_rows = bound(due_archive_rows)
    pending_kinds = bound(pending_kinds)
    decide = bound(decide)
    archive_and_delete = bound(archive_and_delete)
    archive_and_delete_many = bound(archive_and_delete_many)
    compact_search_index = bound(compact_search_index)
    purge_archive = bound(purge_archive)
    removal_dates = bound(removal_dates)
    archived_demographics = bound(archived_demographics)
