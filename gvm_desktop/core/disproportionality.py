"""The disproportionality report: who is on a BCU's matrix, set against who lives in its boroughs.

Pure arithmetic over plain inputs: no storage, no Qt, no PDF. The services
layer counts the people (with `tally`), loads the reference population the
administrator imported (`parse_reference_csv`) and calls `build_report`
(or `compute` for a single table).

Inputs
------
`Counts` is a plain mapping ``{dimension: {group: count}}``, e.g.
``{"ethnicity": {"Black": 5, "White": 2, "Not stated": 2}, "age_band": {"18-24": 4}}``.
Dimensions are the values of `Dimension`; groups are the labels in `GROUPS`
(plus `NOT_STATED` where a person may decline to say). A missing dimension or
group counts as zero. `tally` builds one from `Demographics` (the codes stored
for a person, see gvm_desktop.core.people).

The reference population is counts per (borough, dimension, group); a BCU's
reference is the sum over its boroughs (people.BCUS).

What is computed, per dimension and group
-----------------------------------------
matrix share        count / people on the matrix with a stated value for the dimension
reference share     reference population of the group / reference population of all groups
share ratio         matrix share / reference share (the "disproportionality ratio"; 1 = in proportion)
rate per 1,000      count / reference population of the group x 1,000
relative rate index rate of the group / rate of the comparison group (RRI; the comparison group is 1)

The comparison group is White for ethnicity (the usual baseline in criminal
justice disproportionality statistics, e.g. the Lammy Review and the Home
Office's stop and search figures) and, for the other dimensions, the group
with the largest reference population in the BCU (ties go to the group listed
first), which is usually 35+, the larger gender and "Not disabled": the
biggest group gives the steadiest baseline rate.

"Not stated" is counted and shown but left out of every share, rate and
ratio: guessing over a person's choice not to say would be wrong, and adding
them to any one group would bias it. Any division by zero gives None, shown as
"n/a". A group with fewer than `SMALL_COUNT` people on the matrix is flagged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.people import BCUS, DISABILITY, ETHNICITY_2021, GENDERS, age_on, bcu_name
from gvm_desktop.core.review import Quarter

NOT_STATED = "Not stated"

# Fewer people than this in a group and its rates and ratios are flagged as unreliable. With four people,
# one addition or removal moves the group's rate by a quarter or more, so an RRI of 3 can become 2 or 4
# in a quarter without anything real changing; official statistics (ONS, Home Office) suppress or flag
# cells under 5 (or 10) for the same reason, and to avoid pointing at identifiable people. Inside the vault
# the counts are flagged (they are needed to check the arithmetic); a report that leaves it is suppressed
# (`suppress_small_numbers`): the one Mixed-ethnicity 15-year-old of a BCU's matrix is a person, not a figure.
SMALL_NUMBER = 5
SMALL_COUNT = SMALL_NUMBER
SUPPRESSED = f"<{SMALL_NUMBER}"
WITHHELD = "withheld"  # a figure that would give a suppressed count back by arithmetic

MAX_POPULATION = 20_000_000  # more than London's whole population: a typo, not a borough
MAX_CSV_BYTES = 1024 * 1024
CSV_COLUMNS = ("borough", "dimension", "group", "population")


class Dimension(StrEnum):
    ETHNICITY = "ethnicity"
    AGE_BAND = "age_band"
    GENDER = "gender"
    DISABILITY = "disability"

    @property
    def label(self) -> str:
        return DIMENSION_LABELS[self]


DIMENSION_LABELS: Mapping[Dimension, str] = MappingProxyType({
    Dimension.ETHNICITY: "Ethnicity", Dimension.AGE_BAND: "Age band", Dimension.GENDER: "Gender",
    Dimension.DISABILITY: "Disability",
})

# The groups with a stated value, in the order every table shows them. Ethnicity uses the five ONS 2021
# high-level groups (the 19 detailed ones are too small per BCU for any rate to mean much).
ETHNIC_GROUPS = ("Asian", "Black", "Mixed", "White", "Other")
AGE_BANDS = ("10-17", "18-24", "25-34", "35+")
_AGE_STARTS = ((35, "35+"), (25, "25-34"), (18, "18-24"))
GROUPS: Mapping[Dimension, tuple[str, ...]] = MappingProxyType({
    Dimension.ETHNICITY: ETHNIC_GROUPS,
    Dimension.AGE_BAND: AGE_BANDS,
    Dimension.GENDER: tuple(label for label in GENDERS.values() if label != NOT_STATED),
    Dimension.DISABILITY: tuple(label for label in DISABILITY.values() if label != NOT_STATED),
})
# Dimensions where a person may decline to answer (a date of birth is always known, so age has none).
HAS_NOT_STATED = frozenset({Dimension.ETHNICITY, Dimension.GENDER, Dimension.DISABILITY})
FIXED_COMPARISON: Mapping[Dimension, str] = MappingProxyType({Dimension.ETHNICITY: "White"})

# Words an administrator's CSV may use for a dimension, besides its code.
_DIMENSION_ALIASES = {"ethnic group": Dimension.ETHNICITY, "age": Dimension.AGE_BAND, "age band": Dimension.AGE_BAND}

Counts = Mapping[str, Mapping[str, int]]
"""{dimension: {group: number of people}}; see the module docstring."""


# -- counting people -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demographics:
    """What the analysis needs of one person: the codes stored on their record (people.py)."""

    ethnicity: str  # an ETHNICITY_2021 code ("B2", "NS", ...)
    date_of_birth: date
    gender: str  # a GENDERS code
    disability: str  # a DISABILITY code


def ethnic_group(code: str) -> str:
    """The ONS high-level group of a detailed 2021 code ("B2" -> "Black"), or "Not stated"."""
    try:
        return ETHNICITY_2021[code][0]
    except KeyError:
        raise ValueError(f"Unknown ethnicity code {code[:10]!r}") from None


def age_band(age: int) -> str:
    """The band of an age in whole years. Under 18 is 10-17: nobody younger than 10 is on a matrix."""
    return next((band for start, band in _AGE_STARTS if age >= start), AGE_BANDS[0])


def tally(people: Iterable[Demographics], *, on: date) -> dict[str, dict[str, int]]:
    """Count people per dimension and group; ages are taken on the day `on` (e.g. the quarter's last day)."""
    counts: dict[str, dict[str, int]] = {d.value: {} for d in Dimension}
    for person in people:
        for dimension, group in (
            (Dimension.ETHNICITY, ethnic_group(person.ethnicity)),
            (Dimension.AGE_BAND, age_band(age_on(person.date_of_birth, on))),
            (Dimension.GENDER, _coded(GENDERS, person.gender, "gender")),
            (Dimension.DISABILITY, _coded(DISABILITY, person.disability, "disability")),
        ):
            counts[dimension][group] = counts[dimension].get(group, 0) + 1
    return counts


def _coded(codes: Mapping[str, str], code: str, what: str) -> str:
    try:
        return codes[code]
    except KeyError:
        raise ValueError(f"Unknown {what} code {code[:10]!r}") from None


# -- the reference population -------------------------------------------------------------------------------------

_BOROUGHS = {" ".join(b.casefold().split()): b for _code, (_name, boroughs) in BCUS.items() for b in boroughs}
_INTEGER = re.compile(r"^-?[0-9]+$")


@dataclass(frozen=True)
class ReferencePopulation:
    """Population counts per (borough, dimension, group), e.g. from the 2021 Census for each London borough.

    Every (borough, dimension) given has a count for every group of that dimension (0 where there are none),
    so a BCU's sum never silently leaves a group out. `source` and `as_of` say where the figures came from
    ("ONS Census 2021, TS021") and the date they refer to (the census day, not the day they were loaded);
    both are printed on the report's cover.
    """

    counts: Mapping[tuple[str, str, str], int]
    source: str = ""
    as_of: str = ""

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, int]], *, source: str = "", as_of: str = "") -> ReferencePopulation:
        """From rows typed in by the administrator: the same checks as the CSV, errors naming the row (from 1)."""
        builder = _Builder()
        for number, (borough, dimension, group, population) in enumerate(rows, start=1):
            builder.add(f"Row {number}", borough, dimension, group, str(population))
        return cls(builder.finish(), source=source, as_of=as_of)

    def boroughs(self) -> tuple[str, ...]:
        return tuple(sorted({b for b, _d, _g in self.counts}))

    def for_bcu(self, bcu: str) -> dict[Dimension, dict[str, int] | None]:
        """The BCU's population per dimension and group (the sum over its boroughs); None where none was given.

        A dimension given for some of the BCU's boroughs but not all would add up to a share of the BCU
        that looks like the whole of it, so that is refused rather than summed.
        """
        if bcu not in BCUS:
            raise ValidationError(f"Unknown BCU '{bcu[:10]}'.")
        boroughs = BCUS[bcu][1]
        out: dict[Dimension, dict[str, int] | None] = {}
        for dimension in Dimension:
            given = [b for b in boroughs if any((b, dimension.value, g) in self.counts for g in GROUPS[dimension])]
            if not given:
                out[dimension] = None
                continue
            if len(given) < len(boroughs):
                missing = ", ".join(b for b in boroughs if b not in given)
                raise ValidationError(f"The reference population for the {bcu_name(bcu)} BCU has {dimension.value} "
                                      f"figures for some of its boroughs but not for {missing}.")
            # Complete per borough (parse and from_rows see to it), so a missing key is a hand-made population's bug.
            out[dimension] = {g: sum(self.counts[(b, dimension.value, g)] for b in boroughs) for g in GROUPS[dimension]}
        return out

    def to_csv(self) -> str:
        """The population as a CSV that parse_reference_csv reads back (to store or to export)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        order = {d.value: i for i, d in enumerate(Dimension)}
        for (borough, dimension, group), population in sorted(
                self.counts.items(), key=lambda kv: (kv[0][0], order[kv[0][1]], GROUPS[Dimension(kv[0][1])].index(kv[0][2]))):
            writer.writerow((borough, dimension, group, population))
        return buffer.getvalue()


# The date the figures refer to (a census day), kept at the end of the stored source so it travels with it.
_AS_OF_SUFFIX = re.compile(r"^(?P<source>.*); figures as of (?P<as_of>[0-9]{4}-[0-9]{2}-[0-9]{2})$", re.DOTALL)


def source_with_as_of(source: str, as_of: date | None) -> str:
    """The source as stored: "ONS Census 2021, TS021; figures as of 2021-03-21"."""
    return source if as_of is None else f"{source}; figures as of {as_of.isoformat()}"


def split_source(stored: str) -> tuple[str, str]:
    """(source, the date the figures refer to as YYYY-MM-DD, or "" when none was given) from the stored source."""
    found = _AS_OF_SUFFIX.match(stored)
    return (found["source"], found["as_of"]) if found else (stored, "")


def parse_reference_csv(text: str, *, source: str = "", as_of: str = "") -> ReferencePopulation:
    """Read `borough,dimension,group,population` rows (header first; columns in any order).

    Borough, dimension and group are matched without regard to case or repeated spaces; groups may also be
    given as their people.py code (F, M, X, Y, N). Every error is a ValidationError naming the line.
    The caller should refuse a file over MAX_CSV_BYTES before reading it; the text is checked here too.
    """
    if len(text) > MAX_CSV_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_CSV_BYTES:
        raise ValidationError(f"The reference file is larger than {MAX_CSV_BYTES // 1024 // 1024} MB; "
                              "a population table for London's boroughs is a few kilobytes.")
    text = text.removeprefix("\ufeff")  # the byte-order mark Excel puts at the start of a CSV
    if not text.strip():
        raise ValidationError("The reference file is empty.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = _next_nonblank(reader)
        columns = _columns(header, reader.line_num)
        builder = _Builder()
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines (often one at the end) are not rows
            where = f"Line {reader.line_num}"
            if len(row) != len(CSV_COLUMNS):
                raise ValidationError(f"{where} has {len(row)} values; expected {len(CSV_COLUMNS)} "
                                      f"({','.join(CSV_COLUMNS)}).")
            values = {name: row[index] for name, index in columns.items()}
            builder.add(where, values["borough"], values["dimension"], values["group"], values["population"])
    except csv.Error as exc:
        raise ValidationError(f"Line {reader.line_num} is not valid CSV ({exc}).") from None
    if not builder.counts:
        raise ValidationError("The reference file has a header but no rows.")
    return ReferencePopulation(builder.finish(), source=source, as_of=as_of)


def _next_nonblank(reader: Iterable[list[str]]) -> list[str]:
    for row in reader:
        if any(cell.strip() for cell in row):
            return row
    raise ValidationError("The reference file is empty.")


def _columns(header: list[str], line: int) -> dict[str, int]:
    names = [" ".join(cell.strip().casefold().split()) for cell in header]
    if sorted(names) != sorted(CSV_COLUMNS):
        raise ValidationError(f"Line {line} must be the header naming the columns {','.join(CSV_COLUMNS)} "
                              f"(found '{_shown(','.join(header), 60)}').")
    return {name: names.index(name) for name in CSV_COLUMNS}


class _Builder:
    """Checks rows one at a time (naming where each came from) and then that each borough's groups are complete."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}
        self._where: dict[tuple[str, str, str], str] = {}

    def add(self, where: str, borough: str, dimension: str, group: str, population: str) -> None:
        b = _BOROUGHS.get(_fold(borough))
        if b is None:
            raise ValidationError(f"{where}: unknown borough '{_shown(borough, 40)}' (a London borough as in "
                                  "the BCU list, e.g. Tower Hamlets).")
        d = _dimension(where, dimension)
        g = _group(where, d, group)
        key = (b, d.value, g)
        if key in self._where:
            raise ValidationError(f"{where} repeats {b}, {d.value}, {g} (first given at {self._where[key].lower()}).")
        self.counts[key] = _population(where, population)
        self._where[key] = where

    def finish(self) -> dict[tuple[str, str, str], int]:
        given = {(b, d) for b, d, _g in self.counts}
        for borough, dim in sorted(given):
            missing = [g for g in GROUPS[Dimension(dim)] if (borough, dim, g) not in self.counts]
            if missing:
                raise ValidationError(f"{borough} has {dim} figures but none for {', '.join(missing)}: "
                                      "give every group (0 where there are none).")
        return dict(self.counts)


