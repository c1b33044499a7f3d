"""The data sharing agreement register: which partner may preview which fields, and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.dates import check_date
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.records import DSA_FIELDS
from gvm_desktop.core.text import NAME_MAX, clean
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, accounts


@dataclass(frozen=True)
class Agreement:
    id: int
    organisation: str
    bcu: str
    fields: tuple[str, ...]
    starts_on: date
    ends_on: date

    def in_force(self, on: date) -> bool:
        return self.starts_on <= on <= self.ends_on


def _agreement(r: tuple) -> Agreement:
    return Agreement(r[0], r[1], r[2], tuple(f for f in r[3].split(",") if f), date.fromisoformat(r[4]),
                     date.fromisoformat(r[5]))


_SQL = "SELECT id, organisation, bcu, fields, starts_on, ends_on FROM dsa"


def active_dsa(ws: Workspace) -> Agreement:
    """The agreement a partner session previews under; refused when none is linked or in force."""
    row = ws.conn.execute(f"{_SQL} WHERE id = (SELECT dsa_id FROM users WHERE id = ?)", (ws.session.user_id,)).fetchone()
    today = ws.env.clock.now().date()
    if row is None:
        raise PermissionDenied("No data sharing agreement is registered for your account, so nothing is shared.")
    agreement = _agreement(row)
    if not agreement.in_force(today):
        raise PermissionDenied(
            f"Your data sharing agreement ({agreement.organisation}) is in force from {agreement.starts_on} to "
            f"{agreement.ends_on}; nothing is shared outside those dates."
        )
    return agreement


class DsaService:
    def register(self, ws: Workspace, *, organisation: str, bcu: str, fields: list[str], starts_on: date,
                 ends_on: date) -> Agreement:
        ws.authorize(Permission.DSA_MANAGE, Action.DSA_ADD)
        org = clean(organisation, "The partner organisation", limit=NAME_MAX)
        code = bcu.strip().upper()
        if code not in BCUS:
            raise ValidationError(f"Unknown BCU '{bcu[:10]}'.")
        unknown = [f for f in fields if f not in DSA_FIELDS]
        if unknown or not fields:
            raise ValidationError(f"A DSA lists fields from: {', '.join(DSA_FIELDS)}.")
        today = ws.env.clock.now().date()
        check_date(starts_on, "The agreement's start date", today)
        check_date(ends_on, "The agreement's end date", today)
        if ends_on < starts_on:
            raise ValidationError("The agreement ends before it starts.")
        with ws.write() as conn:
            cur = conn.execute(
                "INSERT INTO dsa (organisation, bcu, fields, starts_on, ends_on, created_at, created_by) "
                "VALUES (?,?,?,?,?,?,?)",
                (org, code, ",".join(dict.fromkeys(fields)), starts_on.isoformat(), ends_on.isoformat(),
                 to_iso(ws.env.clock.now()), ws.session.user_id),
            )
            dsa_id = int(cur.lastrowid or 0)
            access_log.append(conn, ws.entry(Action.DSA_ADD, record_ref=f"dsa:{dsa_id}",
                                             detail=f"{org}, {code}, {starts_on}..{ends_on}: {','.join(fields)}"))
        return _agreement(conn.execute(f"{_SQL} WHERE id = ?", (dsa_id,)).fetchone())

    def link_partner(self, ws: Workspace, username: str, dsa_id: int) -> None:
        ws.authorize(Permission.DSA_MANAGE, Action.DSA_ADD)
        account = accounts.by_username(ws.conn, username.strip().lower())
        if account is None or account.role is not Role.PARTNER:
            raise NotFound(f"There is no partner account '{username[:40]}'.")
        row = ws.conn.execute(f"{_SQL} WHERE id = ?", (dsa_id,)).fetchone()
        if row is None:
            raise NotFound(f"There is no data sharing agreement #{dsa_id}.")
        if _agreement(row).bcu != account.bcu:
            raise ValidationError("The agreement covers another BCU than the partner's account.")
        with ws.write() as conn:
            conn.execute("UPDATE users SET dsa_id = ? WHERE id = ?", (dsa_id, account.id))
            access_log.append(conn, ws.entry(Action.DSA_ADD, record_ref=f"user:{account.id}",
                                             detail=f"{account.username} previews under DSA #{dsa_id}"))

    def list(self, ws: Workspace) -> list[Agreement]:
        ws.authorize(Permission.DSA_MANAGE, Action.DSA_ADD)
        return [_agreement(r) for r in ws.conn.execute(f"{_SQL} ORDER BY id")]
