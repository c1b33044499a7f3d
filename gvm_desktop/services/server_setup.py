"""Creating a team server: the schema and access log on an empty PostgreSQL database (issue 17).

The vault's creation hands its k[0] to the recovery slot; the server has no slot for it yet, so
k[0] is handed back here once, for the CLI to show once, as the vault shows its recovery code.
Every failure becomes a typed error whose words quote no password and no DSN.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from gvm_desktop.core.errors import AuthenticationError, GvmError, UsageError
from gvm_desktop.server import bootstrap


@dataclass(frozen=True)
class CreatedServer:
    server_id: str
    schema_version: int
    first_admin: str
    log_key: str = field(repr=False)  # k[0] in hex groups: stored nowhere, shown once
    log_key_fingerprint: str = ""  # what every auditor's verification must print too


def _key_text(key0: bytes) -> str:
    digits = key0.hex()
    return "-".join(digits[i : i + 8] for i in range(0, len(digits), 8))


def create_server(dsn: str, admin_name: str, *, password: str | None = None, tz: str = "UTC") -> CreatedServer:
    """Build the team server's schema on the empty database `dsn` names, as the cluster's superuser."""
    try:
        made = bootstrap.init_server(dsn, admin_name.strip(), workstation=socket.gethostname() or "server-init",
                                     tz=tz, password=password)
    except bootstrap.DsnRefused as exc:
        raise UsageError(f"server init: {exc}.") from None
    except bootstrap.ServerUnreachable as exc:
        if exc.reason == "auth":
            raise AuthenticationError(f"server init: {exc}.") from None
        raise GvmError(f"server init: {exc}.") from None
    except bootstrap.ServerAlreadyInitialised:
        raise GvmError("server init: this database is already initialised as a team server; server init never "
                       "alters one (give an empty database).") from None
    except bootstrap.ServerInitRefused as exc:
        raise GvmError(f"server init: {exc}.") from None
    except bootstrap.DatabaseError as exc:
        raise GvmError(f"server init: the server refused part of the init, so nothing of it was kept: "
                       f"{bootstrap.failure_text(exc)}.") from None
    return CreatedServer(made.server_id, bootstrap.SCHEMA_VERSION, admin_name.strip(), _key_text(made.key0),
                         made.key_fingerprint)
