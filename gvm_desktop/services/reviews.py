"""The quarterly review: open it, record recommendations and the SPOC's verdicts, sign it off.

A review lists every person active in the BCU when it opens, with the facts and
focus flags the review saw. Officers recommend; the SPOC agrees or overrides each
one and signs with their password typed again. Sign-off carries out the decisions
in the same transaction: removals through the normal removal path (archive row,
name index compacted, one log entry per person), rescores, and a new
"last reviewed" date for everyone kept. A signed review never changes: the
database refuses it, and a later change means a new review of the same quarter.
"""

from __future__ import annotations

import builtins  # `builtins.list` in annotations: a service below has a method named `list`
import dataclasses
import hashlib
import io
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import GvmError, NotFound, PermissionDenied, UndecidedError, ValidationError
from gvm_desktop.core.evidence import corroboration
from gvm_desktop.core.justification import ReasonCategory
from gvm_desktop.core.people import BCUS, age_on, bcu_name
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.record_use import RATIONALE_CHECK
from gvm_desktop.core.review import (
    FocusFlag,
    PersonFacts,
    Quarter,
    Recommendation,
    ReusedRationale,
    ReviewSheet,
    SheetPerson,
    Verdict,
    check_override_reason,
    check_rationale,
    ever_harm_scored,
    focus_flags,
    green_throughout,
    kept_on_matrix,
    reused_rationales,
)
from gvm_desktop.core.review_rows import ItemRow, NewItem, ReviewRow, SheetDelivery, SignedOriginal
from gvm_desktop.core.review_views import (
    OverdueReview,
    ReviewItem,
    ReviewSummary,
    ReviewWaiting,
    risk_order,
)
from gvm_desktop.core.scoring import Band, ScoringPolicy, score
from gvm_desktop.services.auth import AuthService
from gvm_desktop.services.changes import ChangeService
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.staged_export import move_into_place, staging_path, write_pdf_atomically
from gvm_desktop.store.pki import CaMaterial, SignerMaterial
from gvm_desktop.store.protocols import Unit

# What a review shows in place of the name of someone who has left the matrix: they stay in it
# by reference and outcome only (store/reviews.py redact_person cleared the rest).
REMOVED_NAME = "(removed from the matrix)"


def _shown_name(name: str, redacted: bool) -> str:
    return REMOVED_NAME if redacted else name


def _item(row: ItemRow) -> ReviewItem:
    return ReviewItem(
        row.ref, _shown_name(row.name, row.redacted_at is not None), row.age, row.harm_score, row.harm_band, row.victim_band,
        tuple(FocusFlag(f) for f in row.flags), Recommendation(row.recommendation) if row.recommendation else None,
        row.rationale or "", row.recommended_by, Verdict(row.verdict) if row.verdict else None,
        Recommendation(row.decision) if row.decision else None, row.override_reason or "", row.verdict_by,
        removed=row.redacted_at is not None)



def document_signer(op: Operation, wrap_key: bytes) -> tuple[CaMaterial, SignerMaterial]:
    """The vault CA and this user's signing key and certificate, issuing them if needed, in `op`'s transaction."""
    certificates = op.store.certificates
    vault_id, user_id, now = op.vault.vault_id, op.session.user_id, op.env.clock.now()
    # Vaults made before version 6 get their CA at first need; new vaults get it at init.
    ca = certificates.authority() or certificates.create_authority(vault_id, now)
    held = certificates.signer(vault_id, user_id, wrap_key)
    if held is not None:
        return ca, held
    replacing = certificates.has_signer(user_id)  # the password (so the slot) changed since it was issued
    issued = certificates.issue_signer(ca, vault_id, user_id, full_name=op.session.display_name,
                                       username=op.session.username, role=op.session.role.value,
                                       bcu=op.session.bcu, wrap_key=wrap_key, now=now)
    op.log(Action.SIGNING_KEY_ISSUE, detail="document-signing certificate issued by the vault CA" + (
        " (replacing one the old password wrapped)" if replacing else ""))
    return ca, issued


def who(name: str | None, username: str | None) -> str:
    """'Name (username)', or whichever of the two there is."""
    if name and username:
        return f"{name} ({username})"
    return name or username or "(unknown)"


def sheet_named(sheet: ReviewSheet) -> list[str]:
    """Everyone the sheet names, for the disclosure register: those reviewed, and those added or removed since."""
    return list(dict.fromkeys([p.ref for p in sheet.people] + [ref for ref, _name in sheet.added_since_last]
                              + [ref for ref, _name in sheet.removed_since_last]))


