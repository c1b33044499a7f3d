"""Table reference_population: the population figures the disproportionality report compares the matrix with."""

from __future__ import annotations

from collections.abc import Iterable

from gvm_desktop.core.review_rows import ReferenceRow, ReferenceSource
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound


def replace(conn: Connection, rows: Iterable[ReferenceRow], *, source: str, at: str) -> int:
    """The loaded figures become `rows`, all of them from `source`; returns how many rows were loaded."""
    conn.execute("DELETE FROM reference_population")
    data = [(r.borough, r.dimension, r.group, r.population, source, at) for r in rows]
    conn.executemany("INSERT INTO reference_population (borough, dimension, grp, population, source, loaded_at) "
                     "VALUES (?,?,?,?,?,?)", data)
    return len(data)


def rows(conn: Connection) -> list[ReferenceRow]:
    return [ReferenceRow(str(borough), str(dimension), str(group), int(population))
            for borough, dimension, group, population in conn.execute(
                "SELECT borough, dimension, grp, population FROM reference_population ORDER BY borough, dimension, grp")]


def source(conn: Connection) -> ReferenceSource | None:
    """Where the loaded figures come from and when they were loaded; None when none are."""
    named, loaded_at = conn.execute("SELECT source, max(loaded_at) FROM reference_population").fetchone()
    return ReferenceSource(source=str(named), loaded_at=str(loaded_at)) if named is not None else None


class ReferencePopulationRepository(Repository):
    """The reference population (table reference_population)."""

    __slots__ = ()

    replace = bound(replace)
    rows = bound(rows)
    source = bound(source)
