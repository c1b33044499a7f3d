"""The matrix as each role may see it: lists of ids, rows fetched lazily, previews, status checks."""

from __future__ import annotations

import builtins  # `builtins.list` in annotations: a service below has a method named `list`
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.governance import AUTOMATIC_VIEW
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.people import MAX_AGE, MIN_AGE, age_on, bcu_name
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.records import DSA_FIELDS, LIST_COLUMNS, SORTABLE, MatrixRow, StatusAnswer
from gvm_desktop.core.scoring import ScoringPolicy, default_policy, score
from gvm_desktop.core.text import NAME_MAX, clean
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.dsa import Agreement, active_dsa
from gvm_desktop.services.records import Identity, NamesThePerson, identity_of, names_in, scrub
from gvm_desktop.services.scope import refuse
from gvm_desktop.store import access_log, accounts, nominals, records, reviews
from gvm_desktop.store.database import Connection

MAX_ROWS_PER_FETCH = 1000
AUDITOR_COLUMNS = ("ref", "bcu", "status")  # references only: no name, no score


@dataclass(frozen=True)
class MatrixOverview:
    bcu: str
    bcu_name: str
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class MatrixView:
    """What a list shows: its columns and the ids in order (rows come later, on demand)."""

    columns: tuple[str, ...]
    ids: list[int]
    partner_fields: tuple[str, ...] | None = None
    # The list a home showed by itself on opening (list(automatic=True)): its first page of rows is logged as
    # part of that automatic first view, not as the user's use of the matrix.
    automatic: bool = False


def _agreement_ref(agreement: Agreement) -> str:
    """How a partner's log entries name their agreement (the disclosure register's daily dedupe keys on it)."""
    return f"dsa:{agreement.id}"


def _check_sort(sort: str) -> None:
    if sort not in SORTABLE:
        raise ValidationError(f"Cannot sort by '{sort[:20]}'.")


def query_shape(text: str | None) -> str:
    """How a search looked, not what it said: a name typed into a search box is personal data."""
    if not text or not text.strip():
        return "no search text"
    words = re.findall(r"\w+", text)
    return f"search of {len(words)} word(s), {len(text.strip())} character(s)"


def _row_values(raw: tuple, columns: Sequence[str], today: date) -> dict[str, object]:
    (_id, ref, given, family, dob, borough, status, classification, harm, harm_band, victim, victim_band,
     in_custody, last_reviewed, bcu) = raw[:15]
    full = {
        "ref": ref, "name": f"{given} {family}", "age": age_on(date.fromisoformat(dob), today), "borough": borough,
        "status": status, "classification": classification, "harm_score": harm, "harm_band": harm_band,
        "victim_score": victim, "victim_band": victim_band, "in_custody": bool(in_custody),
        "last_reviewed": last_reviewed or "", "bcu": bcu,
    }
    return {c: full[c] for c in columns}


