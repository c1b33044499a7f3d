"""The reference index in common (store/person_index.py): who is where, by reference alone, kept with every change.

Two ways of keeping it, one behaviour: triggers stored beside the tables while people are
still in common (a vault not yet split), and TEMP triggers each session puts on the BCU
compartments it holds. Built as tests/store/test_compartments.py builds a split vault.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2

from gvm_desktop.core.person_index import IndexRepair, IndexRow
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.store import compartments as cx
from gvm_desktop.store import database, migrations, nominals, records
from gvm_desktop.store import person_index as index
from gvm_desktop.store.unit import VaultUnit
from tests.store.test_compartments import CODES, NOW, Vault, add_person, make_common, person

TODAY = date(2026, 11, 2)
SURNAME = "Zqxvbrellingtonne"  # found nowhere else: if it is in common, a name leaked there


def people_index(conn: database.Connection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT id, ref, bcu, status FROM main.person_index ORDER BY id").fetchall()


def archive_index(conn: database.Connection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT ref, bcu, removed_at, purge_after FROM main.archive_index ORDER BY ref").fetchall()


def archive(conn: database.Connection, nominal_id: int, purge_after: str) -> str:
    return records.archive_and_delete(conn, nominal_id, removed_at=NOW, reason="synthetic", proposed_by=None,
                                      approved_by=None, purge_after=purge_after, age_band="18-24")


# --- a vault whose people are in common ----------------------------------------------------------


BEFORE_THE_INDEX = 9  # version 10 made the reference index (person_index, archive_index)


def plain(tmp_path: Path, version: int = migrations.LATEST) -> database.Connection:
    conn = database.connect(tmp_path / "plain.db", os.urandom(32), create=True)
    migrations.migrate(conn, target=version)
    return conn


def test_the_migration_indexes_the_people_and_archive_already_held(tmp_path: Path) -> None:
    conn = plain(tmp_path, version=BEFORE_THE_INDEX)
    people = generate_nominals(4, seed=11, today=TODAY)
    with database.transaction(conn):
        ids = nominals.insert_many(conn, people[:3], status="active", at=NOW, created_by=None)
        (proposed,) = nominals.insert_many(conn, people[3:], status="proposed", at=NOW, created_by=None)
        gone = archive(conn, ids[1], "2030-01-01")
    assert "person_index" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}

    migrations.migrate(conn)
    assert people_index(conn) == [(ids[0], f"N-{ids[0]:06d}", people[0].bcu, "active"),
                                  (ids[2], f"N-{ids[2]:06d}", people[2].bcu, "active"),
                                  (proposed, f"N-{proposed:06d}", people[3].bcu, "proposed")]
    assert archive_index(conn) == [(gone, people[1].bcu, NOW, "2030-01-01")]
    assert index.reconcile(conn, "main") == IndexRepair(0, 0, 0)


def test_triggers_keep_the_index_with_every_change_to_a_person(tmp_path: Path) -> None:
    conn = plain(tmp_path)
    store = VaultUnit(conn)
    first, second, third = generate_nominals(3, seed=12, today=TODAY)
    with database.transaction(conn):
        a, b = nominals.insert_many(conn, [first, second], status="proposed", at=NOW, created_by=None)
        (c,) = nominals.insert_many(conn, [third], status="active", at=NOW, created_by=None)
    ref_a, ref_b, ref_c = (f"N-{i:06d}" for i in (a, b, c))
    assert people_index(conn) == [(a, ref_a, first.bcu, "proposed"), (b, ref_b, second.bcu, "proposed"),
                                  (c, ref_c, third.bcu, "active")]

    with database.transaction(conn):
        records.update(conn, a, {"status": "active", "version": 2})
        records.update(conn, b, {"address": "2 Fictive Way"})  # not a column the index holds
    assert store.person_index.rows_by_id([a, b, 999]) == {a: IndexRow(a, ref_a, first.bcu, "active"),
                                                          b: IndexRow(b, ref_b, second.bcu, "proposed")}

    with database.transaction(conn):
        archive(conn, b, "2027-01-01")
        archive(conn, c, "2031-01-01")
    assert people_index(conn) == [(a, ref_a, first.bcu, "active")]
    assert archive_index(conn) == [(ref_b, second.bcu, NOW, "2027-01-01"), (ref_c, third.bcu, NOW, "2031-01-01")]

    with database.transaction(conn):
        conn.execute("UPDATE archive SET purge_after = '2026-06-01' WHERE ref = ?", (ref_c,))
    assert store.person_index.due_archive("2026-11-02") == {third.bcu: 1}
    assert store.person_index.due_archive("2027-01-01") == (
        {second.bcu: 2} if second.bcu == third.bcu else {second.bcu: 1, third.bcu: 1})
    with database.transaction(conn):
        assert records.purge_archive(conn, "2026-11-02") == 1
    assert archive_index(conn) == [(ref_b, second.bcu, NOW, "2027-01-01")]
    assert index.reconcile(conn, "main") == IndexRepair(0, 0, 0)


def test_the_readers(tmp_path: Path) -> None:
    conn = plain(tmp_path)
    store = VaultUnit(conn)
    drafts = generate_nominals(6, seed=13, today=TODAY)
    with database.transaction(conn):
        ids = nominals.insert_many(conn, drafts, status="active", at=NOW, created_by=None)
        records.update(conn, ids[0], {"status": "proposed"})
        archive(conn, ids[5], "2030-01-01")
    live = ids[:5]
    assert store.person_index.live_ids(None) == live
    assert store.person_index.live_ids(None, descending=True) == live[::-1]
    by_status = [*live[1:], ids[0]]  # "active" before "proposed", then by reference
    assert store.person_index.live_ids(None, sort="status") == by_status
    assert store.person_index.live_ids(None, sort="status", descending=True) == by_status[::-1]
    assert store.person_index.live_ids(None, sort="anything else") == live
    of_one_bcu = [i for i, d in zip(live, drafts, strict=False) if d.bcu == drafts[1].bcu]
    assert store.person_index.live_ids(drafts[1].bcu) == of_one_bcu and ids[1] in of_one_bcu
    assert len(of_one_bcu) < len(live)
    assert store.person_index.bcu_of(f" n-{ids[1]:06d} ") == drafts[1].bcu
    assert store.person_index.bcu_of(f"N-{ids[5]:06d}") is None  # archived: no compartment holds the person
    for bcu in {d.bcu for d in drafts}:
        assert store.person_index.counts(bcu) == nominals.count_by_status(conn, bcu)


def test_references_sort_by_their_number(tmp_path: Path) -> None:
    conn = plain(tmp_path)
    with database.transaction(conn):
        for number in (1_000_000, 999_999, 1_000_001):
            add_person(conn, {"id": number, **person("CE", f"N-{number:06d}", "Ada")}, into="main.nominals")
    assert index.live_ids(conn, None) == [999_999, 1_000_000, 1_000_001]
    assert index.live_ids(conn, "CE", descending=True) == [1_000_001, 1_000_000, 999_999]


def test_a_rolled_back_change_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    conn = plain(tmp_path)
    (draft,) = generate_nominals(1, seed=14, today=TODAY)
    with database.transaction(conn):
        (kept,) = nominals.insert_many(conn, [draft], status="active", at=NOW, created_by=None)
    before = (people_index(conn), archive_index(conn))
    with pytest.raises(RuntimeError), database.transaction(conn):
        nominals.insert_many(conn, [draft], status="proposed", at=NOW, created_by=None)
        archive(conn, kept, "2030-01-01")
        assert len(archive_index(conn)) == 1
        raise RuntimeError("the operation failed after its writes")
    assert (people_index(conn), archive_index(conn)) == before


# --- a vault split into BCU compartments ---------------------------------------------------------


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = Vault(tmp_path / "vault", {"common": os.urandom(32)})
    v.folder.mkdir()
    make_common(v.main_file, v.keys["common"])
    for id_index, code in enumerate(CODES, start=1):
        v.keys[code] = os.urandom(32)
        cx.create_compartment(v.folder, cx.bcu(code), v.keys[code], id_index=id_index)
    yield v
    for conn in v.opened:
        conn.close()


def test_writes_to_the_compartments_keep_common_s_index(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    with database.transaction(conn):
        ce = add_person(conn, {**person("CE", "N-000001", "Ada", SURNAME), "status": "proposed"})
        ea = add_person(conn, person("EA", "N-000002", "Bea", SURNAME))
        # Straight into a compartment's table, past the views: the trigger is on the table.
        direct = add_person(conn, {"id": 3, **person("EA", "N-000003", "Cy", SURNAME)}, into="bcu_ea.nominals")
    assert people_index(conn) == [(direct, "N-000003", "EA", "active"), (ce, "N-000001", "CE", "proposed"),
                                  (ea, "N-000002", "EA", "active")]

    with database.transaction(conn):
        records.update(conn, ce, {"status": "active", "version": 2})
        archive(conn, ea, "2027-01-01")
    assert people_index(conn) == [(direct, "N-000003", "EA", "active"), (ce, "N-000001", "CE", "active")]
    assert archive_index(conn) == [("N-000002", "EA", NOW, "2027-01-01")]
    assert conn.execute("SELECT count(*) FROM main.archive").fetchone()[0] == 1  # the archive is in common

    with database.transaction(conn):
        conn.execute("UPDATE archive SET purge_after = '2026-01-01' WHERE ref = 'N-000002'")
    assert archive_index(conn) == [("N-000002", "EA", NOW, "2026-01-01")]
    with database.transaction(conn):
        records.purge_archive(conn, "2026-11-02")
        conn.execute("DELETE FROM nominals WHERE id = ?", (direct,))
    assert archive_index(conn) == []
    assert people_index(conn) == [(ce, "N-000001", "CE", "active")]

    # An administrator's session holds no BCU key and attaches nothing, and reads the same index.
    admin = VaultUnit(vault.session([]))
    assert admin.person_index.live_ids(None) == [ce]
    assert admin.person_index.rows_by_id([ce]) == {ce: IndexRow(ce, "N-000001", "CE", "active")}
    assert admin.person_index.bcu_of("N-000001") == "CE"


def test_the_index_holds_no_name_date_of_birth_or_address(vault: Vault, tmp_path: Path) -> None:
    conn = vault.session(["CE", "EA"])
    assert [r[1] for r in conn.execute("PRAGMA main.table_info(person_index)")] == ["id", "ref", "bcu", "status"]
    assert [r[1] for r in conn.execute("PRAGMA main.table_info(archive_index)")] == [
        "ref", "bcu", "removed_at", "purge_after"]
    with database.transaction(conn):
        ce = add_person(conn, {**person("CE", "N-000001", "Ada", SURNAME), "date_of_birth": "2003-04-05"})
        conn.execute("INSERT INTO nominal_aliases (nominal_id, alias) VALUES (?, ?)", (ce, f"Little {SURNAME}"))
        nominals.reindex(conn, ce)
        ea = add_person(conn, person("EA", "N-000002", "Bea", SURNAME))
        archive(conn, ea, "2030-01-01")
    assert people_index(conn) and archive_index(conn)

    # Every byte of common's content, decrypted and exported: the surname, its folded form and the address are not
    # there, nor the date of birth. (The compartment holds them, as it should.)
    plain_copy = tmp_path / "common-plain.db"
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain_copy),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    content = plain_copy.read_bytes()
    assert b"N-000001" in content  # the check would see what is there
    for personal in (SURNAME, SURNAME.lower(), "1 Fictive Way", "2003-04-05"):
        assert personal.encode() not in content, personal
    assert conn.execute("SELECT count(*) FROM bcu_ce.nominals WHERE family_name = ?", (SURNAME,)).fetchone()[0] == 1


def test_reconcile_repairs_what_a_key_holder_changed_without_the_application(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    with database.transaction(conn):
        ids = [add_person(conn, person("CE", f"N-00000{n}", f"P{n}", SURNAME)) for n in range(1, 5)]
        ea = add_person(conn, person("EA", "N-000009", "Eve", SURNAME))
        archive(conn, ids[3], "2030-01-01")
    ce_index = people_index(conn)

    # A holder of CE's key, on a connection of their own: no TEMP trigger there.
    raw = database.connect(vault.main_file, vault.keys["common"])
    try:
        cx.use_rollback_journal(raw)
        cx.attach(raw, vault.folder, cx.bcu("CE"), vault.keys["CE"])
        with database.transaction(raw):
            raw.execute("UPDATE bcu_ce.nominals SET status = 'proposed' WHERE id = ?", (ids[0],))
            raw.execute("DELETE FROM bcu_ce.nominals WHERE id = ?", (ids[1],))
            raw.execute("INSERT INTO bcu_ce.nominals (ref, given_name, family_name, date_of_birth, gender, ethnicity, "
                        "disability, address, postcode, borough, bcu, status, created_at) VALUES ('N-000005', 'Raw', ?, "
                        "'2004-01-02', 'F', 'W1', 'N', '1 Fictive Way', 'ZZ1 1AA', 'Hackney', 'CE', 'active', ?)",
                        (SURNAME, NOW))
            raw.execute("INSERT INTO main.person_index (id, ref, bcu, status) VALUES (77, 'N-000077', 'CE', 'active')")
        added = int(raw.execute("SELECT id FROM bcu_ce.nominals WHERE ref = 'N-000005'").fetchone()[0])
    finally:
        raw.close()
    assert people_index(conn) == [(77, "N-000077", "CE", "active"), *ce_index]  # the raw writes left it behind

    with database.transaction(conn):
        repair = index.reconcile(conn, "bcu_ce")
    assert repair == IndexRepair(added=1, changed=1, removed=2)  # N-000005; N-000001; 77, N-000002
    assert people_index(conn) == sorted([(ids[0], "N-000001", "CE", "proposed"), (ids[2], "N-000003", "CE", "active"),
                                         (added, "N-000005", "CE", "active"), (ea, "N-000009", "EA", "active")])
    assert archive_index(conn) == [("N-000004", "CE", NOW, "2030-01-01")]  # in common, kept by its own triggers
    with database.transaction(conn):
        assert index.reconcile(conn, "bcu_ce") == IndexRepair(0, 0, 0)
        assert index.reconcile(conn, "bcu_ea") == IndexRepair(0, 0, 0)


def test_reconcile_on_this_session_s_connection_once_its_triggers_are_gone(vault: Vault) -> None:
    conn = vault.session(["CE"])
    ce = add_person(conn, person("CE", "N-000001", "Ada"))
    for (name,) in conn.execute("SELECT name FROM sqlite_temp_master WHERE type = 'trigger' "
                                "AND name LIKE 'cx_bcu_ce_person_index%'").fetchall():
        conn.execute(f"DROP TRIGGER temp.{name}")
    conn.execute("UPDATE nominals SET status = 'proposed' WHERE id = ?", (ce,))
    assert people_index(conn) == [(ce, "N-000001", "CE", "active")]  # drifted
    with database.transaction(conn):
        assert index.reconcile(conn, "bcu_ce") == IndexRepair(added=0, changed=1, removed=0)
    assert people_index(conn) == [(ce, "N-000001", "CE", "proposed")]
    cx.install_views(conn, ["CE"])  # the triggers are back
    conn.execute("UPDATE nominals SET status = 'active' WHERE id = ?", (ce,))
    assert people_index(conn) == [(ce, "N-000001", "CE", "active")]


def test_a_rolled_back_transaction_takes_the_index_rows_with_it(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    with database.transaction(conn):
        kept = add_person(conn, person("EA", "N-000001", "Ada"))
    before = (people_index(conn), archive_index(conn))
    with pytest.raises(RuntimeError), database.transaction(conn):
        add_person(conn, person("CE", "N-000002", "Bea"))
        archive(conn, kept, "2030-01-01")
        assert len(people_index(conn)) == 1 and len(archive_index(conn)) == 1
        raise RuntimeError("the operation failed after its writes")
    assert (people_index(conn), archive_index(conn)) == before
    assert conn.execute("SELECT count(*) FROM nominals").fetchone()[0] == 1


def test_one_reference_cannot_be_held_in_two_compartments(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    add_person(conn, person("CE", "N-000001", "Ada"))
    with pytest.raises(dbapi2.IntegrityError, match=r"person_index\.ref"):
        add_person(conn, person("EA", "N-000001", "Bea"))
    assert conn.execute("SELECT count(*) FROM bcu_ea.nominals").fetchone()[0] == 0


def test_reconcile_refuses_a_file_that_holds_no_people(vault: Vault) -> None:
    conn = vault.session([])
    for schema in ("dsa_7", "temp", "bcu_CE"):
        with pytest.raises(ValueError):
            index.reconcile(conn, schema)


def test_the_session_triggers_go_with_the_views_they_came_with(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])

    def index_triggers() -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_temp_master WHERE type = 'trigger' "
                                           "AND (name LIKE '%person_index%' OR name LIKE '%archive_index%')")}

    assert index_triggers() == {f"cx_{s}_{t.name}" for s in ("bcu_ce", "bcu_ea") for t in index.SESSION_TRIGGERS}
    cx.detach(conn, cx.bcu("EA"))
    cx.install_views(conn, ["CE"])
    assert index_triggers() == {f"cx_bcu_ce_{t.name}" for t in index.SESSION_TRIGGERS}
    assert {g.name for g in cx.bcu_schema().guards}.isdisjoint(migrations.INDEX_TRIGGERS)
