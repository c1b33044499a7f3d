"""Opening a person's record: the justification first, the read and its log entry in one transaction."""

from __future__ import annotations

from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.justification import Justification, ReasonCategory
from gvm_desktop.core.people import age_on
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.records import NominalRecord, ScoreLine, VersionRecord
from gvm_desktop.core.scoring import ScoringPolicy, default_policy, score
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.scope import Target, resolve
from gvm_desktop.store import access_log, records
from gvm_desktop.store.database import Connection


def justified(ws: Workspace, action: Action, ref: str, j: Justification) -> dict[str, object]:
    return {"record_ref": ref, "reason_category": j.category.value, "justification": j.text,
            "operation_ref": j.operation_ref}


class RecordService:
    def __init__(self, policy: ScoringPolicy | None = None) -> None:
        self.policy = policy or default_policy()

    def last_justification(self, ws: Workspace, ref: str) -> Justification | None:
        """What this user said last time for this record, to prefill the prompt (never to skip it)."""
        ws.authorize(Permission.RECORD_OPEN, Action.RECORD_OPEN)  # not after training lapsed or access was revoked
        found = access_log.last_justification(ws.conn, ws.session.user_id, ref.strip().upper())
        if found is None:
            return None
        return Justification(ReasonCategory(found[0]), found[1], found[2])

    def open(self, ws: Workspace, ref: str, justification: Justification) -> NominalRecord:
        """A person's full record. Nothing is read before the justification is in hand, and the
        log entry commits with the read: no entry, no record."""
        ws.authorize(Permission.RECORD_OPEN, Action.RECORD_OPEN)
        target = resolve(ws, ref, Action.RECORD_OPEN)
        today = ws.env.clock.now().date()
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.RECORD_OPEN, **justified(ws, Action.RECORD_OPEN, target.ref,
                                                                                justification)))
            record = self.read(conn, target, today)
        return record

    def read(self, conn: Connection, target: Target, today: date) -> NominalRecord:
        """The full record, rescored as of today, inside the caller's logged transaction."""
        data = records.fields(conn, target.id)
        card = score(records.scoring_events(conn, target.id), today, self.policy)
        if data["scored_on"] != today.isoformat() or data["score_policy"] != self.policy.version:
            records.store_score(conn, target.id, card)  # scores move with time: keep the list honest
        record = NominalRecord(
            id=target.id, ref=target.ref, given_name=data["given_name"], family_name=data["family_name"],
            aliases=records.aliases(conn, target.id), date_of_birth=date.fromisoformat(data["date_of_birth"]),
            age=age_on(date.fromisoformat(data["date_of_birth"]), today), gender=data["gender"],
            ethnicity=data["ethnicity"], observed_ethnicity=data["observed_ethnicity"],
            disability=data["disability"], address=data["address"], postcode=data["postcode"],
            borough=data["borough"], bcu=data["bcu"], gangs=tuple(g for g in data["gangs"].split("\n") if g),
            status=data["status"], date_added=data["date_added"], last_reviewed=data["last_reviewed"],
            in_custody=bool(data["in_custody"]), custody_from=data["custody_from"],
            custody_to=data["custody_to"], version=data["version"], harm_score=card.harm,
            victim_score=card.victim, harm_band=card.harm_band.value, victim_band=card.victim_band.value,
            classification=card.classification.value, policy_version=card.policy_version,
            score_lines=tuple(ScoreLine(c.kind, c.on, c.side, c.points) for c in card.contributions),
            evidence=tuple(records.evidence(conn, target.id)),
            interventions=tuple(records.interventions(conn, target.id)),
            activity=tuple(records.activity(conn, target.id)),
            pending=records.pending_kinds(conn, target.id),
        )
        return record

    def history(self, ws: Workspace, ref: str, justification: Justification) -> list[VersionRecord]:
        """Earlier versions of a record: SPOCs and auditors only, justified like an open."""
        ws.authorize(Permission.RECORD_HISTORY, Action.RECORD_HISTORY)
        target = resolve(ws, ref, Action.RECORD_HISTORY)
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.RECORD_HISTORY, **justified(ws, Action.RECORD_HISTORY,
                                                                                   target.ref, justification)))
            return records.versions(conn, target.id)
