"""Access governance: training records, SPOC grants, inactive accounts, the monthly system audit."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.dates import Month, check_date, parse_month
from gvm_desktop.core.errors import GvmError, NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.exports import ExportResult
from gvm_desktop.core.governance import (
    AUTOMATIC_VIEW,
    DISUSE_REVOCATION,
    MATRIX_USE,
    REQUIRED_COURSE,
    InactiveAccount,
    TrainingRecord,
    has_current,
    inactive_since,
    matrix_unused,
)
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, Role, allows
from gvm_desktop.core.record_use import ACTIONS_BY_SOURCE, LONDON, MonthlyAudit, Source, audit_csv, bcu_text, build_monthly, tally
from gvm_desktop.core.settings import AUTO_DISABLE_INACTIVE
from gvm_desktop.core.text import NAME_MAX, clean
from gvm_desktop.services.accounts import AccountService
from gvm_desktop.services.auth import signing_key_for
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.key_custody import add_due, deliver_entitled, rotate_withdrawn
from gvm_desktop.services.log_export import csv_target, remember_export_key, staged_signed_csv, write_signed_csv
from gvm_desktop.services.reports import check_protection, exporter_key, exporter_signed, protection_words
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.store.protocols import Unit

UNUSED_REFUSAL = ("Your access to the {bcu} matrix was withdrawn because you have not used it for six months; "
                  "your BCU's SPOC can restore it.")


@dataclass(frozen=True)
class TeamMember:
    account: Account
    training: tuple[TrainingRecord, ...]
    granted: bool  # an officer's SPOC grant to the BCU's matrix


def _withdraw_key(op: Operation, user_id: int) -> list[str]:
    """Inside the revoking transaction: the BCU key leaves the officer's slot and its rotation is due."""
    held = op.vault.held_by(user_id)
    rotated = op.vault.rotatable(held)
    add_due(op.store, rotated)
    op.vault.withdraw(user_id, held)
    return rotated


def _due_text(names: list[str]) -> str:
    return f" (key rotation due for {', '.join(names)})" if names else ""


def _target(op: Operation, username: str) -> Account:
    account = op.store.accounts.by_username(username.strip().lower()[:40])
    if account is None:
        raise NotFound(f"There is no account '{username[:40]}'.")
    return account


def _own_bcu_only(op: Operation, target: Account) -> None:
    """A SPOC governs the accounts of their own BCU; an admin governs all."""
    if op.session.role is Role.SPOC and target.bcu != op.session.bcu:
        raise op.refuse(PermissionDenied(
            f"{target.username} is not in your BCU ({op.session.bcu}); their own BCU's SPOC decides."),
            record_ref=f"user:{target.id}")


