"""Schema versions. Each migration runs in one transaction with the version bump.

Never edit a released migration: add a new one. tests/store/test_migrations.py
builds a vault at every earlier version and upgrades it to the latest.
"""

from __future__ import annotations

from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.store.database import Connection, transaction

# Version 1: accounts, settings, vault metadata and the access log.
_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('officer','spoc','auditor','partner','admin')),
    bcu            TEXT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
    locator        TEXT NOT NULL UNIQUE,
    slot_version   INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    created_by     INTEGER REFERENCES users(id),
    disabled_at    TEXT,
    last_signin_at TEXT
) STRICT;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by INTEGER REFERENCES users(id)
) STRICT;

-- The access log. Append-only: the triggers are a guard rail; tamper evidence
-- (hash chain and forward-secure MAC) is added by a later migration.
CREATE TABLE access_log (
    seq             INTEGER PRIMARY KEY,
    at_utc          TEXT NOT NULL,
    tz              TEXT NOT NULL,
    workstation     TEXT NOT NULL,
    user_id         INTEGER,
    username        TEXT,
    role            TEXT,
    bcu             TEXT,
    action          TEXT NOT NULL,
    record_ref      TEXT,
    reason_category TEXT,
    justification   TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('allowed','refused','failed')),
    detail          TEXT
) STRICT;
CREATE INDEX access_log_user ON access_log(user_id, seq);
CREATE INDEX access_log_record ON access_log(record_ref, seq);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
"""

# Version 2: the people on the matrix (nominals). The matrix issue extends it.
_V2 = """
CREATE TABLE nominals (
    id            INTEGER PRIMARY KEY,
    ref           TEXT NOT NULL UNIQUE,
    given_name    TEXT NOT NULL,
    family_name   TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    gender        TEXT NOT NULL,
    ethnicity     TEXT NOT NULL,
    disability    TEXT NOT NULL,
    address       TEXT NOT NULL,
    postcode      TEXT NOT NULL,
    borough       TEXT NOT NULL,
    bcu           TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed','active','removed')),
    created_at    TEXT NOT NULL,
    created_by    INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX nominals_bcu ON nominals(bcu, status);

CREATE TABLE nominal_aliases (
    nominal_id INTEGER NOT NULL REFERENCES nominals(id) ON DELETE CASCADE,
    alias      TEXT NOT NULL,
    PRIMARY KEY (nominal_id, alias)
) STRICT;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2)
LATEST = len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a migration script on the ';' that ends a statement (triggers keep their bodies)."""
    out: list[str] = []
    buf: list[str] = []
    for line in script.strip().splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        joined = "\n".join(buf).strip()
        inside_trigger = joined.upper().startswith("CREATE TRIGGER") and not joined.upper().endswith("END;")
        if joined.endswith(";") and not inside_trigger:
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out


def current_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection, target: int = LATEST) -> int:
    """Bring the schema to `target`, one transaction per step; return the new version."""
    version = current_version(conn)
    if version > LATEST:
        raise VaultCorrupt(
            f"The vault has schema version {version}, newer than this gvm-desktop ({LATEST}): update the application."
        )
    while version < target:
        with transaction(conn):
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            # PRAGMA takes no parameters; the value is an int we computed.
            conn.execute(f"PRAGMA user_version = {int(version + 1)}")
        version += 1
    return version
