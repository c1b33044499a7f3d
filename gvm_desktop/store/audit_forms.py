"""The audit_forms table: a form issued about one log entry, and the answer recorded on it."""

from __future__ import annotations

from gvm_desktop.core.audit_forms import AuditAnswer, AuditForm
from gvm_desktop.store.database import Connection
from gvm_desktop.store.repository import Repository, bound

_FORM_SQL = (
    "SELECT f.id, f.log_seq, s.username, f.issued_at, i.username, f.answer, f.answered_at FROM audit_forms f "
    "LEFT JOIN users s ON s.id = f.subject_id JOIN users i ON i.id = f.issued_by"
)


def _form(r: tuple) -> AuditForm:
    return AuditForm(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6])


def issue(conn: Connection, *, log_seq: int, entry_hash: bytes, subject_id: int, at: str, by: int) -> int:
    """A new form about entry `log_seq`; `entry_hash` pins it to that entry as it was when asked."""
    cur = conn.execute(
        "INSERT INTO audit_forms (log_seq, entry_hash, subject_id, issued_at, issued_by) VALUES (?,?,?,?,?)",
        (log_seq, entry_hash, subject_id, at, by))
    return int(cur.lastrowid or 0)


def by_id(conn: Connection, form_id: int) -> AuditForm | None:
    r = conn.execute(f"{_FORM_SQL} WHERE f.id = ?", (form_id,)).fetchone()
    return _form(r) if r else None


def all_forms(conn: Connection) -> list[AuditForm]:
    """Every form, the latest first."""
    return [_form(r) for r in conn.execute(f"{_FORM_SQL} ORDER BY f.id DESC")]


def record_answer(conn: Connection, form_id: int, answer: str, at: str, by: int) -> None:
    conn.execute("UPDATE audit_forms SET answer = ?, answered_at = ?, recorded_by = ? WHERE id = ?",
                 (answer, at, by, form_id))


def answers_about(conn: Connection, ref: str) -> list[AuditAnswer]:
    """The answer of every answered audit form whose log entry is about record `ref`."""
    rows = conn.execute(
        "SELECT f.id, f.answer FROM audit_forms f JOIN access_log a ON a.seq = f.log_seq "
        "WHERE a.record_ref = ? AND f.answer IS NOT NULL ORDER BY f.id", (ref,)).fetchall()
    return [AuditAnswer(int(r[0]), str(r[1])) for r in rows]


def replace_answer(conn: Connection, form_id: int, answer: str) -> None:
    """Overwrite a recorded answer (a removal scrubs the person out of it); when it was recorded stays."""
    conn.execute("UPDATE audit_forms SET answer = ? WHERE id = ?", (answer, form_id))


class AuditFormsRepository(Repository):
    """Audit forms: the question put to a user about one log entry, and its answer."""

    __slots__ = ()

    issue = bound(issue)
    by_id = bound(by_id)
    all_forms = bound(all_forms)
    record_answer = bound(record_answer)
    answers_about = bound(answers_about)
    replace_answer = bound(replace_answer)