class MatrixService:
    def __init__(self, policy: ScoringPolicy | None = None) -> None:
        self.policy = policy or default_policy()

    def overview(self, ws: Workspace) -> MatrixOverview:
        """Counts of people in the session's own BCU (never another BCU's, never names)."""
        ws.authorize(Permission.MATRIX_VIEW, Action.MATRIX_OVERVIEW)
        bcu = ws.session.bcu
        assert bcu is not None  # MATRIX_VIEW roles always carry a BCU (core/policy.py)
        with ws.write() as conn:
            counts = nominals.count_by_status(conn, bcu)
            access_log.append(conn, ws.entry(Action.MATRIX_OVERVIEW, detail=f"counts for {bcu}"))
        return MatrixOverview(bcu, bcu_name(bcu), {s: counts.get(s, 0) for s in ("proposed", "active", "removed")})

    def view(self, ws: Workspace, *, query: str | None = None, sort: str = "name", descending: bool = False,
             automatic: bool = False) -> MatrixView:
        """The list this session's role sees: own BCU for officers and SPOCs, a DSA preview for partners,
        references across BCUs for auditors. Removed people are in no live view.

        `automatic`: see list(). It marks only officers' and SPOCs' lists: the six-month rule it serves binds
        officers, and a partner's preview or an auditor's references are never counted by it.
        """
        role = ws.session.role
        if role is Role.PARTNER:
            return self.preview(ws, query=query, sort=sort, descending=descending)
        if role is Role.AUDITOR:
            return self.references(ws, sort=sort, descending=descending)
        return self.list(ws, query=query, sort=sort, descending=descending, automatic=automatic)

    def list(self, ws: Workspace, *, query: str | None = None, sort: str = "name", descending: bool = False,
             automatic: bool = False) -> MatrixView:
        """The ids of the own BCU's live people, in order, matching `query` if given.

        `automatic` says that the application lists by itself, as a home does when it opens at every
        sign-in and unlock: the entry (and that view's first page of rows) is marked AUTOMATIC_VIEW, so the
        six-month rule does not take it for use of the matrix. A search is always the user's doing.
        """
        ws.authorize(Permission.MATRIX_VIEW, Action.MATRIX_LIST)
        _check_sort(sort)
        automatic = automatic and not (query and query.strip())
        with ws.write() as conn:
            ids = nominals.live_ids(conn, bcu=ws.session.bcu, query=query, sort=sort, descending=descending)
            detail = f"{len(ids)} people; {query_shape(query)}"
            access_log.append(conn, ws.entry(Action.MATRIX_LIST, detail=f"{AUTOMATIC_VIEW}: {detail}" if automatic
                                             else detail))
        return MatrixView(LIST_COLUMNS, ids, automatic=automatic)

    def preview(self, ws: Workspace, *, query: str | None = None, sort: str = "name",
                descending: bool = False) -> MatrixView:
        """A partner's preview: active people of the DSA's BCU, only the fields it lists, only while in force."""
        ws.authorize(Permission.MATRIX_PREVIEW, Action.MATRIX_PREVIEW)
        _check_sort(sort)
        try:
            agreement = active_dsa(ws)
        except PermissionDenied as refusal:
            raise refuse(ws, Action.MATRIX_PREVIEW, refusal) from None
        columns = tuple(f for f in DSA_FIELDS if f in agreement.fields)
        if sort not in columns:
            sort = "ref"
        with ws.write() as conn:
            # Searching by name is only possible when the agreement shares names.
            ids = [] if query and "name" not in columns else nominals.live_ids(
                conn, bcu=agreement.bcu, statuses=("active",), query=query, sort=sort, descending=descending)
            # Only ids so far: the people's fields leave in rows(), each page of which is registered as a disclosure.
            access_log.append(conn, ws.entry(Action.MATRIX_PREVIEW, operation_ref=_agreement_ref(agreement), detail=(
                f"DSA #{agreement.id} {agreement.organisation}: {len(ids)} people; {query_shape(query)}")))
        return MatrixView(columns, ids, agreement.fields)

    def references(self, ws: Workspace, *, sort: str = "ref", descending: bool = False) -> MatrixView:
        """Record references across all BCUs, for auditors; opening one is a justified access."""
        ws.authorize(Permission.MATRIX_REFERENCES, Action.MATRIX_REFERENCES)
        with ws.write() as conn:
            ids = nominals.live_ids(conn, bcu=None, sort=sort if sort in ("ref", "status") else "ref",
                                    descending=descending)
            access_log.append(conn, ws.entry(Action.MATRIX_REFERENCES, detail=f"{len(ids)} references"))
        return MatrixView(AUDITOR_COLUMNS, ids)

    def rows(self, ws: Workspace, view: MatrixView, ids: Sequence[int]) -> builtins.list[MatrixRow]:
        """Fetch a batch of a view's rows (lazily, as a table scrolls); each batch is logged."""
        if len(ids) > MAX_ROWS_PER_FETCH:
            raise ValidationError(f"Fetch at most {MAX_ROWS_PER_FETCH} rows at a time.")
        role = ws.session.role
        permission = {Role.PARTNER: Permission.MATRIX_PREVIEW, Role.AUDITOR: Permission.MATRIX_REFERENCES}.get(
            role, Permission.MATRIX_VIEW)
        ws.authorize(permission, Action.MATRIX_ROWS)
        columns = view.columns
        try:
            agreement = active_dsa(ws) if role is Role.PARTNER else None
        except PermissionDenied as refusal:  # the agreement ended while the preview was open: logged, like preview()
            raise refuse(ws, Action.MATRIX_ROWS, refusal) from None
        if agreement is not None:
            columns = tuple(c for c in agreement.fields if c in DSA_FIELDS and c in view.columns)
        elif role is Role.AUDITOR:
            columns = AUDITOR_COLUMNS
        today = ws.env.clock.now().date()
        with ws.write() as conn:
            raw = nominals.rows_by_id(conn, ids)
            out = []
            shown: list[str] = []  # the references of the rows returned
            for i in ids:
                r = raw.get(i)
                # Re-check scope per row: a view's ids are not a capability.
                if r is None or r[6] not in ("proposed", "active"):
                    continue
                if role in (Role.OFFICER, Role.SPOC) and r[14] != ws.session.bcu:
                    continue
                if agreement is not None and (r[6] != "active" or r[14] != agreement.bcu):
                    continue
                if r[15] != today.isoformat() or r[16] != self.policy.version:
                    r = self._rescore(conn, r, today)
                out.append(MatrixRow(i, _row_values(r, columns, today)))
                shown.append(str(r[1]))
            if out and agreement is not None:
                # Every page a partner is shown is a disclosure to the agreement's organisation, registered with
                # its log entry in this transaction (once per person per day per agreement), so a subject access
                # pack lists it. The refs come from the rows read, whether or not the agreement shares them.
                seq = access_log.append(conn, ws.entry(
                    Action.MATRIX_ROWS, operation_ref=_agreement_ref(agreement),
                    detail=f"DSA #{agreement.id} {agreement.organisation}: {len(out)} rows shown"))
                reviews.record_disclosure_daily(conn, seq, shown, agreement_ref=_agreement_ref(agreement),
                                                action=Action.MATRIX_ROWS.value)
            elif out:
                refs = [str(row.values.get("ref", "")) for row in out]
                detail = f"{len(out)} rows {refs[0]}..{refs[-1]}" if refs[0] else f"{len(out)} rows"
                # The first page of a list shown by itself is part of that automatic view; any other page was
                # scrolled to. The rows were still shown: the monthly audit reads their count after the mark.
                first_page = view.automatic and list(ids) == view.ids[:len(ids)]
                access_log.append(conn, ws.entry(Action.MATRIX_ROWS, detail=(
                    f"{AUTOMATIC_VIEW}: {detail}" if first_page else detail)))
        return out

    def _rescore(self, conn: Connection, r: tuple, today: date) -> tuple:
        """Scores move with time (events leave their windows): a row shown is a row scored as of today."""
        card = score(records.scoring_events(conn, r[0]), today, self.policy)
        records.store_score(conn, r[0], card)
        return (*r[:7], card.classification.value, card.harm, card.harm_band.value, card.victim, card.victim_band.value,
                *r[12:15], today.isoformat(), self.policy.version)

    def status_check(self, ws: Workspace, given_name: str, family_name: str, date_of_birth: date,
                     justification: Justification) -> StatusAnswer:
        """Is this person on the matrix (any BCU)? Yes/no, bands and the BCU's contact; never their details."""
        ws.authorize(Permission.STATUS_CHECK, Action.STATUS_CHECK)
        given = clean(given_name, "The given name", limit=NAME_MAX)
        family = clean(family_name, "The family name", limit=NAME_MAX)
        today = ws.env.clock.now().date()
        if date_of_birth > today:
            raise ValidationError("The date of birth is in the future.")
        if not MIN_AGE <= age_on(date_of_birth, today) <= MAX_AGE:
            raise ValidationError(f"That date of birth gives an age outside {MIN_AGE} to {MAX_AGE}: check it.")
        if names_in(justification, Identity(given, family, date_of_birth)):
            # The name and date of birth asked about are never logged; neither may the reason carry them.
            raise refuse(ws, Action.STATUS_CHECK, NamesThePerson())
        with ws.write() as conn:
            matches = [m for m in nominals.same_identity(conn, given, family, date_of_birth.isoformat())
                       if m[2] == "active"]
            answer = StatusAnswer(False)
            why, operation = justification.text, justification.operation_ref
            if matches:
                ref, bcu, _status = matches[0]
                # The reason was checked against the name typed; the person found may also be named by an alias
                # or address in it. Refusing now would say that someone was found, so it is logged scrubbed.
                found = nominals.by_ref(conn, ref)
                if found is not None:
                    who = identity_of(conn, found[0])
                    why = scrub(why, who)
                    operation = scrub(operation, who) if operation else operation
                bands = conn.execute("SELECT harm_band, victim_band FROM nominals WHERE ref = ?", (ref,)).fetchone()
                spocs = [a.display_name for a in accounts.all_accounts(conn)
                         if a.role is Role.SPOC and a.bcu == bcu and a.active]
                contact = f"{', '.join(spocs) or 'no SPOC on record'} (SPOC, {bcu_name(bcu)} BCU)"
                answer = StatusAnswer(True, ref, bands[0], bands[1], bcu, contact)
            access_log.append(conn, ws.entry(
                Action.STATUS_CHECK, record_ref=answer.ref, reason_category=justification.category.value,
                justification=why, operation_ref=operation,
                detail=f"name and date of birth; {'on the matrix' if answer.on_matrix else 'not on the matrix'}"))
        return answer
