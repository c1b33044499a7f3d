"""Rows of the nominals tables: people, their aliases, the search index, list queries."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from gvm_desktop.core.people import NominalDraft
from gvm_desktop.core.records import HeldNominal, NominalRow, ScoreBands
from gvm_desktop.core.review_rows import LiveDemographics, ReviewCandidate
from gvm_desktop.core.scoring import ScoreCard
from gvm_desktop.core.text import fold
from gvm_desktop.store import bcu_rows, compartments
from gvm_desktop.store.database import Connection
from gvm_desktop.store.meta import get_meta, set_meta
from gvm_desktop.store.records import SCORE_COLUMNS, score_values
from gvm_desktop.store.repository import Repository, bound

# The last reference number issued, vault-wide (meta lives in common). The key's name is older than
# compartments, when a person's id was their reference number; it is kept so existing vaults read on.
_LAST_ISSUED = "last_nominal_id"

LIVE = ("proposed", "active")

# Sort keys the list may be ordered by, as SQL (never user text in ORDER BY), each followed by
# reference order. Each part is (expression, reversed): age ascending is date of birth descending.
_ORDER: dict[str, tuple[tuple[str, bool], ...]] = {
    "ref": (),
    "name": (("n.family_name COLLATE NOCASE", False), ("n.given_name COLLATE NOCASE", False)),
    "age": (("n.date_of_birth", True),),
    "borough": (("n.borough", False),),
    "status": (("n.status", False),),
    "harm_score": (("n.harm_score", False),),
    "victim_score": (("n.victim_score", False),),
    "last_reviewed": (("n.last_reviewed", False),),
}
# Reference order (N-000009 before N-000010 before N-1000000), by whether the tables are views over
# BCU compartments. Over views ids follow the compartment (each allocates in its own range), so the
# reference itself is sorted. In one file insert_many makes the id the reference number, and sorting
# on the id reads only the index: half the time of sorting the references of 20,000 people.
_BY_REF: dict[bool, tuple[tuple[str, bool], ...]] = {
    False: (("n.id", False),),
    True: (("length(n.ref)", False), ("n.ref", False)),
}
# The columns an ORDER BY built from those keys reads.
_SORT_COLUMN = re.compile(r"\bn\.(\w+)")


def _order_by(sort: str, descending: bool, *, over_views: bool) -> str:
    parts = (*_ORDER.get(sort, _ORDER["name"]), *_BY_REF[over_views])
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
    """Insert people with references N-000001, N-000002... inside the caller's transaction; their ids, in order.

    References are numbered vault-wide, from the counter in meta. In a single-file vault a person's
    id is their reference number; over BCU compartments it is the next id of their BCU's compartment.
    """
    over_views = bcu_rows.over_views(conn, "nominals")
    last = _last_issued(conn, over_views=over_views)
    ids: list[int] = []
    for number, d in enumerate(drafts, start=last + 1):
        conn.execute(
            "INSERT INTO nominals (id, ref, given_name, family_name, date_of_birth, gender, ethnicity, "
            "disability, address, postcode, borough, bcu, status, created_at, created_by, search_key) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                None if over_views else number, f"N-{number:06d}", d.given_name, d.family_name,
                d.date_of_birth.isoformat(), d.gender, d.ethnicity, d.disability, d.address, d.postcode, d.borough,
                d.bcu, status, at, created_by, search_key(d.given_name, d.family_name),
            ),
        )
        nid = compartments.inserted_id(conn, "nominals") if over_views else number
        conn.executemany(
            "INSERT OR IGNORE INTO nominal_aliases (nominal_id, alias) VALUES (?, ?)",
            [(nid, a) for a in d.aliases],
        )
        _index(conn, nid, index_text(d.given_name, d.family_name, d.aliases))
        ids.append(nid)
        last = number
    if ids:
        set_meta(conn, _LAST_ISSUED, str(last))
    return ids


# What insert_people sets besides a draft's fields and the score, with the table's defaults: the columns the
# per-person path (propose, then approve) sets by updates once the record exists.
_STATE_DEFAULTS: Mapping[str, Any] = {"status": "proposed", "gangs": "", "observed_ethnicity": None, "in_custody": 0,
                                      "custody_from": None, "custody_to": None, "date_added": None}
_STATE_COLUMNS, _STATE_VALUES = tuple(_STATE_DEFAULTS), tuple(_STATE_DEFAULTS.values())
_DRAFT_COLUMNS = ("given_name", "family_name", "date_of_birth", "gender", "ethnicity", "disability", "address",
                  "postcode", "borough", "bcu")  # in the order of _draft_values
_INSERT_PERSON = (
    f"INSERT INTO nominals (id, ref, {', '.join(_DRAFT_COLUMNS)}, created_at, created_by, search_key, "
    f"{', '.join(_STATE_DEFAULTS)}, {', '.join(SCORE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (5 + len(_DRAFT_COLUMNS) + len(_STATE_DEFAULTS) + len(SCORE_COLUMNS)))})"
)


def insert_people(conn: Connection, people: Sequence[tuple[NominalDraft, Mapping[str, Any], ScoreCard]], *, at: str,
                  created_by: int | None) -> list[int]:
    """insert_many for people whose record is whole at once (a demo's, an import's); their ids, in order.

    Each person comes with their state (any of `_STATE_DEFAULTS`' columns; the rest take the default)
    and their score card, written in the person's one INSERT: the rows are then what inserting,
    updating and rescoring one by one leaves, and the triggers keeping the reference index and the
    status tags see each person once, complete. Each table is written by one executemany, in order,
    inside the caller's transaction; aliases and the name index as insert_many writes them.
    """
    if not people:
        return []
    for _draft, state, _card in people:
        if unknown := set(state) - set(_STATE_DEFAULTS):
            raise KeyError(f"not a state column: {sorted(unknown)}")
    over_views = bcu_rows.over_views(conn, "nominals")
    first = _last_issued(conn, over_views=over_views) + 1
    refs = [f"N-{number:06d}" for number in range(first, first + len(people))]
    scored: dict[int, tuple[Any, ...]] = {}  # by the card's id: an import's people share a few cards
    conn.executemany(_INSERT_PERSON, [
        (None if over_views else number, ref, *_draft_values(d), at, created_by,
         search_key(d.given_name, d.family_name), *map(state.get, _STATE_COLUMNS, _STATE_VALUES),
         *(scored.get(id(card)) or scored.setdefault(id(card), score_values(card))))
        for number, ref, (d, state, card) in zip(range(first, first + len(people)), refs, people, strict=True)
    ])
    # Over BCU compartments each file allocates its own ids, and a view reports none: they are read back by reference.
    ids = _ids_of(conn, refs) if over_views else list(range(first, first + len(people)))
    conn.executemany("INSERT OR IGNORE INTO nominal_aliases (nominal_id, alias) VALUES (?, ?)",
                     [(nid, a) for nid, (d, _state, _card) in zip(ids, people, strict=True) for a in d.aliases])
    conn.executemany("INSERT INTO nominal_search (rowid, names) VALUES (?, ?)",
                     [(nid, index_text(d.given_name, d.family_name, d.aliases))
                      for nid, (d, _state, _card) in zip(ids, people, strict=True)])
    set_meta(conn, _LAST_ISSUED, str(first + len(people) - 1))
    return ids


def _draft_values(d: NominalDraft) -> tuple[str, ...]:
    return (d.given_name, d.family_name, d.date_of_birth.isoformat(), d.gender, d.ethnicity, d.disability, d.address,
            d.postcode, d.borough, d.bcu)


def _ids_of(conn: Connection, refs: Sequence[str]) -> list[int]:
    """The ids of the people with these references, in the same order."""
    found: dict[str, int] = {}
    for chunk in range(0, len(refs), 500):
        part = refs[chunk : chunk + 500]
        found.update((r, int(i)) for i, r in conn.execute(
            f"SELECT id, ref FROM nominals WHERE ref IN ({','.join('?' * len(part))})", part))
    return [found[ref] for ref in refs]


def _last_issued(conn: Connection, *, over_views: bool) -> int:
    """The highest reference number ever issued: the counter, or what the rows show in a vault older than it.

    A reference is never reused, even after its archive row is purged: the log, the disclosure register and a
    subject access pack find a person's history by reference, so a reused one would hand it to someone else.
    """
    issued = int(get_meta(conn, _LAST_ISSUED) or 0)
    archived = conn.execute("SELECT max(CAST(substr(ref, 3) AS INTEGER)) FROM archive").fetchone()[0] or 0
    if over_views:
        # Only the held compartments' people are visible here; the counter in common covers the rest.
        held = conn.execute("SELECT max(CAST(substr(ref, 3) AS INTEGER)) FROM nominals").fetchone()[0] or 0
    else:
        held = conn.execute("SELECT coalesce(max(id), 0) FROM nominals").fetchone()[0]  # id == number in one file
    return max(int(held), int(archived), issued)


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
    match = fts_query(query) if query else None
    if query and match is None:
        return []
    params: list[object] = [*statuses, *([bcu] if bcu is not None else []), *([match] if match else [])]
    over_views = bcu_rows.over_views(conn, "nominals")
    sql, order = _list_sql(len(statuses), bcu is not None, match is not None, sort if sort in _ORDER else "name",
                           descending, over_views)
    if over_views:
        sql, repeat = compartments.union_of_held(conn, sql)
        if not repeat:
            return []  # no compartment held: nobody to list
        sql, params = f"SELECT n.id FROM ({sql}) n ORDER BY {order}", params * repeat
    return [r[0] for r in conn.execute(sql, params)]


@functools.lru_cache(maxsize=128)
def _list_sql(statuses: int, by_bcu: bool, searched: bool, sort: str, descending: bool,
              over_views: bool) -> tuple[str, str]:
    """The list's SQL and its ORDER BY: in one file the whole query; over views the part each file runs
    (naming it `{schema}`), whose rows the caller orders. Built once per shape: the search runs per keystroke.

    Each file selects its own people, and only the columns the order reads: MATCH cannot go through a
    view, and ordering the view's rows took a quarter longer (20,000 people in 2 files).
    """
    where = [f"n.status IN ({','.join('?' * statuses)})", *(["n.bcu = ?"] if by_bcu else [])]
    file = "{schema}." if over_views else ""
    people = f"{file}nominals n"
    if searched:
        people += f" JOIN {file}nominal_search s ON s.rowid = n.id"
        where.append("nominal_search MATCH ?")
    order = _order_by(sort, descending, over_views=over_views)
    if not over_views:
        return f"SELECT n.id FROM {people} WHERE {' AND '.join(where)} ORDER BY {order}", order
    columns = ", ".join(f"n.{c}" for c in dict.fromkeys(("id", *_SORT_COLUMN.findall(order))))
    return f"SELECT {columns} FROM {people} WHERE {' AND '.join(where)}", order


_ROW_SQL = (
    "SELECT id, ref, given_name, family_name, date_of_birth, borough, status, classification, harm_score, "
    "harm_band, victim_score, victim_band, in_custody, last_reviewed, bcu, scored_on, score_policy "
    "FROM nominals WHERE id IN ({})"
)


def rows_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, NominalRow]:
    """The list's rows of these people (those still held), by id."""
    out: dict[int, NominalRow] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for r in conn.execute(_ROW_SQL.format(",".join("?" * len(part))), list(part)):
            out[r[0]] = NominalRow(
                id=r[0], ref=r[1], given_name=r[2], family_name=r[3], date_of_birth=date.fromisoformat(r[4]),
                borough=r[5], status=r[6], classification=r[7], harm_score=r[8], harm_band=r[9], victim_score=r[10],
                victim_band=r[11], in_custody=bool(r[12]), last_reviewed=r[13], bcu=r[14], scored_on=r[15],
                score_policy=r[16],
            )
    return out


def by_ref(conn: Connection, ref: str) -> HeldNominal | None:
    """The person with this reference (proposed or active: a removed one has no row), or None."""
    clean = ref.strip().upper()
    r = conn.execute("SELECT id, ref, bcu, status FROM nominals WHERE ref = ?", (clean,)).fetchone()
    return HeldNominal(int(r[0]), r[1], r[2], r[3]) if r else None


def same_identity(conn: Connection, given: str, family: str, dob: str) -> list[HeldNominal]:
    """People already held with the same folded name and date of birth."""
    return [HeldNominal(int(r[0]), r[1], r[2], r[3]) for r in conn.execute(
        "SELECT id, ref, bcu, status FROM nominals WHERE search_key = ? AND date_of_birth = ? ORDER BY id",
        (search_key(given, family), dob),
    )]


def same_identities(conn: Connection, people: Sequence[tuple[str, str, str]]) -> list[list[HeldNominal]]:
    """same_identity for many (given, family, date of birth) at once, in their order: an import checks every row
    in a few statements rather than one each."""
    wanted = [(search_key(given, family), dob) for given, family, dob in people]
    held: dict[tuple[str, str], list[HeldNominal]] = {}
    keys = sorted({key for key, _dob in wanted})
    for chunk in range(0, len(keys), 500):
        part = keys[chunk : chunk + 500]
        for r in conn.execute("SELECT id, ref, bcu, status, search_key, date_of_birth FROM nominals "
                              f"WHERE search_key IN ({','.join('?' * len(part))}) ORDER BY id", part):
            held.setdefault((r[4], r[5]), []).append(HeldNominal(int(r[0]), r[1], r[2], r[3]))
    return [held.get(key, []) for key in wanted]


def bands(conn: Connection, nominal_id: int) -> ScoreBands:
    """The harm and victim bands stored on the record (as last scored)."""
    harm, victim = conn.execute("SELECT harm_band, victim_band FROM nominals WHERE id = ?", (nominal_id,)).fetchone()
    return ScoreBands(harm, victim)



def review_candidates(conn: Connection, bcu: str) -> list[ReviewCandidate]:
    """Everyone active in the BCU, as a review opening lists them."""
    rows = conn.execute(
        "SELECT id, ref, given_name || ' ' || family_name, date_of_birth, in_custody, coalesce(date_added, created_at) "
        "FROM nominals WHERE bcu = ? AND status = 'active'", (bcu,))
    return [ReviewCandidate(nominal_id=int(nominal_id), ref=str(ref), name=str(name), date_of_birth=str(dob),
                            in_custody=bool(in_custody), added=str(added))
            for nominal_id, ref, name, dob, in_custody, added in rows]


def mark_reviewed(conn: Connection, nominal_id: int, on: str) -> None:
    """The person was kept at a signed review on `on` (YYYY-MM-DD)."""
    conn.execute("UPDATE nominals SET last_reviewed = ? WHERE id = ?", (on, nominal_id))


def live_demographics(conn: Connection, bcu: str) -> list[LiveDemographics]:
    """The codes the disproportionality report counts, of everyone active in the BCU."""
    rows = conn.execute("SELECT ethnicity, date_of_birth, gender, disability, substr(date_added, 1, 10) "
                        "FROM nominals WHERE bcu = ? AND status = 'active'", (bcu,))
    return [LiveDemographics(ethnicity, date_of_birth, gender, disability, added_on)
            for ethnicity, date_of_birth, gender, disability, added_on in rows]

class NominalsRepository(Repository):
    """The people on the matrix as rows and their name index: lists, counts, lookups."""

    __slots__ = ()

    reindex = bound(reindex)
    insert_many = bound(insert_many)
    insert_people = bound(insert_people)
    count_by_status = bound(count_by_status)
    live_ids = bound(live_ids)
    rows_by_id = bound(rows_by_id)
    by_ref = bound(by_ref)
    same_identity = bound(same_identity)
    same_identities = bound(same_identities)
    bands = bound(bands)
    review_candidates = bound(review_candidates)
    mark_reviewed = bound(mark_reviewed)
    live_demographics = bound(live_demographics)
