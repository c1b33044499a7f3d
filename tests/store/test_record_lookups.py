"""What the nominals and records repositories hand the services: typed values, never tuples to index."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from gvm_desktop.core.changes import archive_age_band
from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import HeldNominal, NominalRow, PendingProposal, ScoreBands
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.store import database, migrations
from gvm_desktop.store.unit import VaultUnit

TODAY = date(2026, 11, 2)


def _unit(tmp_path: Path) -> VaultUnit:
    conn = database.connect(tmp_path / "x.db", os.urandom(32), create=True)
    migrations.migrate(conn)
    return VaultUnit(conn)


def test_lookups_by_reference_and_identity_say_which_record_where_and_in_what_state(tmp_path: Path) -> None:
    store = _unit(tmp_path)
    first, second = generate_nominals(2, seed=5, today=TODAY)
    twin = replace(second, given_name=first.given_name.upper(), family_name=first.family_name,
                   date_of_birth=first.date_of_birth)
    (a,) = store.nominals.insert_many([first], status="active", at="t", created_by=None)
    (b,) = store.nominals.insert_many([twin], status="proposed", at="t", created_by=None)
    ref_a = f"N-{a:06d}"
    assert store.nominals.by_ref(f" {ref_a.lower()} ") == HeldNominal(a, ref_a, first.bcu, "active")
    assert store.nominals.by_ref("N-999999") is None
    same = store.nominals.same_identity(first.given_name, first.family_name, first.date_of_birth.isoformat())
    assert same == [HeldNominal(a, ref_a, first.bcu, "active"), HeldNominal(b, f"N-{b:06d}", twin.bcu, "proposed")]
    assert store.records.current_version(a) == 1
    assert store.records.date_of_birth(a) == first.date_of_birth
    assert store.nominals.bands(a) == ScoreBands("Green", "Green")  # never scored


def test_list_rows_are_typed_and_skip_people_no_longer_held(tmp_path: Path) -> None:
    store = _unit(tmp_path)
    people = generate_nominals(3, seed=6, today=TODAY)
    ids = store.nominals.insert_many(people, status="active", at="t", created_by=None)
    store.records.archive_and_delete(ids[1], removed_at="t", reason="synthetic", proposed_by=None, approved_by=None,
                                     purge_after="2030-01-01", age_band=archive_age_band(30))
    rows = store.nominals.rows_by_id([*ids, 999_999])
    assert sorted(rows) == [ids[0], ids[2]]
    row = rows[ids[0]]
    assert isinstance(row, NominalRow)
    assert (row.ref, row.given_name, row.date_of_birth, row.status, row.in_custody, row.bcu, row.scored_on) == (
        f"N-{ids[0]:06d}", people[0].given_name, people[0].date_of_birth, "active", False, people[0].bcu, None)


def test_the_pending_proposal_is_the_latest_undecided_one_of_its_kind(tmp_path: Path) -> None:
    store = _unit(tmp_path)
    (person,) = store.nominals.insert_many(generate_nominals(1, seed=7, today=TODAY), status="active", at="t",
                                           created_by=None)
    officer = store.accounts.insert(username="officer", display_name="An Officer", role=Role.OFFICER, bcu="CE",
                                    locator="x", created_at="t", created_by=None)
    assert store.records.pending_proposal(person, "remove") is None
    first = store.records.add_proposal(person, "remove", "First reason, long enough to count.", officer, "t")
    store.records.decide(first, "rejected", officer, "t", "Not yet.")
    second = store.records.add_proposal(person, "remove", "Second reason, long enough to count.", officer, "t")
    assert store.records.pending_proposal(person, "remove") == PendingProposal(
        second, "Second reason, long enough to count.", officer)
    assert store.records.pending_proposal(person, "add") is None
