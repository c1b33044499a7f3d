"""The store's functions on the per-BCU tables answer the same over BCU compartments as in one file.

Two kinds of connection run the same story: a single-file vault (the per-BCU tables plain tables
of the main database) and a session holding two BCU compartments (CE, EA), whose per-BCU tables are
TEMP views (store/compartments.py; the folder built as tests/store/test_compartments.py builds it).
Ids differ between the two by design (each compartment allocates in its own range), so what is
compared is everything a service sees besides them: references, fields, orders, counts; and each id
a function hands back is checked to be the id of the row it made.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.people import NominalDraft
from gvm_desktop.core.review_rows import NewItem
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.store import bcu_rows, database, nominals, records, reviews
from gvm_desktop.store import compartments as cx
from gvm_desktop.store.migrations import migrate

NOW = "2026-03-01T09:00:00Z"
TODAY = date(2026, 3, 1)
HELD = ("CE", "EA")
USER = 1


def _add_user(conn: database.Connection) -> None:
    conn.execute("INSERT INTO users (id, username, display_name, role, bcu, locator, created_at) "
                 "VALUES (?, 'ola.officer', 'Ola', 'officer', 'CE', 'loc-1', ?)", (USER, NOW))


def plain_vault(folder: Path) -> database.Connection:
    conn = database.connect(folder / "single.db", os.urandom(32), create=True)
    migrate(conn)
    with database.transaction(conn):
        _add_user(conn)
    return conn


class Compartmented:
    """vault.db without the per-BCU tables, and one compartment file per BCU, each with its own key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keys = {"common": os.urandom(32)}
        self.opened: list[database.Connection] = []
        conn = database.connect(self.main_file, self.keys["common"], create=True)
        try:
            migrate(conn)
            cx.use_rollback_journal(conn)
            with database.transaction(conn):
                for table in reversed(cx.BCU_TABLES):  # children before nominals
                    conn.execute(f"DROP TABLE {table}")
                _add_user(conn)
        finally:
            conn.close()
        for index, code in enumerate(HELD, start=1):
            self.keys[code] = os.urandom(32)
            cx.create_compartment(folder, cx.bcu(code), self.keys[code], id_index=index)

    @property
    def main_file(self) -> Path:
        return self.folder / "vault.db"

    def session(self, held: Sequence[str]) -> database.Connection:
        conn = database.connect(self.main_file, self.keys["common"])
        self.opened.append(conn)
        cx.use_rollback_journal(conn)
        for code in held:
            cx.attach(conn, self.folder, cx.bcu(code), self.keys[code])
        cx.install_views(conn, held)
        return conn


@pytest.fixture
def compartmented(tmp_path: Path) -> Iterator[Compartmented]:
    folder = tmp_path / "vault"
    folder.mkdir()
    vault = Compartmented(folder)
    yield vault
    for conn in vault.opened:
        conn.close()


@pytest.fixture(params=["one file", "compartments"])
def conn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[database.Connection]:
    if request.param == "one file":
        single = plain_vault(tmp_path)
        yield single
        single.close()
    else:
        vault = request.getfixturevalue("compartmented")
        yield vault.session(HELD)


def _person(given: str, family: str, bcu: str, born: date, aliases: tuple[str, ...] = ()) -> NominalDraft:
    return dataclasses.replace(generate_nominals(1, seed=len(given) + len(family), today=TODAY, bcus=(bcu,))[0],
                               given_name=given, family_name=family, date_of_birth=born, aliases=aliases)


# Named people with words no generated name has; two share a name across BCUs (ties go by reference).
MARKED = [
    _person("Qvistina", "Zarquon", "CE", date(2004, 1, 2), ("Qvisty", "Little Q")),
    _person("Qvistina", "Zarquon", "EA", date(2001, 5, 6)),
    _person("Alistrix", "Zarquon", "EA", date(2003, 3, 4), ("Big Al",)),
    _person("Zoë", "Quorlish", "CE", date(2006, 7, 8), ("Zed",)),
]
PEOPLE = [*generate_nominals(40, seed=9, today=TODAY, bcus=HELD), *MARKED]
TARGET = 40  # Qvistina Zarquon of CE: the record opened, added to, and removed
SEARCHES = ("qvi", "zarq", "QVISTY", "big", "zed", "quorl", "zo", "a", "n", "'; DROP TABLE nominals; --", "ql qv")
SORTS = ("name", "ref", "age", "borough", "harm_score", "status")