def _shown(text: str, limit: int) -> str:
    """A value from the file as an error message may quote it: trimmed, cut short, control characters as '?'."""
    return "".join(ch if ch.isprintable() else "?" for ch in text.strip()[:limit])


def _fold(text: str) -> str:
    return " ".join(text.replace("\u2013", "-").casefold().split())


def _dimension(where: str, text: str) -> Dimension:
    folded = _fold(text)
    for dimension in Dimension:
        if folded == dimension.value or folded == dimension.label.casefold():
            return dimension
    if folded in _DIMENSION_ALIASES:
        return _DIMENSION_ALIASES[folded]
    raise ValidationError(f"{where}: unknown dimension '{_shown(text, 30)}' "
                          f"(one of {', '.join(d.value for d in Dimension)}).")


def _group(where: str, dimension: Dimension, text: str) -> str:
    folded = _fold(text).replace(" ", "") if dimension is Dimension.AGE_BAND else _fold(text)
    codes = {Dimension.GENDER: GENDERS, Dimension.DISABILITY: DISABILITY}.get(dimension, {})
    for group in GROUPS[dimension]:
        code = next((c for c, label in codes.items() if label == group), None)
        if folded == group.casefold() or (code is not None and folded == code.casefold()):
            return group
    stated = " A reference population has no 'Not stated' group." if folded == NOT_STATED.casefold() else ""
    raise ValidationError(f"{where}: '{_shown(text, 30)}' is not one of the {dimension.value} groups "
                          f"({', '.join(GROUPS[dimension])}).{stated}")


