"""Schema versions. Each migration runs in one transaction with the version bump.

Never edit a released migration: add a new one. tests/store/test_migrations.py
builds a vault at every earlier version and upgrades it to the latest.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gvm_desktop.core.errors import VaultCorrupt, VaultError
from gvm_desktop.store.database import Connection, transaction

# Version 1: accounts, settings, vault metadata and the access log.
_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('officer','spoc','auditor','partner','admin')),
    bcu            TEXT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
    locator        TEXT NOT NULL UNIQUE,
    slot_version   INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    created_by     INTEGER REFERENCES users(id),
    disabled_at    TEXT,
    last_signin_at TEXT
) STRICT;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by INTEGER REFERENCES users(id)
) STRICT;

-- The access log. Append-only: the triggers are a guard rail; tamper evidence
-- (hash chain and forward-secure MAC) is added by a later migration.
CREATE TABLE access_log (
    seq             INTEGER PRIMARY KEY,
    at_utc          TEXT NOT NULL,
    tz              TEXT NOT NULL,
    workstation     TEXT NOT NULL,
    user_id         INTEGER,
    username        TEXT,
    role            TEXT,
    bcu             TEXT,
    action          TEXT NOT NULL,
    record_ref      TEXT,
    reason_category TEXT,
    justification   TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('allowed','refused','failed')),
    detail          TEXT
) STRICT;
CREATE INDEX access_log_user ON access_log(user_id, seq);
CREATE INDEX access_log_record ON access_log(record_ref, seq);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
"""

# Version 2: the people on the matrix (nominals), as the foundation made them.
_V2 = """
CREATE TABLE nominals (
    id            INTEGER PRIMARY KEY,
    ref           TEXT NOT NULL UNIQUE,
    given_name    TEXT NOT NULL,
    family_name   TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    gender        TEXT NOT NULL,
    ethnicity     TEXT NOT NULL,
    disability    TEXT NOT NULL,
    address       TEXT NOT NULL,
    postcode      TEXT NOT NULL,
    borough       TEXT NOT NULL,
    bcu           TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed','active','removed')),
    created_at    TEXT NOT NULL,
    created_by    INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX nominals_bcu ON nominals(bcu, status);

CREATE TABLE nominal_aliases (
    nominal_id INTEGER NOT NULL REFERENCES nominals(id) ON DELETE CASCADE,
    alias      TEXT NOT NULL,
    PRIMARY KEY (nominal_id, alias)
) STRICT;
"""

