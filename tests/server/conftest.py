"""The server tests' PostgreSQL: one throwaway cluster per session, a fresh database per log.

Missing binaries fail these tests with the install command; they are skipped only when
GVM_SKIP_SERVER_TESTS=1 says so on purpose.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from psycopg import sql

from gvm_desktop.server.bootstrap import ServerInit, init_server
from gvm_desktop.server.roles import GROUP_ROLES
from tests.support.pg_cluster import SKIP_VARIABLE, Cluster, ClusterUnavailable, start_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: the PostgreSQL server tests are skipped on purpose")
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def server_dsn(pg_cluster: Cluster) -> str:
    """The cluster's superuser on its `postgres` database, over TLS with the server certificate verified."""
    return pg_cluster.dsn()


@dataclass
class ServerLog:
    """A database with the server schema: its name, what init_server returned, and DSNs for it."""

    cluster: Cluster
    dbname: str
    init: ServerInit
    passwords: dict[str, str] = field(repr=False)

    def superuser(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.cluster.dsn(self.dbname))

    def as_member(self, group: str, *, autocommit: bool = False) -> psycopg.Connection[tuple[object, ...]]:
        """A plain psycopg connection as the login role that is a member of `group` (and of nothing else)."""
        login = member_login(group)
        return psycopg.connect(self.cluster.dsn(self.dbname, user=login, password=self.passwords[login]),
                               autocommit=autocommit)


def member_login(group: str) -> str:
    return f"t_{group.removeprefix('gvm_')}"


def _create_database(cluster: Cluster) -> str:
    name = f"gvm_{secrets.token_hex(6)}"
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def member_passwords(pg_cluster: Cluster) -> dict[str, str]:
    """One login role per group role, each a member of its group only (roles are the cluster's)."""
    scratch = _create_database(pg_cluster)
    try:
        init_server(pg_cluster.dsn(scratch), "setup.admin")  # creates the group roles
    finally:
        _drop_database(pg_cluster, scratch)
    passwords: dict[str, str] = {}
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        for group in GROUP_ROLES:
            login, password = member_login(group), secrets.token_urlsafe(18)
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(login), sql.Literal(password), sql.Identifier(group)))
            passwords[login] = password
    return passwords


@pytest.fixture(scope="session")
def make_server_log(pg_cluster: Cluster, member_passwords: dict[str, str]) -> Iterator[Callable[[], ServerLog]]:
    """A new database with the server schema on each call; all of them dropped at the session's end."""
    made: list[str] = []

    def make() -> ServerLog:
        name = _create_database(pg_cluster)
        made.append(name)
        return ServerLog(pg_cluster, name, init_server(pg_cluster.dsn(name), "alice.admin"), member_passwords)

    yield make
    for name in made:
        _drop_database(pg_cluster, name)


@pytest.fixture
def server_log(make_server_log: Callable[[], ServerLog]) -> ServerLog:
    """A log of its own, for a test that appends to it or damages it."""
    return make_server_log()


@pytest.fixture(scope="module")
def shared_server_log(make_server_log: Callable[[], ServerLog]) -> ServerLog:
    """One log for a module's tests that are all refused: nothing they try changes it."""
    return make_server_log()