def _population(where: str, text: str) -> int:
    value = text.strip()
    if not _INTEGER.fullmatch(value):
        raise ValidationError(f"{where}: the population '{_shown(value, 20)}' is not a whole number.")
    if value.startswith("-"):
        raise ValidationError(f"{where}: the population {_shown(value, 20)} is negative.")
    if len(value.lstrip("0")) > len(str(MAX_POPULATION)) or int(value) > MAX_POPULATION:
        raise ValidationError(f"{where}: the population {_shown(value, 20)} is more than {MAX_POPULATION:,}, "
                              "which no borough has.")
    return int(value)


# -- the computation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    """One group's figures. Every figure that would divide by zero (or has no reference) is None ("n/a")."""

    group: str
    matrix_count: int
    matrix_share: float | None  # of the people with a stated value; None for "Not stated"
    reference_population: int | None
    reference_share: float | None
    share_ratio: float | None  # matrix share / reference share: the disproportionality ratio
    rate_per_1000: float | None
    rri: float | None  # relative rate index against the dimension's comparison group
    small_count: bool  # fewer than SMALL_COUNT people on the matrix: figures unreliable
    is_comparison: bool = False
    # Set only in a report for release (suppress_small_numbers): the count is printed SUPPRESSED and every figure
    # made from it WITHHELD; `shares_withheld` and `rri_withheld` hide the figures that would give another row's
    # suppressed count back (the stated total through the shares, the comparison group's count through the RRIs).
    suppressed: bool = False
    shares_withheld: bool = False
    rri_withheld: bool = False

    @property
    def stated(self) -> bool:
        return self.group != NOT_STATED