# Version 3: the matrix proper. Evidence, scores, versions, proposals,
# interventions, police activity, the minimal archive of removed people, the
# data sharing agreement register and a full-text index over names and aliases.
_V3 = """
ALTER TABLE nominals ADD COLUMN observed_ethnicity TEXT;
ALTER TABLE nominals ADD COLUMN gangs TEXT NOT NULL DEFAULT '';
ALTER TABLE nominals ADD COLUMN in_custody INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nominals ADD COLUMN custody_from TEXT;
ALTER TABLE nominals ADD COLUMN custody_to TEXT;
ALTER TABLE nominals ADD COLUMN date_added TEXT;
ALTER TABLE nominals ADD COLUMN last_reviewed TEXT;
ALTER TABLE nominals ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE nominals ADD COLUMN harm_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nominals ADD COLUMN victim_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nominals ADD COLUMN harm_band TEXT NOT NULL DEFAULT 'Green';
ALTER TABLE nominals ADD COLUMN victim_band TEXT NOT NULL DEFAULT 'Green';
ALTER TABLE nominals ADD COLUMN classification TEXT NOT NULL DEFAULT 'no scored events';
ALTER TABLE nominals ADD COLUMN score_policy TEXT;
ALTER TABLE nominals ADD COLUMN scored_on TEXT;
ALTER TABLE nominals ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
CREATE INDEX nominals_status_bcu ON nominals(status, bcu, family_name);
CREATE INDEX nominals_identity ON nominals(search_key, date_of_birth);

CREATE TABLE nominal_versions (
    nominal_id INTEGER NOT NULL REFERENCES nominals(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by INTEGER REFERENCES users(id),
    reason     TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    PRIMARY KEY (nominal_id, version)
) STRICT;

CREATE TABLE evidence (
    id                INTEGER PRIMARY KEY,
    nominal_id        INTEGER NOT NULL REFERENCES nominals(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    source_type       TEXT NOT NULL,
    source_ref        TEXT NOT NULL,
    grading           TEXT NOT NULL,
    on_date           TEXT NOT NULL,
    summary           TEXT NOT NULL,
    social_media_note TEXT,
    added_at          TEXT NOT NULL,
    added_by          INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX evidence_nominal ON evidence(nominal_id, on_date);

CREATE TABLE police_activity (
    id         INTEGER PRIMARY KEY,
    nominal_id INTEGER NOT NULL REFERENCES nominals(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('stop','arrest')),
    on_date    TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    added_by   INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX police_activity_nominal ON police_activity(nominal_id);

CREATE TABLE interventions (
    id         INTEGER PRIMARY KEY,
    nominal_id INTEGER NOT NULL REFERENCES nominals(id) ON DELETE CASCADE,
    referral   TEXT NOT NULL,
    provider   TEXT NOT NULL,
    offered_on TEXT NOT NULL,
    taken_up   INTEGER NOT NULL DEFAULT 0,
    outcome    TEXT NOT NULL DEFAULT '',
    starts_on  TEXT,
    ends_on    TEXT,
    added_by   INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX interventions_nominal ON interventions(nominal_id);

CREATE TABLE proposals (
    id          INTEGER PRIMARY KEY,
    nominal_id  INTEGER NOT NULL REFERENCES nominals(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('add','remove')),
    reason      TEXT NOT NULL,
    proposed_by INTEGER REFERENCES users(id),
    proposed_at TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
    decided_by  INTEGER REFERENCES users(id),
    decided_at  TEXT,
    decision    TEXT
) STRICT;
CREATE INDEX proposals_pending ON proposals(status, nominal_id);

-- What is left of a removed person: no name, no date of birth, no address.
CREATE TABLE archive (
    ref         TEXT PRIMARY KEY,
    bcu         TEXT NOT NULL,
    date_added  TEXT,
    removed_at  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    proposed_by INTEGER REFERENCES users(id),
    approved_by INTEGER REFERENCES users(id),
    purge_after TEXT NOT NULL,
    gender      TEXT,
    ethnicity   TEXT,
    age_band    TEXT
) STRICT;
CREATE INDEX archive_purge ON archive(purge_after);

CREATE TABLE dsa (
    id           INTEGER PRIMARY KEY,
    organisation TEXT NOT NULL,
    bcu          TEXT NOT NULL,
    fields       TEXT NOT NULL,
    starts_on    TEXT NOT NULL,
    ends_on      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   INTEGER REFERENCES users(id)
) STRICT;
ALTER TABLE users ADD COLUMN dsa_id INTEGER REFERENCES dsa(id);
ALTER TABLE access_log ADD COLUMN operation_ref TEXT;

CREATE VIRTUAL TABLE nominal_search USING fts5(
    names, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
"""

# Version 4: tamper evidence for the access log (store/log_chain.py). The chain
# itself is started by the vault after migrating, because its first key must be
# sealed to the auditors' key slots, which live outside the database.
_V4 = """
ALTER TABLE access_log ADD COLUMN entry_hash BLOB;
ALTER TABLE access_log ADD COLUMN mac BLOB;
CREATE TABLE log_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    head_seq  INTEGER NOT NULL,
    head_hash BLOB NOT NULL,
    mac_key   BLOB NOT NULL
) STRICT;
"""

