"""Access governance: training records, SPOC grants, inactive accounts, the monthly system audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.dates import check_date, parse_month
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.governance import REQUIRED_COURSE, TrainingRecord, has_current, inactive_since
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.settings import AUTO_DISABLE_INACTIVE
from gvm_desktop.core.text import NAME_MAX, clean
from gvm_desktop.services.accounts import AccountService
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.scope import refuse
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.store import access_log, accounts, governance


@dataclass(frozen=True)
class InactiveAccount:
    account: Account
    last_used: str  # the last sign-in, or "never (created …)"


@dataclass(frozen=True)
class TeamMember:
    account: Account
    training: tuple[TrainingRecord, ...]
    granted: bool  # an officer's SPOC grant to the BCU's matrix


@dataclass(frozen=True)
class MonthlyAudit:
    bcu: str
    month: str  # YYYY-MM
    by_action: dict[str, int]
    by_user: dict[str, dict[str, int]]  # username -> action -> count
    records_opened: int  # distinct records
    refusals: int


def _target(ws: Workspace, username: str) -> Account:
    account = accounts.by_username(ws.conn, username.strip().lower()[:40])
    if account is None:
        raise NotFound(f"There is no account '{username[:40]}'.")
    return account


def _own_bcu_only(ws: Workspace, action: Action, target: Account) -> None:
    """A SPOC governs the accounts of their own BCU; an admin governs all."""
    if ws.session.role is Role.SPOC and target.bcu != ws.session.bcu:
        raise refuse(ws, action, PermissionDenied(
            f"{target.username} is not in your BCU ({ws.session.bcu}); their own BCU's SPOC decides."),
            record_ref=f"user:{target.id}")


class GovernanceService:
    def __init__(self, accounts_service: AccountService) -> None:
        self.accounts = accounts_service

    def record_training(self, ws: Workspace, username: str, *, completed_on: date, expires_on: date,
                        course: str = REQUIRED_COURSE) -> None:
        ws.authorize(Permission.TRAINING_RECORD, Action.TRAINING_RECORD)
        target = _target(ws, username)
        _own_bcu_only(ws, Action.TRAINING_RECORD, target)
        name = clean(course, "The course", limit=NAME_MAX)
        today = ws.env.clock.now().date()
        check_date(completed_on, "The completion date", today)
        check_date(expires_on, "The expiry date", today)
        if completed_on > today:
            raise ValidationError("Training cannot be completed in the future.")
        if expires_on <= completed_on:
            raise ValidationError("The training expires before (or when) it was completed.")
        with ws.write() as conn:
            governance.add_training(conn, target.id, name, completed_on, expires_on, to_iso(ws.env.clock.now()),
                                    ws.session.user_id)
            access_log.append(conn, ws.entry(Action.TRAINING_RECORD, record_ref=f"user:{target.id}",
                                             detail=f"{target.username}: {name}, {completed_on}..{expires_on}"))

    def team(self, ws: Workspace) -> list[TeamMember]:
        """The BCU's accounts (a SPOC's own; all for an admin) with their training and grant, in one call."""
        ws.authorize(Permission.TRAINING_RECORD, Action.TRAINING_RECORD)
        members = [a for a in accounts.all_accounts(ws.conn)
                   if ws.session.role is not Role.SPOC or a.bcu == ws.session.bcu]
        return [TeamMember(a, tuple(governance.training(ws.conn, a.id)), governance.granted(ws.conn, a.id))
                for a in members]

    def training(self, ws: Workspace, username: str) -> list[TrainingRecord]:
        ws.authorize(Permission.TRAINING_RECORD, Action.TRAINING_RECORD)
        return governance.training(ws.conn, _target(ws, username).id)

    def grant(self, ws: Workspace, username: str) -> None:
        """The SPOC opens their BCU's matrix to an officer, only with current training."""
        ws.authorize(Permission.ACCESS_GRANT, Action.ACCESS_GRANT)
        target = _target(ws, username)
        _own_bcu_only(ws, Action.ACCESS_GRANT, target)
        if target.role is not Role.OFFICER or not target.active:
            raise ValidationError(f"{target.username} is not an active officer account.")
        if not has_current(governance.training(ws.conn, target.id), ws.env.clock.now().date()):
            raise refuse(ws, Action.ACCESS_GRANT, ValidationError(
                f"{target.username} has no current '{REQUIRED_COURSE}' training on record; record it first."),
                record_ref=f"user:{target.id}")
        with ws.write() as conn:
            governance.set_grant(conn, target.id, to_iso(ws.env.clock.now()), ws.session.user_id)
            access_log.append(conn, ws.entry(Action.ACCESS_GRANT, record_ref=f"user:{target.id}",
                                             detail=f"{target.username} may use the {target.bcu} matrix"))

    def revoke(self, ws: Workspace, username: str) -> None:
        ws.authorize(Permission.ACCESS_GRANT, Action.ACCESS_REVOKE)
        target = _target(ws, username)
        _own_bcu_only(ws, Action.ACCESS_REVOKE, target)
        with ws.write() as conn:
            governance.set_grant(conn, target.id, None, None)
            access_log.append(conn, ws.entry(Action.ACCESS_REVOKE, record_ref=f"user:{target.id}",
                                             detail=target.username))

    def inactive(self, ws: Workspace) -> list[InactiveAccount]:
        """Active accounts unused for six months (a SPOC sees their own BCU's)."""
        ws.authorize(Permission.INACTIVE_LIST, Action.INACTIVE_LIST)
        today = ws.env.clock.now().date()
        out = []
        for a in accounts.all_accounts(ws.conn):
            if not a.active or (ws.session.role is Role.SPOC and a.bcu != ws.session.bcu):
                continue
            last = from_iso(a.last_signin_at).date() if a.last_signin_at else None
            if inactive_since(last, from_iso(a.created_at).date(), today):
                out.append(InactiveAccount(a, a.last_signin_at or f"never (created {a.created_at[:10]})"))
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.INACTIVE_LIST, detail=f"{len(out)} inactive accounts"))
        return out

    def disable_inactive(self, ws: Workspace, usernames: list[str]) -> list[str]:
        """Disable the confirmed accounts, each through the normal disable path (slot gone, key rotated)."""
        ws.authorize(Permission.INACTIVE_DISABLE, Action.ACCOUNT_DISABLE)
        inactive = {i.account.username: i.account for i in self.inactive(ws)}
        done = []
        for name in usernames:
            target = inactive.get(name.strip().lower())
            if target is None:
                raise ValidationError(f"'{name[:40]}' is not on the list of inactive accounts.")
            _own_bcu_only(ws, Action.ACCOUNT_DISABLE, target)
            self.accounts.disable(ws, target.username, permission=Permission.INACTIVE_DISABLE,
                                  reason="unused for six months, disabled on confirmation")
            done.append(target.username)
        return done

    def auto_disable(self, ws: Workspace, settings: SettingsService) -> list[str]:
        """When the administrator has turned it on, their sign-in disables the inactive accounts."""
        if ws.session.role is not Role.ADMIN or settings.value(ws, AUTO_DISABLE_INACTIVE.key) != 1:
            return []
        names = [i.account.username for i in self.inactive(ws) if i.account.id != ws.session.user_id
                 and not (i.account.role is Role.ADMIN and accounts.count_active_admins(ws.conn) <= 1)]
        return self.disable_inactive(ws, names) if names else []

    def monthly_audit(self, ws: Workspace, bcu: str, month: str) -> MonthlyAudit:
        """Who viewed, edited, exported in a BCU in a calendar month; counts per action and per user."""
        ws.authorize(Permission.AUDIT_SUMMARY, Action.AUDIT_SUMMARY)
        code = bcu.strip().upper()
        if code not in BCUS:
            raise ValidationError(f"Unknown BCU '{bcu[:10]}'.")
        if ws.session.role is Role.SPOC and code != ws.session.bcu:
            raise refuse(ws, Action.AUDIT_SUMMARY, PermissionDenied(f"You may read the audit of BCU {ws.session.bcu} only."))
        span = parse_month(month.strip(), ws.env.clock.now().date())
        # Up to the month's last second rather than the next month's first moment, so the span needs
        # no date past the month (December's used to build one); at_utc is written to the second.
        bounds = (f"{span.first.isoformat()}T00:00:00Z", f"{span.last.isoformat()}T23:59:59Z")
        rows = ws.conn.execute(
            "SELECT username, action, outcome, record_ref FROM access_log WHERE at_utc >= ? AND at_utc <= ? AND bcu = ?",
            (*bounds, code)).fetchall()
        by_action: dict[str, int] = {}
        by_user: dict[str, dict[str, int]] = {}
        opened: set[str] = set()
        refusals = 0
        for username, action, outcome, ref in rows:
            by_action[action] = by_action.get(action, 0) + 1
            user = by_user.setdefault(username or "(unknown)", {})
            user[action] = user.get(action, 0) + 1
            if action == Action.RECORD_OPEN.value and outcome == "allowed" and ref:
                opened.add(ref)
            refusals += outcome == "refused"
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.AUDIT_SUMMARY, detail=f"{code} {span}: {len(rows)} entries"))
        return MonthlyAudit(code, str(span), by_action, by_user, len(opened), refusals)