@dataclass(frozen=True)
class DimensionTable:
    dimension: Dimension
    rows: tuple[GroupRow, ...]  # the stated groups in GROUPS order, then "Not stated" where it applies
    comparison_group: str | None  # None when there is no reference population for this dimension
    stated_total: int
    not_stated: int
    reference_total: int | None
    # In a report for release: "Not stated" is suppressed, so the stated total (the people on the matrix less
    # them) is withheld with it, and so are the shares, whose denominator it is.
    total_suppressed: bool = False

    @property
    def label(self) -> str:
        return self.dimension.label

    @property
    def stated_rows(self) -> tuple[GroupRow, ...]:
        return tuple(r for r in self.rows if r.stated)

    def row(self, group: str) -> GroupRow:
        for r in self.rows:
            if r.group == group:
                return r
        raise KeyError(group)


@dataclass(frozen=True)
class DisproportionalityTable:
    """Every dimension's table for one count of the matrix (one quarter)."""

    dimensions: tuple[DimensionTable, ...]  # in Dimension order
    matrix_total: int  # everyone counted (age is always stated, so this is the age bands' sum)

    def dimension(self, dimension: Dimension | str) -> DimensionTable:
        wanted = Dimension(dimension)
        return next(t for t in self.dimensions if t.dimension is wanted)