def signed_sheet(op: Operation, sheet: ReviewSheet, wrap_key: bytes, *, pdf_password: str | None, now: datetime,
                 copy_of: SignedOriginal | None, is_copy: bool) -> tuple[bytes, SignerMaterial]:
    """The sheet built, encrypted and signed (certified) with this session's own key: the original, or a later copy."""
    from gvm_desktop.reports import pdf_signing  # pyHanko and pikepdf: only when a sheet is signed
    from gvm_desktop.reports.review_sheet import SheetSigning, build_review_sheet  # ReportLab: only when drawn

    ca, signer = document_signer(op, wrap_key)
    session = op.session
    me = who(session.display_name, session.username)
    at = to_iso(now)
    if is_copy:
        spoc = op.store.accounts.by_id(copy_of.signer_id) if copy_of else None
        signing = SheetSigning(digital_signer=me, copy_by=me, copy_at=at,
                               original_sha256=copy_of.sha256 if copy_of else None,
                               original_signer=(who(spoc.display_name, spoc.username) if spoc
                                                else f"user #{copy_of.signer_id}") if copy_of else None,
                               original_signed_at=copy_of.signed_at if copy_of else None)
        reason = (f"Later copy of quarterly matrix review {sheet.bcu} {sheet.quarter} (review {sheet.review_id})"
                  + (f", reproducing signed original SHA-256 {copy_of.sha256}" if copy_of else ""))
    else:
        signing = SheetSigning(digital_signer=me)
        reason = f"Sign-off of quarterly matrix review {sheet.bcu} {sheet.quarter} (review {sheet.review_id})"
    head = op.store.chain.head()
    buffer = io.BytesIO()
    build_review_sheet(buffer, sheet, exported_by=session.username, exported_at=at, log_head=(head.seq, head.hash.hex()),
                       vault_label=f"vault {op.vault.vault_id[:8]}", signing=signing, demo=op.is_demo)
    signed = pdf_signing.protect_and_sign(
        buffer.getvalue(), signer_key_der=signer.key_der, signer_cert_der=signer.cert_der, ca_cert_der=ca.cert_der,
        password=pdf_password, reason=reason, location=f"BCU {sheet.bcu}", signer_name=session.display_name,
        signed_at=now)
    return signed, signer


def _bcu(op: Operation) -> str:
    if op.session.bcu is None:
        raise PermissionDenied("Your account has no BCU, so it has no review.")
    return op.session.bcu


def _today(op: Operation) -> date:
    return op.env.clock.now().date()