# Version 5: the auditors' workspace and access governance: indexes for filtered
# log queries, audit forms, training records and BCU access grants.
_V5 = """
CREATE INDEX access_log_action ON access_log(action, seq);
CREATE INDEX access_log_time ON access_log(at_utc);
CREATE INDEX access_log_reason ON access_log(reason_category, seq);
CREATE INDEX access_log_outcome ON access_log(outcome, seq);

CREATE TABLE audit_forms (
    id          INTEGER PRIMARY KEY,
    log_seq     INTEGER NOT NULL,
    entry_hash  BLOB NOT NULL,
    subject_id  INTEGER REFERENCES users(id),
    issued_at   TEXT NOT NULL,
    issued_by   INTEGER NOT NULL REFERENCES users(id),
    answer      TEXT,
    answered_at TEXT,
    recorded_by INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX audit_forms_seq ON audit_forms(log_seq);

CREATE TABLE training (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    course       TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    recorded_by  INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX training_user ON training(user_id, expires_on);

ALTER TABLE users ADD COLUMN bcu_access_granted_at TEXT;
ALTER TABLE users ADD COLUMN bcu_access_granted_by INTEGER REFERENCES users(id);
"""

# Version 6: quarterly reviews and their decisions, the vault's certificate authority and
# the SPOCs' signing keys, and the reference population for the disproportionality report.
# A review item keeps the ref, name and facts the review saw, so a signed review can be
# printed again after the people it removed have left the matrix. A signed review is
# immutable: triggers refuse any change to it or its items (a later change is a new review).
_V6 = """
CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY,
    bcu         TEXT NOT NULL,
    quarter     TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    opened_by   INTEGER REFERENCES users(id),
    supersedes  INTEGER REFERENCES reviews(id),
    signed_at   TEXT,
    signed_by   INTEGER REFERENCES users(id),
    signed_head INTEGER
) STRICT;
CREATE UNIQUE INDEX reviews_one_open ON reviews(bcu, quarter) WHERE signed_at IS NULL;
CREATE INDEX reviews_bcu ON reviews(bcu, quarter);
CREATE TABLE review_items (
    review_id       INTEGER NOT NULL REFERENCES reviews(id),
    ref             TEXT NOT NULL,
    name            TEXT NOT NULL,
    age             INTEGER NOT NULL,
    harm_score      INTEGER NOT NULL,
    harm_band       TEXT NOT NULL,
    victim_band     TEXT NOT NULL,
    flags           TEXT NOT NULL,
    recommendation  TEXT CHECK (recommendation IN ('retain','remove','rescore')),
    rationale       TEXT,
    recommended_by  INTEGER REFERENCES users(id),
    recommended_at  TEXT,
    verdict         TEXT CHECK (verdict IN ('agree','override')),
    decision        TEXT CHECK (decision IN ('retain','remove','rescore')),
    override_reason TEXT,
    verdict_by      INTEGER REFERENCES users(id),
    verdict_at      TEXT,
    PRIMARY KEY (review_id, ref)
) STRICT;
CREATE TRIGGER review_signed_is_final BEFORE UPDATE ON reviews WHEN OLD.signed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_signed_not_deleted BEFORE DELETE ON reviews WHEN OLD.signed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_items_final BEFORE UPDATE ON review_items
WHEN (SELECT signed_at FROM reviews WHERE id = OLD.review_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_items_not_added BEFORE INSERT ON review_items
WHEN (SELECT signed_at FROM reviews WHERE id = NEW.review_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_items_not_deleted BEFORE DELETE ON review_items
WHEN (SELECT signed_at FROM reviews WHERE id = OLD.review_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TABLE certificate_authority (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    cert        BLOB NOT NULL,
    private_key BLOB NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE TABLE signing_keys (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id),
    cert        BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    issued_at   TEXT NOT NULL
) STRICT;
CREATE TABLE reference_population (
    borough    TEXT NOT NULL,
    dimension  TEXT NOT NULL,
    grp        TEXT NOT NULL,
    population INTEGER NOT NULL CHECK (population >= 0),
    source     TEXT NOT NULL,
    loaded_at  TEXT NOT NULL,
    PRIMARY KEY (borough, dimension, grp)
) STRICT;
CREATE INDEX archive_removed ON archive(bcu, removed_at);
CREATE TABLE disclosures (
    ref     TEXT NOT NULL,
    log_seq INTEGER NOT NULL,
    PRIMARY KEY (ref, log_seq)
) STRICT, WITHOUT ROWID;
"""

