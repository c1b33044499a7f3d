"""Compartments (store/compartments.py): BCU files with their own keys, seen through one set of views.

Each test builds a vault folder as issue 13 will have it: common (`vault.db`: the real
schema without the per-BCU tables) and compartments built from the real per-BCU schema, then
opens sessions that hold some of their keys, as an officer, an auditor or an administrator would.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import sqlcipher3
from sqlcipher3 import dbapi2

from gvm_desktop.core.errors import StorageError, VaultCorrupt, VaultExists
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.review_rows import NewItem
from gvm_desktop.store import compartments as cx
from gvm_desktop.store import database, nominals, records, reviews
from gvm_desktop.store.migrations import migrate

CODES = ("CE", "EA", "NE")
NOW = "2026-03-01T09:00:00Z"


def make_common(path: Path, key: bytes) -> None:
    """vault.db as it will be: the real schema, minus the tables that move to BCU compartments."""
    conn = database.connect(path, key, create=True)
    try:
        migrate(conn)
        cx.use_rollback_journal(conn)
        with database.transaction(conn):
            for table in reversed(cx.BCU_TABLES):  # children before nominals
                conn.execute(f"DROP TABLE {table}")
            conn.execute("INSERT INTO users (id, username, display_name, role, bcu, locator, created_at) "
                         "VALUES (1, 'ola.officer', 'Ola', 'officer', 'CE', 'loc-1', ?)", (NOW,))
    finally:
        conn.close()


def person(bcu: str, ref: str, given: str, family: str = "Quillbrook") -> dict[str, object]:
    return {"ref": ref, "given_name": given, "family_name": family, "date_of_birth": "2004-01-02", "gender": "F",
            "ethnicity": "W1", "disability": "N", "address": "1 Fictive Way", "postcode": "ZZ1 1AA",
            "borough": "Hackney", "bcu": bcu, "status": "active", "created_at": NOW}


def add_person(conn: database.Connection, values: dict[str, object], *, into: str = "nominals") -> int:
    """Through the view (`into` = "nominals") or straight into a compartment's table, as a migration would."""
    names = ", ".join(values)
    conn.execute(f"INSERT INTO {into} ({names}) VALUES ({', '.join('?' * len(values))})", list(values.values()))
    if into == "nominals":
        return cx.inserted_id(conn, "nominals")
    return int(conn.execute(f"SELECT id FROM {into} WHERE ref = ?", (values["ref"],)).fetchone()[0])


@dataclass
class Vault:
    folder: Path
    keys: dict[str, bytes] = field(default_factory=dict)
    opened: list[database.Connection] = field(default_factory=list)

    @property
    def main_file(self) -> Path:
        return self.folder / "vault.db"

    def session(self, held: Sequence[str]) -> database.Connection:
        """A connection as a session holding the common key and these BCUs' keys would have it."""
        conn = database.connect(self.main_file, self.keys["common"])
        self.opened.append(conn)
        cx.use_rollback_journal(conn)
        for code in held:
            cx.attach(conn, self.folder, cx.bcu(code), self.keys[code])
        cx.install_views(conn, held)
        return conn


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = Vault(tmp_path / "vault", {"common": os.urandom(32)})
    v.folder.mkdir()
    make_common(v.main_file, v.keys["common"])
    for index, code in enumerate(CODES, start=1):
        v.keys[code] = os.urandom(32)
        cx.create_compartment(v.folder, cx.bcu(code), v.keys[code], id_index=index)
    yield v
    for conn in v.opened:
        conn.close()


