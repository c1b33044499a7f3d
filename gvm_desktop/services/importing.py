"""Importing the matrix a BCU keeps today (a spreadsheet) as proposed people: preview, dry run, commit.

All or nothing. A dry run says every row's fate and changes nothing; a commit re-reads the file,
refuses the whole import if any row would be refused or is a duplicate, and otherwise adds every
row's person as *proposed*, with their evidence and a proposal, in one transaction: a failure half
way leaves nothing. The SPOC then approves each on corroborated evidence, as for a person added by
hand; legacy scores are never read, every score is recomputed from the dated evidence.

Each step is one access-log entry with the file's SHA-256 and the counts, never a name.
"""

from __future__ import annotations

import gc
import hashlib
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import GvmError, PermissionDenied, ValidationError
from gvm_desktop.core.import_mapping import (
    PERSON_FIELDS,
    ConvertedRow,
    ImportMapping,
    RowPlan,
    RowRefusal,
    mapping_problems,
    mapping_to_toml,
    plan,
    unmapped_headers,
)
from gvm_desktop.core.import_report import (
    ADD,
    ADDED,
    DUPLICATE,
    REFUSED,
    SKIPPED,
    ImportPreview,
    ImportRefused,
    ImportReport,
    RowFate,
    report_csv,
)
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.scoring import ScoreCard, ScoringEvent, ScoringPolicy, default_policy, score
from gvm_desktop.ingest.table import SourceTable
from gvm_desktop.services.context import Operation, Workspace

PREVIEW_ROWS = 20
_SHA_SHOWN = 12  # hex digits of the file's SHA-256 in each proposal's reason: enough to find the dry run's entry


