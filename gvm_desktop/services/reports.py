"""Documents that leave the workstation: the signed review sheet, the disproportionality report, subject access.

Each export is authorised and checked first (refusals logged on their own), then
read, built in memory, logged, and registered in the disclosure register (the
people it included, so a subject access request can list every export that held
a person's data) in one transaction, with the file written beside its target
under a hidden name; only once that transaction has committed does the file take
the name asked for. If anything fails, the transaction rolls back, the hidden
file goes, and a separate FAILED entry records the attempt.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from gvm_desktop.core.audit import Action
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
    source_with_as_of,
    split_source,
    suppress_small_numbers,
    tally,
)
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.exports import Exported
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.people import BCUS, GENDERS
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.review import Quarter
from gvm_desktop.core.review_rows import ArchivedDemographics, LiveDemographics, ReferenceRow
from gvm_desktop.core.subject_access import SubjectAccessPack, Withholding
from gvm_desktop.services.auth import AuthService
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.records import (
    NamesThePerson,
    RecordService,
    check_justification,
    identity_of,
    justified,
    names_person,
)
from gvm_desktop.services.reviews import ReviewService, document_signer, sheet_named, signed_sheet
from gvm_desktop.services.scope import resolve
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.services.staged_export import Made, export_staged
from gvm_desktop.store.pki import CaMaterial, SignerMaterial
from gvm_desktop.store.protocols import Unit

TREND_QUARTERS = 4  # the current quarter and the three before it
_ARCHIVE_AGE = {"under 18": "10-17", "18-24": "18-24", "25-34": "25-34", "35 and over": "35+"}
CONTROLLER = ("The Commissioner of Police of the Metropolis (controller). Write to the force's Data Protection Officer, "
              "quoting the request reference.")


# A subject access request's reference, as the force's register gives it: written to the access log.
_REQUEST_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9 /._-]{2,59}")


def _pdf_signing():
    # pyHanko and pikepdf take about a second to import: only an export pays for it.
    from gvm_desktop.reports import pdf_signing

    return pdf_signing


def check_protection(op: Operation, pdf_password: str | None, unencrypted: bool) -> None:
    """Before any work: a PDF password that meets the account password rules, or the right to export without one."""
    if unencrypted:
        op.authorize(Permission.EXPORT_UNENCRYPTED)
    elif not pdf_password:
        raise ValidationError("Choose a password for the PDF, or export it unencrypted explicitly.")
    else:
        _pdf_signing().check_password(pdf_password, op.env.machine_policy.min_pdf_password_score)


def exporter_key(op: Operation, wrap_key: bytes) -> tuple[CaMaterial, SignerMaterial]:
    """The exporter's own signing key, whatever their role: the signature says who let the document leave the vault.

    Issued (and logged) at first need, in `op`'s transaction; taken before the log head is read, so the head a
    document prints includes the key's issue, as on the review sheet.
    """
    return document_signer(op, wrap_key)


def exporter_signed(pdf: bytes, key: tuple[CaMaterial, SignerMaterial], *, pdf_password: str | None, reason: str,
                    location: str, signer_name: str, signed_at: datetime) -> bytes:
    """`pdf` encrypted (AES-256 R6 unless `pdf_password` is None), then certified with the exporter's key."""
    ca, signer = key
    return _pdf_signing().protect_and_sign(
        pdf, signer_key_der=signer.key_der, signer_cert_der=signer.cert_der, ca_cert_der=ca.cert_der,
        password=pdf_password, reason=reason, location=location, signer_name=signer_name, signed_at=signed_at)


def protection_words(unencrypted: bool) -> str:
    """How the file left, for its log entry: an unencrypted export is a choice the log must show."""
    return "UNENCRYPTED, signed" if unencrypted else "AES-256, signed"


def _head(op: Operation) -> tuple[int, str]:
    head = op.store.chain.head()
    return head.seq, head.hash.hex()


