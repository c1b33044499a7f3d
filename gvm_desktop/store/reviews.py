"""Tables reviews, review_items and review_purges: quarterly reviews, their items and decisions.

Plain queries inside the caller's transaction. The rules (who may decide what,
what a rationale must say) are in core/review.py and services/reviews.py. The
disclosure register, the reference population and the certificate authority have
their own modules (disclosures.py, reference_population.py, certificates.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from gvm_desktop.core.review_rows import (
    ItemRow,
    NewItem,
    ReviewCounts,
    ReviewRow,
    SignedOriginal,
)
from gvm_desktop.store import bcu_rows
from gvm_desktop.store.database import Connection
from gvm_desktop.store.meta import get_meta, set_meta
from gvm_desktop.store.repository import Repository, bound

REVIEW_ID_FLOOR = "review_id_floor"  # meta: the highest id a purged review had (never handed out again)
_REVIEW = "id, bcu, quarter, opened_at, opened_by, supersedes, signed_at, signed_by, signed_head"


def open_review(conn: Connection, *, bcu: str, quarter: str, opened_at: str, opened_by: int | None,
                supersedes: int | None) -> int:
    # Never an id a purged review had: its items, in a BCU compartment the purging session may not hold,
    # wait there for that BCU's next holder to remove them (remove_orphaned_items) and must not join a new review.
    cur = conn.execute(
        "INSERT INTO reviews (id, bcu, quarter, opened_at, opened_by, supersedes) VALUES "
        "(max(coalesce((SELECT max(id) FROM reviews), 0), coalesce((SELECT CAST(value AS INTEGER) FROM meta "
        f"WHERE key = '{REVIEW_ID_FLOOR}'), 0)) + 1, ?, ?, ?, ?, ?)",
        (bcu, quarter, opened_at, opened_by, supersedes))
    return int(cur.lastrowid or 0)


def remove_orphaned_items(conn: Connection) -> int:
    """Delete the items, in the compartments this session holds, of reviews purged from common (a holder's duty)."""
    return bcu_rows.rows_written(conn, "review_items",
                                 "DELETE FROM review_items WHERE review_id NOT IN (SELECT id FROM main.reviews)")


def add_items(conn: Connection, review_id: int, items: Iterable[NewItem]) -> None:
    conn.executemany(
        "INSERT INTO review_items (review_id, ref, name, age, harm_score, harm_band, victim_band, flags, victim_score, "
        "classification) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [(review_id, i.ref, i.name, i.age, i.harm_score, i.harm_band, i.victim_band, ",".join(i.flags), i.victim_score,
          i.classification) for i in items])


def review(conn: Connection, review_id: int) -> ReviewRow | None:
    row = conn.execute(f"SELECT {_REVIEW} FROM reviews WHERE id = ?", (review_id,)).fetchone()
    return ReviewRow(*row) if row else None


def reviews_of(conn: Connection, *, bcu: str | None = None, quarter: str | None = None) -> list[ReviewRow]:
    """Newest first."""
    sql = f"SELECT {_REVIEW} FROM reviews WHERE (?1 IS NULL OR bcu = ?1) AND (?2 IS NULL OR quarter = ?2) "
    return [ReviewRow(*r) for r in conn.execute(sql + "ORDER BY quarter DESC, id DESC", (bcu, quarter))]


def counts(conn: Connection, review_id: int) -> ReviewCounts:
    people, recommended, decided, flagged = conn.execute(
        "SELECT count(*), count(recommendation), count(verdict), coalesce(sum(flags != ''), 0) FROM review_items "
        "WHERE review_id = ?", (review_id,)).fetchone()
    return ReviewCounts(people=int(people), recommended=int(recommended), decided=int(decided), flagged=int(flagged))


_ITEM = ("SELECT i.ref, i.name, i.age, i.harm_score, i.harm_band, i.victim_band, i.flags, i.recommendation, "
         "i.rationale, r.username, i.recommended_at, i.verdict, i.decision, i.override_reason, v.username, i.verdict_at, "
         "i.redacted_at, i.victim_score, i.classification "
         "FROM review_items i LEFT JOIN users r ON r.id = i.recommended_by LEFT JOIN users v ON v.id = i.verdict_by ")


def _item_row(r: tuple) -> ItemRow:
    (ref, name, age, harm_score, harm_band, victim_band, flags, recommendation, rationale, recommended_by,
     recommended_at, verdict, decision, override_reason, verdict_by, verdict_at, redacted_at, victim_score,
     classification) = r
    return ItemRow(ref, name, age, harm_score, harm_band, victim_band, tuple(f for f in flags.split(",") if f),
                   recommendation, rationale, recommended_by, recommended_at, verdict, decision, override_reason,
                   verdict_by, verdict_at, redacted_at, victim_score, classification)


def items(conn: Connection, review_id: int) -> list[ItemRow]:
    rows = conn.execute(_ITEM + "WHERE i.review_id = ? ORDER BY i.redacted_at IS NOT NULL, i.name COLLATE NOCASE, i.ref",
                        (review_id,))
    return [_item_row(r) for r in rows]


def item(conn: Connection, review_id: int, ref: str) -> ItemRow | None:
    row = conn.execute(_ITEM + "WHERE i.review_id = ? AND i.ref = ?", (review_id, ref)).fetchone()
    return _item_row(row) if row else None


def item_names(conn: Connection, review_id: int) -> dict[str, str]:
    """Reference -> name ('' once redacted) of everyone a review lists."""
    return {str(ref): str(name) for ref, name in conn.execute(
        "SELECT ref, name FROM review_items WHERE review_id = ?", (review_id,))}


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
    return bcu_rows.rows_written(conn, "review_items", _REDACT + "WHERE ref = ? AND redacted_at IS NULL", (at, ref))