class GovernanceService:
    def __init__(self, accounts_service: AccountService) -> None:
        self.accounts = accounts_service

    def record_training(self, ws: Workspace, username: str, *, completed_on: date, expires_on: date,
                        course: str = REQUIRED_COURSE) -> None:
        with ws.operation(Permission.TRAINING_RECORD, Action.TRAINING_RECORD) as op:
            target = _target(op, username)
            _own_bcu_only(op, target)
            name = clean(course, "The course", limit=NAME_MAX)
            today = op.env.clock.now().date()
            check_date(completed_on, "The completion date", today)
            check_date(expires_on, "The expiry date", today)
            if completed_on > today:
                raise ValidationError("Training cannot be completed in the future.")
            if expires_on <= completed_on:
                raise ValidationError("The training expires before (or when) it was completed.")
            op.store.governance.add_training(target.id, name, completed_on, expires_on, to_iso(op.env.clock.now()),
                                             op.session.user_id)
            op.log(record_ref=f"user:{target.id}", detail=f"{target.username}: {name}, {completed_on}..{expires_on}")

    def team(self, ws: Workspace) -> list[TeamMember]:
        """The BCU's accounts (a SPOC's own; all for an admin) with their training and grant, in one call."""
        with ws.operation(Permission.TRAINING_RECORD, Action.TRAINING_RECORD, writes=False) as op:
            members = [a for a in op.store.accounts.all_accounts()
                       if op.session.role is not Role.SPOC or a.bcu == op.session.bcu]
            return [TeamMember(a, tuple(op.store.governance.training(a.id)), op.store.governance.granted(a.id))
                    for a in members]

    def training(self, ws: Workspace, username: str) -> list[TrainingRecord]:
        with ws.operation(Permission.TRAINING_RECORD, Action.TRAINING_RECORD, writes=False) as op:
            return op.store.governance.training(_target(op, username).id)

    def grant(self, ws: Workspace, username: str) -> None:
        """The SPOC opens their BCU's matrix to an officer, only with current training."""
        with ws.operation(Permission.ACCESS_GRANT, Action.ACCESS_GRANT) as op:
            target = _target(op, username)
            _own_bcu_only(op, target)
            if target.role is not Role.OFFICER or not target.active:
                raise ValidationError(f"{target.username} is not an active officer account.")
            if not has_current(op.store.governance.training(target.id), op.env.clock.now().date()):
                raise op.refuse(ValidationError(
                    f"{target.username} has no current '{REQUIRED_COURSE}' training on record; record it first."),
                    record_ref=f"user:{target.id}")
            op.store.governance.set_grant(target.id, to_iso(op.env.clock.now()), op.session.user_id)
            op.log(record_ref=f"user:{target.id}", detail=f"{target.username} may use the {target.bcu} matrix")
        # The grant is the SPOC's, and so is the key: sealed to the officer's slot once the grant commits.
        deliver_entitled(ws)

    def revoke(self, ws: Workspace, username: str) -> None:
        with ws.operation(Permission.ACCESS_GRANT, Action.ACCESS_REVOKE) as op:
            target = _target(op, username)
            _own_bcu_only(op, target)
            op.store.governance.set_grant(target.id, None, None)
            taken = _withdraw_key(op, target.id)
            op.log(record_ref=f"user:{target.id}", detail=target.username + _due_text(taken))
        rotate_withdrawn(ws, taken, f"after revoking {target.username}'s access")

    def inactive(self, ws: Workspace) -> list[InactiveAccount]:
        """Active accounts unused for six months (a SPOC sees their own BCU's)."""
        with ws.operation(Permission.INACTIVE_LIST, Action.INACTIVE_LIST) as op:
            today = op.env.clock.now().date()
            out = []
            for a in op.store.accounts.all_accounts():
                if not a.active or (op.session.role is Role.SPOC and a.bcu != op.session.bcu):
                    continue
                last = from_iso(a.last_signin_at).date() if a.last_signin_at else None
                if inactive_since(last, from_iso(a.created_at).date(), today):
                    out.append(InactiveAccount(a, a.last_signin_at or f"never (created {a.created_at[:10]})"))
            op.log(detail=f"{len(out)} inactive accounts")
        return out

    def disable_inactive(self, ws: Workspace, usernames: list[str]) -> list[str]:
        """Disable the confirmed accounts, each through the normal disable path (slot gone, key rotated).

        A read around them: each disabling commits, then rotates the key, outside any transaction.
        """
        with ws.operation(Permission.INACTIVE_DISABLE, Action.ACCOUNT_DISABLE, writes=False):
            inactive = {i.account.username: i.account for i in self.inactive(ws)}
            done = []
            for name in usernames:
                target = inactive.get(name.strip().lower())
                if target is None:
                    raise ValidationError(f"'{name[:40]}' is not on the list of inactive accounts.")
                self.accounts.disable(ws, target.username, permission=Permission.INACTIVE_DISABLE,
                                      reason="unused for six months, disabled on confirmation")
                done.append(target.username)
            return done

    def auto_disable(self, ws: Workspace, settings: SettingsService) -> list[str]:
        """When the administrator has turned it on, their sign-in disables the inactive accounts."""
        if ws.session.role is not Role.ADMIN or settings.value(ws, AUTO_DISABLE_INACTIVE.key) != 1:
            return []
        candidates = [i.account for i in self.inactive(ws) if i.account.id != ws.session.user_id]
        with ws.operation(None, Action.ACCOUNT_DISABLE, writes=False) as op:
            last_admin = op.store.accounts.count_active_admins() <= 1
        names = [a.username for a in candidates if not (a.role is Role.ADMIN and last_admin)]
        return self.disable_inactive(ws, names) if names else []

    # -- six months without using the matrix ------------------------------------
    #
    # The Met withdraws access not used for six months. Here that is the SPOC's grant (what
    # `governance grant` gives and a SPOC can give again), not the account: disabling is the
    # administrator's separate, heavier step (slot removed, key rotated), still under their
    # auto_disable_inactive setting. Withdrawing is policy, not a setting, like the lockout:
    # the Met's own baseline is not an administrator's to relax, and a SPOC undoes it in one
    # step. Use is measured from the access log (MATRIX_USE), never from sign-ins.

    def _unused_since(self, store: Unit, user_id: int, granted: str, today: date) -> str | None:
        """The officer's last use of the matrix ("never" if none since the grant) when six months old; else None."""
        # The list a home showed by itself at a sign-in or unlock is logged, but is not the officer's use.
        last = store.log.last_of_actions(user_id, MATRIX_USE, unless_marked=AUTOMATIC_VIEW)
        if not matrix_unused(from_iso(last).date() if last else None, from_iso(granted).date(), today):
            return None
        return last[:10] if last and last >= granted else f"never since the grant of {granted[:10]}"

    def _withdraw_if_unused(self, op: Operation, user_id: int, username: str, today: date) -> bool:
        """Inside the write: asked again, since another sign-in may have withdrawn (or a SPOC restored) it since."""
        granted = op.store.governance.granted_at(user_id)
        last = self._unused_since(op.store, user_id, granted, today) if granted else None
        if last is None:
            return False
        op.store.governance.set_grant(user_id, None, None)
        # Rotated by the next holder's session, never by the officer's own: it would learn the next key.
        due = _withdraw_key(op, user_id)
        op.log(Action.ACCESS_REVOKE, record_ref=f"user:{user_id}", detail=(
            f"{DISUSE_REVOCATION}: {username}, last used {last}{_due_text(due)}"))
        return True

    def admit(self, ws: Workspace) -> None:
        """At an officer's own sign-in, once the password is right: refuse it while their access stands
        withdrawn for disuse, withdrawing it first if six months have just passed.

        Run before the sign-in is logged, so the log reads: withdrawn (if now), sign-in refused.
        Checked after the password, so it tells nobody without it anything about the account.
        """
        s = ws.session
        if s.role is not Role.OFFICER:
            return
        today = ws.env.clock.now().date()
        # Read first, so an officer in good standing signs in without taking the write lock.
        with ws.operation(None, Action.SIGN_IN, writes=False) as op:
            granted = op.store.governance.granted_at(s.user_id)
            if granted is not None:
                if self._unused_since(op.store, s.user_id, granted, today) is None:
                    return
            else:
                change = op.store.log.last_grant_change(s.user_id)
                if change is None or change.action is not Action.ACCESS_REVOKE or not (change.detail or "").startswith(
                        DISUSE_REVOCATION):
                    return  # never granted, or revoked by a SPOC: signs in, and the matrix says why it is closed
        # The withdrawal and the refused sign-in commit together; only then is the sign-in refused.
        with ws.operation(None, Action.SIGN_IN) as op:
            self._withdraw_if_unused(op, s.user_id, s.username, today)
            op.log(outcome=Outcome.REFUSED, detail=(
                "matrix access withdrawn after six months unused; the SPOC has not restored it"))
        raise PermissionDenied(UNUSED_REFUSAL.format(bcu=s.bcu))

    def withdraw_unused(self, ws: Workspace) -> list[str]:
        """At a SPOC's or an administrator's sign-in: withdraw the grants unused for six months in their scope.

        A SPOC's scope is their BCU, an administrator's every BCU (those who may disable inactive
        accounts). Each withdrawal is logged, all in one transaction. Returns the usernames.
        """
        s = ws.session
        if not allows(s.role, Permission.INACTIVE_DISABLE):
            return []
        today = ws.env.clock.now().date()
        scope = s.bcu if s.role is Role.SPOC else None
        with ws.operation(None, Action.ACCESS_REVOKE, writes=False) as op:
            due = [(o.id, o.username) for o in op.store.governance.granted_officers(scope)
                   if self._unused_since(op.store, o.id, o.granted_at, today) is not None]
        if not due:
            return []
        done = []
        with ws.operation(None, Action.ACCESS_REVOKE) as op:
            for uid, name in due:
                if self._withdraw_if_unused(op, uid, name, today):
                    done.append(name)
        return done

    # -- the monthly system audit ------------------------------------------------
    #
    # What the Met's monthly audits say: per user and per local matrix, how many records were
    # viewed, downloaded and edited, grouped by the BCU of the record (core/record_use.py says
    # what counts as which). A SPOC reads their own BCU's; an auditor any BCU's, or the London
    # roll-up of every BCU in the vault (bcu "ALL" or "LONDON").

    def _monthly_scope(self, op: Operation, bcu: str, month: str) -> tuple[str, Month]:
        code = bcu.strip().upper()
        if code in (LONDON, "LONDON"):
            code = LONDON
        elif code not in BCUS:
            raise ValidationError(f"Unknown BCU '{bcu[:10]}': name one, or ALL for London.")
        if op.session.role is Role.SPOC and code != op.session.bcu:
            raise op.refuse(PermissionDenied(f"You may read the audit of BCU {op.session.bcu} only."))
        return code, parse_month(month.strip(), op.env.clock.now().date())

    def monthly_audit(self, ws: Workspace, bcu: str, month: str) -> MonthlyAudit:
        """How many records each user viewed, downloaded and edited in a calendar month (UTC), per BCU of the record."""
        with ws.operation(Permission.AUDIT_SUMMARY, Action.AUDIT_SUMMARY) as op:
            scope, span = self._monthly_scope(op, bcu, month)
            audit = _count_month(op.store, scope, span)
            op.log(detail=f"{bcu_text(scope)} {span}: {_summary(audit)}")
        return audit

    def export_monthly_csv(self, ws: Workspace, bcu: str, month: str, path: Path) -> ExportResult:
        """The audit as a CSV signed like a log export (Ed25519 from the log's verification key, so
        `log verify-export` checks it). Only auditors hold that key: a SPOC exports the PDF."""
        with staged_signed_csv(Path(path)), ws.operation(Permission.AUDIT_SUMMARY, Action.AUDIT_SUMMARY) as op:
            if not allows(op.session.role, Permission.LOG_EXPORT):
                raise op.refuse(PermissionDenied(
                    "The signed CSV is signed with the access log's key, which only auditors hold; export the PDF "
                    "instead."))
            scope, span = self._monthly_scope(op, bcu, month)
            try:
                target = csv_target(op, path)
            except PermissionDenied as refusal:  # an auditor not yet given the key
                raise op.refuse(refusal) from None
            with _failure_logged(op, scope, span):
                audit = _count_month(op.store, scope, span)
                data, rows = audit_csv(audit)
                result = write_signed_csv(op, target, data, entries=rows,
                                          described=f"monthly system audit {scope} {span}")
                remember_export_key(op.store, result.public_key)
                op.log(detail=(f"signed CSV of the monthly audit {bcu_text(scope)} {span} to {target.name}: "
                               f"{_summary(audit)}"))
        return result

    def export_monthly_pdf(self, ws: Workspace, bcu: str, month: str, path: Path, *, account_password: str,
                           pdf_password: str | None, unencrypted: bool = False) -> MonthlyAudit:
        """The audit as a PDF with the log head on every page: AES-256 unless not, signed by the exporter.

        It names officers and counts what each of them did with records: personal data about the
        staff, so it leaves protected like the review sheet, never as plain statistics.
        """
        # ReportLab loads only when a PDF is drawn: importing it costs the application's start-up a quarter second.
        from gvm_desktop.reports.monthly_audit_pdf import build_monthly_audit
        from gvm_desktop.reports.pdf_base import write_pdf_atomically

        with ws.operation(Permission.AUDIT_SUMMARY, Action.AUDIT_SUMMARY, writes=False) as op:
            self._monthly_scope(op, bcu, month)  # refused (and logged) before the password's slow key derivation
            if Path(path).suffix.lower() != ".pdf":
                raise ValidationError("The file's name must end in .pdf.")
            check_protection(op, pdf_password, unencrypted)
        wrap_key = signing_key_for(ws, account_password, Action.AUDIT_SUMMARY)
        with ws.operation(Permission.AUDIT_SUMMARY, Action.AUDIT_SUMMARY) as op:
            scope, span = self._monthly_scope(op, bcu, month)
            target = Path(path)
            if target.suffix.lower() != ".pdf":
                raise ValidationError("The file's name must end in .pdf.")
            with _failure_logged(op, scope, span):
                audit = _count_month(op.store, scope, span)
                key = exporter_key(op, wrap_key)
                head = op.store.chain.head()
                now = op.env.clock.now()
                buffer = io.BytesIO()
                build_monthly_audit(buffer, audit, exported_by=op.session.username,
                                    exported_at=to_iso(now), log_head=(head.seq, head.hash.hex()),
                                    vault_label=f"vault {op.vault.vault_id[:8]}", demo=op.is_demo)
                signed = exporter_signed(buffer.getvalue(), key,
                                         pdf_password=None if unencrypted else pdf_password,
                                         reason=f"Monthly system audit {bcu_text(scope)} {span}",
                                         location=f"vault {op.vault.vault_id[:8]}",
                                         signer_name=op.session.display_name, signed_at=now)
                op.log(detail=(f"PDF of the monthly audit {bcu_text(scope)} {span} to {target.name}: "
                               f"{_summary(audit)}; {protection_words(unencrypted)}"))
                write_pdf_atomically(target, lambda fh: fh.write(signed))
        return audit


