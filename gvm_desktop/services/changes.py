"""Changing the matrix: propose, corroborate, approve, edit, remove. Every change is versioned and logged.

An officer proposes; the SPOC of the same BCU approves. Nobody becomes active
without corroboration, and a removed person leaves only a minimal archive row
(no name, no date of birth, no address) that is purged after the retention period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.changes import (
    MAX_GANGS,
    MIN_REASON,
    DuplicatePerson,
    Intervention,
    WaitingProposals,
    archive_age_band,
)
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.evidence import EvidenceDraft, corroboration, validate_evidence
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.people import OBSERVED_ETHNICITY, NominalDraft, age_on, validate_draft
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.records import EDITABLE
from gvm_desktop.core.scoring import ScoringPolicy, default_policy, score
from gvm_desktop.core.settings import RETENTION_YEARS
from gvm_desktop.core.text import NAME_MAX, TEXT_MAX, clean
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.records import identity_of, scrub
from gvm_desktop.services.scope import Target, resolve
from gvm_desktop.services.settings import SettingsService

# DuplicatePerson, Intervention and MIN_REASON live in core/changes.py; the GUI imports them from here until it
# imports them from core.


def _reason(text: str, what: str = "The reason") -> str:
    body = clean(text, what, limit=TEXT_MAX, multiline=True)
    if len(body) < MIN_REASON:
        raise ValidationError(f"{what} needs at least {MIN_REASON} characters.")
    return body


def _flush_wal(ws: Workspace, action: Action) -> None:
    """Empty the write-ahead log once a removal has committed: the removed person's old pages leave it too."""
    with ws.operation(None, action, writes=False, alone=True) as op:  # no transaction: SQLite checkpoints outside one
        op.vault.flush_wal()


