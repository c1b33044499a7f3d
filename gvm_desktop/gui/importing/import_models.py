"""What the import window reads of the import service's answers, and its tables: the file's first rows as mapped,
and every row's fate after a dry run.

The answers' classes live in core/import_report.py. Both tables can be wiped on lock (`clear()`): the preview
holds people's details from the SPOC's file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from gvm_desktop.core.import_mapping import PERSON_FIELDS, header_key
from gvm_desktop.core.import_report import DUPLICATE, REFUSED, RowFate
from gvm_desktop.gui.common.table_models import SORT_ROLE, Column, RowTableModel

AnyIndex = QModelIndex | QPersistentModelIndex
FATE_WORDS = {"add": "would add", "added": "added", "refused": "refused", "duplicate": "duplicate",
              "skipped": "empty row, skipped"}
ROW_TITLE = "Row"


class FateModel(RowTableModel[RowFate]):
    columns = (
        Column[RowFate](ROW_TITLE, lambda r: str(r.number), lambda r: r.number, numeric=True),
        Column[RowFate]("Fate", lambda r: FATE_WORDS.get(r.fate, r.fate)),
        Column[RowFate]("Column", lambda r: r.column or ""),
        Column[RowFate]("Reason", lambda r: r.reason, stretch=True),
        Column[RowFate]("Reference", lambda r: r.ref or ""),
    )


class FateFilter(QSortFilterProxyModel):
    """Sorts on the raw values; with `blocking_only`, shows only the rows that stop the import."""

    def __init__(self, model: FateModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fates = model
        self.blocking_only = False
        self.setSortRole(SORT_ROLE)
        self.setSourceModel(model)

    def set_blocking_only(self, on: bool) -> None:
        # Qt 6.9 brought begin/endFilterChange (invalidating afterwards is deprecated); the 6.7 we allow lacks them.
        if not hasattr(self, "beginFilterChange"):
            self.blocking_only = on
            self.invalidateRowsFilter()
            return
        self.beginFilterChange()
        self.blocking_only = on
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if not self.blocking_only:
            return True
        return self._fates.row_at(source_row).fate in (REFUSED, DUPLICATE)


class PreviewModel(RowTableModel[tuple[int, tuple[str, ...]]]):
    """The file's first rows, one column per field the mapping fills, titled with our field's label."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: tuple[str, ...] = ()
        self.columns = ()

    def show_rows(self, headers: Sequence[str], rows: Sequence[tuple[int, tuple[str, ...]]],
                  columns: Mapping[str, str]) -> None:
        """`columns`: our field -> the file's header it reads (as the mapping has it now)."""
        where = {header_key(h): i for i, h in enumerate(headers) if h}
        shown: list[Column[tuple[int, tuple[str, ...]]]] = [
            Column(ROW_TITLE, lambda r: str(r[0]), lambda r: r[0], numeric=True)]
        for spec in PERSON_FIELDS:
            index = where.get(header_key(columns[spec.name])) if spec.name in columns else None
            if index is not None:
                shown.append(Column(spec.label, _cell(index)))
        self.beginResetModel()
        self._headers = tuple(headers)
        self.columns = tuple(shown)
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.columns = ()
        self._headers = ()
        self.endResetModel()


def _cell(index: int) -> Any:
    return lambda r: r[1][index] if index < len(r[1]) else ""
