"""Changing the matrix: propose, corroborate, approve, edit, remove. Every change is versioned and logged.

An officer proposes; the SPOC of the same BCU approves. Nobody becomes active
without corroboration, and a removed person leaves only a minimal archive row
(no name, no date of birth, no address) that is purged after the retention period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.evidence import EvidenceDraft, corroboration, validate_evidence
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.people import OBSERVED_ETHNICITY, NominalDraft, age_on, validate_draft
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.scoring import ScoringPolicy, default_policy, score
from gvm_desktop.core.settings import RETENTION_YEARS
from gvm_desktop.core.text import NAME_MAX, TEXT_MAX, clean
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.records import identity_of, scrub
from gvm_desktop.services.scope import Target, refuse, resolve
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.store import access_log, governance, nominals, records, reviews
from gvm_desktop.store.database import Connection

MIN_REASON = 20
MAX_GANGS = 10


class DuplicatePerson(ValidationError):
    """Someone with the same name and date of birth is already held: link to them, do not duplicate."""

    code = "duplicate"

    def __init__(self, message: str, refs: list[str]) -> None:
        super().__init__(message)
        self.refs = refs


@dataclass(frozen=True)
class Intervention:
    referral: str
    provider: str
    offered_on: date
    taken_up: bool
    outcome: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


def _reason(text: str, what: str = "The reason") -> str:
    body = clean(text, what, limit=TEXT_MAX, multiline=True)
    if len(body) < MIN_REASON:
        raise ValidationError(f"{what} needs at least {MIN_REASON} characters.")
    return body


def age_band(age: int) -> str:
    for top, label in ((17, "under 18"), (24, "18-24"), (34, "25-34")):
        if age <= top:
            return label
    return "35 and over"


class ChangeService:
    def __init__(self, policy: ScoringPolicy | None = None, settings: SettingsService | None = None) -> None:
        self.policy = policy or default_policy()
        self.settings = settings or SettingsService()

    def _today(self, ws: Workspace) -> date:
        return ws.env.clock.now().date()

    def _rescore(self, ws: Workspace, nominal_id: int) -> None:
        records.store_score(ws.conn, nominal_id, score(records.scoring_events(ws.conn, nominal_id), self._today(ws),
                                                       self.policy))

    def _version(self, ws: Workspace, t: Target, reason: str) -> int:
        """Snapshot the current state, then bump the version number; the change follows."""
        current = int(ws.conn.execute("SELECT version FROM nominals WHERE id = ?", (t.id,)).fetchone()[0])
        records.save_version(ws.conn, t.id, current, to_iso(ws.env.clock.now()), ws.session.user_id, reason)
        records.update(ws.conn, t.id, {"version": current + 1})
        return current + 1

    # -- adding ---------------------------------------------------------------------------------

    def propose(self, ws: Workspace, draft: NominalDraft, *, evidence: Sequence[EvidenceDraft], reason: str,
                gangs: Sequence[str] = (), observed_ethnicity: str | None = None) -> str:
        """Propose a person for the matrix, with the evidence that justifies it. Returns the new reference."""
        ws.authorize(Permission.MATRIX_EDIT, Action.PROPOSE_ADD)
        today = self._today(ws)
        person = validate_draft(draft, today=today)
        if person.bcu != ws.session.bcu:
            raise refuse(ws, Action.PROPOSE_ADD, ValidationError(
                f"You can propose people for your own BCU ({ws.session.bcu}) only."))
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
        existing = nominals.same_identity(ws.conn, person.given_name, person.family_name,
                                          person.date_of_birth.isoformat())
        if existing:
            refs = [ref for ref, bcu, _s in existing if bcu == ws.session.bcu]
            where = f"as {', '.join(refs)}" if refs else f"by the {existing[0][1]} BCU"
            # Logged, with the record matched: a proposal is also a way to ask whether someone is held anywhere.
            raise refuse(ws, Action.PROPOSE_ADD, DuplicatePerson(
                f"A person with this name and date of birth is already held {where}: "
                f"add your evidence to that record instead.", refs), record_ref=existing[0][0])
        at = to_iso(ws.env.clock.now())
        with ws.write() as conn:
            (nominal_id,) = nominals.insert_many(conn, [person], status="proposed", at=at,
                                                 created_by=ws.session.user_id)
            records.update(conn, nominal_id, {"gangs": "\n".join(gang_names), "observed_ethnicity": observed_ethnicity})
            for e in entries:
                records.add_evidence(conn, nominal_id, e, at, ws.session.user_id)
            self._rescore(ws, nominal_id)
            records.add_proposal(conn, nominal_id, "add", why, ws.session.user_id, at)
            ref = f"N-{nominal_id:06d}"
            access_log.append(conn, ws.entry(Action.PROPOSE_ADD, record_ref=ref,
                                             detail=f"with {len(entries)} evidence entries"))
        return ref

    def add_evidence(self, ws: Workspace, ref: str, entry: EvidenceDraft) -> int:
        ws.authorize(Permission.MATRIX_EDIT, Action.EVIDENCE_ADD)
        t = resolve(ws, ref, Action.EVIDENCE_ADD)
        with ws.write() as conn:
            dob = date.fromisoformat(conn.execute("SELECT date_of_birth FROM nominals WHERE id = ?",
                                                  (t.id,)).fetchone()[0])
            e = validate_evidence(entry, today=self._today(ws), date_of_birth=dob)
            evidence_id = records.add_evidence(conn, t.id, e, to_iso(ws.env.clock.now()), ws.session.user_id)
            self._rescore(ws, t.id)
            access_log.append(conn, ws.entry(Action.EVIDENCE_ADD, record_ref=t.ref,
                                             detail=f"{e.kind.value} from {e.source_type.value}, graded {e.grading}"))
        return evidence_id

    def approve_addition(self, ws: Workspace, ref: str, note: str) -> None:
        """SPOC only, own BCU; refused with what is missing unless gang involvement is corroborated."""
        ws.authorize(Permission.MATRIX_APPROVE, Action.APPROVE_ADD)
        t = resolve(ws, ref, Action.APPROVE_ADD, statuses=("proposed",))
        entries = [(e.kind, e.source_type, e.grading, e.on) for e in records.evidence(ws.conn, t.id)]
        check = corroboration(entries, on=self._today(ws), min_sources=self.policy.corroboration_sources,
                              window_days=self.policy.corroboration_window_days)
        if not check.satisfied:
            raise refuse(ws, Action.APPROVE_ADD, ValidationError(f"{t.ref} cannot become active: {check.missing}"),
                         record_ref=t.ref)
        decision = _reason(note, "The approval note")
        proposal = records.pending_proposal(ws.conn, t.id, "add")
        at = to_iso(ws.env.clock.now())
        with ws.write() as conn:
            self._version(ws, t, "addition approved")
            records.update(conn, t.id, {"status": "active", "date_added": self._today(ws).isoformat()})
            if proposal:
                records.decide(conn, proposal[0], "approved", ws.session.user_id, at, decision)
            self._rescore(ws, t.id)
            access_log.append(conn, ws.entry(Action.APPROVE_ADD, record_ref=t.ref,
                                             reason_category=ReasonCategory.PROPOSAL_DECISION.value,
                                             detail="corroborated by " + ", ".join(sorted(s.value for s in check.sources))))

    def reject_addition(self, ws: Workspace, ref: str, note: str) -> None:
        """A rejected proposal is not kept as a shadow list: it goes the way of a removal."""
        ws.authorize(Permission.MATRIX_APPROVE, Action.REJECT_ADD)
        t = resolve(ws, ref, Action.REJECT_ADD, statuses=("proposed",))
        self._remove(ws, t, _reason(note, "The rejection note"), Action.REJECT_ADD, "add")

    # -- changing -------------------------------------------------------------------------------

    def edit(self, ws: Workspace, ref: str, changes: dict[str, object], reason: str) -> int:
        """Change fields of a record; the old state is kept as a version. Returns the new version number."""
        ws.authorize(Permission.MATRIX_EDIT, Action.RECORD_EDIT)
        t = resolve(ws, ref, Action.RECORD_EDIT)
        why = _reason(reason)
        unknown = set(changes) - records.EDITABLE - {"aliases"}
        if unknown:
            raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
        # The current state is read inside the write: the read, the change and the log entry are one
        # transaction, and a refused edit (any ValidationError below) rolls back having written nothing.
        with ws.write() as conn:
            current = records.fields(conn, t.id)
            draft = NominalDraft(
                given_name=str(changes.get("given_name", current["given_name"])),
                family_name=str(changes.get("family_name", current["family_name"])),
                date_of_birth=changes.get("date_of_birth", date.fromisoformat(current["date_of_birth"])),  # type: ignore[arg-type]
                gender=str(changes.get("gender", current["gender"])),
                ethnicity=str(changes.get("ethnicity", current["ethnicity"])),
                disability=str(changes.get("disability", current["disability"])),
                address=str(changes.get("address", current["address"])),
                postcode=str(changes.get("postcode", current["postcode"])),
                borough=str(changes.get("borough", current["borough"])), bcu=t.bcu,
                aliases=tuple(changes.get("aliases", records.aliases(conn, t.id))),  # type: ignore[arg-type]
            )
            person = validate_draft(draft, today=self._today(ws))
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
                gangs = tuple(dict.fromkeys(clean(str(g), "A gang name", limit=NAME_MAX) for g in changes["gangs"]))  # type: ignore[attr-defined]
                update["gangs"] = "\n".join(gangs[:MAX_GANGS])
            if "in_custody" in changes:
                update["in_custody"] = int(bool(changes["in_custody"]))
            # Custody dates change only when given (None clears one); passing in_custody alone keeps them.
            for key in ("custody_from", "custody_to"):
                if key in changes:
                    value = changes[key]
                    if isinstance(value, date) and value > self._today(ws):
                        raise ValidationError("Custody dates cannot be in the future.")
                    update[key] = value.isoformat() if isinstance(value, date) else None
            changed = sorted(k for k, v in update.items() if current.get(k) != v)
            if "aliases" in changes and person.aliases != records.aliases(conn, t.id):
                changed.append("aliases")
            if not changed:
                raise ValidationError("Nothing changed.")
            version = self._version(ws, t, why)
            records.update(conn, t.id, update)
            records.set_aliases(conn, t.id, person.aliases)
            nominals.reindex(conn, t.id)
            access_log.append(conn, ws.entry(Action.RECORD_EDIT, record_ref=t.ref,
                                             detail=f"version {version}: {', '.join(changed)}"))
        return version

    def add_intervention(self, ws: Workspace, ref: str, item: Intervention) -> int:
        ws.authorize(Permission.MATRIX_EDIT, Action.INTERVENTION_ADD)
        t = resolve(ws, ref, Action.INTERVENTION_ADD)
        today = self._today(ws)
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
        with ws.write() as conn:
            new_id = records.add_intervention(conn, t.id, values, ws.session.user_id)
            # Referral and outcome are free text about a person: they stay in the record, not the log.
            access_log.append(conn, ws.entry(Action.INTERVENTION_ADD, record_ref=t.ref,
                                             detail=f"offered on {values['offered_on']}"))
        return new_id

    def add_activity(self, ws: Workspace, ref: str, kind: str, on: date, note: str = "") -> int:
        ws.authorize(Permission.MATRIX_EDIT, Action.ACTIVITY_ADD)
        t = resolve(ws, ref, Action.ACTIVITY_ADD)
        if kind not in ("stop", "arrest"):
            raise ValidationError("Police activity is a 'stop' or an 'arrest'.")
        if on > self._today(ws):
            raise ValidationError("Police activity cannot be dated in the future.")
        text = clean(note, "The note", limit=TEXT_MAX, required=False, multiline=True)
        with ws.write() as conn:
            new_id = records.add_activity(conn, t.id, kind, on, text, ws.session.user_id)
            access_log.append(conn, ws.entry(Action.ACTIVITY_ADD, record_ref=t.ref, detail=f"{kind} on {on}"))
        return new_id

    # -- removing -------------------------------------------------------------------------------

    def propose_removal(self, ws: Workspace, ref: str, reason: str) -> None:
        ws.authorize(Permission.MATRIX_EDIT, Action.PROPOSE_REMOVE)
        t = resolve(ws, ref, Action.PROPOSE_REMOVE, statuses=("active",))
        why = _reason(reason)
        if records.pending_proposal(ws.conn, t.id, "remove"):
            raise ValidationError(f"A removal of {t.ref} is already waiting for the SPOC.")
        with ws.write() as conn:
            records.add_proposal(conn, t.id, "remove", why, ws.session.user_id, to_iso(ws.env.clock.now()))
            access_log.append(conn, ws.entry(Action.PROPOSE_REMOVE, record_ref=t.ref))

    def approve_removal(self, ws: Workspace, ref: str, note: str) -> None:
        """The person leaves every live view at once; only a minimal archive row stays, until purge."""
        ws.authorize(Permission.MATRIX_APPROVE, Action.APPROVE_REMOVE)
        t = resolve(ws, ref, Action.APPROVE_REMOVE, statuses=("active",))
        self._remove(ws, t, _reason(note, "The removal note"), Action.APPROVE_REMOVE, "remove")

    def _remove(self, ws: Workspace, t: Target, note: str, action: Action, kind: str) -> None:
        with ws.write() as conn:
            self.remove_in(conn, ws, t.id, t.ref, note, action, kind)
            records.compact_search_index(conn)
        ws.vault.flush_wal()  # the removed person's old pages leave the write-ahead log too

    def remove_in(self, conn: Connection, ws: Workspace, nominal_id: int, ref: str, note: str, action: Action,
                  kind: str, *, operation_ref: str | None = None) -> None:
        """The removal itself, inside the caller's transaction (a review's sign-off removes many at once).

        The person's row goes with everything hanging off it; the archive row keeps no name, date of
        birth or address, and its reason (free text) is kept with any mention of them replaced; every
        review item of the reference, in open and signed reviews, loses its name, age and free texts.
        The caller compacts the name index once, after its last removal.
        """
        now = ws.env.clock.now()
        years = self.settings.value(ws, RETENTION_YEARS.key)
        try:
            purge_after = now.date().replace(year=now.year + years)
        except ValueError:  # 29 February
            purge_after = date(now.year + years, 3, 1)
        proposal = records.pending_proposal(conn, nominal_id, kind)
        who = identity_of(conn, nominal_id)
        records.archive_and_delete(
            conn, nominal_id, removed_at=to_iso(now), reason=scrub(proposal[1] if proposal else note, who),
            proposed_by=proposal[2] if proposal else None, approved_by=ws.session.user_id,
            purge_after=purge_after.isoformat(), age_band=age_band(age_on(who.date_of_birth, now.date())),
        )
        redacted = reviews.redact_person(conn, ref, to_iso(now))
        # An auditor's answer to an audit form about this record is free text too: the person leaves it as well.
        answers = 0
        for form_id, answer in governance.audit_answers_about(conn, ref):
            if (clean_answer := scrub(answer, who)) != answer:
                governance.replace_audit_answer(conn, form_id, clean_answer)
                answers += 1
        access_log.append(conn, ws.entry(action, record_ref=ref, detail=f"archived until {purge_after}" + (
            f"; personal fields cleared from {redacted} review item(s)" if redacted else "") + (
            f"; the person scrubbed from {answers} audit-form answer(s)" if answers else ""), operation_ref=operation_ref,
            # Reject, remove: the SPOC deciding a proposal; a review's sign-off removes under its own reference.
            reason_category=(ReasonCategory.QUARTERLY_REVIEW if (operation_ref or "").startswith("review:")
                             else ReasonCategory.PROPOSAL_DECISION).value))
