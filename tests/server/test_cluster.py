"""The throwaway cluster has the shape a deployment must have: TLS 1.3 with a verified certificate, SCRAM only."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.support.pg_cluster import HBA, MIN_MAJOR, Cluster, ClusterUnavailable, find_bin_dir, make_ca


def test_verify_full_connects_over_tls13_with_scram(pg_cluster: Cluster, server_dsn: str) -> None:
    # require_auth makes libpq itself refuse any other method the server might ask for.
    with psycopg.connect(server_dsn + " require_auth=scram-sha-256") as conn:
        ssl, version = conn.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() \
            or (None, None)
        assert (ssl, version) == (True, "TLSv1.3")
        assert conn.pgconn.used_password
        assert conn.execute("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = current_user"
                            ).fetchone() == (True,)


def test_a_connection_without_tls_is_refused(pg_cluster: Cluster) -> None:
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba\.conf entry.*no encryption"):
        psycopg.connect(pg_cluster.dsn(sslmode="disable"))


def test_the_unix_socket_is_refused(pg_cluster: Cluster) -> None:
    socket_dsn = pg_cluster.dsn(sslmode="disable").replace("host='127.0.0.1'", f"host='{pg_cluster.folder / 'socket'}'")
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba\.conf entry"):
        psycopg.connect(socket_dsn)


def test_a_server_certificate_from_another_ca_is_refused(pg_cluster: Cluster) -> None:
    other = pg_cluster.folder / "other-ca.crt"
    other.write_bytes(make_ca("someone else's CA")[1].public_bytes(Encoding.PEM))
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(pg_cluster.dsn(sslrootcert=other))


def test_a_wrong_password_is_refused(pg_cluster: Cluster) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg_cluster.dsn(password="not-the-password"))


def test_only_hostssl_scram_lines_are_allowed() -> None:
    lines = [line.split() for line in HBA.splitlines() if line.strip() and not line.startswith("#")]
    assert lines and all(fields[0] == "hostssl" and fields[-1] == "scram-sha-256" for fields in lines)


def test_missing_binaries_fail_with_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(ClusterUnavailable, match="apt-get install postgresql"):
        find_bin_dir(tmp_path)


def test_an_old_server_is_refused(tmp_path: Path) -> None:
    (tmp_path / str(MIN_MAJOR - 2) / "bin").mkdir(parents=True)
    (tmp_path / str(MIN_MAJOR - 2) / "bin" / "initdb").touch()
    with pytest.raises(ClusterUnavailable, match=f"needs {MIN_MAJOR} or newer"):
        find_bin_dir(tmp_path)
