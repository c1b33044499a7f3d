"""`init_server`: the team server's schema, roles and access log on an empty PostgreSQL database.

One transaction: either the database ends up with the whole schema and the log's first entry,
or with nothing of it. A database that already has the schema is refused, never altered.
The roles are the cluster's, not the database's: they are created when missing and, when
present, must still be what this module made them (NOLOGIN, no superuser, no member of the owner).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import LiteralString

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.server.blake2b_sql import mac_function
from gvm_desktop.server.roles import GROUP_ROLES, OWNER_ROLE
from gvm_desktop.store.log_pin import key_fingerprint

SCHEMA_VERSION = 1


# What the server raises part way through an init (rolled back): the services catch it by this name.
DatabaseError = psycopg.Error


class ServerInitRefused(Exception):
    """The database or the connecting role is not one init_server may build on; the message says why."""


class ServerAlreadyInitialised(ServerInitRefused):
    """The database already has the schema."""


class DsnRefused(ValueError):
    """The DSN is malformed or does not verify the server's certificate. The message quotes none of it."""


class ServerUnreachable(Exception):
    """No session with the server. `reason` is auth, tls, network, database or other; no password in the text."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_dsn(dsn: str) -> dict[str, str]:
    """The DSN's parameters, if it verifies the server's certificate: the superuser's password goes nowhere else."""
    try:
        params = {key: str(value) for key, value in conninfo_to_dict(dsn).items()}
    except psycopg.Error:
        # libpq's parse error quotes the DSN, password included.
        raise DsnRefused("the DSN is not a libpq connection string (key=value pairs or a postgresql:// URI)"
                         ) from None
    if params.get("sslmode") != "verify-full":
        raise DsnRefused("the DSN must say sslmode=verify-full: the server's certificate must be verified (against "
                         "sslrootcert) before the superuser's password is sent to it")
    return params


# libpq words connection failures only in text (no SQLSTATE reaches the client before a session).
_AUTH_SIGNS = ("password authentication failed", "no password supplied", "scram", "not permitted to log in",
               "pg_hba.conf")
_TLS_SIGNS = ("ssl", "certificate", "tls")
_NETWORK_SIGNS = ("connection refused", "could not translate host name", "timeout expired", "no route to host",
                  "network is unreachable", "name or service not known")


def _unreachable(text: str, params: dict[str, str], password: str | None) -> ServerUnreachable:
    where = f"{params.get('host') or params.get('hostaddr') or 'the local socket'}:{params.get('port') or '5432'}"
    said = text.split(" failed: ", 1)[-1]  # libpq's words after the host's name, which could read as a sign
    reason = (said.splitlines() or [""])[0].removeprefix("FATAL:").strip()
    for secret in (password, params.get("password")):
        if secret:
            reason = reason.replace(secret, "***")
    lowered = said.lower()
    if any(sign in lowered for sign in _AUTH_SIGNS):
        return ServerUnreachable("auth", f"the server at {where} refused the sign-in of "
                                         f"{params.get('user') or 'the connecting role'}: wrong or missing password, "
                                         "or that role may not connect from here")
    if "does not exist" in lowered and "database" in lowered:
        return ServerUnreachable("database", f"the server at {where} has no database "
                                             f"{params.get('dbname') or '(unnamed)'}: create it first, empty")
    if any(sign in lowered for sign in _NETWORK_SIGNS):
        return ServerUnreachable("network", f"cannot reach the server at {where}: {reason}")
    if any(sign in lowered for sign in _TLS_SIGNS):
        return ServerUnreachable("tls", f"no verified TLS connection to {where}: {reason}")
    return ServerUnreachable("other", f"cannot connect to the server at {where}: {reason}")


def failure_text(exc: psycopg.Error) -> str:
    """The server's own words for a statement it refused, which quote no secret of init's."""
    primary = exc.diag.message_primary or type(exc).__name__
    return f"{primary} (SQLSTATE {exc.sqlstate})" if exc.sqlstate else primary


@dataclass(frozen=True)
class ServerInit:
    """What init_server hands back once. k[0] is for the auditors, as the vault's creation hands it on."""

    server_id: str
    head_seq: int
    head_hash: bytes
    key0: bytes = field(repr=False)

    @property
    def key_fingerprint(self) -> str:
        return key_fingerprint(self.key0)


def _schema_sql() -> str:
    return resources.files("gvm_desktop.server").joinpath("schema.sql").read_text("utf-8")


def _one(cur: psycopg.Cursor[tuple[object, ...]], query: LiteralString) -> object:
    row = cur.execute(query).fetchone()
    if row is None:
        raise ServerInitRefused(f"the server answered nothing to {query!r}")
    return row[0]


