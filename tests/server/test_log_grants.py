"""What each application role may do to the server's log, refused or allowed by PostgreSQL itself.

Each test connects with plain psycopg as a login role that is a member of one group role.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.server import log_sql
from gvm_desktop.server.roles import GROUP_ROLES, OWNER_ROLE
from tests.server.conftest import ServerLog

CHANGES = ("UPDATE gvm.access_log SET justification = 'rewritten' WHERE seq = 1",
           "DELETE FROM gvm.access_log WHERE seq = 1",
           "TRUNCATE gvm.access_log",
           "INSERT INTO gvm.access_log SELECT * FROM gvm.access_log WHERE seq = 1")


def entry(group: str, n: int = 0) -> LogEntry:
    return LogEntry(at_utc="ignored by the server", tz="Europe/London", workstation="ws-grants",
                    action=Action.RECORD_OPEN, outcome=Outcome.ALLOWED, user_id=7, username=f"{group}.user",
                    role=group.removeprefix("gvm_"), bcu="CE", record_ref=f"N-{n:06d}", reason_category="intel",
                    justification="operation review")


@pytest.mark.parametrize("group", GROUP_ROLES)
@pytest.mark.parametrize("change", CHANGES)
def test_no_role_can_change_the_log(shared_server_log: ServerLog, group: str, change: str) -> None:
    with shared_server_log.as_member(group) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(change)


@pytest.mark.parametrize("group", GROUP_ROLES)
def test_no_role_can_read_the_mac_key_or_call_the_chains_insides(shared_server_log: ServerLog, group: str) -> None:
    for statement in ("SELECT mac_key FROM gvm_private.log_state",
                      "SELECT gvm_private.evolve('\\x00'::bytea)",
                      "SELECT gvm_private.start_chain('UTC', 'ws', 'x', 'admin', 'vault.create', 'allowed', NULL)"):
        with shared_server_log.as_member(group) as conn, pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


@pytest.mark.parametrize("group", GROUP_ROLES)
def test_every_role_appends_and_the_entries_chain(server_log: ServerLog, group: str) -> None:
    with server_log.as_member(group) as conn:
        first = log_sql.append(conn, entry(group, 1))
        second = log_sql.append(conn, entry(group, 2))
    assert (first.seq, second.seq) == (2, 3)
    with server_log.as_member("gvm_auditor") as auditor:
        rows = list(log_sql.rows(auditor, 1, 3))
    assert [r.prev_hash for r in rows[1:]] == [r.entry_hash for r in rows[:-1]]
    assert rows[0].prev_hash == bytes(32) and rows[0].entry_hash == server_log.init.head_hash
    assert rows[2].fields[5] == f"{group}.user" and rows[2].fields[2] == "Europe/London"


def test_an_append_rolled_back_leaves_no_trace(server_log: ServerLog) -> None:
    with server_log.as_member("gvm_officer") as conn:
        log_sql.append(conn, entry("gvm_officer"))
        conn.rollback()
        assert log_sql.append(conn, entry("gvm_officer")).seq == 2


@pytest.mark.parametrize("group", [g for g in GROUP_ROLES if g != "gvm_auditor"])
def test_only_auditors_read_the_log_and_its_head(shared_server_log: ServerLog, group: str) -> None:
    for statement in ("SELECT count(*) FROM gvm.access_log", "SELECT * FROM gvm.log_head()"):
        with shared_server_log.as_member(group) as conn, pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
    with shared_server_log.as_member("gvm_auditor") as conn:
        assert conn.execute("SELECT count(*) FROM gvm.access_log").fetchone() == (1,)
        assert log_sql.head(conn) is not None


def test_security_definer_functions_pin_their_search_path_and_run_as_the_owner(server_log: ServerLog) -> None:
    with server_log.superuser() as conn:
        rows = conn.execute(
            "SELECT p.proname, pg_get_userbyid(p.proowner), p.proconfig FROM pg_proc AS p "
            "JOIN pg_namespace AS n ON n.oid = p.pronamespace WHERE n.nspname IN ('gvm', 'gvm_private') "
            "AND p.prosecdef").fetchall()
        owner = conn.execute("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", (OWNER_ROLE,)).fetchone()
    assert sorted(str(r[0]) for r in rows) == ["append_log", "log_head"]
    assert all(r[1] == OWNER_ROLE and r[2] == ["search_path=pg_catalog, pg_temp"] for r in rows)
    assert owner == (False, False)


def test_a_role_outside_the_application_cannot_connect(server_log: ServerLog) -> None:
    with server_log.superuser() as conn:
        conn.execute("CREATE ROLE t_stranger LOGIN PASSWORD 'a-stranger-password'")
        conn.commit()
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(server_log.cluster.dsn(server_log.dbname, user="t_stranger",
                                                   password="a-stranger-password"))
    finally:
        with server_log.superuser() as conn:
            conn.execute("DROP ROLE t_stranger")
