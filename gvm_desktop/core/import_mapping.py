"""How a BCU's legacy spreadsheet becomes proposed people: the mapping file, and one row converted by it.

Pure: no file reading (gvm_desktop/ingest does that), no storage. The mapping is a TOML file a SPOC
can read and edit (resources/samples/legacy-matrix.toml documents every key); `parse_mapping` checks
it whole, `plan` checks it against the file's headers before any row is read, and `RowPlan.convert`
turns one row into the drafts the import adds, checked by the same validators as a person added by
hand (validate_draft, validate_evidence), or into a refusal naming the column and the rule.

A refusal never quotes a cell of a person's details (names, address, date of birth): its reason goes
into the access log's counts, onto the screen and into an unencrypted report. Codes ("W9") may be quoted.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType

from gvm_desktop.core.changes import MAX_GANGS, MIN_REASON
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType, validate_evidence
from gvm_desktop.core.import_report import column_letter
from gvm_desktop.core.people import (
    BCUS,
    DISABILITY,
    ETHNICITY_2021,
    GENDERS,
    MAX_AGE,
    MIN_AGE,
    OBSERVED_ETHNICITY,
    NominalDraft,
    age_on,
    validate_draft,
)
from gvm_desktop.core.text import NAME_MAX, TEXT_MAX, check_no_hidden_controls, clean, fold

DEFAULT_REASON = "Imported from the BCU's legacy matrix"
DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%d-%b-%Y", "%Y-%m-%d")
ENCODINGS = ("auto", "utf-8", "cp1252")
LIST_SEPARATOR = ";"  # aliases and gangs: several in one cell
FIXED_SUFFIX = "_value"  # `<field>_value = "..."`: every row gets that value instead of a column's
# A legacy row carries a handful of intelligence entries (the sample two); ten is generous.
MAX_EVIDENCE_GROUPS = 10


@dataclass(frozen=True)
class FieldSpec:
    """A field a column can fill: its key in the mapping file, its label on screen, and whether a row needs it."""

    name: str
    label: str
    required: bool


PERSON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("given_name", "Given name", True),
    FieldSpec("family_name", "Family name", True),
    FieldSpec("date_of_birth", "Date of birth", True),
    FieldSpec("gender", "Gender", True),
    FieldSpec("ethnicity", "Ethnicity (self-defined, ONS 2021)", True),
    FieldSpec("disability", "Disability", True),
    FieldSpec("address", "Address", True),
    FieldSpec("postcode", "Postcode", True),
    FieldSpec("borough", "Borough", True),
    FieldSpec("aliases", "Aliases (separated by ;)", False),
    FieldSpec("gangs", "Gangs (separated by ;)", False),
    FieldSpec("observed_ethnicity", "Officer-observed ethnicity (IC code)", False),
    FieldSpec("bcu", "BCU (must be yours)", False),
)
EVIDENCE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("kind", "Kind of evidence", True),
    FieldSpec("source_type", "Source type", True),
    FieldSpec("grading", "Grading (3x5x2)", True),
    FieldSpec("date", "Date", True),
    FieldSpec("text", "Summary", True),
    FieldSpec("source_ref", "Source reference", True),
    FieldSpec("social_media_note", "Social-media note", False),
)
_PERSON = {f.name: f for f in PERSON_FIELDS}
_EVIDENCE = {f.name: f for f in EVIDENCE_FIELDS}
_DATE_FIELDS = frozenset({"date_of_birth", "date"})
# Fields whose values are codes of ours: a [values.<field>] table maps legacy values onto them.
CODES: Mapping[str, frozenset[str]] = MappingProxyType({
    "gender": frozenset(GENDERS), "ethnicity": frozenset(ETHNICITY_2021), "disability": frozenset(DISABILITY),
    "observed_ethnicity": frozenset(OBSERVED_ETHNICITY), "bcu": frozenset(BCUS),
    "borough": frozenset(b for _name, boroughs in BCUS.values() for b in boroughs),
    "kind": frozenset(k.value for k in EvidenceType), "source_type": frozenset(s.value for s in SourceType),
})
_Fail = Callable[[str, str], ValidationError]  # parse_mapping's `fail(key, why)`
_TextOf = Callable[[str, object], str]
_OURS = {name: {code.casefold(): code for code in codes} for name, codes in CODES.items()}  # matched as typed
_TOP_KEYS = frozenset({"source", "columns", "evidence", "dates", "values", "ignore", "import"})


@dataclass(frozen=True)
class EvidenceGroup:
    """One evidence entry a row may carry: each field from a column (by header) or fixed for every row."""

    columns: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportMapping:
    """A parsed mapping file. Headers are kept as written; matching is trimmed and case-insensitive."""

    columns: Mapping[str, str] = field(default_factory=dict)  # person field -> header
    fixed: Mapping[str, str] = field(default_factory=dict)  # person field -> value for every row
    evidence: tuple[EvidenceGroup, ...] = ()
    sheet: str | None = None
    header_row: int = 1
    encoding: str = "auto"
    delimiter: str = ","
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # field -> legacy value -> our code
    ignore: tuple[str, ...] = ()
    reason: str = DEFAULT_REASON

    def with_column(self, field_name: str, header: str | None) -> ImportMapping:
        """This mapping with one person field read from `header` (None: from no column)."""
        if field_name not in _PERSON:
            raise ValidationError(f"[columns]: '{field_name[:40]}' is not a field; one of {', '.join(_PERSON)}.")
        columns = {k: v for k, v in self.columns.items() if k != field_name}
        fixed = {k: v for k, v in self.fixed.items() if k != field_name}
        if header is not None:
            columns[field_name] = header
        return replace(self, columns=columns, fixed=fixed)

    def mapped_headers(self) -> set[str]:
        """Every header the mapping reads, folded."""
        return {_key(h) for h in self.columns.values()} | {_key(h) for g in self.evidence for h in g.columns.values()}


def header_key(header: str) -> str:
    """A header as a mapping matches it: trimmed, inner spaces collapsed, any case."""
    return " ".join(header.split()).casefold()


_key = header_key


def _value_key(value: str) -> str:
    return value.strip().casefold()


# -- the mapping file --------------------------------------------------------------------------------------------


def parse_mapping(text: str, source: str = "the mapping") -> ImportMapping:
    """A mapping from its TOML text, checked whole; a ValidationError names `source` and the key at fault."""
    try:
        # Notepad's "UTF-8 with BOM" starts the text with U+FEFF, which TOML does not allow.
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{source} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ValidationError(f"{source} nests lists or tables too deeply to read; a mapping needs no nesting "
                              "beyond [[evidence]] and [values.<field>]") from None
    except Exception:
        # The parser's last resort: one sentence, never a traceback.
        raise ValidationError(f"{source} is not valid TOML and could not be read") from None

    def fail(key: str, why: str) -> ValidationError:
        return ValidationError(f"{source}: {key}: {why}")

    def table(name: str) -> dict[str, object]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise fail(f"[{name}]", "must be a table")
        return value

    def text_of(key: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "must be a text in quotes, not empty")
        return value.strip()

    if unknown := sorted(set(data) - _TOP_KEYS):
        raise fail(f"[{unknown[0]}]", f"unknown table; the tables are {', '.join(sorted(_TOP_KEYS))}")
    src = table("source")
    if unknown := sorted(set(src) - {"sheet", "header_row", "encoding", "delimiter"}):
        raise fail(f"source.{unknown[0]}", "unknown key; the keys are sheet, header_row, encoding, delimiter")
    sheet = text_of("source.sheet", src["sheet"]) if "sheet" in src else None
    header_row = src.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or not 1 <= header_row <= 1000:
        raise fail("source.header_row", "must be a whole number from 1 to 1000")
    encoding = src.get("encoding", "auto")
    if encoding not in ENCODINGS:
        raise fail("source.encoding", f"must be one of {', '.join(ENCODINGS)}")
    delimiter = src.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise fail("source.delimiter", "must be one character, such as \",\" or \";\"")

    columns, fixed = _fields(table("columns"), _PERSON, "columns", fail, text_of)
    groups_raw = data.get("evidence", [])
    if not isinstance(groups_raw, list):
        raise fail("[[evidence]]", "must be written [[evidence]], one table per evidence group")
    if len(groups_raw) > MAX_EVIDENCE_GROUPS:
        raise fail("[[evidence]]", f"{len(groups_raw)} groups; at most {MAX_EVIDENCE_GROUPS}: a legacy row carries "
                                   "a handful of intelligence entries, and a group copied by mistake would count "
                                   "the same evidence again")
    groups = []
    for n, raw in enumerate(groups_raw, start=1):
        if not isinstance(raw, dict):
            raise fail(f"evidence #{n}", "must be a table")
        g_columns, g_fixed = _fields(raw, _EVIDENCE, f"evidence #{n}", fail, text_of)
        if not g_columns:
            raise fail(f"evidence #{n}", "reads no column: an evidence group needs at least one")
        groups.append(EvidenceGroup(g_columns, g_fixed))

    _refuse_repeated_columns(columns, groups, fail)

    dates = table("dates")
    if unknown := sorted(set(dates) - {"formats"}):
        raise fail(f"dates.{unknown[0]}", "unknown key; the key is formats")
    formats = dates.get("formats", list(DEFAULT_DATE_FORMATS))
    if not isinstance(formats, list) or not formats:
        raise fail("dates.formats", "must be a list of formats, e.g. [\"%d/%m/%Y\"]")
    for f in formats:
        _check_format(text_of("dates.formats", f), fail)

    values: dict[str, dict[str, str]] = {}
    for name, legacy in table("values").items():
        if name not in CODES:
            raise fail(f"values.{name}", f"no value map for this field; maps are for {', '.join(CODES)}")
        if not isinstance(legacy, dict):
            raise fail(f"values.{name}", "must be a table of \"legacy value\" = \"our code\"")
        mapped: dict[str, str] = {}
        for old, new in legacy.items():
            if not isinstance(new, str):
                raise fail(f"values.{name}.{old}", "must be a code in quotes")
            if new and new not in CODES[name]:
                raise fail(f"values.{name}.{old}", f"'{new[:20]}' is not one of our codes ({_codes_hint(name)})")
            if not new and _required(name):
                raise fail(f"values.{name}.{old}", "this field is required: map to a code, not to nothing")
            mapped[_value_key(old)] = new
        values[name] = mapped

    ignore = table("ignore")
    if unknown := sorted(set(ignore) - {"columns"}):
        raise fail(f"ignore.{unknown[0]}", "unknown key; the key is columns")
    ignored = ignore.get("columns", [])
    if not isinstance(ignored, list):
        raise fail("ignore.columns", "must be a list of headers")
    imp = table("import")
    if unknown := sorted(set(imp) - {"reason"}):
        raise fail(f"import.{unknown[0]}", "unknown key; the key is reason")
    reason = _reason(text_of("import.reason", imp["reason"]), fail) if "reason" in imp else DEFAULT_REASON
    mapping = ImportMapping(
        columns=columns, fixed=fixed, evidence=tuple(groups), sheet=sheet, header_row=header_row, encoding=encoding,
        delimiter=delimiter, date_formats=tuple(f.strip() for f in formats), values=values,
        ignore=tuple(text_of("ignore.columns", h) for h in ignored), reason=reason,
    )
    for name in sorted(set(mapping.fixed) | {f for g in mapping.evidence for f in g.fixed}):
        for value in [mapping.fixed.get(name)] + [g.fixed.get(name) for g in mapping.evidence]:
            if value is not None and name in CODES and _code(mapping, name, value) is None:
                raise fail(f"{name}{FIXED_SUFFIX}", f"'{value[:20]}' is not one of our codes ({_codes_hint(name)})")
    return mapping


def _fields(raw: Mapping[str, object], specs: Mapping[str, FieldSpec], where: str, fail: _Fail,
            text_of: _TextOf) -> tuple[dict[str, str], dict[str, str]]:
    columns: dict[str, str] = {}
    fixed: dict[str, str] = {}
    for key, value in raw.items():
        name = key.removesuffix(FIXED_SUFFIX)
        if name not in specs:
            raise fail(f"{where}.{key}", f"unknown field; the fields are {', '.join(specs)}")
        if name in _DATE_FIELDS and key.endswith(FIXED_SUFFIX):
            raise fail(f"{where}.{key}", "a date comes from a column, never one value for every row")
        if name in columns or name in fixed:
            raise fail(f"{where}.{key}", "the field is given twice (a column and a fixed value)")
        (fixed if key.endswith(FIXED_SUFFIX) else columns)[name] = text_of(f"{where}.{key}", value)
    return columns, fixed


# Each proposal's reason is this text plus " (file sha256 <12 hex>, row <n>)": room is kept for it.
REASON_MAX = TEXT_MAX - 100


def _reason(text: str, fail: _Fail) -> str:
    """The rules of a reason typed by hand (services/changes.py _reason), and no bidi or invisible character:
    it goes onto every proposal, one line each."""
    try:
        body = clean(text, "the reason", limit=REASON_MAX)
        check_no_hidden_controls(body, "the reason")
    except ValidationError as exc:
        raise fail("import.reason", exc.message.rstrip(".")) from None
    if len(body) < MIN_REASON:
        raise fail("import.reason", f"needs at least {MIN_REASON} characters")
    return body


def _refuse_repeated_columns(columns: Mapping[str, str], groups: Sequence[EvidenceGroup], fail: _Fail) -> None:
    """One header read by two fields, or one intelligence entry read twice, would count it twice (scores doubled)."""
    for n, group in enumerate(groups, start=1):
        same = (_key(group.columns.get("date", "")), _key(group.columns.get("text", "")))
        for m, earlier in enumerate(groups[:n - 1], start=1):
            if same == (_key(earlier.columns.get("date", "")), _key(earlier.columns.get("text", ""))) and any(same):
                raise fail(f"evidence #{n}", f"repeats evidence #{m} (the same date and text columns): the same "
                                             "intelligence would be counted twice; remove the copy")
    readers: dict[str, str] = {}
    keys = [(f"columns.{name}", header) for name, header in columns.items()]
    keys += [(f"evidence #{n}.{name}", header) for n, g in enumerate(groups, start=1) for name, header in g.columns.items()]
    for key, header in keys:
        if (first := readers.setdefault(_key(header), key)) != key:
            raise fail(key, f"reads the same column as {first}; a column fills one field only")


def _check_format(fmt: str, fail: _Fail) -> None:
    sample = date(2001, 12, 31)
    try:
        shown = sample.strftime(fmt)
        parsed = datetime.strptime(shown, fmt).date()
    except ValueError:
        raise fail("dates.formats", f"'{fmt[:20]}' is not a date format (e.g. %d/%m/%Y)") from None
    if parsed != sample:
        raise fail("dates.formats", f"'{fmt[:20]}' does not say the day, month and year (e.g. %d/%m/%Y)")


def _required(name: str) -> bool:
    spec = _PERSON.get(name) or _EVIDENCE.get(name)
    return bool(spec and spec.required)


def _codes_hint(name: str) -> str:
    codes = sorted(CODES[name])
    return ", ".join(codes) if len(codes) <= 20 else ", ".join(codes[:20]) + ", ..."


def _code(mapping: ImportMapping, name: str, value: str) -> str | None:
    """Our code for a legacy value: the map's when the field has one (and only the map's: legacy and our code
    lists overlap, so "W3" must not slip through as our code if the legacy list means another thing by it),
    else the value itself if it is one of ours; None if neither."""
    key = _value_key(value)
    if name in mapping.values:
        return mapping.values[name].get(key)
    return _OURS[name].get(key)


def _toml_text(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ord(ch) >= 0x20 and ch != "\x7f" else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def mapping_to_toml(mapping: ImportMapping) -> str:
    """The mapping as a TOML file that `parse_mapping` reads back to the same mapping (comments are not kept)."""
    lines = ["[source]"]
    if mapping.sheet is not None:
        lines.append(f"sheet = {_toml_text(mapping.sheet)}")
    lines += [f"header_row = {mapping.header_row}", f"encoding = {_toml_text(mapping.encoding)}",
              f"delimiter = {_toml_text(mapping.delimiter)}", "", "[columns]"]
    lines += [f"{k} = {_toml_text(v)}" for k, v in mapping.columns.items()]
    lines += [f"{k}{FIXED_SUFFIX} = {_toml_text(v)}" for k, v in mapping.fixed.items()]
    for group in mapping.evidence:
        lines += ["", "[[evidence]]"]
        lines += [f"{k} = {_toml_text(v)}" for k, v in group.columns.items()]
        lines += [f"{k}{FIXED_SUFFIX} = {_toml_text(v)}" for k, v in group.fixed.items()]
    lines += ["", "[dates]", f"formats = [{', '.join(_toml_text(f) for f in mapping.date_formats)}]"]
    for name, table in mapping.values.items():
        lines += ["", f"[values.{name}]"]
        lines += [f"{_toml_text(old)} = {_toml_text(new)}" for old, new in table.items()]
    lines += ["", "[ignore]", f"columns = [{', '.join(_toml_text(h) for h in mapping.ignore)}]",
              "", "[import]", f"reason = {_toml_text(mapping.reason)}", ""]
    return "\n".join(lines)


# -- the mapping against a file's headers ------------------------------------------------------------------------


def mapping_problems(mapping: ImportMapping, headers: Sequence[str]) -> list[str]:
    """What stops this mapping reading a file with these headers, each naming the key; empty when it can."""
    where = _header_index(headers)
    problems = []
    for name, header in mapping.columns.items():
        problems += _header_problem(f"columns.{name}", header, where)
    for spec in PERSON_FIELDS:
        if spec.required and spec.name not in mapping.columns and spec.name not in mapping.fixed:
            problems.append(f"columns.{spec.name}: no column gives the {spec.label.lower()}; name the file's header")
    for n, group in enumerate(mapping.evidence, start=1):
        for name, header in group.columns.items():
            problems += _header_problem(f"evidence #{n}.{name}", header, where)
        for spec in EVIDENCE_FIELDS:
            if spec.required and spec.name not in group.columns and spec.name not in group.fixed:
                problems.append(f"evidence #{n}.{spec.name}: no column or fixed value gives the {spec.label.lower()}")
    if not mapping.evidence:
        problems.append("[[evidence]]: no evidence group: every proposal needs at least one evidence entry")
    return problems


def _header_index(headers: Sequence[str]) -> dict[str, list[int]]:
    where: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        if h and h.strip():
            where.setdefault(_key(h), []).append(i)
    return where


def _header_problem(key: str, header: str, where: Mapping[str, list[int]]) -> list[str]:
    found = where.get(_key(header), [])
    if not found:
        return [f"{key}: the file has no column headed '{header[:60]}'"]
    if len(found) > 1:
        return [f"{key}: the file has {len(found)} columns headed '{header[:60]}'; rename one"]
    return []


def unmapped_headers(mapping: ImportMapping, headers: Sequence[str]) -> list[str]:
    """Headers the mapping neither reads nor ignores: reported as warnings, not refused."""
    known = mapping.mapped_headers() | {_key(h) for h in mapping.ignore}
    return [h for h in headers if h and h.strip() and _key(h) not in known]


# -- one row --------------------------------------------------------------------------------------------------------

Cell = str | int | float | bool | date | datetime | None  # as gvm_desktop/ingest/table.py hands cells on


@dataclass(frozen=True)
class ConvertedRow:
    """What one row adds: the person, their evidence, gangs and officer-observed ethnicity, all checked."""

    person: NominalDraft
    evidence: tuple[EvidenceDraft, ...]
    gangs: tuple[str, ...]
    observed_ethnicity: str | None

    @property
    def identity(self) -> tuple[str, str]:
        """Folded name and date of birth: what makes two rows, or a row and a held record, the same person."""
        return fold(f"{self.person.given_name} {self.person.family_name}"), self.person.date_of_birth.isoformat()


@dataclass(frozen=True)
class RowRefusal:
    """Why a row cannot be imported: the column (header and letter) when one is at fault, and the rule."""

    header: str | None
    letter: str | None
    reason: str

    @property
    def column(self) -> str | None:
        return f"{self.header} ({self.letter})" if self.header is not None else None


class _Refused(Exception):
    def __init__(self, fieldname: str | None, reason: str, group: int | None = None) -> None:
        super().__init__(reason)
        self.field = fieldname
        self.reason = reason
        self.group = group


def excel_serial_date(serial: float, *, date1904: bool) -> date:
    """The day an Excel serial number counts to: 1900 system (with Excel's 29 February 1900) or 1904."""
    days = int(serial)
    if date1904:
        return date(1904, 1, 1) + timedelta(days=days)
    if days == 60:
        raise ValueError("29 February 1900 does not exist")
    if days < 1:
        raise ValueError("before 1900")
    return date(1899, 12, 31 if days < 60 else 30) + timedelta(days=days)


_KINDS = {k.value: k for k in EvidenceType}
_SOURCE_TYPES = {s.value: s for s in SourceType}
_REQUIRED_EVIDENCE = tuple(spec for spec in EVIDENCE_FIELDS if spec.required)


class _GroupPlan:
    """One evidence group fitted to the file: the columns it reads, by index, and its fixed values."""

    __slots__ = ("fixed", "number", "read", "reads_note")

    def __init__(self, number: int, columns: Mapping[str, int], fixed: Mapping[str, str]) -> None:
        self.number = number
        self.read = tuple(columns.items())
        self.fixed = dict(fixed)
        self.reads_note = "social_media_note" in columns


class RowPlan:
    """A mapping fitted to one file's headers: checked once, then used for every row.

    What can be decided once is: where each field comes from, and (as they are first met) what each legacy code,
    date and grading turns into; so a row costs lookups, and every rule still applies to every row, in the same order.
    """

    def __init__(self, mapping: ImportMapping, headers: Sequence[str]) -> None:
        if problems := mapping_problems(mapping, headers):
            raise ValidationError(problems[0] + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1
                                                 else ""))
        self.mapping = mapping
        self.headers = tuple(headers)
        where = _header_index(headers)
        self._person = {name: where[_key(h)][0] for name, h in mapping.columns.items()}
        self._groups = [{name: where[_key(h)][0] for name, h in g.columns.items()} for g in mapping.evidence]
        self.warnings = tuple(unmapped_headers(mapping, headers))
        # Each person field's source: a column (by index), or the same for every row (a fixed value, or None).
        self._same: dict[str, Cell] = {f.name: mapping.fixed.get(f.name) for f in PERSON_FIELDS
                                       if f.name in mapping.fixed or f.name not in self._person}
        self._columns = tuple((name, index) for name, index in self._person.items() if name not in self._same)
        self._reads_bcu = "bcu" in mapping.columns or "bcu" in mapping.fixed
        self._group_plans = tuple(_GroupPlan(n, columns, g.fixed)
                                  for n, (columns, g) in enumerate(zip(self._groups, mapping.evidence, strict=True)))
        # What was worked out for a value met before: a sheet's codes, dates and gradings repeat, and strptime is
        # slow. Kept with the plan, gone with it.
        self._dates: dict[str, date | None] = {}
        self._serials: dict[bool, dict[int | float, date | None]] = {False: {}, True: {}}  # by date1904
        self._codes: dict[str, dict[str, str | None]] = {name: {} for name in CODES}
        self._gradings: dict[str, Grading | str] = {}  # the grading, or why it is none

    def _text_date(self, text: str) -> date | None:
        for fmt in self.mapping.date_formats:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        return None

    def convert(self, cells: Sequence[Cell], *, bcu: str, today: date, date1904: bool = False
                ) -> ConvertedRow | RowRefusal:
        try:
            return self._convert(cells, bcu=bcu, today=today, date1904=date1904)
        except _Refused as refused:
            index = None
            if refused.field is not None:
                columns = self._person if refused.group is None else self._groups[refused.group]
                index = columns.get(refused.field)
            if index is None:
                return RowRefusal(None, None, refused.reason)
            return RowRefusal(self.headers[index], column_letter(index), refused.reason)

    # Each reader below raises _Refused naming the field; the message is safe to show and to log.

    @staticmethod
    def _text(name: str, value: Cell) -> str:
        if type(value) is str:  # most cells: the checks below all pass a plain text by
            return value.strip()
        if value is None:
            return ""
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, datetime | date):
            raise _Refused(name, "holds a date where text is expected")
        return str(value).strip()

    def _date(self, name: str, value: Cell, date1904: bool, group: int | None = None) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            serials = self._serials[date1904]
            if value not in serials:
                try:
                    serials[value] = excel_serial_date(value, date1904=date1904)
                except (ValueError, OverflowError):
                    serials[value] = None
            if (day := serials[value]) is None:
                raise _Refused(name, "is a number that is not a spreadsheet date", group)
            return day
        text = self._text(name, value)
        if text not in self._dates:
            self._dates[text] = self._text_date(text)
        if (found := self._dates[text]) is not None:
            return found
        raise _Refused(name, f"is not a date in the formats of [dates] ({', '.join(self.mapping.date_formats)})",
                       group)

    def _coded(self, name: str, raw: str, group: int | None = None) -> str:
        known = self._codes[name]
        if raw not in known:
            known[raw] = _code(self.mapping, name, raw)
        if (code := known[raw]) is None:
            # The cell is not quoted: a shifted row puts a name or a postcode here, and the reason is logged,
            # shown and saved unencrypted. Our own codes may be listed.
            raise _Refused(name, f"the cell is not a known {name.replace('_', ' ')} code: map it in [values.{name}]"
                                 + ("" if name in self.mapping.values else
                                    f" or use one of ours ({_codes_hint(name)})"), group)
        return code

    def _person_values(self, cells: Sequence[Cell]) -> dict[str, Cell]:
        """Every person field's value in this row: None for a missing, empty or blank cell."""
        values = dict(self._same)
        count = len(cells)
        for name, index in self._columns:
            value = cells[index] if index < count else None
            values[name] = None if isinstance(value, str) and not value.strip() else value
        return values

    def _grading(self, text: str, group: int) -> Grading:
        if (found := self._gradings.get(text)) is None:
            try:
                found = Grading.parse(text)
            except ValidationError as exc:
                found = _without_quote(exc.message)
            self._gradings[text] = found
        if isinstance(found, str):
            raise _Refused("grading", found, group)
        return found

    def _convert(self, cells: Sequence[Cell], *, bcu: str, today: date, date1904: bool) -> ConvertedRow:
        text, row = self._text, self._person_values(cells)

        def required_text(name: str) -> str:
            if not (found := text(name, row[name])):
                raise _Refused(name, f"the {_PERSON[name].label.lower()} is empty; it is required")
            return found

        given, family = required_text("given_name"), required_text("family_name")
        for name, name_text in (("given_name", given), ("family_name", family)):
            if len(name_text) > NAME_MAX:
                raise _Refused(name, f"is {len(name_text):,} characters long; the limit is {NAME_MAX}")
        dob_cell = row["date_of_birth"]
        if dob_cell is None:
            raise _Refused("date_of_birth", "the date of birth is empty; it is required")
        dob = self._date("date_of_birth", dob_cell, date1904)
        if dob > today:
            raise _Refused("date_of_birth", "the date of birth is in the future")
        if not MIN_AGE <= age_on(dob, today) <= MAX_AGE:
            raise _Refused("date_of_birth", f"the date of birth gives an age outside {MIN_AGE} to {MAX_AGE}")
        coded = self._coded
        gender = coded("gender", required_text("gender"))
        ethnicity = coded("ethnicity", required_text("ethnicity"))
        disability = coded("disability", required_text("disability"))
        raw_bcu = text("bcu", row["bcu"])
        if self._reads_bcu:
            if not raw_bcu:
                raise _Refused("bcu", "the BCU is empty; it is required when the mapping reads it")
            row_bcu = coded("bcu", raw_bcu)
            if row_bcu != bcu:
                raise _Refused("bcu", f"the row is for the {row_bcu} BCU; you can import into your own BCU ({bcu}) "
                                      "only")
        borough = coded("borough", required_text("borough"))
        if borough not in BCUS[bcu][1]:
            raise _Refused("borough", f"{borough} is not a borough of the {bcu} BCU")
        observed_raw = text("observed_ethnicity", row["observed_ethnicity"])
        observed = (coded("observed_ethnicity", observed_raw) or None) if observed_raw else None
        aliases_text = text("aliases", row["aliases"])
        aliases = tuple(a.strip() for a in aliases_text.split(LIST_SEPARATOR) if a.strip()) if aliases_text else ()
        gangs_text = text("gangs", row["gangs"])
        gangs = tuple(dict.fromkeys(g.strip() for g in gangs_text.split(LIST_SEPARATOR) if g.strip())
                      ) if gangs_text else ()
        if len(gangs) > MAX_GANGS:
            raise _Refused("gangs", f"names {len(gangs)} gangs; at most {MAX_GANGS}")
        if any(len(g) > NAME_MAX for g in gangs):
            raise _Refused("gangs", f"a gang name is longer than {NAME_MAX} characters")
        draft = NominalDraft(
            given_name=given, family_name=family, date_of_birth=dob, gender=gender, ethnicity=ethnicity,
            disability=disability, address=required_text("address"), postcode=required_text("postcode"),
            borough=borough, bcu=bcu, aliases=aliases,
        )
        person = self._validated(draft, today)
        evidence = tuple(e for g in self._group_plans if (e := self._evidence(cells, g, person, today, date1904))
                         is not None)
        if not evidence:
            raise _Refused(None, "the row carries no evidence entry; a proposal needs at least one")
        return ConvertedRow(person, evidence, gangs, observed)

    def _validated(self, draft: NominalDraft, today: date) -> NominalDraft:
        """The hand-entry rules, exactly; each of their messages attributed to its field, none quoting a person."""
        try:
            return validate_draft(draft, today=today)
        except ValidationError as exc:
            message = exc.message
            for name, words in (("given_name", "given name"), ("family_name", "family name"),
                                ("postcode", "postcode"), ("aliases", "alias"), ("address", "address"),
                                ("date_of_birth", "date of birth")):
                if words in message.lower():
                    if name == "date_of_birth":
                        message = f"the {words} breaks a rule of a person added by hand"
                    raise _Refused(name, message.rstrip(".")) from None
            raise _Refused(None, message.rstrip(".")) from None

    def _evidence(self, cells: Sequence[Cell], plan: _GroupPlan, person: NominalDraft, today: date,
                  date1904: bool) -> EvidenceDraft | None:
        group, count = plan.number, len(cells)
        values: dict[str, Cell] = {}
        for field_name, index in plan.read:  # as _person_values reads a cell
            value = cells[index] if index < count else None
            values[field_name] = None if isinstance(value, str) and not value.strip() else value
        if all(v is None for v in values.values()):
            return None  # a group the row does not use
        values.update(plan.fixed)  # a fixed value wins over a column's, as the mapping says
        for spec in _REQUIRED_EVIDENCE:
            if values.get(spec.name) is None:
                raise _Refused(spec.name, f"evidence #{group + 1}: the {spec.label.lower()} is empty, but the group's "
                                          "other cells are filled", group)
        text = self._text
        kind_code = self._coded("kind", text("kind", values["kind"]), group)
        kind = _KINDS.get(kind_code) or EvidenceType(kind_code)
        source_code = self._coded("source_type", text("source_type", values["source_type"]), group)
        source = _SOURCE_TYPES.get(source_code) or SourceType(source_code)
        grading = self._grading(text("grading", values["grading"]), group)
        on = self._date("date", values["date"], date1904, group)
        note = text("social_media_note", values.get("social_media_note")) or None
        draft = EvidenceDraft(kind=kind, source_type=source, source_ref=text("source_ref", values["source_ref"]),
                              grading=grading, on=on, summary=text("text", values["text"]), social_media_note=note)
        try:
            return validate_evidence(draft, today=today, date_of_birth=person.date_of_birth)
        except ValidationError as exc:
            message = _without_quote(exc.message)
            if "dated" in message and "in the future" in message:
                message = "the evidence is dated in the future"  # the validator's sentence quotes the cell's date
            lowered = message.lower()
            name = ("date" if "dated" in lowered else "social_media_note" if "social-media" in lowered
                    or "what was seen" in lowered else "source_ref" if "source reference" in lowered
                    else "text" if "summary" in lowered else None)
            if name == "social_media_note" and not plan.reads_note:
                name = "text"
            raise _Refused(name, f"evidence #{group + 1}: {message}", group) from None


_QUOTE = re.compile(r"\s*\(got .*\)\.?$|\s*'[^']*'(?=:)", re.DOTALL)


def _without_quote(message: str) -> str:
    """A validator's message without the value it quotes ("(got 'Sade')", "code 'X':"): the rule only."""
    return _QUOTE.sub("", message).rstrip(".")


def plan(mapping: ImportMapping, headers: Sequence[str]) -> RowPlan:
    """The mapping checked against a file's headers (a ValidationError naming the key), ready for its rows."""
    return RowPlan(mapping, headers)


def convert_row(mapping: ImportMapping, headers: Sequence[str], row: Sequence[Cell], *, bcu: str, today: date,
                date1904: bool = False) -> ConvertedRow | RowRefusal:
    """One row as the import adds it, or why it cannot be; for many rows, `plan` once and convert with it."""
    return plan(mapping, headers).convert(row, bcu=bcu, today=today, date1904=date1904)
