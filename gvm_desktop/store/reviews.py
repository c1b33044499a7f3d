"""Quarterly reviews, their items and decisions; the disclosure register; the reference population.

Plain queries inside the caller's transaction. The rules (who may decide what,
what a rationale must say) are in core/review.py and services/reviews.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gvm_desktop.core.clock import to_iso
from gvm_desktop.store import pki
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound


@dataclass(frozen=True)
class ReviewRow:
    id: int
    bcu: str
    quarter: str
    opened_at: str
    opened_by: int | None
    supersedes: int | None
    signed_at: str | None
    signed_by: int | None
    signed_head: int | None


@dataclass(frozen=True)
class ItemRow:
    ref: str
    name: str  # '' once redacted
    age: int | None  # None once redacted
    harm_score: int
    harm_band: str
    victim_band: str
    flags: tuple[str, ...]
    recommendation: str | None
    rationale: str | None
    recommended_by: str | None
    recommended_at: str | None
    verdict: str | None
    decision: str | None
    override_reason: str | None
    verdict_by: str | None
    verdict_at: str | None
    redacted_at: str | None = None  # when the person left the matrix and their personal fields left this row


_REVIEW = "id, bcu, quarter, opened_at, opened_by, supersedes, signed_at, signed_by, signed_head"


def open_review(conn: Connection, *, bcu: str, quarter: str, opened_at: str, opened_by: int | None,
                supersedes: int | None) -> int:
    cur = conn.execute("INSERT INTO reviews (bcu, quarter, opened_at, opened_by, supersedes) VALUES (?,?,?,?,?)",
                       (bcu, quarter, opened_at, opened_by, supersedes))
    return int(cur.lastrowid or 0)


def add_items(conn: Connection, review_id: int,
              items: Iterable[tuple[str, str, int, int, str, str, tuple[str, ...]]]) -> None:
    """Items as (ref, name, age, harm score, harm band, victim band, flags)."""
    conn.executemany(
        "INSERT INTO review_items (review_id, ref, name, age, harm_score, harm_band, victim_band, flags) "
        "VALUES (?,?,?,?,?,?,?,?)",
        [(review_id, ref, name, age, score, band, vband, ",".join(flags))
         for ref, name, age, score, band, vband, flags in items])


def review(conn: Connection, review_id: int) -> ReviewRow | None:
    row = conn.execute(f"SELECT {_REVIEW} FROM reviews WHERE id = ?", (review_id,)).fetchone()
    return ReviewRow(*row) if row else None


def reviews_of(conn: Connection, *, bcu: str | None = None, quarter: str | None = None) -> list[ReviewRow]:
    """Newest first."""
    sql = f"SELECT {_REVIEW} FROM reviews WHERE (?1 IS NULL OR bcu = ?1) AND (?2 IS NULL OR quarter = ?2) "
    return [ReviewRow(*r) for r in conn.execute(sql + "ORDER BY quarter DESC, id DESC", (bcu, quarter))]


_ITEM = ("SELECT i.ref, i.name, i.age, i.harm_score, i.harm_band, i.victim_band, i.flags, i.recommendation, "
         "i.rationale, r.username, i.recommended_at, i.verdict, i.decision, i.override_reason, v.username, i.verdict_at, "
         "i.redacted_at "
         "FROM review_items i LEFT JOIN users r ON r.id = i.recommended_by LEFT JOIN users v ON v.id = i.verdict_by ")


def _item_row(r: tuple) -> ItemRow:
    return ItemRow(r[0], r[1], r[2], r[3], r[4], r[5], tuple(f for f in r[6].split(",") if f), *r[7:])


def items(conn: Connection, review_id: int) -> list[ItemRow]:
    rows = conn.execute(_ITEM + "WHERE i.review_id = ? ORDER BY i.redacted_at IS NOT NULL, i.name COLLATE NOCASE, i.ref",
                        (review_id,))
    return [_item_row(r) for r in rows]


def item(conn: Connection, review_id: int, ref: str) -> ItemRow | None:
    row = conn.execute(_ITEM + "WHERE i.review_id = ? AND i.ref = ?", (review_id, ref)).fetchone()
    return _item_row(row) if row else None


def set_recommendation(conn: Connection, review_id: int, ref: str, *, recommendation: str, rationale: str,
                       by: int, at: str) -> None:
    """A new recommendation clears the SPOC's verdict on the old one: they agreed to something else."""
    conn.execute("UPDATE review_items SET recommendation = ?, rationale = ?, recommended_by = ?, recommended_at = ?, "
                 "verdict = NULL, decision = NULL, override_reason = NULL, verdict_by = NULL, verdict_at = NULL "
                 "WHERE review_id = ? AND ref = ?", (recommendation, rationale, by, at, review_id, ref))


def set_verdict(conn: Connection, review_id: int, ref: str, *, verdict: str, decision: str, reason: str | None,
                by: int, at: str) -> None:
    conn.execute("UPDATE review_items SET verdict = ?, decision = ?, override_reason = ?, verdict_by = ?, verdict_at = ? "
                 "WHERE review_id = ? AND ref = ?", (verdict, decision, reason, by, at, review_id, ref))