# Version 7: the label does not follow. A removed person's review items keep their reference and
# what was decided (by whom, when), but lose the name, the age and the free texts, in open and
# signed reviews alike; signed reviews past the retention period are purged with the archive.
# The table is rebuilt because `age` must become nullable. The signed-review triggers are
# narrowed to exactly those two changes:
#  - an item's redaction: only once, only of a reference no longer on the matrix, only blanking
#    name, age, rationale and override reason, every other column unchanged;
#  - a purge: only of reviews listed in review_purges, which the retention purge fills and empties
#    inside its own transaction (a review that pointed at a purged one loses only that pointer).
# Like every trigger here they are a guard rail against the application's own mistakes, not a
# defence against someone holding the data key.
_V7 = """
DROP TRIGGER review_items_final;
DROP TRIGGER review_items_not_added;
DROP TRIGGER review_items_not_deleted;
DROP TRIGGER review_signed_is_final;
DROP TRIGGER review_signed_not_deleted;
CREATE TABLE review_items_v7 (
    review_id       INTEGER NOT NULL REFERENCES reviews(id),
    ref             TEXT NOT NULL,
    name            TEXT NOT NULL,
    age             INTEGER,
    harm_score      INTEGER NOT NULL,
    harm_band       TEXT NOT NULL,
    victim_band     TEXT NOT NULL,
    flags           TEXT NOT NULL,
    recommendation  TEXT CHECK (recommendation IN ('retain','remove','rescore')),
    rationale       TEXT,
    recommended_by  INTEGER REFERENCES users(id),
    recommended_at  TEXT,
    verdict         TEXT CHECK (verdict IN ('agree','override')),
    decision        TEXT CHECK (decision IN ('retain','remove','rescore')),
    override_reason TEXT,
    verdict_by      INTEGER REFERENCES users(id),
    verdict_at      TEXT,
    redacted_at     TEXT,
    PRIMARY KEY (review_id, ref)
) STRICT;
INSERT INTO review_items_v7 (review_id, ref, name, age, harm_score, harm_band, victim_band, flags, recommendation,
    rationale, recommended_by, recommended_at, verdict, decision, override_reason, verdict_by, verdict_at)
SELECT review_id, ref, name, age, harm_score, harm_band, victim_band, flags, recommendation,
    rationale, recommended_by, recommended_at, verdict, decision, override_reason, verdict_by, verdict_at
FROM review_items;
DROP TABLE review_items;
ALTER TABLE review_items_v7 RENAME TO review_items;
CREATE INDEX review_items_ref ON review_items(ref);
CREATE TABLE review_purges (
    review_id INTEGER PRIMARY KEY
) STRICT;
CREATE TRIGGER review_signed_is_final BEFORE UPDATE ON reviews WHEN OLD.signed_at IS NOT NULL
AND NOT (NEW.supersedes IS NULL AND EXISTS (SELECT 1 FROM review_purges WHERE review_id = OLD.supersedes)
    AND NEW.id IS OLD.id AND NEW.bcu IS OLD.bcu AND NEW.quarter IS OLD.quarter AND NEW.opened_at IS OLD.opened_at
    AND NEW.opened_by IS OLD.opened_by AND NEW.signed_at IS OLD.signed_at AND NEW.signed_by IS OLD.signed_by
    AND NEW.signed_head IS OLD.signed_head)
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_signed_not_deleted BEFORE DELETE ON reviews WHEN OLD.signed_at IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM review_purges WHERE review_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_items_final BEFORE UPDATE ON review_items
WHEN (SELECT signed_at FROM reviews WHERE id = OLD.review_id) IS NOT NULL
AND NOT (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM nominals WHERE ref = OLD.ref)
    AND NEW.name IS '' AND NEW.age IS NULL AND NEW.rationale IS NULL AND NEW.override_reason IS NULL
    AND NEW.review_id IS OLD.review_id AND NEW.ref IS OLD.ref AND NEW.harm_score IS OLD.harm_score
    AND NEW.harm_band IS OLD.harm_band AND NEW.victim_band IS OLD.victim_band AND NEW.flags IS OLD.flags
    AND NEW.recommendation IS OLD.recommendation AND NEW.recommended_by IS OLD.recommended_by
    AND NEW.recommended_at IS OLD.recommended_at AND NEW.verdict IS OLD.verdict AND NEW.decision IS OLD.decision
    AND NEW.verdict_by IS OLD.verdict_by AND NEW.verdict_at IS OLD.verdict_at)
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_items_not_added BEFORE INSERT ON review_items
WHEN (SELECT signed_at FROM reviews WHERE id = NEW.review_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
CREATE TRIGGER review_items_not_deleted BEFORE DELETE ON review_items
WHEN (SELECT signed_at FROM reviews WHERE id = OLD.review_id) IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM review_purges WHERE review_id = OLD.review_id)
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
"""
# Version 8: the disclosure register is read by log entry too (the monthly audit's downloads).
_V8 = """
CREATE INDEX disclosures_seq ON disclosures(log_seq);
"""
# Version 9: each account's key-slot public key, kept inside the encrypted database, so a rotation
# seals the new data key to that slot only, never to another slot claiming the same account.
_V9 = """
ALTER TABLE users ADD COLUMN slot_public BLOB;
"""
# Version 10: the reference index in common (issue 13). What an auditor and the administrator need across
# BCUs without attaching every BCU's compartment (SQLite attaches at most ten files): each person's reference,
# BCU and status, and each archive row's reference, BCU and dates. Nothing that identifies a person beyond the
# reference: no name, date of birth, address or alias. An archive row is keyed by its reference, the archive's own
# key (its rowid is not unique once BCUs have files of their own). Kept in the same transaction as every change
# to a person: by these triggers while people are in this file; once they are in BCU compartments, by the TEMP
# triggers each session installs on the compartments it holds (store/person_index.py), these triggers going with
# the tables they are on when common's per-BCU tables are dropped.
_V10 = """
CREATE TABLE person_index (
    id     INTEGER PRIMARY KEY,
    ref    TEXT NOT NULL UNIQUE,
    bcu    TEXT NOT NULL,
    status TEXT NOT NULL
) STRICT;
CREATE INDEX person_index_bcu ON person_index(bcu, status);
CREATE TABLE archive_index (
    ref         TEXT PRIMARY KEY,
    bcu         TEXT NOT NULL,
    removed_at  TEXT NOT NULL,
    purge_after TEXT NOT NULL
) STRICT;
CREATE INDEX archive_index_due ON archive_index(purge_after, bcu);
CREATE INDEX archive_index_bcu ON archive_index(bcu);
CREATE TABLE status_index (
    id          INTEGER PRIMARY KEY,
    tag         BLOB NOT NULL,
    harm_band   TEXT,
    victim_band TEXT
) STRICT;
CREATE INDEX status_index_tag ON status_index(tag);
INSERT INTO person_index (id, ref, bcu, status) SELECT id, ref, bcu, status FROM nominals;
INSERT INTO archive_index (ref, bcu, removed_at, purge_after) SELECT ref, bcu, removed_at, purge_after FROM archive;
CREATE TRIGGER person_index_added AFTER INSERT ON nominals
BEGIN
INSERT INTO person_index (id, ref, bcu, status) VALUES (NEW.id, NEW.ref, NEW.bcu, NEW.status)
ON CONFLICT (id) DO UPDATE SET ref = excluded.ref, bcu = excluded.bcu, status = excluded.status;
END;
CREATE TRIGGER person_index_changed AFTER UPDATE OF id, ref, bcu, status ON nominals
WHEN OLD.id IS NOT NEW.id OR OLD.ref IS NOT NEW.ref OR OLD.bcu IS NOT NEW.bcu OR OLD.status IS NOT NEW.status
BEGIN
DELETE FROM person_index WHERE id = OLD.id AND OLD.id IS NOT NEW.id;
INSERT INTO person_index (id, ref, bcu, status) VALUES (NEW.id, NEW.ref, NEW.bcu, NEW.status)
ON CONFLICT (id) DO UPDATE SET ref = excluded.ref, bcu = excluded.bcu, status = excluded.status;
END;
CREATE TRIGGER person_index_removed AFTER DELETE ON nominals
BEGIN
DELETE FROM person_index WHERE id = OLD.id;
END;
CREATE TRIGGER archive_index_added AFTER INSERT ON archive
BEGIN
INSERT INTO archive_index (ref, bcu, removed_at, purge_after) VALUES (NEW.ref, NEW.bcu, NEW.removed_at, NEW.purge_after)
ON CONFLICT (ref) DO UPDATE SET bcu = excluded.bcu, removed_at = excluded.removed_at, purge_after = excluded.purge_after;
END;
CREATE TRIGGER archive_index_changed AFTER UPDATE OF ref, bcu, removed_at, purge_after ON archive
WHEN OLD.ref IS NOT NEW.ref OR OLD.bcu IS NOT NEW.bcu OR OLD.removed_at IS NOT NEW.removed_at
    OR OLD.purge_after IS NOT NEW.purge_after
BEGIN
DELETE FROM archive_index WHERE ref = OLD.ref AND OLD.ref IS NOT NEW.ref;
INSERT INTO archive_index (ref, bcu, removed_at, purge_after) VALUES (NEW.ref, NEW.bcu, NEW.removed_at, NEW.purge_after)
ON CONFLICT (ref) DO UPDATE SET bcu = excluded.bcu, removed_at = excluded.removed_at, purge_after = excluded.purge_after;
END;
CREATE TRIGGER archive_index_removed AFTER DELETE ON archive
BEGIN
DELETE FROM archive_index WHERE ref = OLD.ref;
END;
"""
# Version 11: the signed original of each review sheet (issue 15). The SPOC's sign-off makes the sheet and signs it
# with their own key; they are given the PDF, the vault keeps only its SHA-256 and who signed it with which
# certificate, when (a PDF names people who may later be removed, and the vault keeps nothing of them). Set in
# the UPDATE that signs the review, then final like the rest of a signed review: the trigger is made again with
# these columns among those no change may touch.
_V11 = """
ALTER TABLE reviews ADD COLUMN original_sha256 TEXT;
ALTER TABLE reviews ADD COLUMN original_signer INTEGER REFERENCES users(id);
ALTER TABLE reviews ADD COLUMN original_cert_sha256 TEXT;
ALTER TABLE reviews ADD COLUMN original_cert_serial TEXT;
ALTER TABLE reviews ADD COLUMN original_signed_at TEXT;
DROP TRIGGER review_signed_is_final;
CREATE TRIGGER review_signed_is_final BEFORE UPDATE ON reviews WHEN OLD.signed_at IS NOT NULL
AND NOT (NEW.supersedes IS NULL AND EXISTS (SELECT 1 FROM review_purges WHERE review_id = OLD.supersedes)
    AND NEW.id IS OLD.id AND NEW.bcu IS OLD.bcu AND NEW.quarter IS OLD.quarter AND NEW.opened_at IS OLD.opened_at
    AND NEW.opened_by IS OLD.opened_by AND NEW.signed_at IS OLD.signed_at AND NEW.signed_by IS OLD.signed_by
    AND NEW.signed_head IS OLD.signed_head AND NEW.original_sha256 IS OLD.original_sha256
    AND NEW.original_signer IS OLD.original_signer AND NEW.original_cert_sha256 IS OLD.original_cert_sha256
    AND NEW.original_cert_serial IS OLD.original_cert_serial AND NEW.original_signed_at IS OLD.original_signed_at)
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
"""
# Version 12: the victim side of each review item (issue 15). The review sheet prints the classification and the
# victim-risk score beside the harm score on every row, as the review saw them, removed people included: kept with
# the item when the review opens (NULL in items stored before), and final like the rest of a signed review, so the
# v7 trigger is made again with them among the columns a redaction leaves unchanged. review_items is a per-BCU
# table: the columns go wherever it lives (common before the split, then each BCU's file; see _BCU_CHANGES).
_V12_ITEM_COLUMNS = """
ALTER TABLE {schema}.review_items ADD COLUMN victim_score INTEGER;
ALTER TABLE {schema}.review_items ADD COLUMN classification TEXT;
"""
_V12_FINAL_TRIGGER = """
DROP TRIGGER review_items_final;
CREATE TRIGGER review_items_final BEFORE UPDATE ON review_items
WHEN (SELECT signed_at FROM reviews WHERE id = OLD.review_id) IS NOT NULL
AND NOT (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM nominals WHERE ref = OLD.ref)
    AND NEW.name IS '' AND NEW.age IS NULL AND NEW.rationale IS NULL AND NEW.override_reason IS NULL
    AND NEW.review_id IS OLD.review_id AND NEW.ref IS OLD.ref AND NEW.harm_score IS OLD.harm_score
    AND NEW.harm_band IS OLD.harm_band AND NEW.victim_band IS OLD.victim_band AND NEW.flags IS OLD.flags
    AND NEW.recommendation IS OLD.recommendation AND NEW.recommended_by IS OLD.recommended_by
    AND NEW.recommended_at IS OLD.recommended_at AND NEW.verdict IS OLD.verdict AND NEW.decision IS OLD.decision
    AND NEW.verdict_by IS OLD.verdict_by AND NEW.verdict_at IS OLD.verdict_at
    AND NEW.victim_score IS OLD.victim_score AND NEW.classification IS OLD.classification)
BEGIN SELECT RAISE(ABORT, 'a signed review cannot be changed'); END;
"""
# Where review_items lives decides what version 12 runs in common (_review_items_victim_side): a script of its own
# would fail in a split vault's common, which no longer has the table.
_V12 = "-- see _review_items_victim_side"
# The triggers above, kept on common's own per-BCU tables: compartments.bcu_schema() does not take them for
# guards to install on every compartment (sessions install their own, over the compartments they hold).
INDEX_TRIGGERS = frozenset({"person_index_added", "person_index_changed", "person_index_removed",
                            "archive_index_added", "archive_index_changed", "archive_index_removed"})
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12)
LATEST = len(MIGRATIONS)