def _vault_label(op: Operation) -> str:
    return f"vault {op.vault.vault_id[:8]}"


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
        """A later copy of the signed review sheet: PAdES-signed and certified by the exporter, AES-256 unless not.

        The signed original is the SPOC's, made at sign-off (ReviewService.sign). This copy says on its
        first page that it is one, who produced it and when, and which signed original (by SHA-256) it
        reproduces; its signature is the exporter's own and never stands for the SPOC's.

        Steps, and what a crash between them leaves:
          1. Checks, nothing written: the permissions (REVIEW_EXPORT; EXPORT_UNENCRYPTED for a plain
             file), the PDF password, the review (this BCU's, signed). A refusal is logged on its own.
          2. The account password typed again, outside any transaction (the key derivation is slow; a
             wrong password is logged on its own and counts towards the lockout).
          3. One transaction (`_export`): the vault's certificate authority if the vault predates it,
             a signing key if the person has none that their password opens (with its log entry), the
             sheet read, built and signed, the export's log entry, the disclosure rows of everyone the
             sheet names, and the file written under a hidden name beside the target. A crash or an
             error here leaves the vault as it was (no authority, key, entry or disclosure row of this
             export) and at most the hidden file, which the next export to the same name overwrites;
             an error also removes it and logs a FAILED entry.
          4. After the commit, the file is renamed to the name asked for. A crash before the rename
             leaves the export logged and registered with its file still under the hidden name: the
             log may hold an export the user never received, never the reverse.
        """
        with ws.operation(Permission.REVIEW_EXPORT, Action.REVIEW_EXPORT, writes=False) as op:
            signing = _pdf_signing()
            if unencrypted:
                op.authorize(Permission.EXPORT_UNENCRYPTED)
            elif not pdf_password:
                raise ValidationError("Choose a password for the PDF, or export it unencrypted explicitly.")
            else:
                signing.check_password(pdf_password, op.env.machine_policy.min_pdf_password_score)
            row = self.reviews.review_row(op, review_id)
            if row.signed_at is None:
                raise ValidationError(f"Review {review_id} is not signed yet: only a signed review has a review sheet.")
        wrap_key = self.auth.signing_key_for(ws, account_password, Action.REVIEW_EXPORT)

        def make(op: Operation) -> Made:
            current = op.store.reviews.review(review_id)
            if current is None:  # purged (past retention) since step 1
                raise NotFound(f"There is no review {review_id}.")
            sheet = self.reviews.sheet_in(op.store, current)
            original = op.store.reviews.signed_original(review_id)
            signed, _signer = signed_sheet(op, sheet, wrap_key, pdf_password=None if unencrypted else pdf_password,
                                           now=op.env.clock.now(), copy_of=original, is_copy=True)
            # Everyone the sheet names is disclosed by it: the people reviewed, and those listed as added or
            # removed since the last review.
            return Made(signed, sheet_named(sheet), f"review {review_id} {sheet.bcu} {sheet.quarter}: later copy of "
                        + (f"signed original SHA-256 {original.sha256}" if original else "a review signed without one")
                        + f", {len(sheet.people)} people, {'UNENCRYPTED' if unencrypted else 'AES-256'}")

        return self._export(ws, out, Action.REVIEW_EXPORT, make, operation_ref=f"review:{review_id}",
                            encrypted=not unencrypted)

    def _signer(self, op: Operation, wrap_key: bytes) -> tuple[CaMaterial, SignerMaterial]:
        """The vault CA and this user's signing key and certificate, issuing them if needed, in `op`'s transaction."""
        return document_signer(op, wrap_key)

    def _export(self, ws: Workspace, out: Path, action: Action, make: Callable[[Operation], Made], *,
                operation_ref: str | None = None, encrypted: bool = True, record_ref: str | None = None) -> Exported:
        """One transaction for the read, the log entry, the disclosures and the staged file (staged_export.py)."""
        made, seq = export_staged(ws, out, action, make, operation_ref=operation_ref, record_ref=record_ref)
        return Exported(Path(out), len(made.data), len(made.refs), encrypted, seq)

    # -- disproportionality ---------------------------------------------------------------------

    def load_reference(self, ws: Workspace, csv_path: Path, *, source: str = "", as_of: date | None = None) -> int:
        """The admin loads the reference population (CSV: borough,dimension,group,population), replacing the old.

        `as_of` is the date the figures refer to (the census day), printed on every report; the day they were
        loaded says nothing about the population they count.
        """
        with ws.operation(Permission.REFERENCE_MANAGE, Action.REFERENCE_LOAD) as op:
            path = Path(csv_path)
            try:
                size = path.stat().st_size
                if size > MAX_CSV_BYTES:
                    raise ValidationError(f"{path.name} is {size:,} bytes; a reference file is at most "
                                          f"{MAX_CSV_BYTES:,}.")
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(f"{path.name} is not UTF-8 text.") from None
            except OSError as exc:
                raise ValidationError(f"Cannot read {path}: {exc.strerror or type(exc).__name__}.") from None
            now = to_iso(op.env.clock.now())
            if as_of is not None and as_of > op.env.clock.now().date():
                raise ValidationError(f"The figures cannot refer to {as_of.isoformat()}: that day has not come yet.")
            named = " ".join((source or path.name).split())
            reference = parse_reference_csv(text, source=named, as_of=as_of.isoformat() if as_of else "")
            rows = [ReferenceRow(b, d, g, n) for (b, d, g), n in reference.counts.items()]
            count = op.store.reference.replace(rows, source=source_with_as_of(named, as_of), at=now)
            op.log(detail=f"{count} rows from {path.name[:60]}"
                          + (f", figures as of {as_of.isoformat()}" if as_of else ", no date for the figures"))
        return count

    def disproportionality(self, ws: Workspace, bcu: str | None = None, quarter: str | None = None
                           ) -> DisproportionalityReport:
        asked = (bcu or ws.session.bcu or "").strip().upper()
        # An auditor's session attaches the BCU's compartment for the report (its people's demographics).
        with ws.operation(Permission.DISPROPORTIONALITY, Action.DISPROPORTIONALITY,
                          bcus=[asked] if asked in BCUS else ()) as op:
            code = self._report_bcu(op, bcu)
            today = op.env.clock.now().date()
            q = Quarter.parse(quarter) if quarter else Quarter.of(today)
            if q > Quarter.of(today):
                raise ValidationError(f"{q} has not started yet.")
            rows = op.store.reference.rows()
            if not rows:
                raise ValidationError("No reference population is loaded: the administrator loads one (CSV) first.")
            loaded = op.store.reference.source()
            named, as_of = split_source(loaded.source) if loaded else ("", "")
            if loaded and not as_of:  # loaded without the date the figures refer to: say so, never pass the load off
                as_of = f"not recorded (loaded {loaded.loaded_at[:10]})"
            reference = ReferencePopulation.from_rows(
                [(r.borough, r.dimension, r.group, r.population) for r in rows], source=named, as_of=as_of)
            quarters = [q]
            for _ in range(TREND_QUARTERS - 1):
                quarters.insert(0, quarters[0].previous())
            counted_on = min(today, q.ends)
            data = [self._quarter_counts(op.store, code, each, counted_on) for each in quarters]
            op.log(detail=f"{code} {q}")
        return build_report(bcu=code, reference=reference, quarters=data, counted_on=counted_on)

    def export_disproportionality(self, ws: Workspace, out: Path, *, account_password: str, pdf_password: str | None,
                                  unencrypted: bool = False, bcu: str | None = None,
                                  quarter: str | None = None) -> Exported:
        """The report as it may leave the vault: small numbers suppressed, AES-256 unless not, signed by the exporter.

        Counts of one to four people point at people (the one Mixed-ethnicity 15-year-old of a BCU's
        matrix), so every table is suppressed first (core suppress_small_numbers); what is left is still
        OFFICIAL-SENSITIVE, so it is protected and signed like the review sheet.
        """
        with ws.operation(Permission.DISPROPORTIONALITY, Action.DISPROPORTIONALITY, writes=False) as op:
            check_protection(op, pdf_password, unencrypted)
        wrap_key = self.auth.signing_key_for(ws, account_password, Action.DISPROPORTIONALITY)
        report = suppress_small_numbers(self.disproportionality(ws, bcu, quarter))

        def make(op: Operation) -> Made:
            from gvm_desktop.reports.disproportionality_pdf import build_disproportionality_report  # ReportLab: when drawn

            now, key = op.env.clock.now(), exporter_key(op, wrap_key)
            buffer = io.BytesIO()
            build_disproportionality_report(buffer, report, exported_by=op.session.username, exported_at=to_iso(now),
                                            log_head=_head(op), vault_label=_vault_label(op), demo=op.is_demo)
            signed = exporter_signed(buffer.getvalue(), key, pdf_password=None if unencrypted else pdf_password,
                                     reason=f"Disproportionality report {report.bcu} {report.quarter}",
                                     location=f"BCU {report.bcu}", signer_name=op.session.display_name,
                                     signed_at=now)
            return Made(signed, [], f"exported {report.bcu} {report.quarter}, small numbers suppressed, "
                                    f"{protection_words(unencrypted)}")

        return self._export(ws, out, Action.DISPROPORTIONALITY, make, encrypted=not unencrypted)

    def _report_bcu(self, op: Operation, bcu: str | None) -> str:
        own = op.session.bcu
        code = (bcu or own or "").strip().upper()
        if code not in BCUS:
            raise ValidationError(f"Name a BCU: one of {', '.join(sorted(BCUS))}.")
        if op.session.role is Role.SPOC and code != own:
            raise op.refuse(PermissionDenied(f"Your access is limited to BCU {own}."))
        return code

    def _quarter_counts(self, store: Unit, bcu: str, q: Quarter, counted_on: date) -> QuarterCounts:
        end = min(q.ends, counted_on)
        start, stop = q.starts.isoformat(), end.isoformat()
        live = store.nominals.live_demographics(bcu)
        gone = store.records.archived_demographics(bcu)
        on_matrix = tally(_people(p for p in live if (p.added_on or "") <= stop), on=end)
        added = tally(_people(p for p in live if start <= (p.added_on or "") <= stop), on=end)
        _merge(on_matrix, _archived([g for g in gone if (g.added_on or "") <= stop < g.removed_on]))
        _merge(added, _archived([g for g in gone if start <= (g.added_on or "") <= stop]))
        removed = _archived([g for g in gone if start <= g.removed_on <= stop])
        return QuarterCounts(quarter=q, on_matrix=on_matrix, added=added, removed=removed)

    # -- subject access -------------------------------------------------------------------------

    def subject_access(self, ws: Workspace, ref: str, justification: Justification, out: Path, *,
                       request_ref: str, account_password: str, pdf_password: str | None, unencrypted: bool = False,
                       withheld: Sequence[Withholding] = ()) -> Exported:
        """Everything held about one person and every disclosure of it, for a subject access request.

        `withheld` keeps entries of the person's log, or fields of their details, out of the pack under a
        DPA 2018 s45(4) exemption; the export's log entry lists each with its exemption and reason.
        The pack is AES-256 unless not, and signed (certified) by the SPOC who produced it.
        """
        with ws.operation(Permission.SUBJECT_ACCESS, Action.SUBJECT_ACCESS, writes=False) as op:
            request = " ".join((request_ref or "").split())
            if not _REQUEST_REF.fullmatch(request):
                # It is written to the access log: a reference, never free text (no control or bidi characters).
                raise ValidationError("Give the request's reference: 3 to 60 letters, digits, spaces or - _ / . "
                                      "(e.g. SAR-2026-014).")
            check_protection(op, pdf_password, unencrypted)
            target = resolve(op, ref)
            check_justification(op, Action.SUBJECT_ACCESS, target, justification)  # refused (and logged) before any work
            who = identity_of(op.store, target.id)
            if names_person(request, who):
                raise op.refuse(NamesThePerson("This request reference"), record_ref=target.ref)
            _check_withheld(op, target.ref, withheld, lambda reason: names_person(reason, who))
        wrap_key = self.auth.signing_key_for(ws, account_password, Action.SUBJECT_ACCESS)
        years = self.settings.value(ws, "retention_years")

        def make(op: Operation) -> Made:
            store = op.store
            # Logged like an open, with its justification, in the same transaction as the read and the export.
            op.log(Action.RECORD_OPEN, **justified(store, target.ref, justification))
            pack = SubjectAccessPack(
                record=self.records.read(store, target, op.env.clock.now().date()),
                versions=tuple(store.records.versions(target.id)),
                accesses=tuple(store.log.for_record(target.ref)),
                disclosures=tuple(store.log.by_seqs(store.disclosures.seqs_of(target.ref))),
                retention=(f"Reviewed every quarter; removed when the review finds the criteria no longer met. After "
                           f"removal only a minimal archive row (no name, no date of birth, no address) is kept, for at "
                           f"most {years} years."),
                controller_contact=CONTROLLER, prepared_for_request=request, withheld=tuple(withheld))
            from gvm_desktop.reports.subject_access import build_subject_access  # ReportLab loads only when drawn

            now, key = op.env.clock.now(), exporter_key(op, wrap_key)
            buffer = io.BytesIO()
            build_subject_access(buffer, pack, exported_by=op.session.username, exported_at=to_iso(now),
                                 log_head=_head(op), vault_label=_vault_label(op), demo=op.is_demo)
            data = exporter_signed(buffer.getvalue(), key, pdf_password=None if unencrypted else pdf_password,
                                   reason=f"Subject access pack, request {request}", location=_vault_label(op),
                                   signer_name=op.session.display_name, signed_at=now)
            return Made(data, [target.ref], f"subject access {request[:60]}: {len(pack.accesses)} accesses, "
                                            f"{len(pack.disclosures)} disclosures{_withheld_detail(withheld)}, "
                                            f"{protection_words(unencrypted)}")

        return self._export(ws, out, Action.SUBJECT_ACCESS, make, record_ref=target.ref, encrypted=not unencrypted)