def compute(matrix_counts: Counts, reference: ReferencePopulation, *, bcu: str) -> DisproportionalityTable:
    """The figures for one count of a BCU's matrix against the BCU's reference population (summed over its boroughs).

    `matrix_counts` is a `Counts` ({dimension: {group: people}}, e.g. from `tally`). The RRI's comparison group is
    White for ethnicity (the usual baseline in criminal justice disproportionality figures) and, for age band,
    gender and disability, the group with the largest reference population in the BCU (the steadiest baseline
    rate; ties go to the group listed first). A dimension with no reference figures gets counts and matrix shares
    only. Raises ValidationError if the reference covers some of the BCU's boroughs but not all, and ValueError for
    a dimension, group or count that `Counts` does not allow (a bug in the caller, not the user's input).
    """
    _check_counts(matrix_counts)
    by_dimension = reference.for_bcu(bcu)
    tables = tuple(_dimension_table(d, matrix_counts.get(d.value, {}), by_dimension[d]) for d in Dimension)
    age = next(t for t in tables if t.dimension is Dimension.AGE_BAND)
    return DisproportionalityTable(tables, age.stated_total)


def _check_counts(counts: Counts) -> None:
    for dimension, groups in counts.items():
        try:
            allowed = set(GROUPS[Dimension(dimension)])
        except ValueError:
            raise ValueError(f"Unknown dimension {dimension!r} in the matrix counts") from None
        if Dimension(dimension) in HAS_NOT_STATED:
            allowed.add(NOT_STATED)
        for group, count in groups.items():
            if group not in allowed:
                raise ValueError(f"Unknown {dimension} group {group!r} in the matrix counts")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"The count for {dimension} {group!r} must be a whole number >= 0, not {count!r}")


def _ratio(top: Fraction | int | None, bottom: Fraction | int | None) -> Fraction | None:
    if top is None or bottom is None or bottom == 0:
        return None
    return Fraction(top) / Fraction(bottom)


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)  # exact arithmetic until here, so one rounding only


def comparison_group(dimension: Dimension, reference: Mapping[str, int] | None) -> str | None:
    """White for ethnicity; otherwise the group with the largest reference population (ties: first listed)."""
    if reference is None:
        return None
    fixed = FIXED_COMPARISON.get(dimension)
    if fixed is not None:
        return fixed
    return max(GROUPS[dimension], key=lambda g: reference[g])  # max keeps the first of equal values


def _dimension_table(dimension: Dimension, counts: Mapping[str, int], reference: Mapping[str, int] | None) -> DimensionTable:
    groups = GROUPS[dimension]
    stated_total = sum(counts.get(g, 0) for g in groups)
    reference_total = sum(reference.values()) if reference is not None else None
    comparison = comparison_group(dimension, reference)

    def rate(group: str) -> Fraction | None:
        return _ratio(counts.get(group, 0), reference[group]) if reference is not None else None

    comparison_rate = rate(comparison) if comparison else None
    rows: list[GroupRow] = []
    for group in groups:
        count = counts.get(group, 0)
        share = _ratio(count, stated_total)
        ref_share = _ratio(reference[group], reference_total) if reference is not None else None
        group_rate = rate(group)
        rows.append(GroupRow(
            group=group, matrix_count=count, matrix_share=_float(share),
            reference_population=reference[group] if reference is not None else None,
            reference_share=_float(ref_share), share_ratio=_float(_ratio(share, ref_share)),
            rate_per_1000=_float(group_rate * 1000 if group_rate is not None else None),
            rri=_float(_ratio(group_rate, comparison_rate)), small_count=count < SMALL_COUNT,
            is_comparison=group == comparison))
    not_stated = counts.get(NOT_STATED, 0)
    if dimension in HAS_NOT_STATED:
        rows.append(GroupRow(NOT_STATED, not_stated, None, None, None, None, None, None, small_count=False))
    return DimensionTable(dimension, tuple(rows), comparison, stated_total, not_stated, reference_total)


