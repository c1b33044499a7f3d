"""init_server: one transaction, refuses a database that has the schema, and hands k[0] out once, unstored."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from psycopg import sql

from gvm_desktop.server import bootstrap
from gvm_desktop.server.bootstrap import ServerInitRefused, init_server
from gvm_desktop.store.log_chain import evolve
from gvm_desktop.store.log_pin import key_fingerprint
from tests.server.conftest import ServerLog, member_login
from tests.support.pg_cluster import Cluster


def _new_database(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def test_a_database_that_has_the_schema_is_refused_and_left_alone(server_log: ServerLog) -> None:
    with pytest.raises(ServerInitRefused, match="already has the schema"):
        init_server(server_log.cluster.dsn(server_log.dbname), "mallory.admin")
    with server_log.superuser() as conn:
        assert conn.execute("SELECT count(*) FROM gvm.access_log").fetchone() == (1,)
        assert conn.execute("SELECT value FROM gvm.server_meta WHERE key = 'first_admin'").fetchone() == (
            "alice.admin",)


def test_k0_is_handed_out_once_and_stored_nowhere(server_log: ServerLog) -> None:
    key0 = server_log.init.key0
    assert len(key0) == 32 and server_log.init.key_fingerprint == key_fingerprint(key0)
    assert "key0" not in repr(server_log.init) and key0.hex() not in repr(server_log.init)
    with server_log.superuser() as conn:
        state = conn.execute("SELECT head_seq, head_hash, mac_key FROM gvm_private.log_state").fetchall()
        first = conn.execute("SELECT username, role, action, outcome FROM gvm.access_log").fetchall()
    assert state == [(1, server_log.init.head_hash, evolve(key0))]
    assert first == [("alice.admin", "admin", "server.create", "allowed")]


def test_a_failure_part_way_leaves_nothing(pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    _new_database(pg_cluster, "gvm_half_done")
    real = bootstrap._schema_sql
    monkeypatch.setattr(bootstrap, "_schema_sql", lambda: real() + "\nSELECT 1 / 0;\n")
    with pytest.raises(psycopg.errors.DivisionByZero):
        init_server(pg_cluster.dsn("gvm_half_done"), "alice.admin")
    with psycopg.connect(pg_cluster.dsn("gvm_half_done")) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'gvm%'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'").fetchone() == (0,)
    monkeypatch.undo()
    init_server(pg_cluster.dsn("gvm_half_done"), "alice.admin")  # and the database is still usable


def test_only_the_superuser_may_init(make_server_log: Callable[[], ServerLog]) -> None:
    log = make_server_log()
    _new_database(log.cluster, "gvm_by_officer")
    login = member_login("gvm_admin")
    with psycopg.connect(log.cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE gvm_by_officer TO {}").format(sql.Identifier(login)))
    with pytest.raises(ServerInitRefused, match="superuser"):
        init_server(log.cluster.dsn("gvm_by_officer", user=login, password=log.passwords[login]), "x")


def test_an_administrator_needs_a_name(server_log: ServerLog) -> None:
    with pytest.raises(ServerInitRefused, match="name"):
        init_server(server_log.cluster.dsn(server_log.dbname), "  ")
