"""Schema version 12: each review item keeps the victim-risk score and classification the review saw (issue 15),
in a vault not yet split and in every BCU file; items stored before read NULL; signed reviews stay final."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2

from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.core.review_rows import NewItem
from gvm_desktop.store import compartments as cx
from gvm_desktop.store import database, reviews
from gvm_desktop.store.migrations import LATEST, current_version, migrate
from tests.store.test_compartments import CODES, NOW, Vault, add_person, make_common, open_alone, person

SIGNED_ITEM = "a signed review cannot be changed"
VICTIM = NewItem("N-000002", "Bea Marrowfen", 19, 0, "Green", "Amber", ("zero_harm",), victim_score=23,
                 classification="victim")


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    """A split vault: common without the per-BCU tables, and a file per BCU made at this version."""
    v = Vault(tmp_path / "vault", {"common": os.urandom(32)})
    v.folder.mkdir()
    make_common(v.main_file, v.keys["common"])
    for id_index, code in enumerate(CODES, start=1):
        v.keys[code] = os.urandom(32)
        cx.create_compartment(v.folder, cx.bcu(code), v.keys[code], id_index=id_index)
    yield v
    for conn in v.opened:
        conn.close()


def _unsplit(tmp_path: Path, version: int) -> database.Connection:
    """A one-file vault at `version` with one active person of CE and an open review of them."""
    conn = database.connect(tmp_path / "r.db", os.urandom(32), create=True)
    migrate(conn, target=version)
    with database.transaction(conn):
        for n, (given, family) in enumerate((("Ada", "Quillbrook"), ("Bea", "Marrowfen")), start=1):
            conn.execute("INSERT INTO nominals (id, ref, given_name, family_name, date_of_birth, gender, ethnicity, "
                         "disability, address, postcode, borough, bcu, status, created_at) VALUES "
                         "(?, ?, ?, ?, '2004-01-02', 'F', 'W1', 'N', '1 Fictive Way', 'ZZ1 1AA', 'Hackney', 'CE', "
                         "'active', ?)", (n, f"N-00000{n}", given, family, NOW))
        conn.execute("INSERT INTO reviews (id, bcu, quarter, opened_at) VALUES (1, 'CE', '2026Q3', ?)", (NOW,))
    return conn


def _old_item(conn: database.Connection) -> None:
    """An item as version 11's add_items stored it: no victim side."""
    conn.execute("INSERT INTO review_items (review_id, ref, name, age, harm_score, harm_band, victim_band, flags) "
                 "VALUES (1, 'N-000001', 'Ada Quillbrook', 22, 5, 'Green', 'Green', 'green_band')")


def _sign(conn: database.Connection) -> None:
    conn.execute("UPDATE review_items SET recommendation = 'remove', rationale = 'Moved away from the area.', "
                 "verdict = 'agree', decision = 'remove'")
    conn.execute("UPDATE reviews SET signed_at = ?, signed_head = 7 WHERE id = 1", (NOW,))


def test_a_review_item_keeps_the_victim_side_the_review_saw(tmp_path: Path) -> None:
    conn = _unsplit(tmp_path, LATEST)
    with database.transaction(conn):
        reviews.add_items(conn, 1, [VICTIM])
    stored = reviews.item(conn, 1, "N-000002")
    assert stored is not None and (stored.victim_score, stored.classification) == (23, "victim")
    assert [(i.ref, i.victim_score, i.classification) for i in reviews.items(conn, 1)] == [("N-000002", 23, "victim")]


def test_the_upgrade_adds_the_columns_and_older_items_read_null(tmp_path: Path) -> None:
    conn = _unsplit(tmp_path, 11)
    with database.transaction(conn):
        _old_item(conn)
        _sign(conn)
    assert migrate(conn) == LATEST == 12
    old = reviews.item(conn, 1, "N-000001")
    assert old is not None and (old.victim_score, old.classification) == (None, None)
    assert (old.name, old.harm_score, old.decision) == ("Ada Quillbrook", 5, "remove")


