"""Audit forms: from one log entry, the form that asks a user why they opened a record then.

Issuing the form and recording its answer are both in the log; the form's PDF
carries the entry's hash, so the question cannot be quietly re-pointed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from gvm_desktop.core.audit import Action
from gvm_desktop.core.audit_forms import AuditForm
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import NotFound, ValidationError
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.record_use import record_refs
from gvm_desktop.core.text import TEXT_MAX, clean
from gvm_desktop.services.auth import signing_key_for
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.log_export import selection
from gvm_desktop.services.records import NamesThePerson, identity_of, names_person
from gvm_desktop.services.reports import check_protection, exporter_key, exporter_signed, protection_words
from gvm_desktop.services.staged_export import Made, export_staged


def _refuse_naming_answer(op: Operation, form: AuditForm, text: str) -> None:
    """An answer is kept beside the log entry it explains, which is read by reference: like a justification, it
    may say why but not who. The refusal is logged (with the record, without the text)."""
    logged = op.store.log.by_seq(form.log_seq)
    ref = logged.entry.record_ref if logged is not None else None
    found = op.store.nominals.by_ref(ref) if ref else None
    if found is not None and names_person(text, identity_of(op.store, found.id)):
        raise op.refuse(NamesThePerson("This answer"), record_ref=ref)


def _pdf_path(path: Path) -> Path:
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        raise ValidationError("The file's name must end in .pdf.")
    return target


def _form(op: Operation, form_id: int) -> AuditForm:
    form = op.store.audit_forms.by_id(form_id)
    if form is None:
        raise NotFound(f"There is no audit form #{form_id}.")
    return form


class AuditFormService:
    def issue(self, ws: Workspace, seq: int, out: Path, *, account_password: str, pdf_password: str | None,
              unencrypted: bool = False) -> AuditForm:
        """Record that a form was issued for entry `seq` and write its PDF (atomically), AES-256 unless not, signed.

        The form names the user asked and the record they opened: it leaves protected like the review
        sheet, certified with the issuing auditor's own key (the account password typed again).
        """
        with ws.operation(Permission.AUDIT_FORM, Action.AUDIT_FORM_ISSUE, writes=False) as op:
            _pdf_path(out)  # refused (and logged) before the password's slow key derivation
            check_protection(op, pdf_password, unencrypted)
        wrap_key = signing_key_for(ws, account_password, Action.AUDIT_FORM_ISSUE)
        with ws.operation(Permission.AUDIT_FORM, Action.AUDIT_FORM_ISSUE) as op:
            target = _pdf_path(out)
            logged = op.store.log.by_seq(seq)
            entry_hash = op.store.log.entry_hash(seq)
            if logged is None or entry_hash is None:
                raise NotFound(f"There is no log entry {seq}.")
            if logged.entry.action is not Action.RECORD_OPEN:
                # The form asks why a record was opened; the GUI offers it only on such entries, and so does this.
                raise ValidationError(f"Entry {seq} is not a record open: an audit form asks why a record was opened.")
            if logged.entry.user_id is None:
                raise ValidationError(f"Entry {seq} names no user to ask.")
            issued_at = op.env.clock.now()
            now = to_iso(issued_at)
            key = exporter_key(op, wrap_key)
            head = op.store.chain.head()
            form_id = op.store.audit_forms.issue(log_seq=seq, entry_hash=entry_hash, subject_id=logged.entry.user_id,
                                                 at=now, by=op.session.user_id)
            # ReportLab loads only when a PDF is drawn: importing it costs the application's start-up a quarter second.
            from gvm_desktop.reports.audit_form import build_audit_form
            from gvm_desktop.reports.pdf_base import write_pdf_atomically

            buffer = io.BytesIO()
            build_audit_form(buffer, entry=logged, entry_hash_hex=entry_hash.hex(), form_id=form_id,
                             issued_by=op.session.username, issued_at=now, log_head=(head.seq, head.hash.hex()),
                             demo=op.is_demo)
            signed = exporter_signed(buffer.getvalue(), key, pdf_password=None if unencrypted else pdf_password,
                                     reason=f"Audit form #{form_id} about access-log entry {seq}",
                                     location=f"vault {op.vault.vault_id[:8]}", signer_name=op.session.display_name,
                                     signed_at=issued_at)
            # Written inside the transaction: if the file cannot be, the form was never issued.
            write_pdf_atomically(target, lambda fh: fh.write(signed))
            op.log(record_ref=logged.entry.record_ref,
                   detail=f"form #{form_id} about entry {seq} for {logged.entry.username}, "
                          f"{protection_words(unencrypted)}")
            return _form(op, form_id)

    def record_answer(self, ws: Workspace, form_id: int, answer: str) -> AuditForm:
        # The answer is checked against the person the form is about: their BCU's compartment is attached for it.
        with ws.operation(Permission.AUDIT_FORM, Action.AUDIT_FORM_ANSWER, writes=False) as op:
            asked = op.store.audit_forms.by_id(form_id) if isinstance(form_id, int) else None
            logged = op.store.log.by_seq(asked.log_seq) if asked is not None else None
        with ws.operation(Permission.AUDIT_FORM, Action.AUDIT_FORM_ANSWER,
                          person=logged.entry.record_ref if logged is not None else None) as op:
            text = clean(answer, "The answer", limit=TEXT_MAX, multiline=True)
            form = _form(op, form_id)
            if form.answer is not None:
                raise ValidationError(f"Form #{form_id} already has its answer, recorded {form.answered_at}.")
            _refuse_naming_answer(op, form, text)
            op.store.audit_forms.record_answer(form_id, text, to_iso(op.env.clock.now()), op.session.user_id)
            op.log(detail=f"answer to form #{form_id} recorded")
            return _form(op, form_id)

    def get(self, ws: Workspace, form_id: int) -> AuditForm:
        # A form holds someone's answer: auditors only.
        with ws.operation(Permission.AUDIT_FORM, Action.AUDIT_FORM_ISSUE, writes=False) as op:
            return _form(op, form_id)

    def list(self, ws: Workspace) -> list[AuditForm]:
        with ws.operation(Permission.AUDIT_FORM, Action.AUDIT_FORM_ISSUE, writes=False) as op:
            return op.store.audit_forms.all_forms()

    def export_pack(self, ws: Workspace, f: LogFilter, out: Path,
                    progress: Callable[[int, int], None] | None = None, *, account_password: str,
                    pdf_password: str | None, unencrypted: bool = False) -> int:
        """A PDF audit pack of a selection, with the log head on every page: AES-256 unless not, signed by the auditor.

        The pack names records, so it is exported as the review sheet is (services/staged_export.py):
        read, drawn, logged with the records it names, and written under a hidden name in one
        transaction, then renamed into place. The write lock is held while it is drawn: a pack
        that could reach the disk without its log entry would be a disclosure nobody can audit.
        """
        with ws.operation(Permission.LOG_EXPORT, Action.LOG_EXPORT, writes=False) as op:
            target = _pdf_path(out)  # refused (and logged) before anything is read or drawn
            # The pack carries free-text justifications and names records: never left unprotected by default.
            check_protection(op, pdf_password, unencrypted)
        wrap_key = signing_key_for(ws, account_password, Action.LOG_EXPORT)

        counted: list[int] = []

        def make(op: Operation) -> Made:
            from gvm_desktop.reports.audit_pack import build_audit_pack  # ReportLab loads only when drawn

            entries = selection(op, f, progress)  # reading is most of the wait; the layout follows
            counted.append(len(entries))
            key = exporter_key(op, wrap_key)
            head = op.store.chain.head()
            now = op.env.clock.now()
            buffer = io.BytesIO()
            build_audit_pack(buffer, entries=entries, title="Access log audit pack", filters_described=f.describe(),
                             exported_by=op.session.username, exported_at=to_iso(now),
                             log_head=(head.seq, head.hash.hex()), vault_label=f"vault {op.vault.vault_id[:8]}",
                             demo=op.is_demo)
            signed = exporter_signed(buffer.getvalue(), key, pdf_password=None if unencrypted else pdf_password,
                                     reason=f"Access log audit pack of {len(entries)} entries",
                                     location=f"vault {op.vault.vault_id[:8]}", signer_name=op.session.display_name,
                                     signed_at=now)
            return Made(signed, record_refs(e.entry.record_ref for e in entries),
                        f"PDF audit pack of {len(entries)} entries ({f.describe()}) to {target.name}, "
                        f"{protection_words(unencrypted)}")

        export_staged(ws, target, Action.LOG_EXPORT, make)
        return counted[-1]
