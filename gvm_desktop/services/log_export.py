"""Exporting a selection of the log: a CSV with a detached Ed25519 signature file, and (later) PDF packs.

The signature covers a small JSON manifest that names the CSV's SHA-256, the
filter, the exporter and the log head, so neither the rows nor their context can
be changed unnoticed once the file has left the workstation.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gvm_desktop.core.audit import Action, LoggedEntry, Outcome
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import FileWriteError, PermissionDenied, ValidationError
from gvm_desktop.core.exports import ExportResult
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.record_use import record_refs
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.log_queries import to_query
from gvm_desktop.services.staged_export import move_into_place, staging_path
from gvm_desktop.store import signing
from gvm_desktop.store.files import atomic_write
from gvm_desktop.store.protocols import Unit

MAX_EXPORT = 200_000
_SELECTION_PAGE = 1000
CSV_COLUMNS = ("seq", "at_utc", "tz", "workstation", "user_id", "username", "role", "bcu", "action", "record_ref",
               "reason_category", "justification", "operation_ref", "outcome", "detail")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(entries: list[LoggedEntry]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in entries:
        e = item.entry
        writer.writerow([_cell(v) for v in (
            item.seq, e.at_utc, e.tz, e.workstation, e.user_id, e.username, e.role, e.bcu, e.action.value, e.record_ref,
            e.reason_category, e.justification, e.operation_ref, e.outcome.value, e.detail)])
    return buf.getvalue().encode("utf-8")


def selection(op: Operation, f: LogFilter, progress: Callable[[int, int], None] | None = None) -> list[LoggedEntry]:
    """Every entry matching the filter, oldest first, within the export limit.

    It reads in the caller's operation (a read or a write) and logs nothing: the caller logs
    the export it makes of the selection, naming the filter. Reading the log is the auditor's
    permission, checked here as well as the exporter's. `progress(done, total)` hears how much
    of the log, in sequence numbers from its newest entry down, has been searched.
    """
    op.authorize(Permission.ACCESS_LOG_READ)
    query = to_query(op.store, f)
    out: list[LoggedEntry] = []
    before: int | None = None
    newest: int | None = None
    while True:
        page = op.store.log.search(query, _SELECTION_PAGE, before_seq=before)
        out.extend(page)
        if len(out) > MAX_EXPORT:
            raise ValidationError(f"The selection holds more than {MAX_EXPORT:,} entries; narrow the filter.")
        if len(page) < _SELECTION_PAGE:
            break
        before = page[-1].seq
        if progress is not None:
            # Pages come newest first, so the part searched is the span from the first page's top down to here.
            newest = page[0].seq if newest is None else newest
            progress(newest - before, newest)
    if progress is not None:
        # The whole span searched (a selection of one page never counted one: it was done at once).
        progress(newest or 1, newest or 1)
    return out[::-1]


class LogExportService:
    def export_csv(self, ws: Workspace, f: LogFilter, path: Path,
                   progress: Callable[[int, int], None] | None = None) -> ExportResult:
        """`progress(done, total)`: how far the selection has been read (see selection)."""
        with staged_signed_csv(Path(path)), ws.operation(Permission.LOG_EXPORT, Action.LOG_EXPORT) as op:
            target = csv_target(op, path)
            entries = selection(op, f, progress)
            try:
                result = write_signed_csv(op, target, to_csv(entries), entries=len(entries), described=f.describe())
            except FileWriteError as failure:
                # The selection was read for nothing: the attempt is logged on its own, as failed.
                raise op.refuse(failure, outcome=Outcome.FAILED,
                                logged_reason=f"signed CSV ({f.describe()}) not written to {target.name}") from None
            remember_export_key(op.store, result.public_key)
            seq = op.log(detail=f"signed CSV of {len(entries)} entries ({f.describe()}) to {target.name}")
            # The records its rows name leave with the file: registered, so the monthly audit counts them as
            # downloaded (by their BCU) and a subject access pack lists the export.
            op.store.disclosures.record(seq, record_refs(e.entry.record_ref for e in entries))
        return result


def _signature_path(target: Path) -> Path:
    return target.with_name(target.name + ".sig")


@contextmanager
def staged_signed_csv(target: Path) -> Iterator[None]:
    """Around the operation that writes a signed CSV (write_signed_csv writes under hidden names): once it has
    committed, both files take their names; if anything fails first, the hidden ones go. As for PDFs
    (staged_export.py), a file of that name never exists without the entry that logs it."""
    staged = (staging_path(target), staging_path(_signature_path(target)))
    try:
        yield
    except BaseException:
        for path in staged:
            path.unlink(missing_ok=True)
        raise
    try:
        move_into_place(staged[1], _signature_path(target), what="the export's signature")
        move_into_place(staged[0], target, what="the export")
    except BaseException:
        for path in (*staged, _signature_path(target)):
            path.unlink(missing_ok=True)
        raise


def csv_target(op: Operation, path: Path) -> Path:
    """Where a signed CSV goes, once it is known that this session can sign one."""
    if op.vault.log_key0 is None:
        raise PermissionDenied("Signing an export needs the log verification key, which your account does not hold yet.")
    target = Path(path)
    if target.suffix.lower() != ".csv":
        raise ValidationError("The export file's name must end in .csv.")
    return target


def write_signed_csv(op: Operation, target: Path, data: bytes, *, entries: int, described: str) -> ExportResult:
    """Write `data` and its detached signature (Ed25519, from the log's verification key) atomically.

    The caller has checked csv_target(), logs the export in `op`, and runs that operation inside
    staged_signed_csv(target), which gives both files their names once the entry has committed. The
    manifest keeps `entries`, the CSV's number of data rows (`log verify-export` prints it), and
    `described`, what those rows are.
    """
    key0 = op.vault.log_key0
    if key0 is None:
        raise PermissionDenied("Signing an export needs the log verification key, which your account does not hold yet.")
    private = signing.export_key(key0)
    public = signing.public_b64(private)
    head = op.store.chain.head()
    manifest = {
        "format": "gvm-desktop-signed-export/v1", "file": target.name, "sha256": hashlib.sha256(data).hexdigest(),
        "entries": entries, "filter": described, "exported_by": op.session.username,
        "exported_at": to_iso(op.env.clock.now()), "vault_id": op.vault.vault_id,
        "log_head": f"{head.seq}:{head.hash.hex()}", "public_key": public,
    }
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    signature = {"manifest": manifest, "signature": signing.sign(private, canonical)}
    sig_path = _signature_path(target)
    # Both files atomically, under hidden names until the export is logged (staged_signed_csv names them).
    try:
        atomic_write(staging_path(target), data)
        try:
            atomic_write(staging_path(sig_path), (json.dumps(signature, indent=1, sort_keys=True) + "\n").encode())
        except BaseException:
            staging_path(target).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise FileWriteError(f"Cannot write the export to {target}: {exc.strerror or 'I/O error'}.") from None
    return ExportResult(target, sig_path, entries, f"{head.seq}:{head.hash.hex()[:16]}", signing.fingerprint(public),
                        public)


def remember_export_key(store: Unit, public: str) -> None:
    """The vault records the first public key its exports were signed with, in the export's transaction."""
    if store.meta.get_meta("audit_export_public_key") is None:
        store.meta.set_meta("audit_export_public_key", public)


def check_signed_export(csv_path: Path, expected_public_key: str | None = None) -> tuple[bool, str]:
    """Anyone can check an export: the signature over the manifest, and the CSV against its hash."""
    sig_path = csv_path.with_name(csv_path.name + ".sig")
    try:
        signature = json.loads(sig_path.read_text("utf-8"))
        manifest = signature["manifest"]
        canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        if not signing.check(manifest["public_key"], canonical, signature["signature"]):
            return False, "the signature does not match its manifest"
    except (OSError, ValueError, KeyError, TypeError):
        return False, f"the signature file {sig_path.name} is missing or unreadable"
    if expected_public_key and manifest["public_key"] != expected_public_key:
        return False, "it was signed with another key than this vault's"
    if hashlib.sha256(csv_path.read_bytes()).hexdigest() != manifest["sha256"]:
        return False, "the CSV was changed after it was signed"
    return True, f"signed by {manifest['exported_by']} at {manifest['exported_at']}, {manifest['entries']} entries"