def _backfill_search(conn: Connection) -> None:
    """People stored before version 3 get their search key and index entry."""
    from gvm_desktop.store.nominals import reindex

    for (nominal_id,) in conn.execute("SELECT id FROM nominals").fetchall():
        reindex(conn, nominal_id)


# The mark a vault carries from its upgrade to version 4 until its old entries are chained
# (store/vault.py). Set only here, in the migration's own transaction: an entry-less chain is
# never started on any other grounds, so a vault whose log state vanished is reported, not repaired.
LOG_BACKFILL_MARK = "log_chain_backfill"


def _mark_log_backfill(conn: Connection) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, 'pending')", (LOG_BACKFILL_MARK,))


def _redact_removed(conn: Connection) -> None:
    """People removed before version 7 lose their name, age and free texts from every review now."""
    from gvm_desktop.store.reviews import redact_removed

    redact_removed(conn, conn.execute("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')").fetchone()[0])


def _has_main(conn: Connection, kind: str, name: str) -> bool:
    return conn.execute("SELECT 1 FROM main.sqlite_master WHERE type = ? AND name = ?", (kind, name)).fetchone() is not None


def _review_items_victim_side(conn: Connection) -> None:
    """Version 12 in common: only while common still holds review_items (a vault not yet split, or one part-way).

    A split under way dropped common's triggers on the moving tables (compartment_split step 1, so that signed
    items can move): the trigger comes back only where it still was. The BCU files get their columns when a
    session attaches them (upgrade_compartment); their triggers are the sessions' own, made from the template.
    """
    if not _has_main(conn, "table", "review_items"):
        return
    for statement in _statements(_V12_ITEM_COLUMNS.format(schema="main")):
        conn.execute(statement)
    if _has_main(conn, "trigger", "review_items_final"):
        for statement in _statements(_V12_FINAL_TRIGGER):
            conn.execute(statement)