class ReviewService:
    def __init__(self, auth: AuthService, changes: ChangeService, policy: ScoringPolicy) -> None:
        self.auth = auth
        self.changes = changes
        self.policy = policy

    # -- opening ------------------------------------------------------------------------------

    def ensure_current(self, ws: Workspace) -> int | None:
        """Open this quarter's review for the session's BCU if nobody has yet (run after each sign-in).

        Officers and SPOCs trigger it, so a quarter's review exists from the first working day
        on which anyone of the BCU signs in; the log names the quarter start as its reason.
        """
        s = ws.session
        if s.role not in (Role.OFFICER, Role.SPOC) or s.bcu is None:
            return None
        bcu = s.bcu
        # A read first: on every sign-in but the quarter's first, the review exists and no write lock is taken.
        with ws.operation(None, Action.REVIEW_OPEN, writes=False) as op:
            if op.store.reviews.reviews_of(bcu=bcu, quarter=str(Quarter.of(_today(op)))):
                return None
        with ws.operation(None, Action.REVIEW_OPEN) as op:
            quarter = Quarter.of(_today(op))
            if op.store.reviews.reviews_of(bcu=bcu, quarter=str(quarter)):  # opened meanwhile elsewhere
                return None
            review_id = self._open_in(op, bcu, quarter, opened_by=None, supersedes=None)
            op.log(operation_ref=f"review:{review_id}", reason_category=ReasonCategory.QUARTERLY_REVIEW.value,
                   detail=f"{bcu} {quarter} opened automatically at the quarter's start")
        return review_id

    def open(self, ws: Workspace, quarter: str | None = None) -> int:
        """The SPOC opens the BCU's review of a quarter (this one by default), or a new one after a signed one."""
        with ws.operation(Permission.REVIEW_SIGN, Action.REVIEW_OPEN) as op:
            bcu = _bcu(op)
            this_quarter = Quarter.of(_today(op))
            q = Quarter.parse(quarter) if quarter else this_quarter
            if q > this_quarter:
                raise ValidationError(f"{q} has not started yet: a review covers a quarter that has begun.")
            existing = op.store.reviews.reviews_of(bcu=bcu, quarter=str(q))
            if any(r.signed_at is None for r in existing):
                raise ValidationError(f"{bcu} already has an open review of {q}: record decisions in it.")
            supersedes = existing[0].id if existing else None
            review_id = self._open_in(op, bcu, q, opened_by=op.session.user_id, supersedes=supersedes)
            op.log(operation_ref=f"review:{review_id}", reason_category=ReasonCategory.QUARTERLY_REVIEW.value,
                   detail=f"{bcu} {q}" + (f", a new review after signed review {supersedes}" if supersedes else ""))
        return review_id

    def _open_in(self, op: Operation, bcu: str, quarter: Quarter, *, opened_by: int | None,
                 supersedes: int | None) -> int:
        review_id = op.store.reviews.open_review(bcu=bcu, quarter=str(quarter), opened_at=to_iso(op.env.clock.now()),
                                                 opened_by=opened_by, supersedes=supersedes)
        op.store.reviews.add_items(review_id, self._snapshot(op.store, bcu, _today(op)))
        return review_id

    def _snapshot(self, store: Unit, bcu: str, today: date) -> builtins.list[NewItem]:
        out = []
        for person in store.nominals.review_candidates(bcu):
            events = store.records.scoring_events(person.nominal_id)
            card = score(events, today, self.policy)
            store.records.store_score(person.nominal_id, card)
            entries = [(e.kind, e.source_type, e.grading, e.on) for e in store.records.evidence(person.nominal_id)]
            corroborated = corroboration(entries, on=today, min_sources=self.policy.corroboration_sources,
                                         window_days=self.policy.corroboration_window_days).satisfied
            age = age_on(date.fromisoformat(person.date_of_birth), today)
            # Both from the dated events under the policy, however long ago: a zero today may hide old harm,
            # and a victim's events are never a harm score. "On the matrix" starts at the SPOC's approval.
            facts = PersonFacts(
                age=age, harm_score=card.harm, harm_band=card.harm_band.value,
                ever_harm_scored=ever_harm_scored(events, self.policy, today),
                green_throughout=card.harm_band is Band.GREEN and green_throughout(
                    events, self.policy, date.fromisoformat(person.added[:10]), today),
                corroborated=corroborated, in_custody=person.in_custody)
            out.append(NewItem(person.ref, person.name, age, card.harm, card.harm_band.value, card.victim_band.value,
                               tuple(f.value for f in focus_flags(facts)), victim_score=card.victim,
                               classification=card.classification.value))
        return out

    # -- reading ------------------------------------------------------------------------------

    def review_row(self, op: Operation, review_id: int) -> ReviewRow:
        """The review, if it is this session's BCU's; refused (and logged, as `op`'s action) otherwise.
        No people are read."""
        row = op.store.reviews.review(review_id)
        if row is None:
            raise op.refuse(NotFound(f"There is no review {review_id}."), outcome=Outcome.FAILED)
        if row.bcu != op.session.bcu:
            # Told as if it did not exist (another BCU's review is none of this session's business);
            # the log keeps the true reason, which the auditor's outside-BCU flag looks for.
            raise op.refuse(NotFound(f"There is no review {review_id}."), logged_reason=(
                f"Review {review_id} belongs to BCU {row.bcu}; your access is limited to BCU {op.session.bcu}."))
        return row

    def find(self, ws: Workspace, quarter: str | None = None) -> ReviewSummary | None:
        """The newest review of the session's BCU for `quarter` (default: this quarter)."""
        with ws.operation(Permission.REVIEW_READ, Action.REVIEW_READ, writes=False) as op:
            q = Quarter.parse(quarter) if quarter else Quarter.of(_today(op))
            found = op.store.reviews.reviews_of(bcu=_bcu(op), quarter=str(q))
            return self._summary(op, found[0]) if found else None

    def list(self, ws: Workspace) -> builtins.list[ReviewSummary]:
        with ws.operation(Permission.REVIEW_READ, Action.REVIEW_READ, writes=False) as op:
            return [self._summary(op, r) for r in op.store.reviews.reviews_of(bcu=_bcu(op))]

    def waiting(self, ws: Workspace) -> builtins.list[ReviewWaiting]:
        """The BCU's open reviews (the one in force of each quarter, oldest first) and what is left in them.

        For the SPOC's queue. Counts only, read as find() and list() read theirs: not logged. The counts are
        the review summary's (people who left the matrix meanwhile are still among them).
        """
        with ws.operation(Permission.REVIEW_SIGN, Action.REVIEW_READ, writes=False) as op:
            today = _today(op)
            in_force: dict[str, ReviewRow] = {}
            for row in op.store.reviews.reviews_of(bcu=_bcu(op)):  # newest first
                in_force.setdefault(row.quarter, row)
            out: builtins.list[ReviewWaiting] = []
            for row in sorted(in_force.values(), key=lambda r: r.quarter):
                if row.signed_at is not None:
                    continue
                counts = op.store.reviews.counts(row.id)
                out.append(ReviewWaiting(row.id, row.quarter, counts.recommended - counts.decided,
                                         counts.people - counts.recommended, Quarter.parse(row.quarter).ends < today))
        return out

    def _summary(self, op: Operation, row: ReviewRow) -> ReviewSummary:
        counts = op.store.reviews.counts(row.id)
        signer = op.store.accounts.by_id(row.signed_by) if row.signed_by is not None else None
        overdue = row.signed_at is None and Quarter.parse(row.quarter).ends < _today(op)
        return ReviewSummary(row.id, row.bcu, row.quarter, row.opened_at, row.signed_at,
                             signer.username if signer else None, row.supersedes, counts.people, counts.recommended,
                             counts.decided, counts.flagged, overdue)

    def items(self, ws: Workspace, review_id: int) -> builtins.list[ReviewItem]:
        """Everyone in the review, with names: reading it is logged like reading the matrix."""
        with ws.operation(Permission.REVIEW_READ, Action.REVIEW_READ) as op:
            row = self.review_row(op, review_id)
            out = [_item(i) for i in op.store.reviews.items(review_id)]
            op.log(operation_ref=f"review:{review_id}", detail=f"{row.bcu} {row.quarter}: {len(out)} people")
        return out

    def overdue(self, ws: Workspace) -> builtins.list[OverdueReview]:
        """Reviews whose quarter ended unsigned, and last quarter's missing reviews. No people, only counts."""
        with ws.operation(Permission.REVIEW_OVERDUE, Action.REVIEW_OVERDUE, writes=False) as op:
            today = _today(op)
            s = op.session
            bcus = [s.bcu] if s.role is Role.SPOC and s.bcu else builtins.list(BCUS)
            last = Quarter.of(today).previous()
            out: builtins.list[OverdueReview] = []
            for bcu in bcus:
                rows = op.store.reviews.reviews_of(bcu=bcu)
                signed = {r.quarter for r in rows if r.signed_at is not None}
                for r in rows:
                    if r.signed_at is None and r.quarter not in signed and Quarter.parse(r.quarter).ends < today:
                        out.append(OverdueReview(bcu, r.quarter, r.id, op.store.reviews.counts(r.id).people))
                if str(last) not in {r.quarter for r in rows}:
                    active = op.store.nominals.count_by_status(bcu).get("active", 0)
                    if active:
                        out.append(OverdueReview(bcu, str(last), None, active))
        return sorted(out, key=lambda o: (o.quarter, o.bcu))

    # -- deciding -----------------------------------------------------------------------------

    def _open_item(self, op: Operation, review_id: int, ref: str) -> ItemRow:
        row = self.review_row(op, review_id)
        if row.signed_at is not None:
            raise ValidationError(f"Review {review_id} was signed on {row.signed_at[:10]} and cannot change: "
                                  "open a new review of the quarter to change a decision.")
        found = op.store.reviews.item(review_id, (ref or "").strip().upper()[:20])
        if found is None:
            raise op.refuse(NotFound(f"{(ref or '').strip()[:20] or '(empty)'} is not in review {review_id}."),
                            outcome=Outcome.FAILED)
        if found.redacted_at is not None:  # a new rationale would be free text about someone who has left
            raise ValidationError(f"{found.ref} has left the matrix: there is nothing left to decide.")
        return found

    def recommend(self, ws: Workspace, review_id: int, ref: str, recommendation: Recommendation | str,
                  rationale: str) -> None:
        with ws.operation(Permission.REVIEW_RECOMMEND, Action.REVIEW_RECOMMEND) as op:
            rec = Recommendation(recommendation)
            found = self._open_item(op, review_id, ref)
            text = check_rationale(rec, rationale, tuple(FocusFlag(f) for f in found.flags))
            op.store.reviews.set_recommendation(review_id, found.ref, recommendation=rec.value, rationale=text,
                                                by=op.session.user_id, at=to_iso(op.env.clock.now()))
            op.log(record_ref=found.ref, operation_ref=f"review:{review_id}", detail=rec.value)

    def decide(self, ws: Workspace, review_id: int, ref: str, verdict: Verdict | str, *,
               decision: Recommendation | str | None = None, reason: str = "") -> None:
        """The SPOC agrees with the recommendation, or overrides it with another decision and a reason."""
        with ws.operation(Permission.REVIEW_SIGN, Action.REVIEW_VERDICT) as op:
            v = Verdict(verdict)
            found = self._open_item(op, review_id, ref)
            if found.recommendation is None:
                raise ValidationError(f"{found.ref} has no recommendation yet: an officer recommends first.")
            if v is Verdict.AGREE:
                final, why = Recommendation(found.recommendation), None
            else:
                if decision is None:
                    raise ValidationError("An override needs the decision that replaces the recommendation.")
                final = Recommendation(decision)
                if final.value == found.recommendation:
                    raise ValidationError(f"The override decision is the same as the recommendation ({final.value}): "
                                          "agree instead.")
                why = check_override_reason(reason)
                if final is Recommendation.RETAIN:
                    check_rationale(final, why, tuple(FocusFlag(f) for f in found.flags))
            op.store.reviews.set_verdict(review_id, found.ref, verdict=v.value, decision=final.value, reason=why,
                                         by=op.session.user_id, at=to_iso(op.env.clock.now()))
            op.log(record_ref=found.ref, reason_category=ReasonCategory.QUARTERLY_REVIEW.value,
                   operation_ref=f"review:{review_id}", detail=f"{v.value}: {final.value}")

    def agree_with(self, ws: Workspace, review_id: int, refs: Iterable[str]) -> int:
        """The SPOC agrees with the recommendations for several people at once. Returns how many.

        One transaction: every verdict and its log entry, or none of them. A refusal for one
        person (not in the review, no recommendation yet, left the matrix) leaves every one
        of them undecided, and the refusal is logged on its own.
        """
        with ws.operation(Permission.REVIEW_SIGN, Action.REVIEW_VERDICT):
            agreed = 0
            for ref in refs:
                self.decide(ws, review_id, ref, Verdict.AGREE)  # joins this operation's transaction
                agreed += 1
        return agreed

    def rationale_warnings(self, ws: Workspace, review_id: int) -> tuple[ReusedRationale, ...]:
        """The rationales given for REUSED_RATIONALE_PEOPLE or more of the people the review keeps, largest first.

        A warning for the SPOC before sign-off, never a refusal: `sign` does not check it, the CLI asks for
        --accept-reused-rationale, the sign-off dialog shows it, and the sheet prints the same groups.
        Removals are left out (kept_on_matrix). Reading the rationales is logged like reading the review.
        """
        with ws.operation(Permission.REVIEW_READ, Action.REVIEW_READ) as op:
            row = self.review_row(op, review_id)
            found = reused_rationales((i.ref, i.rationale or "") for i in op.store.reviews.items(review_id)
                                      if kept_on_matrix(i.recommendation, i.decision))
            # Named RATIONALE_CHECK in the detail: the monthly audit counts no record viewed for it (it shows
            # references and a shared wording; the people were counted when the review was read).
            op.log(operation_ref=f"review:{review_id}", detail=(
                f"{row.bcu} {row.quarter}: {RATIONALE_CHECK}, {len(found)} shared by "
                f"{sum(len(g.refs) for g in found)} people"))
        return found

    # -- signing ------------------------------------------------------------------------------

    def sign(self, ws: Workspace, review_id: int, password: str, *, sheet: SheetDelivery | None = None) -> int:
        """Sign off: refuse while anyone is undecided; check the password; carry the decisions out. Returns removals.

        With `sheet`, the sign-off also makes the signed original: the review sheet, signed and certified with
        the SPOC's own key (the password typed here unwraps it), encrypted with the sheet's PDF password,
        logged as an export with the people it names, and written to `sheet.out`, all in the sign-off's
        transaction (the file takes its name after the commit, as every export's does). The vault keeps its
        SHA-256, the certificate and the time; never the PDF, which names people who may later leave.

        Steps: (1) the review is checked (this BCU's, not yet signed); (2) the password is typed again,
        outside any transaction (the key derivation is slow, and a wrong password is logged on its own);
        (3) one transaction carries out every decision (removals with their archive rows and log entries,
        rescores, the "last reviewed" dates) and marks the review signed with its log entry: all of it or
        none; (4) after the commit, the write-ahead log is emptied of the removed people's old pages.
        A crash before (3) commits leaves the review open and everyone on the matrix; a crash after it
        leaves the removal done and the old pages in the write-ahead log until its next checkpoint.
        """
        with ws.operation(Permission.REVIEW_SIGN, Action.REVIEW_SIGN, writes=False) as op:
            row = self.review_row(op, review_id)
            if row.signed_at is not None:
                raise ValidationError(f"Review {review_id} is already signed ({row.signed_at[:10]}).")
            if sheet is not None:
                _check_delivery(op, sheet)
        wrap_key = self.auth.signing_key_for(ws, password, Action.REVIEW_SIGN)  # the password typed again
        removed = 0
        staged = staging_path(Path(sheet.out)) if sheet is not None else None
        try:
            with ws.operation(Permission.REVIEW_SIGN, Action.REVIEW_SIGN) as op:
                row = self.review_row(op, review_id)
                if row.signed_at is not None:  # by another session while the password was checked
                    raise ValidationError(f"Review {review_id} is already signed ({row.signed_at[:10]}).")
                # Checked on the items this transaction carries out: a recommendation made meanwhile clears its
                # decision, and must not slip through as "keep".
                items = op.store.reviews.items(review_id)
                # Someone who left the matrix while the review was open has nothing left to decide.
                missing = [i.ref for i in items
                           if i.redacted_at is None and (i.recommendation is None or i.verdict is None)]
                if missing:
                    op.log(outcome=Outcome.REFUSED, operation_ref=f"review:{review_id}",
                           detail=f"{len(missing)} undecided")
                else:
                    removed = self._carry_out(op, row, items, original=(
                        None if sheet is None or staged is None else (sheet, staged, wrap_key)))
        except BaseException as error:
            if staged is not None:
                staged.unlink(missing_ok=True)
            if sheet is not None and isinstance(error, GvmError) and not isinstance(
                    error, ValidationError | PermissionDenied | NotFound):  # refusals are logged as such
                with ws.operation(None, Action.REVIEW_SIGN) as op:
                    op.log(outcome=Outcome.FAILED, operation_ref=f"review:{review_id}",
                           detail=f"{error.code}: not signed, no sheet written")
            raise
        if sheet is not None and staged is not None and not missing:
            _deliver(staged, Path(sheet.out))
        if missing:
            raise UndecidedError(missing)  # after the refusal is committed to the log
        if removed:
            # The removed people's old pages leave the write-ahead log too (a checkpoint runs outside a transaction).
            with ws.operation(None, Action.REVIEW_SIGN, writes=False, alone=True) as op:
                op.vault.flush_wal()
        return removed

    def _carry_out(self, op: Operation, row: ReviewRow, items: builtins.list[ItemRow], *,
                   original: tuple[SheetDelivery, Path, bytes] | None = None) -> int:
        """Every decision of a fully decided review, then the signature; inside the sign-off's transaction.

        `original`: where the signed original goes, where it is staged, and the key that unwraps the SPOC's
        signing key; the sheet is made after the decisions are carried out (as a later export would show them).
        """
        store, review_ref, today = op.store, f"review:{row.id}", _today(op)
        removed = 0
        for it in items:
            live = store.nominals.by_ref(it.ref)
            if live is None or live.status != "active":
                continue  # removed by another path since the review opened: nothing left to do
            if it.decision == Recommendation.REMOVE.value:
                self.changes.remove_in(op, live.id, it.ref, f"Quarterly review {row.quarter}: "
                                       f"{it.override_reason or it.rationale}", Action.APPROVE_REMOVE, "remove",
                                       operation_ref=review_ref)
                removed += 1
                continue
            if it.decision == Recommendation.RESCORE.value:
                store.records.store_score(live.id, score(store.records.scoring_events(live.id), today, self.policy))
                op.log(Action.RESCORE, record_ref=it.ref, operation_ref=review_ref,
                       detail=f"rescored at review {row.quarter}")
            store.nominals.mark_reviewed(live.id, today.isoformat())
        if removed:
            store.records.compact_search_index()
        seq = op.log(operation_ref=review_ref, detail=f"{row.bcu} {row.quarter} signed: {removed} removed")
        if original is None:
            store.reviews.mark_signed(row.id, at=to_iso(op.env.clock.now()), by=op.session.user_id, head=seq)
        else:
            self._sign_original(op, row, seq, *original)
        return removed

    def _sign_original(self, op: Operation, row: ReviewRow, head: int, sheet_to: SheetDelivery, staged: Path,
                       wrap_key: bytes) -> None:
        """The signed original: built, signed with the SPOC's key, recorded by hash, logged, disclosed, staged."""
        from cryptography import x509

        now = op.env.clock.now()
        at = to_iso(now)
        session = op.session
        sheet = dataclasses.replace(self.sheet_in(op.store, row), signed_at=at, signed_by_name=session.display_name,
                                    signed_by_username=session.username)
        data, signer = signed_sheet(op, sheet, wrap_key, pdf_password=None if sheet_to.unencrypted else sheet_to.pdf_password,
                                    now=now, copy_of=None, is_copy=False)
        digest = hashlib.sha256(data).hexdigest()
        certificate = x509.load_der_x509_certificate(signer.cert_der)
        op.store.reviews.mark_signed_with_original(row.id, at=at, by=session.user_id, head=head, original=SignedOriginal(
            sha256=digest, signer_id=session.user_id, cert_sha256=hashlib.sha256(signer.cert_der).hexdigest(),
            cert_serial=format(certificate.serial_number, "x"), signed_at=at))
        named = sheet_named(sheet)
        seq = op.log(Action.REVIEW_EXPORT, operation_ref=f"review:{row.id}", detail=(
            f"signed original of review {row.id} {row.bcu} {row.quarter} at sign-off: {len(sheet.people)} people, "
            f"{'UNENCRYPTED' if sheet_to.unencrypted else 'AES-256'}, SHA-256 {digest}"))
        op.store.disclosures.record(seq, named)
        write_pdf_atomically(staged, lambda fh: fh.write(data))

    def ca_certificate(self, ws: Workspace) -> bytes | None:
        """The vault CA's certificate (DER), public, for checking signed PDFs; None before the CA is made."""
        with ws.operation(None, Action.REVIEW_READ, writes=False) as op:
            ca = op.store.certificates.authority()
            return ca.cert_der if ca else None

    def signed_original(self, ws: Workspace, review_id: int) -> SignedOriginal | None:
        """What the vault keeps of the review's signed original (hash, signer, certificate, time). No people read."""
        with ws.operation(Permission.REVIEW_READ, Action.REVIEW_READ, writes=False) as op:
            self.review_row(op, review_id)
            return op.store.reviews.signed_original(review_id)

    # -- the sheet ----------------------------------------------------------------------------

    def sheet_in(self, store: Unit, row: ReviewRow) -> ReviewSheet:
        """What the PDF prints, read inside the caller's transaction (the export's, which logs the read).

        `row` comes from review_row(), which checked the BCU; nothing here checks again.
        """
        rows = store.reviews.items(row.id)
        victim_sides = self._victim_sides(store, row, rows)
        people = tuple(sorted((SheetPerson(
            ref=i.ref, name=_shown_name(i.name, i.redacted_at is not None), age=i.age,
            harm_band=i.harm_band, harm_score=i.harm_score, victim_band=i.victim_band,
            flags=tuple(FocusFlag(f) for f in i.flags),
            recommendation=Recommendation(i.recommendation) if i.recommendation else None,
            rationale=i.rationale or "", recommended_by=i.recommended_by or "",
            verdict=Verdict(i.verdict) if i.verdict else None, override_reason=i.override_reason or "",
            outcome=Recommendation(i.decision) if i.decision else None,
            victim_score=victim_sides.get(i.ref, (None, None))[0],
            classification=victim_sides.get(i.ref, (None, None))[1]) for i in rows), key=risk_order))
        bands = {band: sum(1 for p in people if p.harm_band == band) for band in ("Red", "Amber", "Green")}
        flag_counts = {f: sum(1 for p in people if f in p.flags) for f in FocusFlag}
        before = store.reviews.previous_signed(row.bcu, row.quarter)
        now_refs = {i.ref: _shown_name(i.name, i.redacted_at is not None) for i in rows}
        then_refs = {r: _shown_name(n, not n) for r, n in store.reviews.item_names(before.id).items()} if before else {}
        added = tuple(sorted((r, n) for r, n in now_refs.items() if r not in then_refs)) if before else ()
        removed = tuple(sorted((r, n) for r, n in then_refs.items() if r not in now_refs))
        signer = store.accounts.by_id(row.signed_by) if row.signed_by is not None else None
        return ReviewSheet(
            review_id=row.id, bcu=row.bcu, bcu_name=bcu_name(row.bcu), quarter=row.quarter, opened_at=row.opened_at,
            signed_at=row.signed_at, signed_by_name=signer.display_name if signer else None,
            signed_by_username=signer.username if signer else None, counts_by_band=bands, flag_counts=flag_counts,
            added_since_last=added, removed_since_last=removed, people=people,
            previous_review=before.id if before else None, previous_quarter=before.quarter if before else None)

    def _victim_sides(self, store: Unit, row: ReviewRow,
                      items: builtins.list[ItemRow]) -> dict[str, tuple[int | None, str | None]]:
        """Each item's victim-risk score and classification as the review saw them, by reference.

        Stored with the item since schema version 12. Items stored before it have none: only for those, and
        only for people still on the matrix, they are scored again from the person's dated events as of the day
        the review opened, as the review did, and kept only when that gives back the harm score and both bands
        the review recorded. A person whose events changed since, or who has left the matrix, gets None, which
        the sheet prints as not recorded.
        """
        sides: dict[str, tuple[int | None, str | None]] = {
            i.ref: (i.victim_score, i.classification) for i in items if i.victim_score is not None}
        missing = {i.ref: i for i in items if i.victim_score is None and i.redacted_at is None}
        if not missing:
            return sides
        opened_on = date.fromisoformat(row.opened_at[:10])
        for person in store.nominals.review_candidates(row.bcu):
            item = missing.get(person.ref)
            if item is None:
                continue
            card = score(store.records.scoring_events(person.nominal_id), opened_on, self.policy)
            if (card.harm, card.harm_band.value, card.victim_band.value) == (
                    item.harm_score, item.harm_band, item.victim_band):
                sides[person.ref] = (card.victim, card.classification.value)
        return sides

    def resolve_quarter(self, ws: Workspace, bcu: str, quarter: str, action: Action) -> ReviewRow:
        """The review a command names by BCU and quarter: the newest signed one, else the open one."""
        with ws.operation(None, action, writes=False) as op:
            bcu = (bcu or "").strip().upper()
            if bcu not in BCUS:
                raise ValidationError(f"Unknown BCU {bcu[:10]!r}: one of {', '.join(sorted(BCUS))}.")
            q = Quarter.parse(quarter)
            if bcu != op.session.bcu:
                raise op.refuse(PermissionDenied(
                    f"Reviews of BCU {bcu} are not yours; your access is limited to BCU {op.session.bcu}."))
            found = op.store.reviews.reviews_of(bcu=bcu, quarter=str(q))
            if not found:
                raise op.refuse(NotFound(f"{bcu} has no review of {q}."), outcome=Outcome.FAILED)
        signed = [r for r in found if r.signed_at is not None]
        return signed[0] if signed else found[0]