def _without_id(rows: Sequence[Any]) -> list[Any]:
    return [dataclasses.replace(r, id=0) for r in rows]


def _story(conn: database.Connection) -> dict[str, object]:
    """Everything a service could see of the per-BCU tables through the store, ids aside."""
    seen: dict[str, object] = {}
    with database.transaction(conn):
        ids = nominals.insert_many(conn, PEOPLE, status="active", at=NOW, created_by=USER)
    assert len(set(ids)) == len(PEOPLE)
    rows = nominals.rows_by_id(conn, ids)
    ref_of = {i: rows[i].ref for i in ids}

    def refs(found: list[int]) -> list[str]:
        return [ref_of[i] for i in found]

    seen["refs"] = refs(ids)
    seen["rows"] = [dataclasses.replace(rows[i], id=0) for i in ids]
    seen["searches"] = {(q, bcu, sort, descending): refs(nominals.live_ids(conn, bcu=bcu, query=q, sort=sort,
                                                                            descending=descending))
                        for q in SEARCHES for bcu in ("CE", "EA", None) for sort in ("name", "ref")
                        for descending in (False, True)}
    seen["lists"] = {(bcu, sort, descending): refs(nominals.live_ids(conn, bcu=bcu, sort=sort, descending=descending))
                     for bcu in ("CE", None) for sort in SORTS for descending in (False, True)}

    # A record opened, then added to: each id handed back is that of the row made.
    target = ids[TARGET]
    seen["fields"] = {k: v for k, v in records.fields(conn, target).items() if k != "id"}
    seen["aliases"] = records.aliases(conn, target)
    seen["snapshot"] = records.snapshot(conn, target)
    seen["by_ref"] = dataclasses.replace(nominals.by_ref(conn, ref_of[target].lower()) or pytest.fail("not found"),
                                         id=0)
    same = nominals.same_identity(conn, "QVISTINA", "zarquon", "2004-01-02")
    assert [h.id for h in same] == [target]
    draft = EvidenceDraft(EvidenceType.WEAPONS_OFFENCE, SourceType.POLICE, "CAD 1", Grading("A", "1", "P"),
                          date(2025, 5, 1), "Seen with a blade")
    with database.transaction(conn):
        evidence_id = records.add_evidence(conn, target, draft, NOW, USER)
        other_evidence = records.add_evidence(conn, ids[TARGET + 1], draft, NOW, USER)
        records.save_version(conn, target, 1, NOW, USER, "correction")
        records.update(conn, target, {"address": "2 Fictive Way", "version": 2})
        records.set_aliases(conn, target, ("Qvisty", "Q"))
        nominals.reindex(conn, target)
        intervention_id = records.add_intervention(conn, target, {
            "referral": "youth service", "provider": "Fictive Trust", "offered_on": "2025-06-01", "taken_up": True,
            "outcome": "engaged", "starts_on": "2025-06-02", "ends_on": None}, USER)
        activity_id = records.add_activity(conn, target, "stop", date(2025, 6, 3), "", USER)
        proposal_id = records.add_proposal(conn, target, "remove", "no longer involved", USER, NOW)
    assert [e.id for e in records.evidence(conn, target)] == [evidence_id]
    assert [e.id for e in records.evidence(conn, ids[TARGET + 1])] == [other_evidence]
    assert [e.event_id for e in records.scoring_events(conn, target)] == [evidence_id]
    assert [i.id for i in records.interventions(conn, target)] == [intervention_id]
    assert [a.id for a in records.activity(conn, target)] == [activity_id]
    pending = records.pending_proposal(conn, target, "remove")
    assert pending is not None and pending.id == proposal_id
    seen["record"] = (_without_id(records.evidence(conn, target)), records.versions(conn, target),
                      _without_id(records.interventions(conn, target)), _without_id(records.activity(conn, target)),
                      dataclasses.replace(pending, id=0), records.pending_kinds(conn, target),
                      records.current_version(conn, target), records.aliases(conn, target))
    seen["after_reindex"] = [refs(nominals.live_ids(conn, bcu="CE", query=q)) for q in ("little", "qvisty")]

    # A quarterly review lists the CE people; the removed one's item is then redacted, once.
    candidates = sorted(nominals.review_candidates(conn, "CE"), key=lambda c: c.ref)
    seen["candidates"] = [dataclasses.replace(c, nominal_id=0) for c in candidates]
    with database.transaction(conn):
        review_id = reviews.open_review(conn, bcu="CE", quarter="2026-Q1", opened_at=NOW, opened_by=USER,
                                        supersedes=None)
        reviews.add_items(conn, review_id, [NewItem(c.ref, c.name, 20, 5, "Amber", "Green", ()) for c in candidates])
    seen["review"] = (reviews.counts(conn, review_id), reviews.item_names(conn, review_id))

    with database.transaction(conn):
        records.decide(conn, proposal_id, "approved", USER, NOW, "agreed")
        gone = records.archive_and_delete(conn, target, removed_at=NOW, reason="no longer involved", proposed_by=USER,
                                          approved_by=USER, purge_after="2026-06-01", age_band="18-24")
        records.compact_search_index(conn)
        seen["redacted"] = (reviews.redact_person(conn, gone, NOW), reviews.redact_person(conn, gone, NOW))
        seen["redacted_removed"] = reviews.redact_removed(conn, NOW)  # nobody else has left
    assert gone == ref_of[target]
    # The cascade: nothing of the person is left in any table.
    assert records.evidence(conn, target) == [] and records.interventions(conn, target) == []
    assert records.activity(conn, target) == [] and records.versions(conn, target) == []
    assert records.aliases(conn, target) == () and records.pending_kinds(conn, target) == ()
    assert nominals.by_ref(conn, gone) is None and nominals.rows_by_id(conn, [target]) == {}
    seen["after_removal"] = [refs(nominals.live_ids(conn, bcu=None, query=q)) for q in ("qvi", "qvisty", "zarq")]
    seen["terms"] = terms = records.search_terms(conn)
    assert "qvisty" not in terms and "zarquon" in terms and "quorlish" in terms  # Zarquon: EA's Qvistina stays
    seen["review_after"] = reviews.items(conn, review_id)
    seen["archive"] = (records.archive_count(conn), records.removal_dates(conn),
                       records.archived_demographics(conn, "CE"), nominals.count_by_status(conn, "CE"),
                       nominals.count_by_status(conn, "EA"))
    seen["demographics"] = sorted(nominals.live_demographics(conn, "EA"), key=repr)

    with database.transaction(conn):
        seen["purged"] = (records.purge_archive(conn, "2026-05-31"), records.purge_archive(conn, "2026-06-01"),
                          records.purge_archive(conn, "2026-06-01"))
        reviews.mark_signed(conn, review_id, at=NOW, by=USER, head=0)
    with database.transaction(conn):
        seen["review_purge"] = (reviews.purge_signed(conn, "2026-02-28"), reviews.purge_signed(conn, "2026-03-01"))
    # The highest reference ever issued is now nowhere, and still not given again.
    with database.transaction(conn):
        (newcomer,) = nominals.insert_many(conn, [_person("Yannick", "Vorslade", "EA", date(2000, 1, 1))],
                                           status="proposed", at=NOW, created_by=USER)
    seen["newcomer"] = nominals.rows_by_id(conn, [newcomer])[newcomer].ref
    return seen