# Data steps that run after a version's SQL, inside the same transaction.
_AFTER: dict[int, Callable[[Connection], None]] = {
    3: _backfill_search, 4: _mark_log_backfill, 7: _redact_removed, 12: _review_items_victim_side}

# What each version after the split (version 10) changed in the per-BCU tables, made again in each BCU file
# (compartments.py) made before it. Columns only: those files store no triggers.
_BCU_CHANGES: dict[int, str] = {12: _V12_ITEM_COLUMNS}
_BCU_SCHEMA = re.compile(r"bcu_[a-z]{2,4}")


def _statements(script: str) -> list[str]:
    """Split a migration script on the ';' that ends a statement (triggers keep their bodies)."""
    out: list[str] = []
    buf: list[str] = []
    for line in script.strip().splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        joined = "\n".join(buf).strip()
        inside_trigger = joined.upper().startswith("CREATE TRIGGER") and not joined.upper().endswith("END;")
        if joined.endswith(";") and not inside_trigger:
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out


def current_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection, target: int = LATEST) -> int:
    """Bring the schema to `target`, one transaction per step; return the new version."""
    version = current_version(conn)
    if version > LATEST:
        raise VaultCorrupt(
            f"The vault has schema version {version}, newer than this gvm-desktop ({LATEST}): update the application."
        )
    while version < target:
        with transaction(conn):
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            if version + 1 in _AFTER:
                _AFTER[version + 1](conn)
            # PRAGMA takes no parameters; the value is an int we computed.
            conn.execute(f"PRAGMA user_version = {int(version + 1)}")
        version += 1
    return version


