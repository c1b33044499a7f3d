"""The matrix as each role may see it: lists of ids, rows fetched lazily, previews, status checks."""

from __future__ import annotations

import builtins  # `builtins.list` in annotations: a service below has a method named `list`
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.audit import Action
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.governance import AUTOMATIC_VIEW
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.people import MAX_AGE, MIN_AGE, age_on, bcu_name
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.records import (
    DSA_FIELDS,
    LIST_COLUMNS,
    SORTABLE,
    MatrixOverview,
    MatrixRow,
    MatrixView,
    NominalRow,
    StatusAnswer,
)
from gvm_desktop.core.scoring import ScoringPolicy, default_policy, score
from gvm_desktop.core.text import NAME_MAX, clean
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.dsa import active_dsa
from gvm_desktop.services.records import Identity, NamesThePerson, identity_of, names_in, scrub
from gvm_desktop.store.protocols import Unit

MAX_ROWS_PER_FETCH = 1000
AUDITOR_COLUMNS = ("ref", "bcu", "status")  # references only: no name, no score


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


def _row_values(row: NominalRow, columns: Sequence[str], today: date) -> dict[str, object]:
    full = {
        "ref": row.ref, "name": f"{row.given_name} {row.family_name}", "age": age_on(row.date_of_birth, today),
        "borough": row.borough, "status": row.status, "classification": row.classification,
        "harm_score": row.harm_score, "harm_band": row.harm_band, "victim_score": row.victim_score,
        "victim_band": row.victim_band, "in_custody": row.in_custody, "last_reviewed": row.last_reviewed or "",
        "bcu": row.bcu,
    }
    return {c: full[c] for c in columns}


