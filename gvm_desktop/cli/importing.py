"""`gvm-desktop import FILE --mapping MAP.toml [--dry-run] [--report OUT.csv] --as SPOC`.

A dry run that completed exits 0, whatever its rows' fates: it did its job, which is to say them.
A commit refused (any row refused or a duplicate: nothing is imported) exits 1 after listing why.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.import_mapping import ImportMapping, parse_mapping
from gvm_desktop.core.import_report import ADD, DUPLICATE, REFUSED, SKIPPED, ImportRefused, ImportReport
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.importing import write_report_csv

SHOWN_ROWS = 50  # a terminal's worth; the CSV report has every row


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[common],
                       help="import a legacy spreadsheet (XLSX or CSV) as proposed people of your BCU (SPOC)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--mapping", type=Path, required=True, metavar="MAP.toml",
                   help="which column is which field (see resources/samples/legacy-matrix.toml)")
    p.add_argument("--dry-run", action="store_true", help="report every row's fate and change nothing")
    p.add_argument("--report", type=Path, default=None, metavar="OUT.csv",
                   help="write every row's fate as CSV (row, fate, column, reason, ref; no personal data)")
    p.add_argument("--sha256", default=None, metavar="HEX", type=_sha256,
                   help="commit only if the file is still the one the dry run read (its SHA-256)")


def _sha256(text: str) -> str:
    digest = text.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise argparse.ArgumentTypeError("this is not a SHA-256 (64 hexadecimal digits, as the dry run printed "
                                         "it)")
    return digest


def read_mapping(path: Path) -> ImportMapping:
    """The mapping file, checked before anyone signs in: a wrong key is reported without a password asked."""
    # The readers (python_calamine) load on the first import, not at every start of the command line.
    from gvm_desktop.ingest.read import read_mapping_text

    return parse_mapping(read_mapping_text(path), path.name)


def _counts_line(report: ImportReport, *, dry_run: bool) -> str:
    c = report.counts
    verb = "would be added" if dry_run else "added"
    return (f"{len(report.rows)} rows: {c[ADD]} {verb}, {c[REFUSED]} refused, {c[DUPLICATE]} duplicates, "
            f"{c[SKIPPED]} empty rows skipped.")


def _write_rows(report: ImportReport, out: TextIO, report_path: Path | None) -> None:
    for warning in report.warnings:
        out.write(f"Warning: {warning}\n")
    blocking = report.blocking
    for row in blocking[:SHOWN_ROWS]:
        where = f", column {row.column}" if row.column else ""
        out.write(f"Row {row.number}{where}: {row.fate}: {row.reason}\n")
    if len(blocking) > SHOWN_ROWS:
        out.write(f"... and {len(blocking) - SHOWN_ROWS} more" + (" (see the report)\n" if report_path
                                                                  else " (see --report)\n"))


def check_report_path(report_path: Path | None) -> None:
    """Refuse a report path that exists before the import runs; writing it (mode "x") checks again."""
    if report_path is not None and (report_path.exists() or report_path.is_symlink()):
        raise ValidationError(f"The report was not written: {report_path} already exists (a folder, a device or a "
                              "file); a report never replaces anything, so name a new file.")


def run(app: App, ws: Workspace, args: argparse.Namespace, mapping: ImportMapping, out: TextIO) -> int:
    path: Path = args.file
    report_path: Path | None = args.report
    check_report_path(report_path)
    if args.dry_run:
        report = app.importing.dry_run(ws, path, mapping)
        out.write(f"Dry run of {path.name} ({report.kind}, sha256 {report.sha256}): {_counts_line(report, dry_run=True)} "
                  "Nothing was changed.\n")
        _write_rows(report, out, report_path)
        if report_path is not None:
            write_report_csv(report, report_path)
            out.write(f"Wrote the report to {report_path}\n")
        if not report.blocking:
            out.write(f"To import: the same command without --dry-run (add --sha256 {report.sha256} to be sure the "
                      "file has not changed).\n")
        return 0
    try:
        report = app.importing.commit(ws, path, mapping, expected_sha256=args.sha256)
    except ImportRefused as refused:
        _write_rows(refused.report, out, report_path)
        if report_path is not None:
            write_report_csv(refused.report, report_path)
            out.write(f"Wrote the report to {report_path}\n")
        raise
    refs = [r.ref for r in report.rows if r.ref]
    out.write(f"Imported {path.name} (sha256 {report.sha256}): {_counts_line(report, dry_run=False)}\n")
    out.write(f"{len(refs)} people proposed, {refs[0]} to {refs[-1]}: the SPOC approves each on corroborated "
              "evidence, as for a person added by hand.\n")
    for warning in report.warnings:
        out.write(f"Warning: {warning}\n")
    if report_path is not None:
        write_report_csv(report, report_path)
        out.write(f"Wrote the report to {report_path}\n")
    return 0