def upgrade_compartment(conn: Connection, schema: str) -> int:
    """Bring an attached BCU file (attached as `schema`, e.g. bcu_ce) to this version; return its version.

    In one transaction with its version bump, like each step of `migrate`: a file is either upgraded or as it was.
    Each session upgrades the files it holds, when it attaches them; a file nobody holding its key has opened
    since an upgrade stays as it was until then (no one else can read it, or write it).
    """
    if not _BCU_SCHEMA.fullmatch(schema):
        raise ValueError(f"not a BCU compartment's schema name: {schema!r}")
    version = int(conn.execute(f"PRAGMA {schema}.user_version").fetchone()[0])
    if version > LATEST:
        raise VaultCorrupt(f"The compartment {schema} has schema version {version}, newer than this gvm-desktop "
                           f"({LATEST}): update the application.")
    if version == LATEST:
        return version
    if int(conn.execute("PRAGMA query_only").fetchone()[0]):
        raise VaultError("This vault's schema is out of date: sign in once to upgrade it, then verify.")
    with transaction(conn):
        for step in range(version + 1, LATEST + 1):
            for statement in _statements(_BCU_CHANGES.get(step, "").format(schema=schema)):
                conn.execute(statement)
        conn.execute(f"PRAGMA {schema}.user_version = {int(LATEST)}")  # an int we computed: PRAGMA takes no parameters
    return LATEST
