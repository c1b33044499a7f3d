"""An export that names people: read, build, log, register and write in one transaction; name the file after.

Shared by the review sheet, the subject access pack, the disproportionality report and
the auditors' PDF audit pack. The people's data is read inside the transaction that logs
the export, so no read goes unlogged. The file is written (fsynced) under
`staging_path(out)` inside the transaction and renamed to `out` once it has committed:
a file of that name never exists without its log entry and disclosure rows. If
building, logging or writing fails, everything rolls back, the staged file is removed
and a separate FAILED entry records the attempt; if the rename fails after the commit,
the export stays logged (the log over-reports, never under-reports) and a FAILED entry
follows it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.errors import GvmError
from gvm_desktop.services.context import Operation, Workspace


@dataclass(frozen=True)
class Made:
    """A built document, the refs of the people it includes, and the words for its log entry."""

    data: bytes
    refs: list[str]
    detail: str


def write_pdf_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    # reports/pdf_base imports ReportLab, a quarter second of the application's start-up: loaded at the first export.
    from gvm_desktop.reports.pdf_base import write_pdf_atomically as write_atomically

    write_atomically(path, write)


def _write_error(message: str) -> GvmError:
    from gvm_desktop.reports.pdf_base import ReportWriteError

    return ReportWriteError(message)


def staging_path(target: Path) -> Path:
    """Where an export is written before its log entry commits: beside the target, hidden, and named for what it is."""
    return target.with_name(f".{target.name}.unlogged")


def move_into_place(staged: Path, target: Path, *, what: str = "the PDF") -> None:
    try:
        os.replace(staged, target)
    except OSError as exc:
        raise _write_error(f"Cannot write {what} to {target}: {exc.strerror or type(exc).__name__}.") from exc
    try:  # the rename itself made durable where the platform allows it (Windows cannot open a folder)
        folder = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)


def export_staged(ws: Workspace, out: Path, action: Action, make: Callable[[Operation], Made], *,
                  operation_ref: str | None = None, record_ref: str | None = None) -> tuple[Made, int]:
    """The export as one transaction, the file renamed into place after it: (what was made, its log entry)."""
    target = Path(out)
    staged = staging_path(target)
    try:
        if target.is_dir():  # found now, not by the rename after the commit
            raise _write_error(f"Cannot write the PDF to {target}: it is a folder.")
        with ws.operation(None, action) as op:
            made = make(op)
            seq = op.log(detail=made.detail, operation_ref=operation_ref, record_ref=record_ref)
            op.store.disclosures.record(seq, made.refs)
            write_pdf_atomically(staged, lambda fh: fh.write(made.data))
        move_into_place(staged, target)
    except BaseException as error:
        staged.unlink(missing_ok=True)
        if isinstance(error, GvmError):
            with ws.operation(None, action) as op:
                op.log(outcome=Outcome.FAILED, record_ref=record_ref, operation_ref=operation_ref,
                       detail=f"{error.code}: not written")
        raise
    return made, seq