def _check_delivery(op: Operation, sheet: SheetDelivery) -> None:
    """The signed original's destination and password, checked before the password is typed again."""
    from gvm_desktop.reports import pdf_signing  # pyHanko and pikepdf: only when a sheet is signed

    op.authorize(Permission.REVIEW_EXPORT)
    if sheet.unencrypted:
        op.authorize(Permission.EXPORT_UNENCRYPTED)
    elif not sheet.pdf_password:
        raise ValidationError("Choose a password for the signed sheet's PDF, or save it unencrypted explicitly.")
    else:
        pdf_signing.check_password(sheet.pdf_password, op.env.machine_policy.min_pdf_password_score)
    target = Path(sheet.out)
    if target.is_dir():
        raise ValidationError(f"Cannot write the signed sheet to {target}: it is a folder.")
    if not target.parent.is_dir():
        raise ValidationError(f"Cannot write the signed sheet to {target}: {target.parent} is not a folder.")


def _deliver(staged: Path, target: Path) -> None:
    """The signed original takes its name. If it cannot, it stays where it was staged: the review is signed, and
    that file is the only signed original there will be (signing again would make another), so it is not deleted."""
    try:
        move_into_place(staged, target, what="the signed sheet")
    except GvmError as exc:
        raise type(exc)(f"{exc.message} The review is signed; its signed original is at {staged}: "
                        "move it where it belongs.") from exc