class MatrixService:
    def __init__(self, policy: ScoringPolicy | None = None) -> None:
        self.policy = policy or default_policy()

    def overview(self, ws: Workspace) -> MatrixOverview:
        """Counts of people in the session's own BCU (never another BCU's, never names)."""
        with ws.operation(Permission.MATRIX_VIEW, Action.MATRIX_OVERVIEW) as op:
            bcu = op.session.bcu
            assert bcu is not None  # MATRIX_VIEW roles always carry a BCU (core/policy.py)
            counts = op.store.nominals.count_by_status(bcu)
            op.log(detail=f"counts for {bcu}")
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
        with ws.operation(Permission.MATRIX_VIEW, Action.MATRIX_LIST) as op:
            _check_sort(sort)
            automatic = automatic and not (query and query.strip())
            ids = op.store.nominals.live_ids(bcu=op.session.bcu, query=query, sort=sort, descending=descending)
            detail = f"{len(ids)} people; {query_shape(query)}"
            op.log(detail=f"{AUTOMATIC_VIEW}: {detail}" if automatic else detail)
        return MatrixView(LIST_COLUMNS, ids, automatic=automatic)

    def preview(self, ws: Workspace, *, query: str | None = None, sort: str = "name",
                descending: bool = False) -> MatrixView:
        """A partner's preview: active people of the DSA's BCU, only the fields it lists, only while in force."""
        with ws.operation(Permission.MATRIX_PREVIEW, Action.MATRIX_PREVIEW) as op:
            _check_sort(sort)
            agreement = _agreement_in_force(op)
            columns = tuple(f for f in DSA_FIELDS if f in agreement.fields)
            if sort not in columns:
                sort = "ref"
            # Searching by name is only possible when the agreement shares names.
            # From the agreement's own compartment, the one key of the partner's besides common's.
            _preview_ready(op, agreement)
            ids = [] if query and "name" not in columns else op.store.previews.ids(
                agreement.id, query, sort, descending)
            # Only ids so far: the people's fields leave in rows(), each page of which is registered as a disclosure.
            op.log(operation_ref=_agreement_ref(agreement), detail=(
                f"DSA #{agreement.id} {agreement.organisation}: {len(ids)} people; {query_shape(query)}"))
        return MatrixView(columns, ids, agreement.fields, partner_until=agreement.ends_on)

    def references(self, ws: Workspace, *, sort: str = "ref", descending: bool = False) -> MatrixView:
        """Record references across all BCUs, for auditors; opening one is a justified access.

        Read from the reference index in common, so no BCU's compartment need be attached for it.
        """
        with ws.operation(Permission.MATRIX_REFERENCES, Action.MATRIX_REFERENCES) as op:
            ids = op.store.person_index.live_ids(None, sort=sort if sort in ("ref", "status") else "ref",
                                                 descending=descending)
            op.log(detail=f"{len(ids)} references")
        return MatrixView(AUDITOR_COLUMNS, ids)

    def rows(self, ws: Workspace, view: MatrixView, ids: Sequence[int]) -> builtins.list[MatrixRow]:
        """Fetch a batch of a view's rows (lazily, as a table scrolls); each batch is logged."""
        if len(ids) > MAX_ROWS_PER_FETCH:
            raise ValidationError(f"Fetch at most {MAX_ROWS_PER_FETCH} rows at a time.")
        role = ws.session.role
        permission = {Role.PARTNER: Permission.MATRIX_PREVIEW, Role.AUDITOR: Permission.MATRIX_REFERENCES}.get(
            role, Permission.MATRIX_VIEW)
        with ws.operation(permission, Action.MATRIX_ROWS) as op:
            columns = view.columns
            # The agreement may have ended while the preview was open: refused and logged, like preview().
            agreement = _agreement_in_force(op) if role is Role.PARTNER else None
            if agreement is not None:
                columns = tuple(c for c in agreement.fields if c in DSA_FIELDS and c in view.columns)
            shown: builtins.list[str]  # the references of the rows returned
            if role is Role.AUDITOR:
                out, shown = _reference_rows(op.store, ids), []
            elif agreement is not None:
                out, shown = _preview_rows(op, agreement, ids, columns)
            else:
                out, shown = self._record_rows(op, ids, columns, agreement)
            if out and agreement is not None:
                # Every page a partner is shown is a disclosure to the agreement's organisation, registered with
                # its log entry in this transaction (once per person per day per agreement), so a subject access
                # pack lists it. The refs come from the rows read, whether or not the agreement shares them.
                seq = op.log(operation_ref=_agreement_ref(agreement),
                             detail=f"DSA #{agreement.id} {agreement.organisation}: {len(out)} rows shown")
                op.store.disclosures.record_once_a_day(seq, shown, agreement_ref=_agreement_ref(agreement),
                                                         action=Action.MATRIX_ROWS.value)
            elif out:
                refs = [str(row.values.get("ref", "")) for row in out]
                detail = f"{len(out)} rows {refs[0]}..{refs[-1]}" if refs[0] else f"{len(out)} rows"
                # The first page of a list shown by itself is part of that automatic view; any other page was
                # scrolled to. The rows were still shown: the monthly audit reads their count after the mark.
                first_page = view.automatic and list(ids) == view.ids[:len(ids)]
                op.log(detail=f"{AUTOMATIC_VIEW}: {detail}" if first_page else detail)
        return out

    def _record_rows(self, op: Operation, ids: Sequence[int], columns: Sequence[str],
                     agreement: Agreement | None) -> tuple[builtins.list[MatrixRow], builtins.list[str]]:
        """An officer's, SPOC's or partner's rows, read from the records, and the references of those returned."""
        role = op.session.role
        today = op.env.clock.now().date()
        raw = op.store.nominals.rows_by_id(ids)
        out: builtins.list[MatrixRow] = []
        shown: builtins.list[str] = []
        for i in ids:
            r = raw.get(i)
            # Re-check scope per row: a view's ids are not a capability.
            if r is None or r.status not in ("proposed", "active"):
                continue
            if role in (Role.OFFICER, Role.SPOC) and r.bcu != op.session.bcu:
                continue
            if agreement is not None and (r.status != "active" or r.bcu != agreement.bcu):
                continue
            if r.scored_on != today.isoformat() or r.score_policy != self.policy.version:
                r = self._rescore(op.store, r, today)
            out.append(MatrixRow(i, _row_values(r, columns, today)))
            shown.append(r.ref)
        return out, shown

    def _rescore(self, store: Unit, r: NominalRow, today: date) -> NominalRow:
        """Scores move with time (events leave their windows): a row shown is a row scored as of today."""
        card = score(store.records.scoring_events(r.id), today, self.policy)
        store.records.store_score(r.id, card)
        return replace(r, classification=card.classification.value, harm_score=card.harm,
                       harm_band=card.harm_band.value, victim_score=card.victim, victim_band=card.victim_band.value,
                       scored_on=today.isoformat(), score_policy=self.policy.version)

    def status_check(self, ws: Workspace, given_name: str, family_name: str, date_of_birth: date,
                     justification: Justification) -> StatusAnswer:
        """Is this person on the matrix (any BCU)? Yes/no, bands and the BCU's contact; never their details."""
        with ws.operation(Permission.STATUS_CHECK, Action.STATUS_CHECK) as op:
            given = clean(given_name, "The given name", limit=NAME_MAX)
            family = clean(family_name, "The family name", limit=NAME_MAX)
            today = op.env.clock.now().date()
            if date_of_birth > today:
                raise ValidationError("The date of birth is in the future.")
            if not MIN_AGE <= age_on(date_of_birth, today) <= MAX_AGE:
                raise ValidationError(f"That date of birth gives an age outside {MIN_AGE} to {MAX_AGE}: check it.")
            if names_in(justification, Identity(given, family, date_of_birth)):
                # The name and date of birth asked about are never logged; neither may the reason carry them.
                raise op.refuse(NamesThePerson())
            # Across every BCU, through the blind index in common: the person may be where this session holds no key.
            tagged = op.store.status_tags.matches(op.vault.status_tag(given, family, date_of_birth.isoformat()))
            index = op.store.person_index.rows_by_id([m.id for m in tagged])
            matches = [(index[m.id], m) for m in tagged if m.id in index and index[m.id].status == "active"]
            answer = StatusAnswer(False)
            why, operation = justification.text, justification.operation_ref
            if matches:
                found, bands = matches[0]
                if found.bcu in op.vault.held.attached:
                    # The reason was checked against the name typed; the person found may also be named by an
                    # alias or address in it. Refusing now would say that someone was found, so it is logged
                    # scrubbed. (In a BCU whose key this session lacks, only the name typed was checked.)
                    who = identity_of(op.store, found.id)
                    why = scrub(why, who)
                    operation = scrub(operation, who) if operation else operation
                spocs = [a.display_name for a in op.store.accounts.all_accounts()
                         if a.role is Role.SPOC and a.bcu == found.bcu and a.active]
                contact = f"{', '.join(spocs) or 'no SPOC on record'} (SPOC, {bcu_name(found.bcu)} BCU)"
                answer = StatusAnswer(True, found.ref, bands.harm_band, bands.victim_band, found.bcu, contact)
            op.log(record_ref=answer.ref, reason_category=justification.category.value, justification=why,
                   operation_ref=operation,
                   detail=f"name and date of birth; {'on the matrix' if answer.on_matrix else 'not on the matrix'}")
        return answer