def open_alone(path: Path, key: bytes) -> database.Connection:
    """One file on its own, with its key and nothing else (database.connect would switch it to WAL)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def count(conn: database.Connection, sql: str, *params: object) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


# --- names ---------------------------------------------------------------------------------------


def test_names_files_and_schemas() -> None:
    assert (cx.bcu("CE").schema, cx.bcu("CE").file_name) == ("bcu_ce", "bcu-CE.db")
    assert (cx.agreement(7).schema, cx.agreement(7).file_name) == ("dsa_7", "dsa-7.db")
    assert cx.from_schema("bcu_ce") == cx.bcu("CE")
    assert cx.from_schema("dsa_7") == cx.agreement(7)


@pytest.mark.parametrize("code", ["ce", "C", "CEXYZ", "CE;", "C E", "É1", "", 12])
def test_a_bcu_code_is_letters_only(code: object) -> None:
    with pytest.raises(ValueError):
        cx.bcu(code)  # type: ignore[arg-type]  # the point: anything but a code is refused


@pytest.mark.parametrize(("kind", "label"), [("bcu", "CE; DROP"), ("bcu", "ce"), ("dsa", "07"), ("x", "CE"), ("bcu", 7)])
def test_no_compartment_exists_with_an_unchecked_name(kind: str, label: object) -> None:
    with pytest.raises(ValueError):
        cx.Compartment(kind, label)  # type: ignore[arg-type]  # the point: the constructor checks too


@pytest.mark.parametrize("schema", ["main", "temp", "bcu_CE", "bcu_ce x", "bcu_ce;--", "dsa_0", "dsa_07", "dsa_x", ""])
def test_a_schema_name_is_refused_unless_a_compartment_s(schema: str) -> None:
    with pytest.raises(ValueError):
        cx.from_schema(schema)


@pytest.mark.parametrize("dsa_id", [0, -1, True, 10**18, "7"])
def test_an_agreement_id_is_a_positive_int(dsa_id: object) -> None:
    with pytest.raises(ValueError):
        cx.agreement(dsa_id)  # type: ignore[arg-type]  # the point: anything but an id is refused


# --- the per-BCU schema --------------------------------------------------------------------------


def test_the_per_bcu_schema_is_what_the_migrations_make() -> None:
    schema = cx.bcu_schema()
    assert set(schema.tables) == set(cx.BCU_TABLES)
    template = dbapi2.connect(":memory:", isolation_level=None)
    migrate(template)
    for table in schema.tables.values():
        assert table.columns == tuple(r[1] for r in template.execute(f"PRAGMA table_info({table.name})"))
    assert schema.tables["nominal_search"].fts
    assert {t.name for t in schema.tables.values() if t.integer_id} == {
        "nominals", "evidence", "interventions", "police_activity", "proposals"}
    ddl = "\n".join(schema.ddl)
    assert "REFERENCES users" not in ddl and "REFERENCES reviews" not in ddl
    assert "REFERENCES nominals(id) ON DELETE CASCADE" in ddl
    assert {g.name for g in schema.guards} == {"review_items_final", "review_items_not_added", "review_items_not_deleted"}


def test_a_new_compartment_is_complete_private_and_only_once(vault: Vault) -> None:
    path = cx.bcu("CE").path(vault.folder)
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(vault.folder.glob(".*creating*"))
    alone = open_alone(path, vault.keys["CE"])
    try:
        assert alone.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert alone.execute("SELECT kind, label, id_base FROM compartment_info").fetchone() == ("bcu", "CE", 1 << 40)
        assert not alone.execute("PRAGMA foreign_key_check").fetchall()
        names = {r[0] for r in alone.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}
        assert set(cx.BCU_TABLES) <= names and "users" not in names and "access_log" not in names
        assert not alone.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    finally:
        alone.close()
    with pytest.raises(VaultExists):
        cx.create_compartment(vault.folder, cx.bcu("CE"), vault.keys["CE"], id_index=1)
    with pytest.raises(ValueError):
        cx.create_compartment(vault.folder, cx.bcu("WA"), os.urandom(32), id_index=0)


def test_a_creation_never_replaces_a_compartment_that_appeared_meanwhile(
        vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    final = cx.bcu("WA").path(vault.folder)
    real_connect = cx.connect

    def another_creator_first(path: Path, key: bytes, **kwargs: bool) -> database.Connection:
        final.write_bytes(b"the other creator's compartment")
        return real_connect(path, key, **kwargs)

    monkeypatch.setattr(cx, "connect", another_creator_first)
    with pytest.raises(VaultExists):
        cx.create_compartment(vault.folder, cx.bcu("WA"), os.urandom(32), id_index=12)
    assert final.read_bytes() == b"the other creator's compartment"
    assert not list(vault.folder.glob(".*creating*"))


def test_an_agreement_compartment_is_created_empty_and_attaches(vault: Vault) -> None:
    key = os.urandom(32)
    cx.create_compartment(vault.folder, cx.agreement(7), key)
    conn = vault.session([])
    cx.attach(conn, vault.folder, cx.agreement(7), key)
    assert conn.execute("SELECT kind, label, id_base FROM dsa_7.compartment_info").fetchone() == ("dsa", "7", 0)


# --- routing -------------------------------------------------------------------------------------


def test_writes_through_the_views_land_in_the_right_file(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    with database.transaction(conn):
        ce = add_person(conn, person("CE", "N-000001", "Ada"))
        ea = add_person(conn, person("EA", "N-000002", "Bea"))
        # The store's own functions, unchanged, over the views:
        records.set_aliases(conn, ce, ("Little Ada",))
        records.set_aliases(conn, ea, ("Big Bea", "Bee"))
        nominals.reindex(conn, ce)
        nominals.reindex(conn, ea)
        records.save_version(conn, ea, 1, NOW, 1, "correction")
        records.update(conn, ea, {"address": "2 Fictive Way", "version": 2})
        draft = EvidenceDraft(EvidenceType.WEAPONS_OFFENCE, SourceType.POLICE, "CAD 1", Grading("A", "1", "P"),
                              date(2025, 5, 1), "Seen with a blade")
        records.add_evidence(conn, ea, draft, NOW, 1)
        evidence_id = cx.inserted_id(conn, "evidence")
        records.add_activity(conn, ce, "stop", date(2025, 6, 1), "", 1)
        conn.execute("INSERT INTO reviews (id, bcu, quarter, opened_at) VALUES (10, 'EA', '2026-Q1', ?)", (NOW,))
        reviews.add_items(conn, 10, [NewItem("N-000002", "Bea Quillbrook", 22, 5, "Amber", "Green", ())])

    def rows(schema: str, table: str) -> int:
        return count(conn, f"SELECT count(*) FROM {schema}.{table}")

    assert [rows("bcu_ce", t) for t in ("nominals", "nominal_aliases", "police_activity", "evidence")] == [1, 1, 1, 0]
    assert [rows("bcu_ea", t) for t in ("nominals", "nominal_aliases", "nominal_versions", "evidence",
                                        "review_items")] == [1, 2, 1, 1, 1]
    assert conn.execute("SELECT address, version FROM bcu_ea.nominals").fetchone() == ("2 Fictive Way", 2)
    assert [e.id for e in records.evidence(conn, ea)] == [evidence_id]
    assert records.aliases(conn, ea) == ("Bee", "Big Bea")
    assert [v.reason for v in records.versions(conn, ea)] == ["correction"]
    assert reviews.item_names(conn, 10) == {"N-000002": "Bea Quillbrook"}
    assert "review_items" not in {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master")}

    # Removal: the archive row goes to common (no identifying field: retention acts on it there); the
    # cascade stays inside the person's file.
    with database.transaction(conn):
        records.archive_and_delete(conn, ea, removed_at=NOW, reason="no longer", proposed_by=1, approved_by=1,
                                   purge_after="2027-03-01", age_band="18-24")
        assert reviews.redact_person(conn, "N-000002", NOW) == 1  # counted through the view (execute_counted)
    assert [rows("bcu_ea", t) for t in ("nominals", "nominal_aliases", "evidence")] == [0, 0, 0]
    assert [rows("bcu_ce", t) for t in ("nominals", "nominal_aliases")] == [1, 1]
    assert conn.execute("SELECT ref, bcu FROM main.archive").fetchall() == [("N-000002", "EA")]
    assert reviews.item_names(conn, 10) == {"N-000002": ""}

    # And each file holds its own, read alone with its own key.
    ea_alone = open_alone(cx.bcu("EA").path(vault.folder), vault.keys["EA"])
    try:
        assert ea_alone.execute("SELECT ref FROM review_items").fetchall() == [("N-000002",)]
        assert "archive" not in {r[0] for r in ea_alone.execute("SELECT name FROM sqlite_master")}
    finally:
        ea_alone.close()


def test_an_insert_with_no_held_compartment_fails_loudly(vault: Vault) -> None:
    conn = vault.session(["CE"])
    with pytest.raises(dbapi2.IntegrityError, match="no compartment held for this nominals row"):
        add_person(conn, person("EA", "N-000009", "Eve"))
    with pytest.raises(dbapi2.IntegrityError, match="no compartment held for this evidence row"):
        conn.execute("INSERT INTO evidence (nominal_id, kind, source_type, source_ref, grading, on_date, summary, "
                     "added_at) VALUES (999, 'k', 's', 'r', 'A1P', '2025-01-01', 's', ?)", (NOW,))


def test_a_row_cannot_move_to_another_compartment(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    ce = add_person(conn, person("CE", "N-000001", "Ada"))
    with pytest.raises(dbapi2.IntegrityError, match="cannot move to another compartment"):
        conn.execute("UPDATE nominals SET bcu = 'EA' WHERE id = ?", (ce,))
    assert conn.execute("SELECT bcu FROM bcu_ce.nominals").fetchall() == [("CE",)]


def test_rows_written_through_the_views_are_counted(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    for n, code in enumerate(("CE", "CE", "EA")):
        add_person(conn, person(code, f"N-00000{n}", f"P{n}"))
    assert conn.execute("UPDATE nominals SET harm_score = 3").rowcount == 0  # what SQLite says of a view
    assert cx.execute_counted(conn, "UPDATE nominals SET harm_score = 4") == 3
    assert cx.execute_counted(conn, "DELETE FROM nominals WHERE bcu = ?", ("CE",)) == 2
    assert count(conn, "SELECT count(*) FROM nominals") == 1


def test_the_review_guards_hold_in_the_compartments(vault: Vault) -> None:
    conn = vault.session(["CE"])
    ce = add_person(conn, person("CE", "N-000001", "Ada"))
    conn.execute("INSERT INTO reviews (id, bcu, quarter, opened_at) VALUES (1, 'CE', '2026-Q1', ?)", (NOW,))
    reviews.add_items(conn, 1, [NewItem("N-000001", "Ada Quillbrook", 22, 5, "Amber", "Green", ())])
    conn.execute("UPDATE reviews SET signed_at = ? WHERE id = 1", (NOW,))
    with pytest.raises(dbapi2.IntegrityError, match="a signed review cannot be changed"):
        conn.execute("UPDATE review_items SET rationale = 'x' WHERE review_id = 1")
    with pytest.raises(dbapi2.IntegrityError, match="a signed review cannot be changed"):
        conn.execute("UPDATE bcu_ce.review_items SET rationale = 'x'")  # past the view: the guard is on the table
    with pytest.raises(dbapi2.IntegrityError, match="a signed review cannot be changed"):
        reviews.redact_person(conn, "N-000001", NOW)  # still on the matrix
    conn.execute("DELETE FROM nominals WHERE id = ?", (ce,))
    reviews.redact_person(conn, "N-000001", NOW)  # allowed once the person has left
    assert conn.execute("SELECT name, redacted_at FROM bcu_ce.review_items").fetchone() == ("", NOW)


# --- ids -----------------------------------------------------------------------------------------


def test_ids_are_unique_across_compartments_and_never_reused(vault: Vault) -> None:
    conn = vault.session(CODES)
    with database.transaction(conn):
        # What a migration copies in keeps its ids (small, unique in the old vault).
        migrated = [add_person(conn, {"id": i, **person(code, f"N-00000{i}", f"Old{i}")},
                               into=f"bcu_{code.lower()}.nominals")
                    for i, code in enumerate(CODES, start=1)]
        predicted = {code: cx.next_id(conn, "nominals", code) for code in CODES}
        fresh: dict[str, list[int]] = {code: [] for code in CODES}
        for round_ in range(3):
            for code in CODES:
                fresh[code].append(add_person(conn, person(code, f"N-1{round_}{code}", "New")))
    assert migrated == [1, 2, 3]
    for index, code in enumerate(CODES, start=1):
        base = index << cx.ID_SPAN_BITS
        assert fresh[code] == [base + 1, base + 2, base + 3]
        assert predicted[code] == base + 1
    every = [r[0] for r in conn.execute("SELECT id FROM nominals")]
    assert len(every) == len(set(every)) == 12

    # A deleted id is not handed out again (AUTOINCREMENT), and an explicit id must be in the compartment's range.
    conn.execute("DELETE FROM nominals WHERE id = ?", (fresh["CE"][-1],))
    assert add_person(conn, person("CE", "N-2", "Newer")) == (1 << cx.ID_SPAN_BITS) + 4
    for wrong in (7, (2 << cx.ID_SPAN_BITS) + 50):  # below every base; in EA's range
        with pytest.raises(dbapi2.IntegrityError, match="id outside its compartment range"):
            add_person(conn, {"id": wrong, **person("CE", f"N-x{wrong}", "Forced")})
    assert add_person(conn, {"id": (1 << cx.ID_SPAN_BITS) + 100, **person("CE", "N-y", "Forced")}) == (
        1 << cx.ID_SPAN_BITS) + 100


def test_child_rows_get_ids_from_their_parent_s_compartment(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    ce, ea = add_person(conn, person("CE", "N-1", "Ada")), add_person(conn, person("EA", "N-2", "Bea"))
    made = {}
    for nominal_id in (ce, ea, ce):
        returned = records.add_proposal(conn, nominal_id, "add", "seen twice", 1, NOW)
        made[nominal_id] = cx.inserted_id(conn, "proposals")
        assert returned == made[nominal_id]  # not lastrowid, which an INSTEAD OF trigger does not set
    assert made == {ce: (1 << cx.ID_SPAN_BITS) + 2, ea: (2 << cx.ID_SPAN_BITS) + 1}
    assert records.pending_proposal(conn, ea, "add") is not None


# --- what a session without a key cannot do ------------------------------------------------------


def test_a_ce_session_sees_nothing_of_ea_and_cannot_open_its_file(vault: Vault) -> None:
    auditor = vault.session(CODES)
    ce = add_person(auditor, person("CE", "N-000001", "Ada"))
    ea = add_person(auditor, person("EA", "N-000002", "Bea"))

    officer = vault.session(["CE"])
    assert [r[0] for r in officer.execute("SELECT id FROM nominals")] == [ce]
    assert nominals.rows_by_id(officer, [ce, ea]).keys() == {ce}
    assert nominals.by_ref(officer, "N-000002") is None
    assert "bcu_ea" not in {r[1] for r in officer.execute("PRAGMA database_list")}

    # With the project's API: the CE key does not open EA's file, and the session carries on.
    with pytest.raises(VaultCorrupt, match="does not open with this key"):
        cx.attach(officer, vault.folder, cx.bcu("EA"), vault.keys["CE"])
    assert [r[0] for r in officer.execute("SELECT id FROM nominals")] == [ce]

    # With sqlcipher3 and nothing else: every key the officer's slot unwraps fails on EA's file.
    ea_file = str(cx.bcu("EA").path(vault.folder))
    for key in (vault.keys["CE"], vault.keys["common"]):
        raw = sqlcipher3.connect(ea_file)
        try:
            raw.execute("PRAGMA cipher_log_level = NONE")
            raw.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            with pytest.raises(sqlcipher3.DatabaseError, match=r"^file is not a database$"):
                raw.execute("SELECT given_name FROM nominals").fetchall()
        finally:
            raw.close()
        raw = sqlcipher3.connect(str(vault.main_file))
        try:
            raw.execute("PRAGMA cipher_log_level = NONE")
            raw.execute(f"PRAGMA key = \"x'{vault.keys['common'].hex()}'\"")
            with pytest.raises(sqlcipher3.DatabaseError, match=r"^file is not a database$"):
                raw.execute("ATTACH DATABASE ? AS bcu_ea KEY ?", (ea_file, f"x'{key.hex()}'"))
        finally:
            raw.close()
    plain = sqlcipher3.connect(ea_file)  # no key at all
    with pytest.raises(sqlcipher3.DatabaseError, match=r"^file is not a database$"):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchall()
    plain.close()


def test_a_swapped_file_is_not_taken_for_another_compartment(vault: Vault) -> None:
    ce_file, ea_file = cx.bcu("CE").path(vault.folder), cx.bcu("EA").path(vault.folder)
    ea_file.write_bytes(ce_file.read_bytes())
    conn = vault.session([])
    with pytest.raises(VaultCorrupt, match="is not that compartment"):
        cx.attach(conn, vault.folder, cx.bcu("EA"), vault.keys["CE"])
    assert "bcu_ea" not in {r[1] for r in conn.execute("PRAGMA database_list")}
    with pytest.raises(VaultCorrupt, match="missing"):
        cx.attach(conn, vault.folder, cx.bcu("WA"), vault.keys["CE"])
    assert not cx.bcu("WA").path(vault.folder).exists()  # ATTACH would have created it


# The store's reads of per-BCU tables, as an administrator's or a partner's session would run them.
_READS: dict[str, Callable[[database.Connection], object]] = {
    "live_ids": lambda c: nominals.live_ids(c, bcu=None),
    "live_ids CE": lambda c: nominals.live_ids(c, bcu="CE", statuses=("active", "proposed", "removed")),
    "count_by_status": lambda c: nominals.count_by_status(c, "CE"),
    "rows_by_id": lambda c: nominals.rows_by_id(c, [1, 2, (1 << 40) + 1]),
    "by_ref": lambda c: nominals.by_ref(c, "N-000001"),
    "same_identity": lambda c: nominals.same_identity(c, "Ada", "Quillbrook", "2004-01-02"),
    "review_candidates": lambda c: nominals.review_candidates(c, "CE"),
    "live_demographics": lambda c: nominals.live_demographics(c, "CE"),
    "evidence": lambda c: records.evidence(c, 1),
    "activity": lambda c: records.activity(c, 1),
    "interventions": lambda c: records.interventions(c, 1),
    "versions": lambda c: records.versions(c, 1),
    "pending_kinds": lambda c: records.pending_kinds(c, 1),
    "archive_count": records.archive_count,
    "removal_dates": records.removal_dates,
    "archived_demographics": lambda c: records.archived_demographics(c, "CE"),
    "items": lambda c: reviews.items(c, 1),
    "item_names": lambda c: reviews.item_names(c, 1),
    "match": lambda c: cx.match_ids(c, "nominal_search", '"ada"*'),
}
_EMPTY = {"count_by_status": {"removed": 0}, "by_ref": None, "rows_by_id": {}, "removal_dates": {}, "archive_count": 0,
          "pending_kinds": (),
          "item_names": {}}


def test_a_session_without_bcu_keys_runs_the_same_reads_and_finds_nobody(vault: Vault) -> None:
    auditor = vault.session(CODES)
    add_person(auditor, person("CE", "N-000001", "Ada"))
    auditor.execute("INSERT INTO reviews (id, bcu, quarter, opened_at) VALUES (1, 'CE', '2026-Q1', ?)", (NOW,))
    reviews.add_items(auditor, 1, [NewItem("N-000001", "Ada Quillbrook", 22, 5, "Amber", "Green", ())])
    nominals.reindex(auditor, cx.inserted_id(auditor, "nominals"))
    assert _READS["item_names"](auditor) == {"N-000001": "Ada Quillbrook"}

    admin = vault.session([])
    assert [r[1] for r in admin.execute("PRAGMA database_list")] == ["main", "temp"]  # temp: the views
    for name, read in _READS.items():
        assert read(admin) == _EMPTY.get(name, []), name
    for table, shape in cx.bcu_schema().tables.items():
        cur = admin.execute(f"SELECT * FROM {table}")
        columns = ["rowid", *shape.columns, table] if shape.fts else list(shape.columns)
        assert [d[0] for d in cur.description] == columns and cur.fetchall() == []
    with pytest.raises(dbapi2.IntegrityError, match="no compartment held"):
        add_person(admin, person("CE", "N-000002", "Eve"))
    assert cx.held_bcus(admin) == () and cx.held_bcus(auditor) == CODES


# --- full-text search ----------------------------------------------------------------------------


def test_name_search_runs_in_every_held_compartment(vault: Vault) -> None:
    auditor = vault.session(CODES)
    ids = {}
    for ref, code, given in (("N-1", "CE", "Alina"), ("N-2", "EA", "Alistair"), ("N-3", "NE", "Bob"), ("N-4", "CE", "Zoë")):
        ids[given] = add_person(auditor, person(code, ref, given))
        nominals.reindex(auditor, ids[given])  # DELETE and INSERT on the nominal_search view
    query = nominals.fts_query("ali")
    assert query is not None
    assert cx.match_ids(auditor, "nominal_search", query) == sorted([ids["Alina"], ids["Alistair"]])
    assert cx.match_ids(auditor, "nominal_search", nominals.fts_query("zoe") or "") == [ids["Zoë"]]
    sub, n = cx.match_subquery(auditor, "nominal_search")
    assert n == 3
    found = auditor.execute(f"SELECT n.bcu FROM nominals n WHERE n.id IN ({sub}) ORDER BY n.id", [query] * n).fetchall()
    assert found == [("CE",), ("EA",)]
    each, n = cx.union_of_held(auditor, "SELECT n.id, n.bcu FROM {schema}.nominals n JOIN {schema}.nominal_search f "
                                        "ON f.rowid = n.id WHERE f.nominal_search MATCH ? AND n.status = ?")
    assert auditor.execute(f"SELECT bcu FROM ({each}) ORDER BY id", [query, "active"] * n).fetchall() == found

    officer = vault.session(["CE"])
    assert cx.match_ids(officer, "nominal_search", query) == [ids["Alina"]]

    # A removal leaves the index of that compartment only; 'optimize' runs in each held compartment.
    auditor.execute("DELETE FROM nominal_search WHERE rowid = ?", (ids["Alistair"],))
    auditor.execute("INSERT INTO nominal_search (nominal_search) VALUES ('optimize')")
    assert cx.match_ids(auditor, "nominal_search", query) == [ids["Alina"]]
    for code in CODES:
        auditor.execute(f"INSERT INTO bcu_{code.lower()}.nominal_search (nominal_search, rank) VALUES ('integrity-check', 0)")
    with pytest.raises(dbapi2.IntegrityError, match="no compartment held for this nominal_search row"):
        auditor.execute("INSERT INTO nominal_search (rowid, names) VALUES (424242, 'ghost')")


# --- plans, journals, installation ---------------------------------------------------------------


def test_an_id_lookup_searches_each_compartment_by_its_key(vault: Vault) -> None:
    conn = vault.session(CODES)
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM nominals WHERE id = ?", (1,))]
    assert [p for p in plan if p.startswith("SEARCH")] == [
        f"SEARCH bcu_{c.lower()}.nominals USING INTEGER PRIMARY KEY (rowid=?)" for c in CODES]
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM evidence WHERE nominal_id = ?", (1,))]
    assert [p for p in plan if p.startswith("SEARCH")] == [
        f"SEARCH bcu_{c.lower()}.evidence USING COVERING INDEX evidence_nominal (nominal_id=?)" for c in CODES]
    assert not [p for p in plan if p.startswith("SCAN")]


def test_every_file_is_in_rollback_journal_mode_and_wal_is_refused(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    cx.check_rollback_journals(conn)
    assert [conn.execute(f"PRAGMA {s}.journal_mode").fetchone()[0] for s in ("main", "bcu_ce", "bcu_ea")] == ["delete"] * 3
    conn.execute("PRAGMA bcu_ea.journal_mode = WAL")
    with pytest.raises(StorageError, match="bcu_ea is in journal mode wal"):
        cx.check_rollback_journals(conn)
    conn.execute("PRAGMA bcu_ea.journal_mode = DELETE")
    conn.execute("PRAGMA bcu_ce.synchronous = NORMAL")
    with pytest.raises(StorageError, match="synchronous 1"):
        cx.check_rollback_journals(conn)


def test_views_follow_what_is_attached_and_refuse_an_old_shape(vault: Vault) -> None:
    conn = vault.session(["CE", "EA"])
    add_person(conn, person("EA", "N-2", "Bea"))
    cx.detach(conn, cx.bcu("EA"))
    cx.install_views(conn, ["CE"])
    assert count(conn, "SELECT count(*) FROM nominals") == 0
    with pytest.raises(StorageError, match="not attached"):
        cx.install_views(conn, ["CE", "EA"])
    cx.attach(conn, vault.folder, cx.bcu("EA"), vault.keys["EA"])
    conn.execute("ALTER TABLE bcu_ea.proposals ADD COLUMN extra TEXT")
    with pytest.raises(VaultCorrupt, match="needs upgrading"):
        cx.install_views(conn, ["CE", "EA"])
    assert count(conn, "SELECT count(*) FROM nominals") == 0  # the earlier views stay as they were


def test_one_connection_attaches_as_many_files_as_the_sqlite_build_allows(vault: Vault) -> None:
    """With the sqlcipher3 wheels that is 10 besides common: not all 12 BCUs (see max_attached)."""
    conn = vault.session([])
    limit = cx.max_attached(conn)
    assert limit == 10  # the sqlcipher3 wheels' build; one compiled with a larger SQLITE_MAX_ATTACHED changes this
    extra = [f"X{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(limit + 1 - len(CODES))]
    for index, code in enumerate(extra, start=len(CODES) + 1):
        vault.keys[code] = os.urandom(32)
        cx.create_compartment(vault.folder, cx.bcu(code), vault.keys[code], id_index=index)
    codes = [*CODES, *extra]
    for code in codes[:limit]:
        cx.attach(conn, vault.folder, cx.bcu(code), vault.keys[code])
    with pytest.raises(StorageError, match=f"too many attached databases - max {limit}"):
        cx.attach(conn, vault.folder, cx.bcu(codes[limit]), vault.keys[codes[limit]])
    cx.install_views(conn, codes[:limit])
    assert count(conn, "SELECT count(*) FROM nominals") == 0


# --- super-journals ------------------------------------------------------------------------------


def test_a_super_journal_is_removed_only_when_no_journal_can_point_to_it(tmp_path: Path) -> None:
    db = tmp_path / "vault.db"
    db.write_bytes(b"x")
    live_journal = tmp_path / "bcu-CE.db-journal"
    live_journal.write_bytes(b"hot")
    kept = tmp_path / "vault.db-mj1A2B3C9D4"
    kept.write_bytes(f"{tmp_path / 'vault.db-journal'}\0{live_journal}\0".encode())
    moved = tmp_path / "vault.db-mj0000009FF"  # recorded under another folder, which has since moved
    moved.write_bytes(b"/elsewhere/bcu-CE.db-journal\0")
    orphan = tmp_path / "vault.db-mjABCDEF901"
    orphan.write_bytes(f"{tmp_path / 'vault.db-journal'}\0{tmp_path / 'bcu-EA.db-journal'}\0".encode())
    (tmp_path / "vault.db-mjnot-one").write_bytes(b"")
    assert cx.super_journals(db) == sorted([kept, moved, orphan])
    assert cx.stale_super_journals(db) == []  # too young: another process may be writing it
    old = time.time() - 3600
    for path in (kept, moved, orphan):
        os.utime(path, (old, old))
    assert cx.stale_super_journals(db) == [orphan]
    assert cx.remove_stale_super_journals(db) == 1
    assert not orphan.exists() and kept.exists() and moved.exists()
    live_journal.unlink()
    assert cx.remove_stale_super_journals(db) == 2
    assert cx.super_journals(db) == []
