"""A throwaway PostgreSQL cluster for the server tests: Debian's binaries, TLS 1.3 and SCRAM only.

Nothing here is product code. The cluster lives in a temporary folder, listens on 127.0.0.1
at a free port and on a unix socket inside that folder, and accepts nothing but `hostssl`
connections authenticated with SCRAM-SHA-256: the shape a BCU's server must have, so the
tests exercise the same refusals a deployment relies on.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

POSTGRES_ROOT = Path("/usr/lib/postgresql")
MIN_MAJOR = 15
INSTALL_HINT = "sudo apt-get install postgresql"
SKIP_VARIABLE = "GVM_SKIP_SERVER_TESTS"
SUPERUSER = "gvm_dba"
# initdb and postgres refuse to run as root; as root (CI does) the cluster runs as this user.
UNPRIVILEGED_USERS = ("postgres", "nobody")


class ClusterUnavailable(RuntimeError):
    """No usable PostgreSQL binaries here: the message says what to install."""


def find_bin_dir(root: Path = POSTGRES_ROOT) -> Path:
    """The newest installed major version's bin folder, 15 or newer."""
    majors = sorted((int(p.name) for p in root.glob("*") if p.name.isdigit() and (p / "bin" / "initdb").is_file()),
                    reverse=True) if root.is_dir() else []
    if not majors:
        raise ClusterUnavailable(f"no PostgreSQL server binaries under {root}: install them with `{INSTALL_HINT}` "
                                 f"(or set {SKIP_VARIABLE}=1 to skip the server tests on purpose)")
    if majors[0] < MIN_MAJOR:
        raise ClusterUnavailable(f"PostgreSQL {majors[0]} is installed; the team server needs {MIN_MAJOR} or newer "
                                 f"(`{INSTALL_HINT}` on Debian 12 or later)")
    return root / str(majors[0]) / "bin"


@dataclass(frozen=True)
class TestPki:
    """A test CA and the server's certificate for 127.0.0.1 and localhost, as PEM bytes."""

    ca_cert: bytes
    server_cert: bytes
    server_key: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_pki() -> TestPki:
    ca_key, ca_cert = make_ca("gvm-desktop test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return TestPki(ca_cert.public_bytes(pem), cert.public_bytes(pem),
                   key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterUnavailable("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


@dataclass
class Cluster:
    """One running throwaway cluster; `stop()` ends it and removes its folder."""

    bin_dir: Path
    folder: Path
    port: int
    password: str = field(repr=False)
    ca_file: Path
    user: pwd.struct_passwd | None
    host: str = "127.0.0.1"
    superuser: str = SUPERUSER

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def dsn(self, dbname: str = "postgres", *, user: str | None = None, password: str | None = None,
            sslmode: str = "verify-full", sslrootcert: Path | None = None) -> str:
        """A libpq connection string; the superuser's unless another role is named."""
        parts = {"host": self.host, "port": str(self.port), "dbname": dbname, "user": user or self.superuser,
                 "password": self.password if password is None else password, "sslmode": sslmode,
                 "sslrootcert": str(sslrootcert or self.ca_file), "connect_timeout": "10"}
        return " ".join(f"{k}={_quote(v)}" for k, v in parts.items())

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user.pw_name, "--", *args] if self.user else list(args)

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._command(*args), capture_output=True, text=True, timeout=timeout, check=False,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"})

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self.run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _write_private(path: Path, data: bytes, owner: pwd.struct_passwd | None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _settings(folder: Path, port: int, *, fsync: bool) -> str:
    return "\n".join([
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{folder / 'socket'}'",
        "ssl = on",
        f"ssl_cert_file = '{folder / 'server.crt'}'",
        f"ssl_key_file = '{folder / 'server.key'}'",
        "ssl_min_protocol_version = 'TLSv1.3'",
        "password_encryption = 'scram-sha-256'",
        "max_connections = 40",
        "shared_buffers = 32MB",
        # A throwaway cluster has no crash to survive, and the disk is shared with the rest of CI; a
        # measurement asks for fsync to compare with the vault, which syncs each commit.
        f"fsync = {'on' if fsync else 'off'}",
        "log_min_messages = warning",
        "",
    ])


# TLS from 127.0.0.1 with SCRAM, nothing else: no `host` (plain TCP), no `local` (socket), no `trust`.
HBA = "hostssl all all 127.0.0.1/32 scram-sha-256\n"


def start_cluster(bin_dir: Path | None = None, *, fsync: bool = False) -> Cluster:
    """initdb (SCRAM, a generated superuser password), TLS 1.3 on, `pg_ctl start -w`."""
    bin_dir = bin_dir or find_bin_dir()
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="gvm-pg-"))
    try:
        (folder / "socket").mkdir(mode=0o700)
        password = secrets.token_urlsafe(24)
        _write_private(folder / "pwfile", password.encode() + b"\n", user)
        pki = make_pki()
        _write_private(folder / "server.key", pki.server_key, user)
        (folder / "server.crt").write_bytes(pki.server_cert)
        ca_file = folder / "ca.crt"
        ca_file.write_bytes(pki.ca_cert)
        if user is not None:
            for path in (folder, folder / "socket"):
                os.chown(path, user.pw_uid, user.pw_gid)
        cluster = Cluster(bin_dir, folder, free_port(), password, ca_file, user)
        done = cluster.run(str(bin_dir / "initdb"), "-D", str(cluster.data_dir), "-U", SUPERUSER,
                           "--auth=scram-sha-256", f"--pwfile={folder / 'pwfile'}", "-E", "UTF8",
                           "--locale=C.UTF-8", "--no-sync")
        if done.returncode != 0:
            raise ClusterUnavailable(f"initdb failed: {done.stderr.strip()[-800:]}")
        (folder / "pwfile").unlink()
        with (cluster.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(_settings(folder, cluster.port, fsync=fsync))
        (cluster.data_dir / "pg_hba.conf").write_text(HBA)
        _start(cluster)
        return cluster
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _start(cluster: Cluster, attempts: int = 3) -> None:
    log = cluster.folder / "server.log"
    for _ in range(attempts):
        done = cluster.run(str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data_dir), "-l", str(log), "-w",
                           "-t", "30", "start")
        if done.returncode == 0:
            return
        text = log.read_text(errors="replace") if log.exists() else done.stderr
        if "could not bind" not in text and "Address already in use" not in text:
            raise ClusterUnavailable(f"pg_ctl start failed: {text.strip()[-800:]}")
        # Another process took the port between free_port() and the start: take another.
        cluster.port = free_port()
        conf = cluster.data_dir / "postgresql.conf"
        conf.write_text(re.sub(r"(?m)^port = \d+$", f"port = {cluster.port}", conf.read_text()))
    raise ClusterUnavailable("pg_ctl start failed: no free port after several attempts")
