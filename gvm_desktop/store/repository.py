"""How a store module's functions become a repository object bound to one connection.

A store module keeps its SQL in plain functions that take the connection first (the
store's own modules call each other that way). Services never hold a connection: they
get a unit of work (`store/unit.py`) whose attributes are repositories, one per table or
group of tables, and call `unit.records.fields(nominal_id)`. `bound` turns a function
`f(conn, *args)` into the method `f(*args)` of a repository, with its parameters and
return type intact for the type checker, so one line per function is all a repository
declares, and `store/protocols.py` is checked against it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

P = ParamSpec("P")
R = TypeVar("R")


class Repository:
    """A store module's tables, seen through one connection (inside one unit of work)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn


class bound(Generic[P, R]):
    """`f(conn, *args) -> R` as the method `f(*args) -> R` of a Repository."""

    def __init__(self, fn: Callable[Concatenate[Any, P], R]) -> None:
        self._fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]  # copies the name and docstring, for help()

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> bound[P, R]: ...
    @overload
    def __get__(self, obj: Repository, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, obj: Repository | None, owner: type | None = None) -> bound[P, R] | Callable[P, R]:
        if obj is None:
            return self
        return functools.partial(self._fn, obj._conn)