def _check_withheld(op: Operation, ref: str, withheld: Sequence[Withholding],
                    names_them: Callable[[str], bool]) -> None:
    """Each withholding is one of the person's own entries or a field, once, with a reason that does not name them.

    Refused and logged before any work: the log keeps the refusal, never the reason that named the person.
    """
    targets = [w.seq if w.seq is not None else w.field for w in withheld]
    if len(set(targets)) != len(targets):
        raise ValidationError("Withhold each log entry or field once, under one exemption.")
    if any(names_them(w.reason) for w in withheld if w.reason):
        raise op.refuse(NamesThePerson("A withholding's reason"), record_ref=ref)
    seqs = sorted({w.seq for w in withheld if w.seq is not None})
    if not seqs:
        return
    theirs = {e.seq for e in op.store.log.by_seqs(seqs) if e.entry.record_ref == ref}
    theirs |= set(seqs) & set(op.store.disclosures.seqs_of(ref))
    stray = [s for s in seqs if s not in theirs]
    if stray:
        raise op.refuse(ValidationError(f"Log entr{'y' if len(stray) == 1 else 'ies'} "
                                        f"{', '.join(map(str, stray[:10]))} {'is' if len(stray) == 1 else 'are'} not "
                                        f"about record {ref}: only this person's own entries can be withheld."),
                        record_ref=ref)


def _withheld_detail(withheld: Sequence[Withholding]) -> str:
    """What was withheld, for the export's log entry: each entry or field, its exemption and the checked reason."""
    if not withheld:
        return ""
    return "; withheld: " + ", ".join(w.what + (f" ({w.reason})" if w.reason else "") for w in withheld)


def _people(rows: Iterable[LiveDemographics]) -> list[Demographics]:
    return [Demographics(p.ethnicity, date.fromisoformat(p.date_of_birth), p.gender, p.disability) for p in rows]


def _archived(rows: list[ArchivedDemographics]) -> dict[str, dict[str, int]]:
    """Counts of archived people: the archive keeps ethnicity, gender and age band, never disability."""
    counts: dict[str, dict[str, int]] = {"ethnicity": {}, "age_band": {}, "gender": {}, "disability": {}}
    for g in rows:
        for dimension, group in (("ethnicity", _or_not_stated(ethnic_group, g.ethnicity)),
                                 ("age_band", _ARCHIVE_AGE.get(g.age_band or "", "35+")),
                                 ("gender", GENDERS.get(g.gender or "", NOT_STATED)),
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