# -- over time ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterCounts:
    """What the services count for one quarter: who was on the matrix at its end, who was added and removed in it.

    For the quarter in progress, `on_matrix` is the matrix as it is on the report's day.
    """

    quarter: Quarter
    on_matrix: Counts
    added: Counts = field(default_factory=dict)
    removed: Counts = field(default_factory=dict)


@dataclass(frozen=True)
class Movement:
    """Additions and removals in one quarter, per dimension and group (Not stated included)."""

    quarter: Quarter
    added: Counts
    removed: Counts
    # In a report for release: the (kind, dimension, group) cells suppressed, kind "added" or "removed", and the
    # quarter's net change (the same for every dimension: everyone counted once in each), kept because the
    # suppressed cells read as 0 in `added` and `removed`.
    suppressed: frozenset[tuple[str, str, str]] = frozenset()
    net: int | None = None

    def added_to(self, dimension: Dimension | str, group: str) -> int:
        return self.added.get(Dimension(dimension).value, {}).get(group, 0)

    def removed_from(self, dimension: Dimension | str, group: str) -> int:
        return self.removed.get(Dimension(dimension).value, {}).get(group, 0)


@dataclass(frozen=True)
class DisproportionalityReport:
    """Everything the PDF and the GUI panel show. Built by `build_report`; `trend` ends with the current quarter."""

    bcu: str
    bcu_name: str
    quarter: Quarter
    counted_on: date  # the day the current matrix was counted
    reference_source: str
    reference_as_of: str
    current: DisproportionalityTable
    trend: tuple[tuple[Quarter, DisproportionalityTable], ...]  # oldest first; the last is `current`
    movements: tuple[Movement, ...]  # oldest first, one per quarter of the trend
    suppressed: bool = False  # small numbers suppressed for release (suppress_small_numbers)

    def series(self, dimension: Dimension | str, figure: str = "rri") -> dict[str, list[tuple[Quarter, float | None]]]:
        """One figure ("rri", "matrix_share", "share_ratio", ...) of each stated group, quarter by quarter."""
        wanted = Dimension(dimension)
        out: dict[str, list[tuple[Quarter, float | None]]] = {g: [] for g in GROUPS[wanted]}
        for quarter, table in self.trend:
            for row in table.dimension(wanted).stated_rows:
                out[row.group].append((quarter, getattr(row, figure)))
        return out


def trend(quarters: Sequence[tuple[Quarter, Counts]], reference: ReferencePopulation, *,
          bcu: str) -> tuple[tuple[Quarter, DisproportionalityTable], ...]:
    """Each quarter's table against the same reference population, oldest first."""
    ordered = sorted(quarters, key=lambda qc: qc[0])
    if len({q for q, _c in ordered}) != len(ordered):
        raise ValueError("A quarter is given twice")
    return tuple((q, compute(c, reference, bcu=bcu)) for q, c in ordered)


def build_report(*, bcu: str, reference: ReferencePopulation, quarters: Sequence[QuarterCounts],
                 counted_on: date) -> DisproportionalityReport:
    """The report for the latest of `quarters` (its `on_matrix` is the current matrix), with the others as its trend."""
    if not quarters:
        raise ValueError("The report needs at least the current quarter's counts")
    ordered = sorted(quarters, key=lambda q: q.quarter)
    for counts in ordered:
        _check_counts(counts.added)
        _check_counts(counts.removed)
    series = trend([(q.quarter, q.on_matrix) for q in ordered], reference, bcu=bcu)
    return DisproportionalityReport(
        bcu=bcu, bcu_name=bcu_name(bcu), quarter=ordered[-1].quarter, counted_on=counted_on,
        reference_source=reference.source, reference_as_of=reference.as_of, current=series[-1][1], trend=series,
        movements=tuple(Movement(q.quarter, q.added, q.removed) for q in ordered))


# -- small numbers, for a report that leaves the vault ---------------------------------------------------------------

_Cell = tuple[str, int, str, str]  # (kind "on"/"added"/"removed", quarter index, dimension, group)