class ChangeService:
    def __init__(self, policy: ScoringPolicy | None = None, settings: SettingsService | None = None) -> None:
        self.policy = policy or default_policy()
        self.settings = settings or SettingsService()

    def _today(self, op: Operation) -> date:
        return op.env.clock.now().date()

    def _rescore(self, op: Operation, nominal_id: int) -> None:
        records = op.store.records
        records.store_score(nominal_id, score(records.scoring_events(nominal_id), self._today(op), self.policy))

    def _version(self, op: Operation, t: Target, reason: str) -> int:
        """Snapshot the current state, then bump the version number; the change follows."""
        records = op.store.records
        current = records.current_version(t.id)
        records.save_version(t.id, current, to_iso(op.env.clock.now()), op.session.user_id, reason)
        records.update(t.id, {"version": current + 1})
        return current + 1

    # -- adding ---------------------------------------------------------------------------------

    def propose(self, ws: Workspace, draft: NominalDraft, *, evidence: Sequence[EvidenceDraft], reason: str,
                gangs: Sequence[str] = (), observed_ethnicity: str | None = None) -> str:
        """Propose a person for the matrix, with the evidence that justifies it. Returns the new reference."""
        with ws.operation(Permission.MATRIX_EDIT, Action.PROPOSE_ADD) as op:
            today = self._today(op)
            person = validate_draft(draft, today=today)
            if person.bcu != op.session.bcu:
                raise op.refuse(ValidationError(f"You can propose people for your own BCU ({op.session.bcu}) only."))
            why = _reason(reason)
            gang_names = tuple(dict.fromkeys(clean(g, "A gang name", limit=NAME_MAX) for g in gangs))
            if len(gang_names) > MAX_GANGS:
                raise ValidationError(f"At most {MAX_GANGS} gang names.")
            if observed_ethnicity is not None and observed_ethnicity not in OBSERVED_ETHNICITY:
                raise ValidationError(f"Unknown officer-observed code '{observed_ethnicity[:5]}': "
                                      f"one of {', '.join(OBSERVED_ETHNICITY)}.")
            entries = [validate_evidence(e, today=today, date_of_birth=person.date_of_birth) for e in evidence]
            if not entries:
                raise ValidationError("A proposal needs at least one evidence entry.")
            existing = op.store.nominals.same_identity(person.given_name, person.family_name,
                                                       person.date_of_birth.isoformat())
            if existing:
                refs = [held.ref for held in existing if held.bcu == op.session.bcu]
                where = f"as {', '.join(refs)}" if refs else f"by the {existing[0].bcu} BCU"
                # Logged, with the record matched: a proposal is also a way to ask whether someone is held anywhere.
                raise op.refuse(DuplicatePerson(
                    f"A person with this name and date of birth is already held {where}: "
                    f"add your evidence to that record instead.", refs), record_ref=existing[0].ref)
            at = to_iso(op.env.clock.now())
            records = op.store.records
            (nominal_id,) = op.store.nominals.insert_many([person], status="proposed", at=at,
                                                          created_by=op.session.user_id)
            records.update(nominal_id, {"gangs": "\n".join(gang_names), "observed_ethnicity": observed_ethnicity})
            for e in entries:
                records.add_evidence(nominal_id, e, at, op.session.user_id)
            self._rescore(op, nominal_id)
            records.add_proposal(nominal_id, "add", why, op.session.user_id, at)
            # The reference comes from common's counter; the id from the person's compartment (they differ there).
            ref = str(records.fields(nominal_id)["ref"])
            op.log(record_ref=ref, detail=f"with {len(entries)} evidence entries")
        return ref

    def add_evidence(self, ws: Workspace, ref: str, entry: EvidenceDraft) -> int:
        with ws.operation(Permission.MATRIX_EDIT, Action.EVIDENCE_ADD) as op:
            t = resolve(op, ref, Action.EVIDENCE_ADD)
            records = op.store.records
            e = validate_evidence(entry, today=self._today(op), date_of_birth=records.date_of_birth(t.id))
            evidence_id = records.add_evidence(t.id, e, to_iso(op.env.clock.now()), op.session.user_id)
            self._rescore(op, t.id)
            op.log(record_ref=t.ref, detail=f"{e.kind.value} from {e.source_type.value}, graded {e.grading}")
        return evidence_id

    def approve_addition(self, ws: Workspace, ref: str, note: str) -> None:
        """SPOC only, own BCU; refused with what is missing unless gang involvement is corroborated."""
        with ws.operation(Permission.MATRIX_APPROVE, Action.APPROVE_ADD) as op:
            t = resolve(op, ref, Action.APPROVE_ADD, statuses=("proposed",))
            records = op.store.records
            entries = [(e.kind, e.source_type, e.grading, e.on) for e in records.evidence(t.id)]
            check = corroboration(entries, on=self._today(op), min_sources=self.policy.corroboration_sources,
                                  window_days=self.policy.corroboration_window_days)
            if not check.satisfied:
                raise op.refuse(ValidationError(f"{t.ref} cannot become active: {check.missing}"), record_ref=t.ref)
            decision = _reason(note, "The approval note")
            proposal = records.pending_proposal(t.id, "add")
            at = to_iso(op.env.clock.now())
            self._version(op, t, "addition approved")
            records.update(t.id, {"status": "active", "date_added": self._today(op).isoformat()})
            if proposal:
                records.decide(proposal.id, "approved", op.session.user_id, at, decision)
            self._rescore(op, t.id)
            op.log(record_ref=t.ref, reason_category=ReasonCategory.PROPOSAL_DECISION.value,
                   detail="corroborated by " + ", ".join(sorted(s.value for s in check.sources)))

    def reject_addition(self, ws: Workspace, ref: str, note: str) -> None:
        """A rejected proposal is not kept as a shadow list: it goes the way of a removal."""
        with ws.operation(Permission.MATRIX_APPROVE, Action.REJECT_ADD) as op:
            t = resolve(op, ref, Action.REJECT_ADD, statuses=("proposed",))
            self._remove(op, t, _reason(note, "The rejection note"), Action.REJECT_ADD, "add")
        _flush_wal(ws, Action.REJECT_ADD)

    # -- waiting for the SPOC -------------------------------------------------------------------

    def waiting(self, ws: Workspace) -> WaitingProposals:
        """The proposals of the session's BCU that wait for its SPOC: additions, then removals, by reference.

        References only, so nobody's record is read out; logged all the same, as the matrix's counts and lists
        are, as a list of references (matrix.references: not a use of the matrix), with the counts in its detail.
        """
        with ws.operation(Permission.MATRIX_APPROVE, Action.MATRIX_REFERENCES) as op:
            bcu = op.session.bcu
            if bcu is None:  # every BCU's proposals would be listed
                raise op.refuse(PermissionDenied("Your account has no BCU, so nothing waits for you."))
            nominals, records = op.store.nominals, op.store.records
            proposed = nominals.live_ids(bcu=bcu, statuses=("proposed",), sort="ref")
            removals = records.pending_ids("remove")
            removing = [i for i in nominals.live_ids(bcu=bcu, statuses=("active",), sort="ref") if i in removals]
            refs = {i: row.ref for i, row in nominals.rows_by_id([*proposed, *removing]).items()}
            waiting = WaitingProposals(tuple(refs[i] for i in proposed if i in refs),
                                       tuple(refs[i] for i in removing if i in refs))
            op.log(detail=f"waiting for the SPOC of {bcu}: {len(waiting.additions)} additions, "
                          f"{len(waiting.removals)} removals")
        return waiting

    # -- changing -------------------------------------------------------------------------------

    def edit(self, ws: Workspace, ref: str, changes: dict[str, object], reason: str) -> int:
        """Change fields of a record; the old state is kept as a version. Returns the new version number."""
        # The current state is read inside the operation: the read, the change and the log entry are one
        # transaction, and a refused edit (any ValidationError below) rolls back having written nothing.
        with ws.operation(Permission.MATRIX_EDIT, Action.RECORD_EDIT) as op:
            t = resolve(op, ref, Action.RECORD_EDIT)
            why = _reason(reason)
            unknown = set(changes) - EDITABLE - {"aliases"}
            if unknown:
                raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
            records = op.store.records
            current = records.fields(t.id)
            draft = NominalDraft(
                given_name=str(changes.get("given_name", current["given_name"])),
                family_name=str(changes.get("family_name", current["family_name"])),
                date_of_birth=changes.get("date_of_birth", date.fromisoformat(current["date_of_birth"])),  # type: ignore[arg-type]  # checked by the draft
                gender=str(changes.get("gender", current["gender"])),
                ethnicity=str(changes.get("ethnicity", current["ethnicity"])),
                disability=str(changes.get("disability", current["disability"])),
                address=str(changes.get("address", current["address"])),
                postcode=str(changes.get("postcode", current["postcode"])),
                borough=str(changes.get("borough", current["borough"])), bcu=t.bcu,
                aliases=tuple(changes.get("aliases", records.aliases(t.id))),  # type: ignore[arg-type]  # an edit's values are untyped; the draft checks
            )
            person = validate_draft(draft, today=self._today(op))
            update: dict[str, object] = {
                "given_name": person.given_name, "family_name": person.family_name,
                "date_of_birth": person.date_of_birth.isoformat(), "gender": person.gender, "ethnicity": person.ethnicity,
                "disability": person.disability, "address": person.address, "postcode": person.postcode,
                "borough": person.borough,
            }
            if "observed_ethnicity" in changes:
                code = changes["observed_ethnicity"]
                if code is not None and code not in OBSERVED_ETHNICITY:
                    raise ValidationError(f"Unknown officer-observed code '{str(code)[:5]}'.")
                update["observed_ethnicity"] = code
            if "gangs" in changes:
                gangs = tuple(dict.fromkeys(clean(str(g), "A gang name", limit=NAME_MAX) for g in changes["gangs"]))  # type: ignore[attr-defined]  # a list; untyped like every edit value
                update["gangs"] = "\n".join(gangs[:MAX_GANGS])
            if "in_custody" in changes:
                update["in_custody"] = int(bool(changes["in_custody"]))
            # Custody dates change only when given (None clears one); passing in_custody alone keeps them.
            for key in ("custody_from", "custody_to"):
                if key in changes:
                    value = changes[key]
                    if isinstance(value, date) and value > self._today(op):
                        raise ValidationError("Custody dates cannot be in the future.")
                    update[key] = value.isoformat() if isinstance(value, date) else None
            changed = sorted(k for k, v in update.items() if current.get(k) != v)
            if "aliases" in changes and person.aliases != records.aliases(t.id):
                changed.append("aliases")
            if not changed:
                raise ValidationError("Nothing changed.")
            version = self._version(op, t, why)
            records.update(t.id, update)
            records.set_aliases(t.id, person.aliases)
            op.store.nominals.reindex(t.id)
            op.log(record_ref=t.ref, detail=f"version {version}: {', '.join(changed)}")
        return version

    def add_intervention(self, ws: Workspace, ref: str, item: Intervention) -> int:
        with ws.operation(Permission.MATRIX_EDIT, Action.INTERVENTION_ADD) as op:
            t = resolve(op, ref, Action.INTERVENTION_ADD)
            today = self._today(op)
            if item.offered_on > today:
                raise ValidationError("An intervention cannot be offered in the future.")
            if item.starts_on and item.ends_on and item.ends_on < item.starts_on:
                raise ValidationError("The intervention ends before it starts.")
            values = {
                "referral": clean(item.referral, "The referral", limit=NAME_MAX),
                "provider": clean(item.provider, "The provider", limit=NAME_MAX),
                "offered_on": item.offered_on.isoformat(), "taken_up": item.taken_up,
                "outcome": clean(item.outcome, "The outcome", limit=TEXT_MAX, required=False, multiline=True),
                "starts_on": item.starts_on.isoformat() if item.starts_on else None,
                "ends_on": item.ends_on.isoformat() if item.ends_on else None,
            }
            new_id = op.store.records.add_intervention(t.id, values, op.session.user_id)
            # Referral and outcome are free text about a person: they stay in the record, not the log.
            op.log(record_ref=t.ref, detail=f"offered on {values['offered_on']}")
        return new_id

    def add_activity(self, ws: Workspace, ref: str, kind: str, on: date, note: str = "") -> int:
        with ws.operation(Permission.MATRIX_EDIT, Action.ACTIVITY_ADD) as op:
            t = resolve(op, ref, Action.ACTIVITY_ADD)
            if kind not in ("stop", "arrest"):
                raise ValidationError("Police activity is a 'stop' or an 'arrest'.")
            if on > self._today(op):
                raise ValidationError("Police activity cannot be dated in the future.")
            text = clean(note, "The note", limit=TEXT_MAX, required=False, multiline=True)
            new_id = op.store.records.add_activity(t.id, kind, on, text, op.session.user_id)
            op.log(record_ref=t.ref, detail=f"{kind} on {on}")
        return new_id

    # -- removing -------------------------------------------------------------------------------

    def propose_removal(self, ws: Workspace, ref: str, reason: str) -> None:
        with ws.operation(Permission.MATRIX_EDIT, Action.PROPOSE_REMOVE) as op:
            t = resolve(op, ref, Action.PROPOSE_REMOVE, statuses=("active",))
            why = _reason(reason)
            records = op.store.records
            if records.pending_proposal(t.id, "remove"):
                raise ValidationError(f"A removal of {t.ref} is already waiting for the SPOC.")
            records.add_proposal(t.id, "remove", why, op.session.user_id, to_iso(op.env.clock.now()))
            op.log(record_ref=t.ref)

    def approve_removal(self, ws: Workspace, ref: str, note: str) -> None:
        """The person leaves every live view at once; only a minimal archive row stays, until purge."""
        with ws.operation(Permission.MATRIX_APPROVE, Action.APPROVE_REMOVE) as op:
            t = resolve(op, ref, Action.APPROVE_REMOVE, statuses=("active",))
            self._remove(op, t, _reason(note, "The removal note"), Action.APPROVE_REMOVE, "remove")
        _flush_wal(ws, Action.APPROVE_REMOVE)

    def _remove(self, op: Operation, t: Target, note: str, action: Action, kind: str) -> None:
        self.remove_in(op, t.id, t.ref, note, action, kind)
        op.store.records.compact_search_index()

    def remove_in(self, op: Operation, nominal_id: int, ref: str, note: str, action: Action, kind: str, *,
                  operation_ref: str | None = None) -> None:
        """The removal itself, inside the caller's operation (a review's sign-off removes many at once).

        The person's row goes with everything hanging off it; the archive row keeps no name, date of
        birth or address, and its reason (free text) is kept with any mention of them replaced; every
        review item of the reference, in open and signed reviews, loses its name, age and free texts.
        The caller compacts the name index once, after its last removal, and empties the write-ahead
        log once its operation has committed.
        """
        store = op.store
        now = op.env.clock.now()
        years = self.settings.value_in(store, RETENTION_YEARS.key)
        try:
            purge_after = now.date().replace(year=now.year + years)
        except ValueError:  # 29 February
            purge_after = date(now.year + years, 3, 1)
        proposal = store.records.pending_proposal(nominal_id, kind)
        who = identity_of(store, nominal_id)
        store.records.archive_and_delete(
            nominal_id, removed_at=to_iso(now), reason=scrub(proposal.reason if proposal else note, who),
            proposed_by=proposal.proposed_by if proposal else None, approved_by=op.session.user_id,
            purge_after=purge_after.isoformat(), age_band=archive_age_band(age_on(who.date_of_birth, now.date())),
        )
        redacted = store.reviews.redact_person(ref, to_iso(now))
        # An auditor's answer to an audit form about this record is free text too: the person leaves it as well.
        answers = 0
        for form_id, answer in store.audit_forms.answers_about(ref):
            if (clean_answer := scrub(answer, who)) != answer:
                store.audit_forms.replace_answer(form_id, clean_answer)
                answers += 1
        op.log(action, record_ref=ref, detail=f"archived until {purge_after}" + (
            f"; personal fields cleared from {redacted} review item(s)" if redacted else "") + (
            f"; the person scrubbed from {answers} audit-form answer(s)" if answers else ""), operation_ref=operation_ref,
            # Reject, remove: the SPOC deciding a proposal; a review's sign-off removes under its own reference.
            reason_category=(ReasonCategory.QUARTERLY_REVIEW if (operation_ref or "").startswith("review:")
                             else ReasonCategory.PROPOSAL_DECISION).value)