def _reference_rows(store: Unit, ids: Sequence[int]) -> list[MatrixRow]:
    """An auditor's rows (AUDITOR_COLUMNS), from the reference index in common: no BCU's compartment is needed."""
    index = store.person_index.rows_by_id(ids)
    out = []
    for i in ids:
        r = index.get(i)
        # Re-check per row: a view's ids are not a capability, and a removed person is in no live view.
        if r is not None and r.status in ("proposed", "active"):
            out.append(MatrixRow(i, {"ref": r.ref, "bcu": r.bcu, "status": r.status}))
    return out


def _preview_ready(op: Operation, agreement: Agreement) -> None:
    if agreement.id not in op.vault.attached_agreements():
        raise op.refuse(ValidationError(
            f"The preview of DSA #{agreement.id} is not ready yet: it is made, under its own key, at the next "
            f"sign-in of an officer or SPOC of {agreement.bcu}. Try again after that."))


def _preview_rows(op: Operation, agreement: Agreement, ids: Sequence[int], columns: Sequence[str]
                  ) -> tuple[list[MatrixRow], list[str]]:
    """A partner's rows, from the agreement's preview compartment: what its BCU's holders last wrote there."""
    _preview_ready(op, agreement)
    raw = op.store.previews.rows_by_id(agreement.id, ids)
    out: list[MatrixRow] = []
    shown: list[str] = []
    for i in ids:
        row = raw.get(i)
        if row is None or row.bcu != agreement.bcu:
            continue
        out.append(MatrixRow(i, row.cells(columns)))
        shown.append(row.ref)
    return out, shown


def _agreement_in_force(op: Operation) -> Agreement:
    """The partner's agreement, or the operation refused (and logged) when none is linked or in force."""
    try:
        return active_dsa(op)
    except PermissionDenied as refusal:
        raise op.refuse(refusal) from None
