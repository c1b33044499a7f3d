"""Every earlier schema version upgrades to the latest, keeping its data, in one transaction a step."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.store import database
from gvm_desktop.store.migrations import LATEST, MIGRATIONS, _statements, current_version, migrate


def _fresh(tmp_path: Path) -> database.Connection:
    return database.connect(tmp_path / "m.db", os.urandom(32), create=True)


@pytest.mark.parametrize("start", range(LATEST + 1))
def test_upgrade_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    conn = _fresh(tmp_path)
    migrate(conn, target=start)
    assert current_version(conn) == start
    if start >= 1:
        with database.transaction(conn):
            conn.execute("INSERT INTO meta (key, value) VALUES ('vault_id', 'v-keep-me')")
    assert migrate(conn) == LATEST
    assert current_version(conn) == LATEST
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "users", "settings", "access_log", "nominals", "nominal_aliases"} <= tables
    if start >= 1:
        assert conn.execute("SELECT value FROM meta WHERE key='vault_id'").fetchone()[0] == "v-keep-me"


def test_people_stored_at_version_2_are_searchable_after_upgrade(tmp_path: Path) -> None:
    conn = _fresh(tmp_path)
    migrate(conn, target=2)
    with database.transaction(conn):
        conn.execute(
            "INSERT INTO nominals (id, ref, given_name, family_name, date_of_birth, gender, ethnicity, disability, "
            "address, postcode, borough, bcu, status, created_at) VALUES "
            "(1, 'N-000001', 'Zoë', 'Quillbrook', '2004-01-02', 'F', 'W1', 'N', '1 Fictive Way', 'ZZ1 1AA', "
            "'Hackney', 'CE', 'proposed', '2026-01-01T00:00:00Z')"
        )
        conn.execute("INSERT INTO nominal_aliases VALUES (1, 'Little Vale')")
    migrate(conn)
    from gvm_desktop.store.nominals import live_ids

    assert live_ids(conn, bcu="CE", query="zoe") == [1]
    assert live_ids(conn, bcu="CE", query="QUILL") == [1]
    assert live_ids(conn, bcu="CE", query="vale") == [1]
    assert live_ids(conn, bcu="CE", query="'; DROP TABLE nominals; --") == []


def test_a_failing_step_rolls_back_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = _fresh(tmp_path)
    migrate(conn, target=1)
    broken = (MIGRATIONS[0], MIGRATIONS[1] + "\nCREATE TABLE nominals (oops INTEGER);")
    monkeypatch.setattr("gvm_desktop.store.migrations.MIGRATIONS", broken)
    with pytest.raises(Exception, match="already exists"):
        migrate(conn, target=2)
    assert current_version(conn) == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='nominals'").fetchone() is None


def test_a_newer_vault_is_refused_not_damaged(tmp_path: Path) -> None:
    conn = _fresh(tmp_path)
    migrate(conn)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(VaultCorrupt, match="newer than this gvm-desktop"):
        migrate(conn)


def test_trigger_bodies_stay_whole_when_split() -> None:
    statements = _statements(MIGRATIONS[0])
    triggers = [s for s in statements if s.startswith("CREATE TRIGGER")]
    assert len(triggers) == 2
    assert all(t.endswith("END;") for t in triggers)


def test_access_log_refuses_update_and_delete(tmp_path: Path) -> None:
    conn = _fresh(tmp_path)
    migrate(conn)
    conn.execute("INSERT INTO access_log (at_utc, tz, workstation, action, outcome) VALUES ('t','UTC','w','a','allowed')")
    for sql in ("UPDATE access_log SET action = 'x'", "DELETE FROM access_log"):
        with pytest.raises(database.IntegrityError, match="append-only"):
            conn.execute(sql)
