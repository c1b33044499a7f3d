"""The blind index in common for "is this person on the matrix?" (issue 13): `status_index`.

An officer asks by name and date of birth about anyone in London; the person may be in a
BCU whose key the officer does not hold. So common keeps, per person, a tag: HMAC-SHA256
under the "status" key of the normalised name and date of birth, cut to 16 bytes, with
the record's id and its two bands (what the answer shows), and never the name or the date.
The "status" key is held by those who may ask or who write people (officers once granted,
SPOCs, auditors), not by the administrator or a partner: without it a tag is no help in
telling who is on the matrix. A holder can compute tags for guesses with Python and no log
entry; it tells them what a status check tells, for people whose name and date of birth
they already know. The key is not rotated when an account is revoked: common's key is, and
without it the tags cannot be read.

Kept in the same transaction as every change to a person by TEMP triggers calling the SQL
function `gvm_status_tag`, which a session holding the key registers on its connection.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from gvm_desktop.store import compartments as cx
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound

STATUS = "status"  # the key's name in a keyring
FUNCTION = "gvm_status_tag"
_CONTEXT = b"gvm-desktop/status-tag/v1|"
TAG_BYTES = 16


def tag(key: bytes, search_key: str, date_of_birth: str) -> bytes:
    """The tag of one identity: `search_key` as nominals.search_key makes it, the date as ISO text."""
    message = _CONTEXT + search_key.encode("utf-8") + b"|" + date_of_birth.encode("ascii", "replace")
    return hmac.new(key, message, hashlib.sha256).digest()[:TAG_BYTES]


def register(conn: Connection, key: bytes) -> None:
    """Let this connection's triggers compute tags (the key stays in the closure, never in SQL)."""
    held = bytes(key)

    def compute(search_key: object, date_of_birth: object) -> bytes | None:
        if not isinstance(search_key, str) or not isinstance(date_of_birth, str):
            return None
        return tag(held, search_key, date_of_birth)

    conn.create_function(FUNCTION, 2, compute, deterministic=True)


_UPSERT = (f"INSERT INTO status_index (id, tag, harm_band, victim_band) VALUES "
           f"(NEW.id, {FUNCTION}(NEW.search_key, NEW.date_of_birth), NEW.harm_band, NEW.victim_band) "
           "ON CONFLICT (id) DO UPDATE SET tag = excluded.tag, harm_band = excluded.harm_band, "
           "victim_band = excluded.victim_band;")


def session_triggers(schemas: Iterable[str]) -> list[str]:
    """TEMP triggers on each attached BCU compartment's `nominals` keeping `status_index` (named cx_...)."""
    out = []
    for schema in schemas:
        checked = cx.from_schema(schema).schema
        head = f"CREATE TEMP TRIGGER cx_{checked}_status_"
        out += [
            f"{head}added AFTER INSERT ON {checked}.nominals BEGIN {_UPSERT} END",
            f"{head}changed AFTER UPDATE OF search_key, date_of_birth, harm_band, victim_band ON {checked}.nominals "
            "WHEN OLD.search_key IS NOT NEW.search_key OR OLD.date_of_birth IS NOT NEW.date_of_birth "
            f"OR OLD.harm_band IS NOT NEW.harm_band OR OLD.victim_band IS NOT NEW.victim_band BEGIN {_UPSERT} END",
            f"{head}removed AFTER DELETE ON {checked}.nominals BEGIN "
            "DELETE FROM status_index WHERE id = OLD.id; END",
        ]
    return out


def fill(conn: Connection, key: bytes, schema: str) -> int:
    """(Re)write the tags of one file's people (inside the caller's transaction); how many."""
    source = schema if schema == cx.COMMON_SCHEMA else cx.from_schema(schema).schema
    rows = conn.execute(f"SELECT id, search_key, date_of_birth, harm_band, victim_band FROM {source}.nominals").fetchall()
    conn.executemany("INSERT INTO status_index (id, tag, harm_band, victim_band) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (id) DO UPDATE SET tag = excluded.tag, harm_band = excluded.harm_band, "
                     "victim_band = excluded.victim_band",
                     [(i, tag(key, str(k), str(d)), h, v) for i, k, d, h, v in rows])
    return len(rows)


@dataclass(frozen=True)
class StatusMatch:
    id: int
    harm_band: str | None
    victim_band: str | None


def matches(conn: Connection, tag_value: bytes) -> list[StatusMatch]:
    """The records whose name and date of birth give this tag (oldest first)."""
    return [StatusMatch(int(i), h, v) for i, h, v in
            conn.execute("SELECT id, harm_band, victim_band FROM status_index WHERE tag = ? ORDER BY id",
                         (tag_value,))]


class StatusTagsRepository(Repository):
    """The blind index for status checks across BCUs."""

    __slots__ = ()

    matches = bound(matches)
