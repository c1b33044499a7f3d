"""A partner's preview as its compartment holds it: the rows an agreement shares, and the preview's state. No storage, no Qt.

The preview (store/previews.py) keeps per person only what the agreement lists, already in
the form the partner is shown (an age rather than a date of birth), so a row here is what
the partner's matrix displays, with nothing left to compute from a field they may not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PreviewRow:
    """One active person of the agreement's BCU; a field the agreement does not list is None.

    `ref` and `bcu` are always held: the disclosure register records each person shown by
    reference, whether or not the agreement shares it with the partner.
    """

    id: int
    ref: str
    bcu: str
    name: str | None = None
    age: int | None = None  # on the preview's `as_of` day
    borough: str | None = None
    classification: str | None = None
    harm_band: str | None = None
    victim_band: str | None = None
    in_custody: bool | None = None

    def cells(self, columns: Sequence[str]) -> dict[str, object]:
        """The matrix cells of these columns, as the partner's matrix shows them (services/matrix.py `_row_values`)."""
        full: dict[str, object | None] = {
            "ref": self.ref, "name": self.name, "age": self.age, "borough": self.borough,
            "classification": self.classification, "harm_band": self.harm_band, "victim_band": self.victim_band,
            "in_custody": self.in_custody,
        }
        missing = [c for c in columns if full.get(c) is None]
        if missing:
            raise ValueError(f"the preview holds no {', '.join(missing)}")
        return {c: full[c] for c in columns}


@dataclass(frozen=True)
class PreviewInfo:
    """What a preview compartment says of itself.

    `open`: it holds the agreement's people and the session triggers keep it current; closed
    (new, or emptied when the agreement ended) it holds no one and the triggers add no one.
    `as_of`: the day its ages are computed on (set by each full refresh). `refreshed_at`: when
    it was last rebuilt whole.
    """

    fields: tuple[str, ...]
    open: bool
    as_of: date | None
    refreshed_at: str | None