@contextmanager
def _failure_logged(op: Operation, scope: str, span: Month) -> Iterator[None]:
    """Count, write the file and log it in one transaction; if the file cannot be written, a FAILED entry says so
    (the operation rolls back, then logs it alone)."""
    try:
        yield
    except GvmError as error:
        raise op.refuse(error, outcome=Outcome.FAILED, logged_reason=(
            f"export of the monthly audit {bcu_text(scope)} {span}: {error.code}, not written")) from None


def _count_month(store: Unit, scope: str, span: Month) -> MonthlyAudit:
    """The month's counts for `scope` (a BCU, or LONDON), read in the caller's transaction."""
    # Up to the month's last second rather than the next month's first moment, so the span needs
    # no date past the month (December's used to build one); at_utc is written to the second.
    monthly = store.monthly_audit
    seqs = monthly.month_range(f"{span.first.isoformat()}T00:00:00Z", f"{span.last.isoformat()}T23:59:59Z")
    own = None if scope == LONDON else scope
    everywhere = monthly.bcus_in_vault() if scope == LONDON else []
    if seqs is None:
        return build_monthly(scope=scope, month=str(span), counts={}, bcus_in_vault=everywhere, records_opened=0,
                             activity={}, refusals=0)
    touches, opened = monthly.record_touches(seqs, ACTIONS_BY_SOURCE[Source.RECORD])
    counts = tally(touches=touches, documents=monthly.documents(seqs, ACTIONS_BY_SOURCE[Source.DISCLOSED]),
                   disclosed=monthly.disclosed(seqs), shown=monthly.shown(seqs, ACTIONS_BY_SOURCE[Source.SHOWN]))
    activity, refusals = monthly.activity(seqs, own)
    return build_monthly(scope=scope, month=str(span), counts=counts, bcus_in_vault=everywhere,
                         records_opened=sum(opened.values()) if own is None else opened.get(own, 0),
                         activity=activity, refusals=refusals)


def _summary(audit: MonthlyAudit) -> str:
    c = audit.total.counts
    return f"{c.viewed} viewed, {c.downloaded} downloaded, {c.edited} edited by {audit.total.users} users"