def suppress_small_numbers(report: DisproportionalityReport) -> DisproportionalityReport:
    """The report as it may leave the vault: no count of 1 to SMALL_NUMBER - 1 people, and none arithmetic gives back.

    Primary suppression: every such count, in every table (the quarter's figures, the trend, the additions
    and removals), is printed SUPPRESSED, and every figure made from it (share, ratio, rate, RRI) WITHHELD.
    Zeros are shown: "nobody" points at no one.

    Secondary suppression, so that no printed total gives a suppressed cell back by subtraction:
      - a dimension's groups and "Not stated" add up to the people on the matrix, and a quarter's additions
        (or removals) add up to the same number in every dimension: where one cell of such a set is
        suppressed, the smallest other cell is suppressed with it, so a subtraction gives only a sum;
      - "Not stated" suppressed withholds the stated total (the matrix total less it) and the shares and
        ratios (the stated total is their denominator, so a share would give it back);
      - the comparison group suppressed withholds the table's RRIs (each is a rate over its rate);
      - a group's count at the end of a quarter is the previous quarter's count plus the quarter's additions
        less its removals (ethnicity, gender and disability; age bands move as people age): where one of those
        four is suppressed, the smallest other is suppressed too, so the identity bounds it but never gives it.
    The rules are applied again until none adds a cell. The counts of suppressed cells do not travel in the
    result (they read 0), so nothing downstream can print them by mistake.
    """
    if report.suppressed:
        return report
    hidden = _hidden_cells(report)
    trend_tables = tuple((q, _released_table(t, i, hidden)) for i, (q, t) in enumerate(report.trend))
    movements = tuple(_released_movement(m, i, hidden) for i, m in enumerate(report.movements))
    return DisproportionalityReport(
        bcu=report.bcu, bcu_name=report.bcu_name, quarter=report.quarter, counted_on=report.counted_on,
        reference_source=report.reference_source, reference_as_of=report.reference_as_of,
        current=trend_tables[-1][1], trend=trend_tables, movements=movements, suppressed=True)


def _groups_of(dimension: Dimension) -> tuple[str, ...]:
    return (*GROUPS[dimension], *((NOT_STATED,) if dimension in HAS_NOT_STATED else ()))


def _hidden_cells(report: DisproportionalityReport) -> set[_Cell]:
    value: dict[_Cell, int] = {}
    sets: list[list[_Cell]] = []
    for i, (_q, table) in enumerate(report.trend):
        for t in table.dimensions:
            cells = [("on", i, t.dimension.value, r.group) for r in t.rows]
            value.update({c: r.matrix_count for c, r in zip(cells, t.rows, strict=True)})
            sets.append(cells)
    for i, m in enumerate(report.movements):
        for dimension in Dimension:
            for kind, counts in (("added", m.added), ("removed", m.removed)):
                cells = [(kind, i, dimension.value, g) for g in _groups_of(dimension)]
                value.update({c: counts.get(dimension.value, {}).get(c[3], 0) for c in cells})
                sets.append(cells)
    # The quarter-to-quarter identity: on(i) = on(i - 1) + added(i) - removed(i), group by group.
    for i in range(1, min(len(report.trend), len(report.movements))):
        for dimension in (Dimension.ETHNICITY, Dimension.GENDER, Dimension.DISABILITY):
            for g in _groups_of(dimension):
                d = dimension.value
                sets.append([("on", i - 1, d, g), ("on", i, d, g), ("added", i, d, g), ("removed", i, d, g)])
    hidden = {c for c, n in value.items() if 0 < n < SMALL_NUMBER}
    changed = True
    while changed:
        changed = False
        for cells in sets:
            inside = [c for c in cells if c in hidden]
            outside = [c for c in cells if c not in hidden]
            if len(inside) == 1 and outside:
                hidden.add(min(outside, key=lambda c: (value[c], cells.index(c))))
                changed = True
    return hidden


def _released_table(table: DisproportionalityTable, index: int, hidden: set[_Cell]) -> DisproportionalityTable:
    return DisproportionalityTable(tuple(_released_dimension(t, index, hidden) for t in table.dimensions),
                                   table.matrix_total)


def _released_dimension(table: DimensionTable, index: int, hidden: set[_Cell]) -> DimensionTable:
    d = table.dimension.value
    suppressed = {r.group for r in table.rows if ("on", index, d, r.group) in hidden}
    total_hidden = NOT_STATED in suppressed
    rri_hidden = table.comparison_group in suppressed
    rows = []
    for r in table.rows:
        if r.group in suppressed:
            rows.append(GroupRow(r.group, 0, None, r.reference_population, r.reference_share, None, None, None,
                                 small_count=True, is_comparison=r.is_comparison, suppressed=True,
                                 shares_withheld=True, rri_withheld=True))
            continue
        rows.append(GroupRow(
            r.group, r.matrix_count, None if total_hidden else r.matrix_share, r.reference_population,
            r.reference_share, None if total_hidden else r.share_ratio, r.rate_per_1000,
            None if rri_hidden else r.rri, small_count=r.small_count, is_comparison=r.is_comparison,
            shares_withheld=total_hidden, rri_withheld=rri_hidden))
    return DimensionTable(table.dimension, tuple(rows), table.comparison_group,
                          0 if total_hidden else table.stated_total, 0 if total_hidden else table.not_stated,
                          table.reference_total, total_suppressed=total_hidden)