def test_a_signed_review_refuses_changes_to_the_victim_side_and_allows_only_the_redaction(tmp_path: Path) -> None:
    conn = _unsplit(tmp_path, LATEST)
    with database.transaction(conn):
        reviews.add_items(conn, 1, [VICTIM])
        _sign(conn)
    for sql in ("UPDATE review_items SET victim_score = 0", "UPDATE review_items SET classification = 'offender'",
                "UPDATE review_items SET victim_score = NULL, classification = NULL"):
        with pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
            conn.execute(sql)
    with database.transaction(conn):
        conn.execute("DELETE FROM nominals WHERE ref = 'N-000002'")
    # A "redaction" that also clears the victim side is no redaction: the sheet prints it for removed people.
    with pytest.raises(database.IntegrityError, match=SIGNED_ITEM):
        conn.execute("UPDATE review_items SET name = '', age = NULL, rationale = NULL, override_reason = NULL, "
                     "redacted_at = 't', victim_score = NULL WHERE ref = 'N-000002'")
    with database.transaction(conn):
        assert reviews.redact_person(conn, "N-000002", NOW) == 1
    kept = reviews.item(conn, 1, "N-000002")
    assert kept is not None and (kept.name, kept.age, kept.victim_score, kept.classification) == ("", None, 23, "victim")


def _bcu_file_at_11(vault: Vault, code: str) -> None:
    """Make a BCU file as version 11 made it: review_items without the two columns, user_version 11."""
    conn = open_alone(vault.folder / f"bcu-{code}.db", vault.keys[code])
    try:
        conn.execute("ALTER TABLE review_items DROP COLUMN classification")
        conn.execute("ALTER TABLE review_items DROP COLUMN victim_score")
        conn.execute("PRAGMA user_version = 11")
    finally:
        conn.close()


def _columns(conn: database.Connection, schema: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM pragma_table_info('review_items', ?)", (schema,))]


def test_each_bcu_file_is_upgraded_when_a_session_attaches_it(vault: Vault) -> None:
    conn = vault.session(["CE"])
    add_person(conn, person("CE", "N-000001", "Ada"))
    conn.execute("INSERT INTO reviews (id, bcu, quarter, opened_at) VALUES (1, 'CE', '2026Q3', ?)", (NOW,))
    conn.execute("INSERT INTO review_items (review_id, ref, name, age, harm_score, harm_band, victim_band, flags) "
                 "VALUES (1, 'N-000001', 'Ada Quillbrook', 22, 5, 'Green', 'Green', '')")
    conn.close()
    vault.opened.remove(conn)
    for code in ("CE", "EA"):
        _bcu_file_at_11(vault, code)
    ce = vault.session(["CE"])  # attaching upgrades; install_views would refuse an old shape
    assert _columns(ce, "bcu_ce")[-2:] == ["victim_score", "classification"]
    assert int(ce.execute("PRAGMA bcu_ce.user_version").fetchone()[0]) == LATEST
    old = reviews.item(ce, 1, "N-000001")
    assert old is not None and (old.victim_score, old.classification) == (None, None)
    reviews.add_items(ce, 1, [VICTIM])
    ce.execute("UPDATE reviews SET signed_at = ? WHERE id = 1", (NOW,))
    stored = reviews.item(ce, 1, "N-000002")
    assert stored is not None and (stored.victim_score, stored.classification) == (23, "victim")
    with pytest.raises(dbapi2.IntegrityError, match=SIGNED_ITEM):
        ce.execute("UPDATE bcu_ce.review_items SET victim_score = 1")  # the sessions' guard holds the new columns
    # A file this session holds no key to stays as it was, for its own holder to upgrade.
    ea_alone = open_alone(vault.folder / "bcu-EA.db", vault.keys["EA"])
    assert int(ea_alone.execute("PRAGMA user_version").fetchone()[0]) == 11
    ea_alone.close()
    ea = vault.session(["EA"])
    assert _columns(ea, "bcu_ea")[-2:] == ["victim_score", "classification"]


def test_a_bcu_file_newer_than_the_application_is_refused(vault: Vault) -> None:
    conn = open_alone(vault.folder / "bcu-NE.db", vault.keys["NE"])
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(VaultCorrupt, match="newer than this gvm-desktop"):
        vault.session(["NE"])


def test_a_split_vaults_common_upgrades_without_the_per_bcu_tables(vault: Vault) -> None:
    conn = database.connect(vault.main_file, vault.keys["common"])
    vault.opened.append(conn)
    conn.execute("PRAGMA user_version = 11")
    assert migrate(conn) == LATEST and current_version(conn) == LATEST
    assert "review_items" not in {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master")}
