"""Documents that leave the workstation: the signed review sheet, the disproportionality report, subject access.

Each export is authorised, built in memory, written atomically, and logged in
the same transaction as the disclosure register rows naming the people it
included (so a subject access request can list every export that held a
person's data). If the file cannot be written, the transaction rolls back and a
separate FAILED entry records the attempt.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.disproportionality import (
    MAX_CSV_BYTES,
    NOT_STATED,
    Counts,
    Demographics,
    DisproportionalityReport,
    QuarterCounts,
    ReferencePopulation,
    build_report,
    ethnic_group,
    parse_reference_csv,
    tally,
)
from gvm_desktop.core.errors import GvmError, PermissionDenied, ValidationError
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.people import BCUS, GENDERS
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.review import Quarter
from gvm_desktop.core.subject_access import SubjectAccessPack
from gvm_desktop.reports.disproportionality_pdf import build_disproportionality_report
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from gvm_desktop.reports.review_sheet import build_review_sheet
from gvm_desktop.reports.subject_access import build_subject_access
from gvm_desktop.services.auth import AuthService
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.records import (
    NamesThePerson,
    RecordService,
    check_justification,
    identity_of,
    justified,
    names_person,
)
from gvm_desktop.services.reviews import ReviewService
from gvm_desktop.services.scope import refuse, resolve
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.store import access_log, log_chain, pki, records, reviews
from gvm_desktop.store.database import Connection

TREND_QUARTERS = 4  # the current quarter and the three before it
_ARCHIVE_AGE = {"under 18": "10-17", "18-24": "18-24", "25-34": "25-34", "35 and over": "35+"}
CONTROLLER = ("The Commissioner of Police of the Metropolis (controller). Write to the force's Data Protection Officer, "
              "quoting the request reference.")


# A subject access request's reference, as the force's register gives it: written to the access log.
_REQUEST_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9 /._-]{2,59}")


@dataclass(frozen=True)
class Made:
    """A built document, the refs of the people it includes, and the words for its log entry."""

    data: bytes
    refs: list[str]
    detail: str


@dataclass(frozen=True)
class Exported:
    path: Path
    bytes: int
    people: int
    encrypted: bool
    log_seq: int


def _pdf_signing():
    # pyHanko and pikepdf take about a second to import: only an export pays for it.
    from gvm_desktop.reports import pdf_signing

    return pdf_signing


class ReportService:
    def __init__(self, auth: AuthService, reviews_service: ReviewService, records_service: RecordService,
                 settings: SettingsService) -> None:
        self.auth = auth
        self.reviews = reviews_service
        self.records = records_service
        self.settings = settings

    # -- the review sheet -----------------------------------------------------------------------

    def export_review(self, ws: Workspace, review_id: int, out: Path, *, account_password: str,
                      pdf_password: str | None, unencrypted: bool = False) -> Exported:
        """The signed review sheet as a PAdES-signed PDF, AES-256 encrypted unless explicitly not."""
        ws.authorize(Permission.REVIEW_EXPORT, Action.REVIEW_EXPORT)
        signing = _pdf_signing()
        if unencrypted:
            ws.authorize(Permission.EXPORT_UNENCRYPTED, Action.REVIEW_EXPORT)
        elif not pdf_password:
            raise ValidationError("Choose a password for the PDF, or export it unencrypted explicitly.")
        else:
            signing.check_password(pdf_password)
        row = self.reviews.review_row(ws, review_id, Action.REVIEW_EXPORT)
        if row.signed_at is None:
            raise ValidationError(f"Review {review_id} is not signed yet: only a signed review has a review sheet.")
        wrap_key = self.auth.signing_key_for(ws, account_password, Action.REVIEW_EXPORT)
        ca_cert, key_der, cert_der = self._signer(ws, wrap_key)

        def make(conn: Connection) -> Made:
            sheet = self.reviews.sheet_in(conn, row)
            now = ws.env.clock.now()
            buffer = io.BytesIO()
            build_review_sheet(buffer, sheet, exported_by=ws.session.username, exported_at=to_iso(now),
                               log_head=self._head(ws), vault_label=f"vault {ws.vault.vault_id[:8]}")
            signed = signing.protect_and_sign(
                buffer.getvalue(), signer_key_der=key_der, signer_cert_der=cert_der, ca_cert_der=ca_cert,
                password=None if unencrypted else pdf_password,
                reason=f"Quarterly matrix review {sheet.bcu} {sheet.quarter} (review {review_id})",
                location=f"BCU {sheet.bcu}", signer_name=ws.session.display_name, signed_at=now)
            # Everyone the sheet names is disclosed by it: the people reviewed, and those listed as added or
            # removed since the last review.
            named = dict.fromkeys([p.ref for p in sheet.people] + [ref for ref, _name in sheet.added_since_last]
                                  + [ref for ref, _name in sheet.removed_since_last])
            return Made(signed, list(named), f"review {review_id} {sheet.bcu} {sheet.quarter}: "
                        f"{len(sheet.people)} people, {'UNENCRYPTED' if unencrypted else 'AES-256'}")

        return self._export(ws, out, Action.REVIEW_EXPORT, make, operation_ref=f"review:{review_id}",
                            encrypted=not unencrypted)

    def _signer(self, ws: Workspace, wrap_key: bytes) -> tuple[bytes, bytes, bytes]:
        """The vault CA's certificate and this user's signing key and certificate, issuing them if needed."""
        aad = f"gvm-desktop/signing-key/{ws.vault.vault_id}/{ws.session.user_id}".encode()
        with ws.write() as conn:
            ca = self._ca(conn, ws)
            held = reviews.signing_key(conn, ws.session.user_id)
            if held is not None:
                try:
                    return ca.cert_der, pki.unwrap_private_key(held[1], wrap_key, aad), held[0]
                except pki.WrappedKeyError:
                    pass  # the password (so the slot) changed since issue: issue a new key below
            issued = pki.issue_signing_certificate(ca, full_name=ws.session.display_name, username=ws.session.username,
                                                   role=ws.session.role.value, bcu=ws.session.bcu, now=ws.env.clock.now())
            reviews.put_signing_key(conn, ws.session.user_id, issued.cert_der,
                                    pki.wrap_private_key(issued.key_der, wrap_key, aad), to_iso(ws.env.clock.now()))
            access_log.append(conn, ws.entry(Action.SIGNING_KEY_ISSUE, detail=(
                "document-signing certificate issued by the vault CA" + (" (replacing one the old password wrapped)"
                                                                         if held else ""))))
            return ca.cert_der, issued.key_der, issued.cert_der

    def _ca(self, conn: Connection, ws: Workspace) -> pki.CaMaterial:
        held = reviews.certificate_authority(conn)
        if held is not None:
            return pki.CaMaterial(key_der=held[1], cert_der=held[0])
        # Vaults made before version 6 get their CA at first need; new vaults get it at init.
        return reviews.create_certificate_authority(conn, ws.vault.vault_id, ws.env.clock.now())

    def _head(self, ws: Workspace) -> tuple[int, str]:
        seq, digest = log_chain.head(ws.conn)
        return seq, digest.hex()

    def _export(self, ws: Workspace, out: Path, action: Action, make: Callable[[Connection], Made], *,
                operation_ref: str | None = None, encrypted: bool = True, record_ref: str | None = None) -> Exported:
        """Read, build, log, register the disclosure and write the file, all in one transaction.

        The people's data is read inside the transaction that logs the export, so
        no read goes unlogged; if building or writing fails, everything rolls back
        and a separate FAILED entry records the attempt.
        """
        target = Path(out)
        try:
            with ws.write() as conn:
                made = make(conn)
                seq = access_log.append(conn, ws.entry(action, detail=made.detail, operation_ref=operation_ref,
                                                       record_ref=record_ref))
                reviews.record_disclosure(conn, seq, made.refs)
                write_pdf_atomically(target, lambda fh: fh.write(made.data))
        except GvmError as error:
            with ws.write() as conn:
                access_log.append(conn, ws.entry(action, Outcome.FAILED, record_ref=record_ref,
                                                 operation_ref=operation_ref, detail=f"{error.code}: not written"))
            raise
        return Exported(target, len(made.data), len(made.refs), encrypted, seq)

    # -- disproportionality ---------------------------------------------------------------------

    def load_reference(self, ws: Workspace, csv_path: Path, *, source: str = "") -> int:
        """The admin loads the reference population (CSV: borough,dimension,group,population), replacing the old."""
        ws.authorize(Permission.REFERENCE_MANAGE, Action.REFERENCE_LOAD)
        path = Path(csv_path)
        try:
            size = path.stat().st_size
            if size > MAX_CSV_BYTES:
                raise ValidationError(f"{path.name} is {size:,} bytes; a reference file is at most {MAX_CSV_BYTES:,}.")
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(f"{path.name} is not UTF-8 text.") from None
        except OSError as exc:
            raise ValidationError(f"Cannot read {path}: {exc.strerror or type(exc).__name__}.") from None
        now = to_iso(ws.env.clock.now())
        reference = parse_reference_csv(text, source=source or path.name, as_of=now[:10])
        rows = [(b, d, g, n) for (b, d, g), n in reference.counts.items()]
        with ws.write() as conn:
            count = reviews.replace_reference(conn, rows, source=source or path.name, at=now)
            access_log.append(conn, ws.entry(Action.REFERENCE_LOAD, detail=f"{count} rows from {path.name[:60]}"))
        return count

    def disproportionality(self, ws: Workspace, bcu: str | None = None, quarter: str | None = None
                           ) -> DisproportionalityReport:
        ws.authorize(Permission.DISPROPORTIONALITY, Action.DISPROPORTIONALITY)
        code = self._report_bcu(ws, bcu)
        today = ws.env.clock.now().date()
        q = Quarter.parse(quarter) if quarter else Quarter.of(today)
        if q > Quarter.of(today):
            raise ValidationError(f"{q} has not started yet.")
        rows = reviews.reference_rows(ws.conn)
        if not rows:
            raise ValidationError("No reference population is loaded: the administrator loads one (CSV) first.")
        source = reviews.reference_source(ws.conn) or ("", "")
        reference = ReferencePopulation.from_rows(rows, source=source[0], as_of=source[1][:10])
        quarters = [q]
        for _ in range(TREND_QUARTERS - 1):
            quarters.insert(0, quarters[0].previous())
        counted_on = min(today, q.ends)
        with ws.write() as conn:
            data = [self._quarter_counts(conn, code, each, counted_on) for each in quarters]
            access_log.append(conn, ws.entry(Action.DISPROPORTIONALITY, detail=f"{code} {q}"))
        return build_report(bcu=code, reference=reference, quarters=data, counted_on=counted_on)

    def export_disproportionality(self, ws: Workspace, out: Path, *, bcu: str | None = None,
                                  quarter: str | None = None) -> Exported:
        """Counts only, no people: written unencrypted like any aggregate statistics, but marked and logged."""
        report = self.disproportionality(ws, bcu, quarter)

        def make(_conn: Connection) -> Made:
            buffer = io.BytesIO()
            build_disproportionality_report(buffer, report, exported_by=ws.session.username,
                                            exported_at=to_iso(ws.env.clock.now()), log_head=self._head(ws),
                                            vault_label=f"vault {ws.vault.vault_id[:8]}")
            return Made(buffer.getvalue(), [], f"exported {report.bcu} {report.quarter}")

        return self._export(ws, out, Action.DISPROPORTIONALITY, make, encrypted=False)

    def _report_bcu(self, ws: Workspace, bcu: str | None) -> str:
        own = ws.session.bcu
        code = (bcu or own or "").strip().upper()
        if code not in BCUS:
            raise ValidationError(f"Name a BCU: one of {', '.join(sorted(BCUS))}.")
        if ws.session.role is Role.SPOC and code != own:
            raise refuse(ws, Action.DISPROPORTIONALITY, PermissionDenied(
                f"Your access is limited to BCU {own}."))
        return code

    def _quarter_counts(self, conn: Connection, bcu: str, q: Quarter, counted_on: date) -> QuarterCounts:
        end = min(q.ends, counted_on)
        start, stop = q.starts.isoformat(), end.isoformat()
        live = conn.execute("SELECT ethnicity, date_of_birth, gender, disability, substr(date_added, 1, 10) "
                            "FROM nominals WHERE bcu = ? AND status = 'active'", (bcu,)).fetchall()
        gone = conn.execute("SELECT ethnicity, gender, age_band, substr(date_added, 1, 10), substr(removed_at, 1, 10) "
                            "FROM archive WHERE bcu = ?", (bcu,)).fetchall()

        def people(rows: list[tuple], keep: Callable[[tuple], bool]) -> list[Demographics]:
            return [Demographics(r[0], date.fromisoformat(r[1]), r[2], r[3]) for r in rows if keep(r)]

        on_matrix = tally(people(live, lambda r: (r[4] or "") <= stop), on=end)
        added = tally(people(live, lambda r: start <= (r[4] or "") <= stop), on=end)
        _merge(on_matrix, _archived([g for g in gone if (g[3] or "") <= stop < g[4]]))
        _merge(added, _archived([g for g in gone if start <= (g[3] or "") <= stop]))
        removed = _archived([g for g in gone if start <= g[4] <= stop])
        return QuarterCounts(quarter=q, on_matrix=on_matrix, added=added, removed=removed)

    # -- subject access -------------------------------------------------------------------------

    def subject_access(self, ws: Workspace, ref: str, justification: Justification, out: Path, *,
                       request_ref: str, pdf_password: str | None, unencrypted: bool = False) -> Exported:
        """Everything held about one person and every disclosure of it, for a subject access request."""
        ws.authorize(Permission.SUBJECT_ACCESS, Action.SUBJECT_ACCESS)
        request = " ".join((request_ref or "").split())
        if not _REQUEST_REF.fullmatch(request):
            # It is written to the access log: a reference, never free text (no control or bidi characters).
            raise ValidationError("Give the request's reference: 3 to 60 letters, digits, spaces or - _ / . "
                                  "(e.g. SAR-2026-014).")
        signing = _pdf_signing()
        if unencrypted:
            ws.authorize(Permission.EXPORT_UNENCRYPTED, Action.SUBJECT_ACCESS)
        elif not pdf_password:
            raise ValidationError("Choose a password for the PDF, or export it unencrypted explicitly.")
        else:
            signing.check_password(pdf_password)
        target = resolve(ws, ref, Action.SUBJECT_ACCESS)
        check_justification(ws, Action.SUBJECT_ACCESS, target, justification)  # refused (and logged) before any work
        if names_person(request, identity_of(ws.conn, target.id)):
            raise refuse(ws, Action.SUBJECT_ACCESS, NamesThePerson("This request reference"), record_ref=target.ref)
        years = self.settings.value(ws, "retention_years")

        def make(conn: Connection) -> Made:
            # Logged like an open, with its justification, in the same transaction as the read and the export.
            access_log.append(conn, ws.entry(Action.RECORD_OPEN, **justified(ws, Action.RECORD_OPEN, target.ref,
                                                                               justification)))
            pack = SubjectAccessPack(
                record=self.records.read(conn, target, ws.env.clock.now().date()),
                versions=tuple(records.versions(conn, target.id)),
                accesses=tuple(access_log.for_record(conn, target.ref)),
                disclosures=tuple(access_log.by_seqs(conn, reviews.disclosures_of(conn, target.ref))),
                retention=(f"Reviewed every quarter; removed when the review finds the criteria no longer met. After "
                           f"removal only a minimal archive row (no name, no date of birth, no address) is kept, for at "
                           f"most {years} years."),
                controller_contact=CONTROLLER, prepared_for_request=request)
            buffer = io.BytesIO()
            build_subject_access(buffer, pack, exported_by=ws.session.username, exported_at=to_iso(ws.env.clock.now()),
                                 log_head=self._head(ws), vault_label=f"vault {ws.vault.vault_id[:8]}")
            data = buffer.getvalue() if unencrypted else signing.encrypt_only(buffer.getvalue(), pdf_password or "")
            return Made(data, [target.ref], f"subject access {request[:60]}: {len(pack.accesses)} accesses, "
                                            f"{len(pack.disclosures)} disclosures")

        return self._export(ws, out, Action.SUBJECT_ACCESS, make, record_ref=target.ref, encrypted=not unencrypted)

def _archived(rows: list[tuple]) -> dict[str, dict[str, int]]:
    """Counts of archived people: the archive keeps ethnicity, gender and age band, never disability."""
    counts: dict[str, dict[str, int]] = {"ethnicity": {}, "age_band": {}, "gender": {}, "disability": {}}
    for ethnicity, gender, band, *_ in rows:
        for dimension, group in (("ethnicity", _or_not_stated(ethnic_group, ethnicity)),
                                 ("age_band", _ARCHIVE_AGE.get(band or "", "35+")),
                                 ("gender", GENDERS.get(gender or "", NOT_STATED)),
                                 ("disability", NOT_STATED)):
            counts[dimension][group] = counts[dimension].get(group, 0) + 1
    return counts


def _or_not_stated(fn: Callable[[str], str], code: str | None) -> str:
    try:
        return fn(code or "")
    except ValueError:
        return NOT_STATED


def _merge(into: dict[str, dict[str, int]], more: Counts) -> None:
    for dimension, groups in more.items():
        for group, n in groups.items():
            into.setdefault(dimension, {})[group] = into.get(dimension, {}).get(group, 0) + n