def _released_movement(m: Movement, index: int, hidden: set[_Cell]) -> Movement:
    suppressed: set[tuple[str, str, str]] = set()
    kept: dict[str, dict[str, dict[str, int]]] = {"added": {}, "removed": {}}
    net = 0
    for dimension in Dimension:
        for kind, counts in (("added", m.added), ("removed", m.removed)):
            for g in _groups_of(dimension):
                n = counts.get(dimension.value, {}).get(g, 0)
                if dimension is Dimension.AGE_BAND:  # every age is stated: the age bands count everyone once
                    net += n if kind == "added" else -n
                if (kind, index, dimension.value, g) in hidden:
                    suppressed.add((kind, dimension.value, g))
                    n = 0
                kept[kind].setdefault(dimension.value, {})[g] = n
    return Movement(m.quarter, kept["added"], kept["removed"], suppressed=frozenset(suppressed), net=net)


# -- words and numbers, the same on screen and on paper ------------------------------------------------------------

NA = "n/a"


def format_share(value: float | None) -> str:
    return NA if value is None else f"{value * 100:.1f}%"


def format_ratio(value: float | None) -> str:
    return NA if value is None else f"{value:.2f}"


def format_rate(value: float | None) -> str:
    return NA if value is None else f"{value:.2f}"


def format_count(value: int | None) -> str:
    return NA if value is None else f"{value:,}"


def shown_count(row: GroupRow) -> str:
    """A group's count as printed: SUPPRESSED in a report for release when it is small (or would give one back)."""
    return SUPPRESSED if row.suppressed else format_count(row.matrix_count)


def shown_share(row: GroupRow) -> str:
    return WITHHELD if row.suppressed or row.shares_withheld else format_share(row.matrix_share)


def shown_share_ratio(row: GroupRow) -> str:
    return WITHHELD if row.suppressed or row.shares_withheld else format_ratio(row.share_ratio)


def shown_rate(row: GroupRow) -> str:
    return WITHHELD if row.suppressed else format_rate(row.rate_per_1000)


def shown_rri(row: GroupRow) -> str:
    return WITHHELD if row.suppressed or row.rri_withheld else format_ratio(row.rri)


def shown_stated_total(table: DimensionTable) -> str:
    return WITHHELD if table.total_suppressed else format_count(table.stated_total)


def shown_movement(m: Movement, dimension: Dimension | str, group: str) -> str:
    """'+3 / -1' as a cell of the additions and removals: each side SUPPRESSED where it is."""
    d = Dimension(dimension).value
    added = SUPPRESSED if ("added", d, group) in m.suppressed else f"{m.added_to(d, group):,}"
    removed = SUPPRESSED if ("removed", d, group) in m.suppressed else f"{m.removed_from(d, group):,}"
    return f"+{added} / -{removed}"


def shown_net(m: Movement, dimension: Dimension | str) -> str:
    """The quarter's net change: kept whole in a report for release, where suppressed cells read 0."""
    if m.net is not None:
        return f"{m.net:+,}"
    d = Dimension(dimension)
    return f"{sum(m.added_to(d, g) - m.removed_from(d, g) for g in _groups_of(d)):+,}"


METHOD_NOTE = (
    "Matrix share: the people on the matrix in a group, divided by the people on the matrix whose value for "
    "that dimension is stated. Reference share: the group's population divided by the population of all groups "
    "in the BCU's boroughs. Disproportionality ratio: matrix share divided by reference share (1.00 means in "
    "proportion; 2.00 means twice the group's share of the population). Rate per 1,000: people on the matrix in "
    "the group for every 1,000 of the group's population. Relative rate index (RRI): the group's rate divided by "
    "the comparison group's rate. The comparison group is White for ethnicity and, for age band, gender and "
    "disability, the group with the largest reference population. 'Not stated' is counted but left out of every "
    "share, rate and ratio. A figure that would divide by zero is shown as n/a. Groups with fewer than "
    f"{SMALL_COUNT} people on the matrix are marked *: one person more or less changes their rates a great deal, "
    "so they should not be read as a finding."
)
SUPPRESSION_NOTE = (
    f"Small numbers are suppressed: a count of 1 to {SMALL_NUMBER - 1} people is shown as {SUPPRESSED}, and so is "
    "any other count that, with the totals, would give one back by subtraction (across a table's groups, and from "
    f"one quarter to the next with its additions and removals); figures made from them are shown as '{WITHHELD}'. "
    "Where 'Not stated' is suppressed, the stated total and the shares are withheld with it; where the comparison "
    "group is suppressed, the table's RRIs are."
)
