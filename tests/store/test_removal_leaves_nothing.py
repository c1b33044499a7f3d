"""A removed person's words leave the full-text index's stored blocks, not just its results."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.store import database, migrations, nominals, records


@pytest.mark.parametrize("compact", [True, False])
def test_removal_then_compaction_scrubs_the_name_index(tmp_path: Path, compact: bool) -> None:
    """Without the compaction (the False case) the words stay in the blocks: the check can fail."""
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrations.migrate(conn)
    people = generate_nominals(300, seed=1, today=date(2026, 11, 2))
    marked = replace(people[0], given_name="Qqqvvvtest", family_name="Zyxwquuxtest")
    with database.transaction(conn):
        nominals.insert_many(conn, people, status="active", at="t", created_by=None)
        (target,) = nominals.insert_many(conn, [marked], status="active", at="t", created_by=None)
    with database.transaction(conn):
        records.archive_and_delete(conn, target, removed_at="t", reason="synthetic", proposed_by=None,
                                   approved_by=None, purge_after="2030-01-01", age_band="18-24")
        if compact:
            records.compact_search_index(conn)
    blocks = b"".join(r[0] for r in conn.execute("SELECT block FROM nominal_search_data"))
    assert nominals.live_ids(conn, bcu=None, query="zyxwquuxtest") == []
    # Terms are prefix-compressed inside a block, so look for the tail of the word.
    assert (b"xwquuxtest" in blocks) is (not compact)
    archived = conn.execute("SELECT * FROM archive").fetchall()
    assert len(archived) == 1 and "Zyxwquuxtest" not in repr(archived) and marked.address not in repr(archived)


def test_a_purged_persons_reference_is_never_given_to_someone_new(tmp_path: Path) -> None:
    """The log and the disclosure register find a person's history by reference: a reused one would hand it over."""
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrations.migrate(conn)
    first, second = generate_nominals(2, seed=3, today=date(2026, 11, 2))
    with database.transaction(conn):
        (old,) = nominals.insert_many(conn, [first], status="active", at="t", created_by=None)
    with database.transaction(conn):
        records.archive_and_delete(conn, old, removed_at="t", reason="synthetic", proposed_by=None,
                                   approved_by=None, purge_after="2026-01-01", age_band="18-24")
        assert records.purge_archive(conn, "2026-11-02") == 1  # the highest reference ever issued is now nowhere
    with database.transaction(conn):
        (new,) = nominals.insert_many(conn, [second], status="active", at="t", created_by=None)
    assert new == old + 1
