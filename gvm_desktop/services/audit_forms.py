"""Audit forms: from one log entry, the form that asks a user why they opened a record then.

Issuing the form and recording its answer are both in the log; the form's PDF
carries the entry's hash, so the question cannot be quietly re-pointed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import NotFound, ValidationError
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.record_use import record_refs
from gvm_desktop.core.text import TEXT_MAX, clean
from gvm_desktop.reports.audit_form import build_audit_form
from gvm_desktop.reports.audit_pack import build_audit_pack
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.log_export import selection
from gvm_desktop.services.log_queries import LogFilter, LogQueryService
from gvm_desktop.services.records import NamesThePerson, identity_of, names_person
from gvm_desktop.services.scope import refuse
from gvm_desktop.store import access_log, log_chain, nominals, reviews


@dataclass(frozen=True)
class AuditForm:
    id: int
    log_seq: int
    subject: str | None
    issued_at: str
    issued_by: str
    answer: str | None
    answered_at: str | None


_FORM_SQL = (
    "SELECT f.id, f.log_seq, s.username, f.issued_at, i.username, f.answer, f.answered_at FROM audit_forms f "
    "LEFT JOIN users s ON s.id = f.subject_id JOIN users i ON i.id = f.issued_by"
)


def _refuse_naming_answer(ws: Workspace, form: AuditForm, text: str) -> None:
    """An answer is kept beside the log entry it explains, which is read by reference: like a justification, it
    may say why but not who. The refusal is logged (with the record, without the text)."""
    logged = access_log.by_seq(ws.conn, form.log_seq)
    ref = logged.entry.record_ref if logged is not None else None
    found = nominals.by_ref(ws.conn, ref) if ref else None
    if found is not None and names_person(text, identity_of(ws.conn, found[0])):
        raise refuse(ws, Action.AUDIT_FORM_ANSWER, NamesThePerson("This answer"), record_ref=ref)


def _pdf_path(path: Path) -> Path:
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        raise ValidationError("The file's name must end in .pdf.")
    return target


class AuditFormService:
    def __init__(self, queries: LogQueryService) -> None:
        self.queries = queries

    def issue(self, ws: Workspace, seq: int, out: Path) -> AuditForm:
        """Record that a form was issued for entry `seq` and write its PDF (atomically)."""
        ws.authorize(Permission.AUDIT_FORM, Action.AUDIT_FORM_ISSUE)
        target = _pdf_path(out)
        logged = access_log.by_seq(ws.conn, seq)
        entry_hash = access_log.entry_hash(ws.conn, seq)
        if logged is None or entry_hash is None:
            raise NotFound(f"There is no log entry {seq}.")
        if logged.entry.action is not Action.RECORD_OPEN:
            # The form asks why a record was opened; the GUI offers it only on such entries, and so does this.
            raise ValidationError(f"Entry {seq} is not a record open: an audit form asks why a record was opened.")
        if logged.entry.user_id is None:
            raise ValidationError(f"Entry {seq} names no user to ask.")
        now = to_iso(ws.env.clock.now())
        head = log_chain.head(ws.conn)
        with ws.write() as conn:
            cur = conn.execute(
                "INSERT INTO audit_forms (log_seq, entry_hash, subject_id, issued_at, issued_by) VALUES (?,?,?,?,?)",
                (seq, entry_hash, logged.entry.user_id, now, ws.session.user_id))
            form_id = int(cur.lastrowid or 0)
            write_pdf_atomically(target, lambda fh: build_audit_form(
                fh, entry=logged, entry_hash_hex=entry_hash.hex(), form_id=form_id, issued_by=ws.session.username,
                issued_at=now, log_head=(head[0], head[1].hex())))
            access_log.append(conn, ws.entry(Action.AUDIT_FORM_ISSUE, record_ref=logged.entry.record_ref,
                                             detail=f"form #{form_id} about entry {seq} for {logged.entry.username}"))
        return self.get(ws, form_id)

    def record_answer(self, ws: Workspace, form_id: int, answer: str) -> AuditForm:
        ws.authorize(Permission.AUDIT_FORM, Action.AUDIT_FORM_ANSWER)
        text = clean(answer, "The answer", limit=TEXT_MAX, multiline=True)
        form = self.get(ws, form_id)
        if form.answer is not None:
            raise ValidationError(f"Form #{form_id} already has its answer, recorded {form.answered_at}.")
        _refuse_naming_answer(ws, form, text)
        with ws.write() as conn:
            conn.execute("UPDATE audit_forms SET answer = ?, answered_at = ?, recorded_by = ? WHERE id = ?",
                         (text, to_iso(ws.env.clock.now()), ws.session.user_id, form_id))
            access_log.append(conn, ws.entry(Action.AUDIT_FORM_ANSWER, detail=f"answer to form #{form_id} recorded"))
        return self.get(ws, form_id)

    def get(self, ws: Workspace, form_id: int) -> AuditForm:
        ws.authorize(Permission.AUDIT_FORM, Action.AUDIT_FORM_ISSUE)  # a form holds someone's answer: auditors only
        row = ws.conn.execute(f"{_FORM_SQL} WHERE f.id = ?", (form_id,)).fetchone()
        if row is None:
            raise NotFound(f"There is no audit form #{form_id}.")
        return AuditForm(*row)

    def list(self, ws: Workspace) -> list[AuditForm]:
        ws.authorize(Permission.AUDIT_FORM, Action.AUDIT_FORM_ISSUE)
        return [AuditForm(*r) for r in ws.conn.execute(f"{_FORM_SQL} ORDER BY f.id DESC")]

    def export_pack(self, ws: Workspace, f: LogFilter, out: Path) -> int:
        """A PDF audit pack of a selection, with the log head on every page."""
        ws.authorize(Permission.LOG_EXPORT, Action.LOG_EXPORT)
        target = _pdf_path(out)
        entries = selection(ws, self.queries, f)
        head = log_chain.head(ws.conn)
        now = to_iso(ws.env.clock.now())
        write_pdf_atomically(target, lambda fh: build_audit_pack(
            fh, entries=entries, title="Access log audit pack", filters_described=f.describe(),
            exported_by=ws.session.username, exported_at=now, log_head=(head[0], head[1].hex()),
            vault_label=f"vault {ws.vault.vault_id[:8]}"))
        with ws.write() as conn:
            seq = access_log.append(conn, ws.entry(Action.LOG_EXPORT, detail=(
                f"PDF audit pack of {len(entries)} entries ({f.describe()}) to {target.name}")))
            # As for the signed CSV: the pack names these records, so it is a disclosure of each.
            reviews.record_disclosure(conn, seq, record_refs(e.entry.record_ref for e in entries))
        return len(entries)