@pytest.fixture(scope="module")
def in_one_file(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    conn = plain_vault(tmp_path_factory.mktemp("single"))
    try:
        return _story(conn)
    finally:
        conn.close()


def test_the_store_answers_over_compartments_as_in_one_file(conn: database.Connection,
                                                              in_one_file: dict[str, object]) -> None:
    seen = _story(conn)
    assert seen.keys() == in_one_file.keys()
    for key, expected in in_one_file.items():
        assert seen[key] == expected, key


def test_the_story_itself_says_what_it_should(in_one_file: dict[str, object]) -> None:
    """The answers compared above are the right ones, not merely equal."""
    assert in_one_file["refs"] == [f"N-{n:06d}" for n in range(1, len(PEOPLE) + 1)]
    target_ref = f"N-{TARGET + 1:06d}"
    searches = in_one_file["searches"]
    assert isinstance(searches, dict)
    assert searches[("qvi", None, "name", False)] == [target_ref, "N-000042"]  # same name: reference order
    assert searches[("qvi", None, "name", True)] == ["N-000042", target_ref]
    assert searches[("QVISTY", "CE", "name", False)] == [target_ref]  # an alias, any case
    assert searches[("big", "EA", "ref", False)] == ["N-000043"]
    assert searches[("'; DROP TABLE nominals; --", None, "name", False)] == []
    assert in_one_file["after_reindex"] == [[], [target_ref]]  # the alias "Little Q" replaced
    assert in_one_file["redacted"] == (1, 0) and in_one_file["redacted_removed"] == 0
    assert in_one_file["purged"] == (0, 1, 0)
    review = in_one_file["review"]
    assert isinstance(review, tuple)
    assert in_one_file["review_purge"] == ((0, 0), (1, review[0].people))
    assert in_one_file["after_removal"] == [["N-000042"], [], ["N-000043", "N-000042"]]
    assert in_one_file["newcomer"] == f"N-{len(PEOPLE) + 1:06d}"


def test_people_and_their_rows_land_in_their_bcus_compartment_with_its_ids(compartmented: Compartmented) -> None:
    conn = compartmented.session(HELD)
    with database.transaction(conn):
        ids = nominals.insert_many(conn, MARKED, status="active", at=NOW, created_by=USER)
        evidence = [records.add_evidence(conn, i, EvidenceDraft(
            EvidenceType.GANG_ASSOCIATION, SourceType.POLICE, "CAD 2", Grading("B", "2", "P"), date(2025, 1, 1),
            "Seen together"), NOW, USER) for i in ids]
    base = {code: index << cx.ID_SPAN_BITS for index, code in enumerate(HELD, start=1)}
    for nominal_id, evidence_id, person in zip(ids, evidence, MARKED, strict=True):
        low = base[person.bcu]
        assert low < nominal_id < low + (1 << cx.ID_SPAN_BITS) and low < evidence_id < low + (1 << cx.ID_SPAN_BITS)
        schema = cx.bcu(person.bcu).schema
        assert conn.execute(f"SELECT ref FROM {schema}.nominals WHERE id = ?", (nominal_id,)).fetchone() is not None
        assert conn.execute(f"SELECT nominal_id FROM {schema}.evidence WHERE id = ?",
                            (evidence_id,)).fetchone() == (nominal_id,)
    assert [nominals.rows_by_id(conn, [i])[i].ref for i in ids] == ["N-000001", "N-000002", "N-000003", "N-000004"]
    assert cx.match_ids(conn, "nominal_search", '"qvisty"*') == [ids[0]]


def test_references_are_numbered_across_bcus_a_session_cannot_see(compartmented: Compartmented) -> None:
    auditor = compartmented.session(HELD)
    with database.transaction(auditor):
        nominals.insert_many(auditor, MARKED, status="active", at=NOW, created_by=USER)  # N-000001..4, CE and EA
    officer = compartmented.session(["CE"])
    with database.transaction(officer):
        (mine,) = nominals.insert_many(officer, [_person("Yannick", "Vorslade", "CE", date(2000, 1, 1))],
                                       status="proposed", at=NOW, created_by=USER)
    assert nominals.rows_by_id(officer, [mine])[mine].ref == "N-000005"  # past EA's N-000003, unseen here
    assert nominals.by_ref(auditor, "N-000005") is not None


def test_a_session_searches_only_the_compartments_it_holds(compartmented: Compartmented) -> None:
    auditor = compartmented.session(HELD)
    with database.transaction(auditor):
        ids = nominals.insert_many(auditor, MARKED, status="active", at=NOW, created_by=USER)
    assert nominals.live_ids(auditor, bcu=None, query="zarquon", sort="ref") == ids[:3]
    officer = compartmented.session(["CE"])
    assert nominals.live_ids(officer, bcu=None, query="zarquon") == [ids[0]]
    assert "alistrix" in records.search_terms(auditor) and "alistrix" not in records.search_terms(officer)
    administrator = compartmented.session([])
    assert nominals.live_ids(administrator, bcu=None, query="zarquon") == []
    assert nominals.live_ids(administrator, bcu=None) == []
    assert records.search_terms(administrator) == set()
    assert records.purge_archive(administrator, "2099-01-01") == 0


def test_each_connection_is_told_apart_at_each_call(tmp_path: Path, compartmented: Compartmented) -> None:
    single = plain_vault(tmp_path)
    try:
        assert not bcu_rows.over_views(single, "nominals")
        assert bcu_rows.index_schemas(single, "nominal_search") == ("main",)
    finally:
        single.close()
    conn = compartmented.session(HELD)
    assert bcu_rows.over_views(conn, "nominals") and bcu_rows.over_views(conn, "review_items")
    assert bcu_rows.index_schemas(conn, "nominal_search") == ("bcu_ce", "bcu_ea")
    cx.detach(conn, cx.bcu("EA"))
    cx.install_views(conn, ["CE"])  # the same connection, now over one compartment
    assert bcu_rows.index_schemas(conn, "nominal_search") == ("bcu_ce",)
    with pytest.raises(ValueError, match="not a per-BCU table"):
        bcu_rows.over_views(conn, "reviews")