def _check_database(cur: psycopg.Cursor[tuple[object, ...]]) -> None:
    row = cur.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()
    if not row or not row[0]:
        raise ServerInitRefused("server init needs the cluster's superuser (it creates roles and a trusted "
                                "extension, and hands the objects to their owner role)")
    if cur.execute("SELECT current_setting('server_encoding')").fetchone() != ("UTF8",):
        raise ServerInitRefused("the database's encoding must be UTF8 (the log's canonical form is UTF-8)")
    found = cur.execute("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname IN ('gvm', 'gvm_private')"
                        ).fetchall()
    if found:
        raise ServerAlreadyInitialised(f"this database already has the schema {found[0][0]}: server init builds only on "
                                "a database without it, and never alters one")


def _ensure_roles(cur: psycopg.Cursor[tuple[object, ...]]) -> None:
    for role in (OWNER_ROLE, *GROUP_ROLES):
        row = cur.execute("SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = %s",
                          (role,)).fetchone()
        if row is None:
            cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        elif any(row):
            raise ServerInitRefused(f"the role {role} exists and may log in, is a superuser or bypasses row "
                                    "security: it is not one server init made")
    members = cur.execute(
        "SELECT r.rolname FROM pg_catalog.pg_auth_members AS m JOIN pg_catalog.pg_roles AS r ON r.oid = m.member "
        "JOIN pg_catalog.pg_roles AS g ON g.oid = m.roleid WHERE g.rolname = %s AND NOT r.rolsuper",
        (OWNER_ROLE,)).fetchall()
    if members:
        raise ServerInitRefused(f"the role {members[0][0]} is a member of {OWNER_ROLE}: the log's owner must have "
                                "no members but the superuser")


def _connect(dsn: str, password: str | None) -> psycopg.Connection[tuple[object, ...]]:
    params = check_dsn(dsn)
    try:
        return psycopg.connect(make_conninfo(dsn, password=password) if password else dsn)
    except psycopg.OperationalError as exc:
        raise _unreachable(str(exc), params, password) from None


def init_server(dsn: str, admin_name: str, *, workstation: str = "server-init", tz: str = "UTC",
                password: str | None = None) -> ServerInit:
    """Create the schema, the roles and the access log on the database `dsn` names, in one transaction.

    Connects as the cluster's superuser, over TLS with the server's certificate verified; `password`,
    when given, is used instead of the DSN's (libpq also reads PGPASSWORD). The first entry (the
    server's creation, by `admin_name`) is chained under a k[0] generated by PostgreSQL and returned
    here once, never stored.
    """
    if not admin_name.strip():
        raise ServerInitRefused("the first administrator needs a name")
    with _connect(dsn, password) as conn, conn.cursor() as cur:
        _check_database(cur)
        _ensure_roles(cur)
        owner = sql.Identifier(OWNER_ROLE)
        cur.execute(sql.SQL("CREATE SCHEMA gvm AUTHORIZATION {0}; CREATE SCHEMA gvm_private AUTHORIZATION {0}"
                            ).format(owner))
        cur.execute("REVOKE ALL ON SCHEMA gvm, gvm_private FROM PUBLIC")
        # Only the application's roles connect (PostgreSQL lets PUBLIC connect to a new database).
        database = sql.Identifier(str(_one(cur, "SELECT current_database()")))
        cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            database, sql.SQL(", ").join(sql.Identifier(g) for g in GROUP_ROLES)))
        cur.execute("CREATE EXTENSION pgcrypto WITH SCHEMA gvm_private")
        # Everything below belongs to the owner role, so the SECURITY DEFINER functions run as a role that
        # is not a superuser.
        cur.execute(sql.SQL("SET LOCAL ROLE {}").format(owner))
        # Generated and packaged SQL, not literals: psycopg takes them as bytes.
        cur.execute(mac_function("gvm_private.blake2b_mac").encode())
        cur.execute(_schema_sql().encode())
        server_id = uuid.uuid4().hex
        cur.execute("INSERT INTO gvm.server_meta (key, value) VALUES ('server_id', %s), ('schema_version', %s), "
                    "('first_admin', %s)", (server_id, str(SCHEMA_VERSION), admin_name))
        key0_row = cur.execute(
            "SELECT gvm_private.start_chain(%s, %s, %s, %s, %s, %s, %s)",
            (tz, workstation, admin_name, "admin", Action.SERVER_CREATE.value, Outcome.ALLOWED.value,
             f"team server created on PostgreSQL (server {server_id}, schema {SCHEMA_VERSION})")).fetchone()
        head = cur.execute("SELECT head_seq, head_hash FROM gvm_private.log_state").fetchone()
        cur.execute("RESET ROLE")
        if key0_row is None or head is None:
            raise ServerInitRefused("the log's first entry was not written")  # rolled back as the block exits
        return ServerInit(server_id, int(str(head[0])), _bytes(head[1]), _bytes(key0_row[0]))


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview) or len(value) != 32:
        raise ServerInitRefused("the server returned a malformed hash or key")
    return bytes(value)