# What a review item keeps of a person who left the matrix: the reference, the review's scores and flags
# (its sheet counted them) and what was recommended and decided, by whom and when. Name, age, rationale
# and override reason (free text about the person) go, in open and signed reviews alike; the
# review_items_final trigger allows exactly this change to a signed review, once, for a reference no
# longer on the matrix.
_REDACT = "UPDATE review_items SET name = '', age = NULL, rationale = NULL, override_reason = NULL, redacted_at = ? "


def redact_person(conn: Connection, ref: str, at: str) -> int:
    """Blank the personal fields of every review item of `ref` (call it after the person's row is deleted)."""
    return int(conn.execute(_REDACT + "WHERE ref = ? AND redacted_at IS NULL", (at, ref)).rowcount)


def redact_removed(conn: Connection, at: str) -> int:
    """The same for every reference no longer on the matrix (the upgrade of a vault that kept them)."""
    return int(conn.execute(_REDACT + "WHERE redacted_at IS NULL AND ref NOT IN (SELECT ref FROM nominals)",
                            (at,)).rowcount)


def purge_signed(conn: Connection, signed_on_or_before: str) -> tuple[int, int]:
    """Delete the reviews signed on or before an ISO date, items included, in the caller's transaction.

    Returns (reviews, items). The reviews are listed in review_purges for the length of the call,
    which is what the triggers accept as leave to delete a signed review; a later review that names a
    purged one as the review it superseded loses that pointer, since the row it pointed at is gone.
    """
    conn.execute("INSERT INTO review_purges (review_id) SELECT id FROM reviews "
                 "WHERE signed_at IS NOT NULL AND substr(signed_at, 1, 10) <= ?", (signed_on_or_before,))
    conn.execute("UPDATE reviews SET supersedes = NULL WHERE supersedes IN (SELECT review_id FROM review_purges)")
    items = conn.execute("DELETE FROM review_items WHERE review_id IN (SELECT review_id FROM review_purges)").rowcount
    gone = conn.execute("DELETE FROM reviews WHERE id IN (SELECT review_id FROM review_purges)").rowcount
    conn.execute("DELETE FROM review_purges")  # the leave to delete ends with the purge (a failure rolls it back)
    return int(gone), int(items)


def mark_signed(conn: Connection, review_id: int, *, at: str, by: int, head: int) -> None:
    conn.execute("UPDATE reviews SET signed_at = ?, signed_by = ?, signed_head = ? WHERE id = ? AND signed_at IS NULL",
                 (at, by, head, review_id))


def previous_signed(conn: Connection, bcu: str, before_quarter: str) -> ReviewRow | None:
    row = conn.execute(f"SELECT {_REVIEW} FROM reviews WHERE bcu = ? AND quarter < ? AND signed_at IS NOT NULL "
                       "ORDER BY quarter DESC, id DESC LIMIT 1", (bcu, before_quarter)).fetchone()
    return ReviewRow(*row) if row else None


def item_refs(conn: Connection, review_id: int) -> dict[str, str]:
    return dict(conn.execute("SELECT ref, name FROM review_items WHERE review_id = ?", (review_id,)).fetchall())


def user_name(conn: Connection, user_id: int | None) -> tuple[str, str] | None:
    row = conn.execute("SELECT display_name, username FROM users WHERE id = ?", (user_id,)).fetchone()
    return (str(row[0]), str(row[1])) if row else None


# --- the disclosure register: which people each disclosure (partner view, export) included ---

def record_disclosure(conn: Connection, log_seq: int, refs: Iterable[str]) -> None:
    conn.executemany("INSERT OR IGNORE INTO disclosures (ref, log_seq) VALUES (?, ?)", [(r, log_seq) for r in refs])


def disclosures_of(conn: Connection, ref: str) -> list[int]:
    return [int(r[0]) for r in conn.execute("SELECT log_seq FROM disclosures WHERE ref = ? ORDER BY log_seq", (ref,))]


# One row per person per day per agreement: the dedupe joins a disclosure to its log entry (no schema change).
# The range on log_seq (the second column of the key) keeps it to that person's rows of the day; the log is in
# time order (`log verify` checks it), so the day's first entry bounds them.
_ONCE_A_DAY = (
    "INSERT OR IGNORE INTO disclosures (ref, log_seq) SELECT ?1, ?2 WHERE NOT EXISTS ("
    "SELECT 1 FROM disclosures d JOIN access_log a ON a.seq = d.log_seq "
    "WHERE d.ref = ?1 AND d.log_seq >= ?3 AND d.log_seq <> ?2 AND a.operation_ref = ?4 AND a.action = ?5)")


