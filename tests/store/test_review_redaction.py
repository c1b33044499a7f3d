"""Schema version 7: a removed person's review items lose their personal fields; signed reviews stay
final except for exactly that redaction and the retention purge."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gvm_desktop.store import database, reviews
from gvm_desktop.store.migrations import migrate

SIGNED_ITEM = "a signed review cannot be changed"


def _vault_at_6(tmp_path: Path) -> database.Connection:
    """A version-6 vault with a signed review of three people, one of whom has since been removed."""
    conn = database.connect(tmp_path / "r.db", os.urandom(32), create=True)
    migrate(conn, target=6)
    with database.transaction(conn):
        for n, (given, family) in enumerate((("Ada", "Quillbrook"), ("Bea", "Marrowfen")), start=1):
            conn.execute("INSERT INTO nominals (id, ref, given_name, family_name, date_of_birth, gender, ethnicity, "
                         "disability, address, postcode, borough, bcu, status, created_at) VALUES "
                         "(?, ?, ?, ?, '2004-01-02', 'F', 'W1', 'N', '1 Fictive Way', 'ZZ1 1AA', 'Hackney', 'CE', "
                         "'active', '2026-01-01T00:00:00Z')", (n, f"N-00000{n}", given, family))
        conn.execute("INSERT INTO reviews (id, bcu, quarter, opened_at) VALUES (1, 'CE', '2026Q3', '2026-07-01T09:00:00Z')")
        for ref, name in (("N-000001", "Ada Quillbrook"), ("N-000002", "Bea Marrowfen"), ("N-000009", "Cy Gone")):
            conn.execute("INSERT INTO review_items (review_id, ref, name, age, harm_score, harm_band, victim_band, "
                         "flags, recommendation, rationale, recommended_at, verdict, decision, override_reason, "
                         "verdict_at) VALUES (1, ?, ?, 22, 5, 'Green', 'Green', 'green_band', 'retain', ?, "
                         "'2026-07-02T09:00:00Z', 'override', 'remove', ?, '2026-07-03T09:00:00Z')",
                         (ref, name, f"{name} is still active with the group.", f"{name} moved away."))
        conn.execute("UPDATE reviews SET signed_at = '2026-07-04T09:00:00Z', signed_head = 7 WHERE id = 1")
    return conn


def _item(conn: database.Connection, ref: str) -> tuple:  # type: ignore[type-arg]
    return conn.execute("SELECT name, age, rationale, override_reason, recommendation, verdict, decision, "
                        "recommended_at, verdict_at, harm_band, flags, redacted_at IS NOT NULL FROM review_items "
                        "WHERE ref = ?", (ref,)).fetchone()


def test_the_upgrade_clears_people_removed_before_it_and_keeps_the_decisions(tmp_path: Path) -> None:
    conn = _vault_at_6(tmp_path)
    migrate(conn)
    assert _item(conn, "N-000009") == ("", None, None, None, "retain", "override", "remove", "2026-07-02T09:00:00Z",
                                       "2026-07-03T09:00:00Z", "Green", "green_band", 1)
    assert _item(conn, "N-000001")[:4] == ("Ada Quillbrook", 22, "Ada Quillbrook is still active with the group.",
                                          "Ada Quillbrook moved away.")
    assert conn.execute("SELECT signed_at, signed_head FROM reviews WHERE id = 1").fetchone() == (
        "2026-07-04T09:00:00Z", 7)


def test_a_signed_review_allows_only_the_redaction_of_someone_no_longer_on_the_matrix(tmp_path: Path) -> None:
    conn = _vault_at_6(tmp_path)
    migrate(conn)
    with pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
        conn.execute("UPDATE review_items SET rationale = 'x' WHERE ref = 'N-000001'")
    with database.transaction(conn), pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
        reviews.redact_person(conn, "N-000001", "2026-08-01T09:00:00Z")  # still on the matrix
    with database.transaction(conn):
        conn.execute("DELETE FROM nominals WHERE id IN (1, 2)")
    # A "redaction" that changes the decision too is no redaction.
    with pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
        conn.execute("UPDATE review_items SET name = '', age = NULL, rationale = NULL, override_reason = NULL, "
                     "redacted_at = 't', decision = 'retain' WHERE ref = 'N-000002'")
    with database.transaction(conn):
        assert reviews.redact_person(conn, "N-000001", "2026-08-01T09:00:00Z") == 1
        assert reviews.redact_person(conn, "N-000001", "2026-08-02T09:00:00Z") == 0  # once only
    assert _item(conn, "N-000001")[:4] == ("", None, None, None) and _item(conn, "N-000001")[6] == "remove"
    with pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
        conn.execute("UPDATE review_items SET redacted_at = 'later' WHERE ref = 'N-000001'")
    for sql in ("DELETE FROM review_items WHERE review_id = 1", "DELETE FROM reviews WHERE id = 1",
                "UPDATE reviews SET quarter = '2026Q2' WHERE id = 1",
                "INSERT INTO review_items (review_id, ref, name, age, harm_score, harm_band, victim_band, flags) "
                "VALUES (1, 'N-000005', 'New One', 30, 0, 'Green', 'Green', '')"):
        with pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
            conn.execute(sql)


def test_the_retention_purge_deletes_signed_reviews_and_only_the_pointer_of_a_later_one(tmp_path: Path) -> None:
    conn = _vault_at_6(tmp_path)
    migrate(conn)
    with database.transaction(conn):
        conn.execute("INSERT INTO reviews (id, bcu, quarter, opened_at, supersedes) "
                     "VALUES (2, 'CE', '2026Q3', '2026-08-01T09:00:00Z', 1)")
        conn.execute("INSERT INTO review_items (review_id, ref, name, age, harm_score, harm_band, victim_band, flags) "
                     "VALUES (2, 'N-000001', 'Ada Quillbrook', 22, 5, 'Green', 'Green', '')")
        conn.execute("UPDATE reviews SET signed_at = '2026-08-02T09:00:00Z' WHERE id = 2")
    with database.transaction(conn):
        assert reviews.purge_signed(conn, "2026-07-03") == (0, 0)  # signed the day after
    with database.transaction(conn):
        assert reviews.purge_signed(conn, "2026-07-04") == (1, 3)
    assert conn.execute("SELECT id, supersedes, signed_at FROM reviews").fetchall() == [(2, None, "2026-08-02T09:00:00Z")]
    assert conn.execute("SELECT count(*) FROM review_items WHERE review_id = 2").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM review_purges").fetchone()[0] == 0  # the leave ended with the purge
    with pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
        conn.execute("DELETE FROM reviews WHERE id = 2")