def _shown(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _unmapped_warning(headers: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"Column '{h[:60]}' is neither mapped nor ignored: it is not imported." for h in headers)


def write_report_csv(report: ImportReport, path: Path) -> None:
    """The report as CSV (core/import_report.py report_csv: no personal data by construction), in a new file.

    Never over an existing one: a mistyped path once truncated the vault's own database.
    """
    text = report_csv(report)
    try:
        with path.open("x", encoding="utf-8", newline="") as stream:
            stream.write(text)
    except FileExistsError:
        raise ValidationError(f"The report was not written: {path} already exists (a folder, a device or a "
                              "file); a report never replaces anything, so name a new file.") from None
    except OSError as exc:
        raise ValidationError(f"The report was not written to {path}: "
                              f"{exc.strerror or 'the file cannot be created'}.") from None


@dataclass(frozen=True)
class _Converted:
    """A file's rows converted for one SPOC's BCU on one day: the part of a dry run a commit can take over."""

    sha256: str
    kind: str
    mapping: str  # as TOML: a snapshot, whatever happens to the caller's mapping object afterwards
    bcu: str
    today: date
    numbers: tuple[int, ...]
    outcomes: tuple[RowFate | ConvertedRow, ...]  # a final fate, or the person to check against the vault
    warnings: tuple[str, ...]
    at: float  # the clock's monotonic seconds


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection during one import step (preview, dry run, commit).

    A step makes hundreds of thousands of objects (cells, rows, drafts, statement parameters) that hold no
    reference cycles, yet they set off collections that walk every object of the application: 8% of a dry run
    of 10,000 rows. Reference counting frees them as usual; whoever switched the collector off switches it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_FileRead = tuple[bytes, str] | GvmError  # the bytes and their SHA-256, or why they could not be read


def _read_file(path: Path) -> _FileRead:
    """The file read whole before the vault is opened: a slow or stuck file must never hold the vault's lock.

    A failure is handed back, not raised, so that the operation can log it as the refusal it is.
    """
    # The readers (python_calamine) load on the first import, not at every start of the application.
    from gvm_desktop.ingest.read import read_bytes

    try:
        data = read_bytes(path)
    except GvmError as exc:
        return exc
    return data, hashlib.sha256(data).hexdigest()


# How long a dry run's conversion waits for its commit. It holds the file's people in memory (never on disk),
# so it is kept briefly, for the workspace that made it only, and taken (or dropped) by the next call.
KEEP_CHECKED_S = 15 * 60


class ImportService:
    def __init__(self, policy: ScoringPolicy | None = None) -> None:
        self.policy = policy or default_policy()
        self._checked: weakref.WeakKeyDictionary[Workspace, _Converted] = weakref.WeakKeyDictionary()

    # -- reading ------------------------------------------------------------------------------------------------

    def _bytes(self, op: Operation, read: _FileRead) -> tuple[bytes, str]:
        """The file's bytes and their SHA-256, read before the operation began; a failed read is refused, logged."""
        if op.session.bcu is None:
            raise op.refuse(PermissionDenied("Your account has no BCU to import into."))
        if isinstance(read, GvmError):
            raise op.refuse(read, logged_reason=f"refused: file not read: {read.message}")
        return read

    def _parse(self, op: Operation, data: bytes, sha256: str, mapping: ImportMapping) -> SourceTable:
        from gvm_desktop.ingest.read import read_table_bytes

        try:
            return read_table_bytes(data, sheet=mapping.sheet, header_row=mapping.header_row,
                                    encoding=mapping.encoding, delimiter=mapping.delimiter)
        except GvmError as exc:
            # The readers' sentences are our own words (ingest/table.py ImportFileError): never a cell or a name.
            raise op.refuse(exc, logged_reason=f"refused: file sha256={sha256}: {exc.message}") from None

    def _read(self, op: Operation, read: _FileRead, mapping: ImportMapping) -> tuple[SourceTable, bytes]:
        data, sha256 = self._bytes(op, read)
        return self._parse(op, data, sha256, mapping), data

    def _plan(self, op: Operation, table: SourceTable, mapping: ImportMapping) -> RowPlan:
        try:
            return plan(mapping, table.headers)
        except ValidationError as exc:
            # The log gets the key at fault only: the message quotes the mapping's headers, which may be anything.
            key = exc.message.split(":", 1)[0] if ":" in exc.message else "mapping"
            raise op.refuse(ValidationError(f"The mapping does not fit the file: {exc.message}"),
                            logged_reason=f"mapping does not fit sha256={table.sha256}: {key[:60]}") from None

    def _convert(self, op: Operation, table: SourceTable, mapping: ImportMapping) -> _Converted:
        """Every row converted, and checked against the file's other rows: pure, so a commit of the very bytes a
        dry run read (same SHA-256, mapping, BCU and day) takes the dry run's instead of doing it again."""
        rows = self._plan(op, table, mapping)
        bcu = str(op.session.bcu)
        today = op.env.clock.now().date()
        outcomes: list[RowFate | ConvertedRow] = []
        numbers: list[int] = []
        seen: dict[tuple[str, str], int] = {}
        for row in table.rows:
            numbers.append(row.number)
            if row.empty:
                outcomes.append(RowFate(row.number, SKIPPED, None, "empty row"))
                continue
            result = rows.convert(row.cells, bcu=bcu, today=today, date1904=table.date1904)
            if isinstance(result, RowRefusal):
                outcomes.append(RowFate(row.number, REFUSED, result.column, result.reason))
            elif (first := seen.setdefault(result.identity, row.number)) != row.number:
                outcomes.append(RowFate(row.number, DUPLICATE, None, f"same person as row {first}"))
            else:
                outcomes.append(result)
        return _Converted(table.sha256, table.kind, mapping_to_toml(mapping), bcu, today, tuple(numbers), tuple(outcomes),
                          _unmapped_warning(rows.warnings), op.env.clock.monotonic())

    def _assess(self, op: Operation, converted: _Converted
                ) -> tuple[list[RowFate], list[ConvertedRow], list[tuple[int, str]]]:
        """Every row's fate, now that people already held are known; the people to add, in file order; and
        (row, held record's reference) for each row that matched a person already held, whatever their BCU."""
        bcu = converted.bcu
        candidates = [o.person for o in converted.outcomes if isinstance(o, ConvertedRow)]
        found = iter(op.store.nominals.same_identities(
            [(p.given_name, p.family_name, p.date_of_birth.isoformat()) for p in candidates]))
        fates: list[RowFate] = []
        people: list[ConvertedRow] = []
        matched: list[tuple[int, str]] = []
        for number, outcome in zip(converted.numbers, converted.outcomes, strict=True):
            if isinstance(outcome, RowFate):
                fates.append(outcome)
                continue
            if held := next(found):
                # A dry run must not be an unlogged status check of a list of names: each match is logged with
                # the record it matched (its reference, never the name), as a refused proposal is.
                matched.append((number, held[0].ref))
                own = [h.ref for h in held if h.bcu == bcu]
                fates.append(RowFate(number, DUPLICATE, None,
                                     f"already held as {', '.join(own)}" if own else "already held by another BCU",
                                     own[0] if own else None))
                continue
            fates.append(RowFate(number, ADD, None, "would be added as a proposal"))
            people.append(outcome)
        return fates, people, matched

    def _reuse(self, op: Operation, ws: Workspace, sha256: str, mapping: ImportMapping) -> _Converted | None:
        """The dry run's conversion, taken once, if it was of these very bytes with this mapping, today."""
        kept = self._checked.pop(ws, None)
        if kept is None or (kept.sha256, kept.mapping, kept.bcu, kept.today) != (
                sha256, mapping_to_toml(mapping), op.session.bcu, op.env.clock.now().date()):
            return None
        if op.env.clock.monotonic() - kept.at > KEEP_CHECKED_S:
            return None
        return kept

    # -- use cases ------------------------------------------------------------------------------------------------

    def preview(self, ws: Workspace, path: Path, mapping: ImportMapping, rows: int = PREVIEW_ROWS) -> ImportPreview:
        """The file's sheets, headers and first rows, and how the mapping fits it; changes nothing.

        Logged (as a dry run, detail "preview"): it shows the file's rows, not the vault's, so it is no use of a
        record; but an auditor should see that a spreadsheet of people was opened in the application.
        """
        read = _read_file(path)
        with _no_cycle_collection(), ws.operation(Permission.MATRIX_IMPORT, Action.IMPORT_DRY_RUN) as op:
            table, data = self._read(op, read, mapping)
            from gvm_desktop.ingest.read import list_sheets_bytes

            sheets = tuple(list_sheets_bytes(data)) if table.kind == "xlsx" else ()
            where = {" ".join(h.split()).casefold(): h for h in table.headers if h}
            fields = {f.name: where.get(" ".join(mapping.columns[f.name].split()).casefold())
                      if f.name in mapping.columns else None for f in PERSON_FIELDS}
            shown = tuple((r.number, tuple(_shown(c) for c in r.cells)) for r in table.rows[:max(0, rows)])
            op.log(detail=f"preview sha256={table.sha256} rows={len(table.rows)}")
        return ImportPreview(
            kind=table.kind, sha256=table.sha256, sheets=sheets, headers=table.headers, rows=shown,
            total_rows=len(table.rows), fields=fields, problems=tuple(mapping_problems(mapping, table.headers)),
            warnings=_unmapped_warning(unmapped_headers(mapping, table.headers)),
        )

    def dry_run(self, ws: Workspace, path: Path, mapping: ImportMapping) -> ImportReport:
        """Every row's fate (would add, refused and why, duplicate, skipped); changes nothing but the log."""
        read = _read_file(path)
        with _no_cycle_collection(), ws.operation(Permission.MATRIX_IMPORT, Action.IMPORT_DRY_RUN) as op:
            self._checked.pop(ws, None)
            converted = self._convert(op, self._read(op, read, mapping)[0], mapping)
            fates, _people, matched = self._assess(op, converted)
            report = ImportReport(converted.sha256, converted.kind, tuple(fates), converted.warnings)
            for number, ref in matched:
                op.log(record_ref=ref, detail=f"row {number} of sha256={converted.sha256} has this record's name and "
                                              "date of birth")
            op.log(detail=report.summary())  # last: the dry run's own entry closes its matches
        if not report.blocking:
            self._checked[ws] = converted
        return report

    def commit(self, ws: Workspace, path: Path, mapping: ImportMapping, *,
               expected_sha256: str | None = None) -> ImportReport:
        """Every row's person added as proposed, in one transaction; or nothing, if any row cannot be."""
        read = _read_file(path)
        with _no_cycle_collection(), ws.operation(Permission.MATRIX_IMPORT, Action.NOMINALS_IMPORT) as op:
            data, sha256 = self._bytes(op, read)
            if expected_sha256 is not None and sha256 != expected_sha256.strip().lower():
                self._checked.pop(ws, None)
                raise op.refuse(ValidationError(
                    "The file changed since the dry run (its SHA-256 differs): nothing was imported; run a dry "
                    "run again."), logged_reason=f"refused: file changed since the dry run, sha256={sha256}")
            converted = self._reuse(op, ws, sha256, mapping) or self._convert(
                op, self._parse(op, data, sha256, mapping), mapping)
            fates, people, matched = self._assess(op, converted)
            report = ImportReport(sha256, converted.kind, tuple(fates), converted.warnings)
            if blocking := report.blocking:
                message = (f"{len(blocking)} row{'s' if len(blocking) != 1 else ''} cannot be imported; nothing was "
                           "imported; run a dry run for the report.")
                # The refusal is the one entry that survives the rollback: it names the records the file matched.
                refs_matched = ", ".join(ref for _n, ref in matched)
                raise op.refuse(ImportRefused(message, report), logged_reason=f"refused: {report.summary()}"
                                + (f"; matches held records {refs_matched}" if refs_matched else ""))
            if not people:
                raise op.refuse(ValidationError("The file has no rows to import."),
                                logged_reason=f"refused: no rows, {report.summary()}")
            numbers = [f.number for f in fates if f.fate == ADD]
            refs = self._add(op, people, numbers, sha256, mapping.reason)
            op.log(detail=f"{len(refs)} people proposed from a legacy spreadsheet sha256={sha256}; "
                          f"refs {refs[0]}…{refs[-1]}")
        by_row = dict(zip(numbers, refs, strict=True))
        added = tuple(RowFate(f.number, ADDED, None, "added as a proposal", by_row[f.number]) if f.fate == ADD else f
                      for f in fates)
        return ImportReport(report.sha256, report.kind, added, report.warnings, committed=True)

    def _add(self, op: Operation, people: Sequence[ConvertedRow], numbers: Sequence[int], sha256: str,
             reason: str) -> list[str]:
        """Bulk inserts inside the caller's transaction: the rows propose() leaves, one statement per table."""
        today = op.env.clock.now().date()
        at = to_iso(op.env.clock.now())
        by = op.session.user_id
        store = op.store
        # The events' ids are unknown before the insert and score nothing; the kinds and dates do. Rows share
        # their few kinds and dates, so each different set is scored once.
        cards: dict[tuple[tuple[str, date], ...], ScoreCard] = {}

        def card(row: ConvertedRow) -> ScoreCard:
            key = tuple((e.kind.value, e.on) for e in row.evidence)
            if (found := cards.get(key)) is None:
                found = cards[key] = score([ScoringEvent(n, kind, on) for n, (kind, on) in enumerate(key)], today,
                                           self.policy)
            return found

        ids = store.nominals.insert_people([
            (p.person, {"gangs": "\n".join(p.gangs), "observed_ethnicity": p.observed_ethnicity}, card(p))
            for p in people], at=at, created_by=by)
        store.records.add_evidence_many([(i, e) for i, p in zip(ids, people, strict=True) for e in p.evidence], at, by)
        store.records.add_proposals([(i, "add", f"{reason} (file sha256 {sha256[:_SHA_SHOWN]}, row {n})")
                                     for i, n in zip(ids, numbers, strict=True)], by, at)
        # The references as the index in common holds them (kept by trigger in this transaction): a third of the
        # time of reading the people's whole rows back.
        found = store.person_index.rows_by_id(ids)
        return [found[i].ref for i in ids]
