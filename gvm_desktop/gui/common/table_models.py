"""Table models over what the services return; every one of them can be wiped on lock.

The rows are plain service objects (Account, Flag, AuditForm). A model keeps
nothing else, so `clear()` (used by the locked state) really leaves nothing
behind in the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.local_time import local_text, utc_text

Row = TypeVar("Row")
AnyIndex = QModelIndex | QPersistentModelIndex

# The raw value of a cell, for sorting (numbers sort as numbers, not text).
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Column(Generic[Row]):
    title: str
    text: Callable[[Row], str]
    sort_key: Callable[[Row], Any] | None = None
    numeric: bool = False  # right-aligned, so digits line up
    stretch: bool = False  # takes the room the other columns leave (a name, say), instead of the last column
    tip: Callable[[Row], str] | None = None  # the cell's tooltip, when it says more than the cell (else the cell)


def time_column(title: str, utc: Callable[[Row], str | None], missing: str = "") -> Column[Row]:
    """A moment the vault keeps in UTC, shown in the workstation's local time with its zone, the UTC
    value in its tooltip; it sorts by the UTC value (ISO text sorts in time order), a missing one first."""

    def text(row: Row) -> str:
        value = utc(row)
        return local_text(value) if value else missing

    def tip(row: Row) -> str:
        value = utc(row)
        return utc_text(value) if value else missing

    return Column[Row](title, text, lambda row: utc(row) or "", tip=tip)


class RowTableModel(QAbstractTableModel, Generic[Row]):
    """A read-only table of rows, one column per `Column`; `clear()` drops every row."""

    columns: Sequence[Column[Row]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    # -- filling and wiping -----------------------------------------------------

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        """Forget every row (the locked state calls this before the view is deleted)."""
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def stretch_column(self) -> int | None:
        """The column that takes the table's spare width, if one says so (else the view stretches its last)."""
        return next((i for i, c in enumerate(self.columns) if c.stretch), None)

    # -- QAbstractTableModel ----------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.columns):
            return None
        column = self.columns[index.column()]
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and column.tip is not None:
            return column.tip(row)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.text(row)
        if role == SORT_ROLE:
            return column.sort_key(row) if column.sort_key else column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title if 0 <= section < len(self.columns) else None
        return str(section + 1)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class AccountsTableModel(RowTableModel[Account]):
    """The administrator's list of accounts: who can sign in, and when they last did."""

    columns = (
        Column[Account]("Username", lambda a: a.username),
        Column[Account]("Display name", lambda a: a.display_name, stretch=True),
        Column[Account]("Role", lambda a: a.role.label),
        Column[Account]("BCU", lambda a: a.bcu or "All BCUs"),
        Column[Account]("Status", lambda a: a.status),
        time_column("Last sign-in", lambda a: a.last_signin_at, "never"),
    )


def sorted_view_model(model: RowTableModel[Any], parent: QObject | None = None) -> QSortFilterProxyModel:
    """A proxy that sorts on the raw values; views sort through it and never reorder the source."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSortRole(SORT_ROLE)
    proxy.setSourceModel(model)
    return proxy
