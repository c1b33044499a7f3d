"""Rows of the nominals tables: people, their aliases, the search index, list queries."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gvm_desktop.core.people import NominalDraft
from gvm_desktop.core.text import fold
from gvm_desktop.store.database import Connection
from gvm_desktop.store.meta import get_meta, set_meta
from gvm_desktop.store.repository import Repository, bound

_LAST_ISSUED = "last_nominal_id"

LIVE = ("proposed", "active")

# Sort keys the list may be ordered by, as SQL (never user text in ORDER BY).
# Each part is (expression, reversed): age ascending is date of birth descending.
_ORDER: dict[str, tuple[tuple[str, bool], ...]] = {
    "ref": (("n.id", False),),
    "name": (("n.family_name COLLATE NOCASE", False), ("n.given_name COLLATE NOCASE", False), ("n.id", False)),
    "age": (("n.date_of_birth", True), ("n.id", False)),
    "borough": (("n.borough", False), ("n.id", False)),
    "status": (("n.status", False), ("n.id", False)),
    "harm_score": (("n.harm_score", False), ("n.id", False)),
    "victim_score": (("n.victim_score", False), ("n.id", False)),
    "last_reviewed": (("n.last_reviewed", False), ("n.id", False)),
}


def _order_by(sort: str, descending: bool) -> str:
    parts = _ORDER.get(sort, _ORDER["name"])
    return ", ".join(f"{expr} {'DESC' if rev != descending else 'ASC'}" for expr, rev in parts)


def search_key(given: str, family: str) -> str:
    return fold(f"{given} {family}")


def index_text(given: str, family: str, aliases: Iterable[str]) -> str:
    return fold(" ".join([given, family, *aliases]))


def fts_query(text: str) -> str | None:
    """Each word a prefix; punctuation (quotes, SQL, FTS syntax) cannot reach the MATCH grammar."""
    words = re.findall(r"\w+", fold(text))
    return " ".join(f'"{w}"*' for w in words[:8]) or None


def _index(conn: Connection, nominal_id: int, text: str) -> None:
    conn.execute("INSERT INTO nominal_search (rowid, names) VALUES (?, ?)", (nominal_id, text))


def reindex(conn: Connection, nominal_id: int) -> None:
    given, family = conn.execute("SELECT given_name, family_name FROM nominals WHERE id = ?", (nominal_id,)).fetchone()
    aliases = [r[0] for r in conn.execute("SELECT alias FROM nominal_aliases WHERE nominal_id = ?", (nominal_id,))]
    conn.execute("DELETE FROM nominal_search WHERE rowid = ?", (nominal_id,))
    _index(conn, nominal_id, index_text(given, family, aliases))
    conn.execute("UPDATE nominals SET search_key = ? WHERE id = ?", (search_key(given, family), nominal_id))


def insert_many(
    conn: Connection, drafts: Iterable[NominalDraft], *, status: str, at: str, created_by: int | None
) -> list[int]:
    """Insert people with references N-000001, N-000002... inside the caller's transaction."""
    start = int(conn.execute("SELECT coalesce(max(id), 0) FROM nominals").fetchone()[0])
    archived = conn.execute("SELECT max(CAST(substr(ref, 3) AS INTEGER)) FROM archive").fetchone()[0] or 0
    # A reference is never reused, even after its archive row is purged: the log, the disclosure register and a
    # subject access pack find a person's history by reference, so a reused one would hand it to someone else.
    issued = int(get_meta(conn, _LAST_ISSUED) or 0)
    start = max(start, int(archived), issued)
    ids: list[int] = []
    for offset, d in enumerate(drafts, start=1):
        nid = start + offset
        conn.execute(
            "INSERT INTO nominals (id, ref, given_name, family_name, date_of_birth, gender, ethnicity, "
            "disability, address, postcode, borough, bcu, status, created_at, created_by, search_key) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                nid, f"N-{nid:06d}", d.given_name, d.family_name, d.date_of_birth.isoformat(), d.gender,
                d.ethnicity, d.disability, d.address, d.postcode, d.borough, d.bcu, status, at, created_by,
                search_key(d.given_name, d.family_name),
            ),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO nominal_aliases (nominal_id, alias) VALUES (?, ?)",
            [(nid, a) for a in d.aliases],
        )
        _index(conn, nid, index_text(d.given_name, d.family_name, d.aliases))
        ids.append(nid)
    if ids:
        set_meta(conn, _LAST_ISSUED, str(ids[-1]))
    return ids


def count_by_status(conn: Connection, bcu: str) -> dict[str, int]:
    """Live people by status, plus "removed": the BCU's archive rows still inside retention."""
    rows = conn.execute("SELECT status, count(*) FROM nominals WHERE bcu = ? GROUP BY status", (bcu,))
    counts = {status: int(n) for status, n in rows}
    counts["removed"] = int(conn.execute("SELECT count(*) FROM archive WHERE bcu = ?", (bcu,)).fetchone()[0])
    return counts


def live_ids(
    conn: Connection, *, bcu: str | None, statuses: Sequence[str] = LIVE, query: str | None = None,
    sort: str = "name", descending: bool = False,
) -> list[int]:
    """The ids a list shows, in order. `bcu=None` means every BCU."""
    order = _order_by(sort, descending)
    where = [f"n.status IN ({','.join('?' * len(statuses))})"]
    params: list[object] = list(statuses)
    if bcu is not None:
        where.append("n.bcu = ?")
        params.append(bcu)
    join = ""
    match = fts_query(query) if query else None
    if query and match is None:
        return []
    if match:
        join = "JOIN nominal_search s ON s.rowid = n.id"
        where.append("nominal_search MATCH ?")
        params.append(match)
    sql = f"SELECT n.id FROM nominals n {join} WHERE {' AND '.join(where)} ORDER BY {order}"
    return [r[0] for r in conn.execute(sql, params)]


_ROW_SQL = (
    "SELECT id, ref, given_name, family_name, date_of_birth, borough, status, classification, harm_score, "
    "harm_band, victim_score, victim_band, in_custody, last_reviewed, bcu, scored_on, score_policy "
    "FROM nominals WHERE id IN ({})"
)


def rows_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, tuple]:
    out: dict[int, tuple] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for r in conn.execute(_ROW_SQL.format(",".join("?" * len(part))), list(part)):
            out[r[0]] = r
    return out


def by_ref(conn: Connection, ref: str) -> tuple[int, str, str] | None:
    """(id, bcu, status) of a live or proposed person, or None."""
    r = conn.execute("SELECT id, bcu, status FROM nominals WHERE ref = ?", (ref.strip().upper(),)).fetchone()
    return (int(r[0]), r[1], r[2]) if r else None


def same_identity(conn: Connection, given: str, family: str, dob: str) -> list[tuple[str, str, str]]:
    """People already held with the same folded name and date of birth: (ref, bcu, status)."""
    return [tuple(r) for r in conn.execute(
        "SELECT ref, bcu, status FROM nominals WHERE search_key = ? AND date_of_birth = ?",
        (search_key(given, family), dob),
    )]


class NominalsRepository(Repository):
    """The people on the matrix as rows and their name index: lists, counts, lookups."""

    __slots__ = ()

    reindex = bound(reindex)
    insert_many = bound(insert_many)
    count_by_status = bound(count_by_status)
    live_ids = bound(live_ids)
    rows_by_id = bound(rows_by_id)
    by_ref = bound(by_ref)
    same_identity = bound(same_identity)