def redact_removed(conn: Connection, at: str) -> int:
    """The same for every reference no longer on the matrix (the upgrade of a vault that kept them)."""
    return bcu_rows.rows_written(conn, "review_items",
                                 _REDACT + "WHERE redacted_at IS NULL AND ref NOT IN (SELECT ref FROM nominals)", (at,))


# What "due" means for a signed review, for the purge and its preview alike: signed on a day up to the cutoff.
_SIGNED_DUE = "signed_at IS NOT NULL AND substr(signed_at, 1, 10) <= ?"


def signed_due(conn: Connection, signed_on_or_before: str) -> list[ReviewRow]:
    """The reviews purge_signed(signed_on_or_before) would delete, by id."""
    return [ReviewRow(*r) for r in conn.execute(f"SELECT {_REVIEW} FROM reviews WHERE {_SIGNED_DUE} ORDER BY id",
                                                (signed_on_or_before,))]


def purge_signed(conn: Connection, signed_on_or_before: str) -> tuple[int, int]:
    """Delete the reviews signed on or before an ISO date, items included, in the caller's transaction.

    Returns (reviews, items). The reviews are listed in review_purges for the length of the call,
    which is what the triggers accept as leave to delete a signed review; a later review that names a
    purged one as the review it superseded loses that pointer, since the row it pointed at is gone.
    """
    conn.execute(f"INSERT INTO review_purges (review_id) SELECT id FROM reviews WHERE {_SIGNED_DUE}",
                 (signed_on_or_before,))
    conn.execute("UPDATE reviews SET supersedes = NULL WHERE supersedes IN (SELECT review_id FROM review_purges)")
    items = bcu_rows.rows_written(conn, "review_items",
                                  "DELETE FROM review_items WHERE review_id IN (SELECT review_id FROM review_purges)")
    (highest,) = conn.execute("SELECT max(review_id) FROM review_purges").fetchone()
    floor = get_meta(conn, REVIEW_ID_FLOOR)
    if highest is not None and int(highest) > int(floor or 0):
        set_meta(conn, REVIEW_ID_FLOOR, str(int(highest)))
    gone = conn.execute("DELETE FROM reviews WHERE id IN (SELECT review_id FROM review_purges)").rowcount
    conn.execute("DELETE FROM review_purges")  # the leave to delete ends with the purge (a failure rolls it back)
    return int(gone), int(items)


def mark_signed(conn: Connection, review_id: int, *, at: str, by: int, head: int) -> None:
    conn.execute("UPDATE reviews SET signed_at = ?, signed_by = ?, signed_head = ? WHERE id = ? AND signed_at IS NULL",
                 (at, by, head, review_id))


def mark_signed_with_original(conn: Connection, review_id: int, *, at: str, by: int, head: int,
                              original: SignedOriginal) -> None:
    """mark_signed, recording the signed original in the same UPDATE (a signed review changes no more)."""
    conn.execute("UPDATE reviews SET signed_at = ?, signed_by = ?, signed_head = ?, original_sha256 = ?, "
                 "original_signer = ?, original_cert_sha256 = ?, original_cert_serial = ?, original_signed_at = ? "
                 "WHERE id = ? AND signed_at IS NULL",
                 (at, by, head, original.sha256, original.signer_id, original.cert_sha256, original.cert_serial,
                  original.signed_at, review_id))


def signed_original(conn: Connection, review_id: int) -> SignedOriginal | None:
    """The review's signed original, or None: not signed, or signed before originals were made (version 11)."""
    row = conn.execute("SELECT original_sha256, original_signer, original_cert_sha256, original_cert_serial, "
                       "original_signed_at FROM reviews WHERE id = ? AND original_sha256 IS NOT NULL",
                       (review_id,)).fetchone()
    return SignedOriginal(str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4])) if row else None


def previous_signed(conn: Connection, bcu: str, before_quarter: str) -> ReviewRow | None:
    row = conn.execute(f"SELECT {_REVIEW} FROM reviews WHERE bcu = ? AND quarter < ? AND signed_at IS NOT NULL "
                       "ORDER BY quarter DESC, id DESC LIMIT 1", (bcu, before_quarter)).fetchone()
    return ReviewRow(*row) if row else None


def open_spans(conn: Connection, bcu: str) -> list[tuple[str, str | None]]:
    """(opened at, signed at or None) of every review of a BCU: when its quarterly review was under way."""
    return [(str(r[0]), r[1]) for r in conn.execute(
        "SELECT opened_at, signed_at FROM reviews WHERE bcu = ? ORDER BY opened_at", (bcu,))]


class ReviewsRepository(Repository):
    """Quarterly reviews and their items (tables reviews, review_items, review_purges)."""

    __slots__ = ()

    open_review = bound(open_review)
    add_items = bound(add_items)
    review = bound(review)
    reviews_of = bound(reviews_of)
    counts = bound(counts)
    items = bound(items)
    item = bound(item)
    item_names = bound(item_names)
    set_recommendation = bound(set_recommendation)
    set_verdict = bound(set_verdict)
    redact_person = bound(redact_person)
    redact_removed = bound(redact_removed)
    purge_signed = bound(purge_signed)
    signed_due = bound(signed_due)
    mark_signed = bound(mark_signed)
    mark_signed_with_original = bound(mark_signed_with_original)
    signed_original = bound(signed_original)
    previous_signed = bound(previous_signed)
    open_spans = bound(open_spans)
    remove_orphaned_items = bound(remove_orphaned_items)