def record_disclosure_daily(conn: Connection, log_seq: int, refs: Iterable[str], *, agreement_ref: str,
                            action: str) -> int:
    """Register the people of `refs` as disclosed by entry `log_seq`, except those already registered on that
    entry's UTC day by an `action` entry of the same agreement (its operation_ref). Returns the rows added."""
    first = conn.execute("SELECT seq FROM access_log WHERE at_utc >= (SELECT substr(at_utc, 1, 10) || 'T00:00:00Z' "
                         "FROM access_log WHERE seq = ?) ORDER BY at_utc, seq LIMIT 1", (log_seq,)).fetchone()
    since = int(first[0]) if first else log_seq
    before = conn.total_changes
    conn.executemany(_ONCE_A_DAY, [(ref, log_seq, since, agreement_ref, action) for ref in dict.fromkeys(refs)])
    return conn.total_changes - before


# --- the reference population for the disproportionality report ---

def replace_reference(conn: Connection, rows: Iterable[tuple[str, str, str, int]], *, source: str, at: str) -> int:
    conn.execute("DELETE FROM reference_population")
    data = [(b, d, g, n, source, at) for b, d, g, n in rows]
    conn.executemany("INSERT INTO reference_population (borough, dimension, grp, population, source, loaded_at) "
                     "VALUES (?,?,?,?,?,?)", data)
    return len(data)


def reference_rows(conn: Connection) -> list[tuple[str, str, str, int]]:
    return [tuple(r) for r in conn.execute(
        "SELECT borough, dimension, grp, population FROM reference_population ORDER BY borough, dimension, grp")]


def reference_source(conn: Connection) -> tuple[str, str] | None:
    row = conn.execute("SELECT source, max(loaded_at) FROM reference_population").fetchone()
    return (str(row[0]), str(row[1])) if row and row[0] is not None else None


# --- the vault's certificate authority and the signing keys it issued ---

def certificate_authority(conn: Connection) -> tuple[bytes, bytes] | None:
    row = conn.execute("SELECT cert, private_key FROM certificate_authority WHERE id = 1").fetchone()
    return (bytes(row[0]), bytes(row[1])) if row else None


def put_certificate_authority(conn: Connection, cert: bytes, private_key: bytes, at: str) -> None:
    conn.execute("INSERT INTO certificate_authority (id, cert, private_key, created_at) VALUES (1, ?, ?, ?)",
                 (cert, private_key, at))


def signing_key(conn: Connection, user_id: int) -> tuple[bytes, bytes] | None:
    row = conn.execute("SELECT cert, wrapped_key FROM signing_keys WHERE user_id = ?", (user_id,)).fetchone()
    return (bytes(row[0]), bytes(row[1])) if row else None


def put_signing_key(conn: Connection, user_id: int, cert: bytes, wrapped_key: bytes, at: str) -> None:
    conn.execute("INSERT OR REPLACE INTO signing_keys (user_id, cert, wrapped_key, issued_at) VALUES (?,?,?,?)",
                 (user_id, cert, wrapped_key, at))


def create_certificate_authority(conn: Connection, vault_id: str, now: datetime) -> pki.CaMaterial:
    """The vault's own CA, made at init: it issues each SPOC's document-signing certificate.

    Its private key lives only inside the encrypted vault; a review sheet's signature
    chains to its certificate, which verification tools are given explicitly.
    """
    ca = pki.create_ca(vault_id, f"GVM Desktop vault {vault_id[:8]}", now)
    put_certificate_authority(conn, ca.cert_der, ca.key_der, to_iso(now))
    return ca


def open_spans(conn: Connection, bcu: str) -> list[tuple[str, str | None]]:
    """(opened at, signed at or None) of every review of a BCU: when its quarterly review was under way."""
    return [(str(r[0]), r[1]) for r in conn.execute(
        "SELECT opened_at, signed_at FROM reviews WHERE bcu = ? ORDER BY opened_at", (bcu,))]


class ReviewsRepository(Repository):
    """Quarterly reviews and their items, the disclosure register, the reference population, the CA."""

    __slots__ = ()

    open_review = bound(open_review)
    add_items = bound(add_items)
    review = bound(review)
    reviews_of = bound(reviews_of)
    items = bound(items)
    item = bound(item)
    set_recommendation = bound(set_recommendation)
    set_verdict = bound(set_verdict)
    redact_person = bound(redact_person)
    redact_removed = bound(redact_removed)
    purge_signed = bound(purge_signed)
    mark_signed = bound(mark_signed)
    previous_signed = bound(previous_signed)
    item_refs = bound(item_refs)
    user_name = bound(user_name)
    record_disclosure = bound(record_disclosure)
    disclosures_of = bound(disclosures_of)
    record_disclosure_daily = bound(record_disclosure_daily)
    replace_reference = bound(replace_reference)
    reference_rows = bound(reference_rows)
    reference_source = bound(reference_source)
    certificate_authority = bound(certificate_authority)
    put_certificate_authority = bound(put_certificate_authority)
    signing_key = bound(signing_key)
    put_signing_key = bound(put_signing_key)
    create_certificate_authority = bound(create_certificate_authority)
    open_spans = bound(open_spans)
