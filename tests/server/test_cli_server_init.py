"""`gvm-desktop server init --dsn DSN --admin NAME` (issue 17): the schema on an empty database, one line per
failure with the contract's exit code, and never the superuser's password in what it prints."""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from gvm_desktop.cli.main import main
from gvm_desktop.server.log_verify import verify
from gvm_desktop.store.log_pin import key_fingerprint
from tests.support.pg_cluster import Cluster, free_port, make_pki


def _no_vault(_path: Path | None) -> object:
    raise AssertionError("server init opened a vault")


def _run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), app_factory=_no_vault, stdin=io.StringIO(stdin), stdout=out,  # type: ignore[arg-type]
                stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def empty_db(pg_cluster: Cluster) -> Iterator[str]:
    name = f"gvm_cli_test_{secrets.token_hex(5)}"
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _no_password(dsn: str) -> str:
    """The DSN without its password key (an empty `password=''` would override PGPASSWORD)."""
    return re.sub(r"password='(?:[^'\\]|\\.)*' ", "", dsn)


def _has_schema(cluster: Cluster, dbname: str) -> bool:
    with psycopg.connect(cluster.dsn(dbname)) as conn:
        return conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'gvm%'").fetchone() != (0,)


def test_init_builds_the_server_prints_the_key_once_and_a_second_init_is_refused(pg_cluster: Cluster,
                                                                                 empty_db: str) -> None:
    dsn = pg_cluster.dsn(empty_db)
    code, out, err = _run("server", "init", "--dsn", dsn, "--admin", "alice.admin")
    assert (code, err) == (0, "")
    key_text = re.search(r"k\[0\].*?: ([0-9a-f]{8}(?:-[0-9a-f]{8}){7})\n", out)
    fingerprint = re.search(r"fingerprint: (\S+)", out)
    assert key_text and fingerprint
    key0 = bytes.fromhex(key_text.group(1).replace("-", ""))
    assert fingerprint.group(1) == key_fingerprint(key0)
    assert "shown once" in out and "no login role" in out and pg_cluster.password not in out
    with psycopg.connect(dsn) as conn:
        assert verify(conn, key0).problems == ()  # the printed key is the one the log was chained under
        assert conn.execute("SELECT username FROM gvm.access_log").fetchall() == [("alice.admin",)]

    code, out, err = _run("server", "init", "--dsn", dsn, "--admin", "mallory.admin")
    assert (code, out) == (1, "") and "already initialised" in err and err.count("\n") == 1
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM gvm.access_log").fetchone() == (1,)


def test_the_password_may_come_from_stdin_or_pgpassword(pg_cluster: Cluster, empty_db: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    without = _no_password(pg_cluster.dsn(empty_db))
    assert "password" not in without
    code, _out, err = _run("server", "init", "--dsn", without, "--admin", "a", "--password-stdin",
                           stdin=pg_cluster.password + "\n")
    assert (code, err) == (0, "")
    monkeypatch.setenv("PGPASSWORD", pg_cluster.password)
    code, _out, err = _run("server", "init", "--dsn", without, "--admin", "a")
    assert code == 1 and "already initialised" in err  # signed in with PGPASSWORD, and refused only for the schema


@pytest.mark.parametrize("sslmode", ["require", "verify-ca", "prefer", "disable"])
def test_a_dsn_that_does_not_verify_the_certificate_is_refused_before_connecting(
        pg_cluster: Cluster, empty_db: str, sslmode: str) -> None:
    dsn = pg_cluster.dsn(empty_db, sslmode=sslmode)
    code, out, err = _run("server", "init", "--dsn", dsn, "--admin", "alice.admin")
    assert (code, out) == (2, "") and "sslmode=verify-full" in err and "certificate must be verified" in err
    assert pg_cluster.password not in err and not _has_schema(pg_cluster, empty_db)


def test_a_wrong_password_is_exit_3_and_never_echoed(pg_cluster: Cluster, empty_db: str) -> None:
    wrong = "Wr0ng-" + secrets.token_urlsafe(12)
    code, out, err = _run("server", "init", "--dsn", pg_cluster.dsn(empty_db, password=wrong), "--admin", "a")
    assert (code, out) == (3, "") and "refused the sign-in" in err and err.count("\n") == 1
    assert wrong not in err and pg_cluster.password not in err
    code, _out, err = _run("server", "init", "--dsn", _no_password(pg_cluster.dsn(empty_db)), "--admin", "a",
                           "--password-stdin", stdin=wrong + "\n")
    assert code == 3 and wrong not in err
    assert not _has_schema(pg_cluster, empty_db)


def test_an_unreachable_server_or_an_unverified_certificate_is_exit_1_in_one_sentence(pg_cluster: Cluster,
                                                                                       empty_db: str) -> None:
    closed = pg_cluster.dsn(empty_db).replace(f"port='{pg_cluster.port}'", f"port='{free_port()}'")
    code, _out, err = _run("server", "init", "--dsn", closed, "--admin", "a")
    assert code == 1 and "cannot reach the server" in err and pg_cluster.password not in err
    with tempfile.TemporaryDirectory() as folder:
        other_ca = Path(folder) / "other-ca.crt"
        other_ca.write_bytes(make_pki().ca_cert)
        code, _out, err = _run("server", "init", "--dsn", pg_cluster.dsn(empty_db, sslrootcert=other_ca),
                               "--admin", "a")
    assert code == 1 and "no verified TLS connection" in err and pg_cluster.password not in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_dsn_split_by_the_shell_or_malformed_never_shows_its_password() -> None:
    code, _out, err = _run("server", "init", "--dsn", "host=db.example", "password=Sh0wMeNot", "sslmode=verify-full",
                           "--admin", "a")
    assert code == 2 and "Sh0wMeNot" not in err
    code, _out, err = _run("server", "init", "--dsn", "host=db.example password=Sh0w MeNot sslmode=verify-full",
                           "--admin", "a")
    assert code == 2 and "MeNot" not in err and "Sh0w" not in err and "connection string" in err


def test_help_says_the_admins_login_role_is_not_made_yet() -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit), contextlib.redirect_stdout(out):
        main(["server", "init", "--help"], app_factory=_no_vault)  # type: ignore[arg-type]
    assert "verify-full" in out.getvalue() and "next part of issue 17" in " ".join(out.getvalue().split())
