"""The data sharing agreement register: which partner may preview which fields, and until when."""

from __future__ import annotations

from datetime import date, timedelta

from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.dates import check_date
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, Role
from gvm_desktop.core.records import DSA_FIELDS
from gvm_desktop.core.text import NAME_MAX, clean
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.key_custody import add_due


def active_dsa(op: Operation) -> Agreement:
    """The agreement a partner session previews under; refused when none is linked or in force.

    Raises PermissionDenied for the caller to refuse (and log) under its own action.
    """
    agreement = op.store.agreements.of_user(op.session.user_id)
    if agreement is None:
        raise PermissionDenied("No data sharing agreement is registered for your account, so nothing is shared.")
    if not agreement.in_force(op.env.clock.now().date()):
        raise PermissionDenied(
            f"Your data sharing agreement ({agreement.organisation}) is in force from {agreement.starts_on} to "
            f"{agreement.ends_on}; nothing is shared outside those dates."
        )
    return agreement


def _agreement(op: Operation, dsa_id: int) -> Agreement:
    agreement = op.store.agreements.by_id(dsa_id)
    if agreement is None:
        raise NotFound(f"There is no data sharing agreement #{dsa_id}.")
    return agreement


class DsaService:
    def register(self, ws: Workspace, *, organisation: str, bcu: str, fields: list[str], starts_on: date,
                 ends_on: date) -> Agreement:
        with ws.operation(Permission.DSA_MANAGE, Action.DSA_ADD) as op:
            org = clean(organisation, "The partner organisation", limit=NAME_MAX)
            code = bcu.strip().upper()
            if code not in BCUS:
                raise ValidationError(f"Unknown BCU '{bcu[:10]}'.")
            unknown = [f for f in fields if f not in DSA_FIELDS]
            if unknown or not fields:
                raise ValidationError(f"A DSA lists fields from: {', '.join(DSA_FIELDS)}.")
            today = op.env.clock.now().date()
            check_date(starts_on, "The agreement's start date", today)
            check_date(ends_on, "The agreement's end date", today)
            if ends_on < starts_on:
                raise ValidationError("The agreement ends before it starts.")
            dsa_id = op.store.agreements.add(
                organisation=org, bcu=code, fields=tuple(dict.fromkeys(fields)), starts_on=starts_on, ends_on=ends_on,
                at=to_iso(op.env.clock.now()), by=op.session.user_id)
            op.log(record_ref=f"dsa:{dsa_id}", detail=f"{org}, {code}, {starts_on}..{ends_on}: {','.join(fields)}")
            return _agreement(op, dsa_id)

    def link_partner(self, ws: Workspace, username: str, dsa_id: int) -> None:
        with ws.operation(Permission.DSA_MANAGE, Action.DSA_ADD) as op:
            account = op.store.accounts.by_username(username.strip().lower())
            if account is None or account.role is not Role.PARTNER:
                raise NotFound(f"There is no partner account '{username[:40]}'.")
            if _agreement(op, dsa_id).bcu != account.bcu:
                raise ValidationError("The agreement covers another BCU than the partner's account.")
            op.store.agreements.link_user(account.id, dsa_id)
            op.log(record_ref=f"user:{account.id}", detail=f"{account.username} previews under DSA #{dsa_id}")
            # Any other agreement's preview key leaves the partner's slot, and that preview is rotated by its
            # BCU's next holder (the administrator holds no key to it).
            others = [n for n in op.vault.held_by(account.id) if n.startswith("dsa:") and n != f"dsa:{dsa_id}"]
            if others:
                add_due(op.store, others)
                op.vault.withdraw(account.id, others)
                op.log(Action.KEY_ROTATE, record_ref=f"user:{account.id}", detail=f"due: {', '.join(others)}")

    def end(self, ws: Workspace, dsa_id: int, *, ended_on: date) -> Agreement:
        """End an agreement early: from `ended_on` (today or before) nothing is shared under it.

        Its last day in force becomes the day before. In the same transaction as the change and its log
        entry, the preview key leaves every linked partner's slot and is recorded as due for rotation: the
        administrator holds no key to the preview, so its BCU's next holder rotates it (a copy of the old key
        then opens nothing) and empties it (key_custody.keep_previews). Until then the partner's session is
        refused by date (active_dsa) and their slot holds no key to the file.
        """
        with ws.operation(Permission.DSA_MANAGE, Action.DSA_ADD) as op:
            agreement = _agreement(op, dsa_id)
            today = op.env.clock.now().date()
            check_date(ended_on, "The day the agreement ends", today)
            if ended_on > today:
                raise ValidationError(f"An agreement is ended from today ({today}) or an earlier day; "
                                      f"{ended_on} is still to come.")
            last_day = ended_on - timedelta(days=1)
            if agreement.ends_on <= last_day:
                raise ValidationError(f"Agreement #{dsa_id} ({agreement.organisation}) already ended: its last day "
                                      f"was {agreement.ends_on}.")
            op.store.agreements.set_end(dsa_id, last_day)
            name = f"dsa:{dsa_id}"
            withdrawn = [uid for uid in op.store.agreements.partners_of(dsa_id) if name in op.vault.held_by(uid)]
            op.log(record_ref=f"dsa:{dsa_id}", detail=(
                f"DSA #{dsa_id} ({agreement.organisation}, {agreement.bcu}) ended from {ended_on}, last day "
                f"{last_day} (was {agreement.ends_on})"))
            add_due(op.store, [name])
            op.log(Action.KEY_ROTATE, record_ref=f"dsa:{dsa_id}", detail=(
                f"due: {name}, the agreement ended" + (f"; withdrawn from {', '.join(f'user:{u}' for u in withdrawn)}"
                                                       if withdrawn else "")))
            # The slot file last, as link_partner does: a failure before it rolls the database back untouched.
            for user_id in withdrawn:
                op.vault.withdraw(user_id, [name])
            return _agreement(op, dsa_id)

    def list(self, ws: Workspace) -> list[Agreement]:
        with ws.operation(Permission.DSA_MANAGE, Action.DSA_ADD, writes=False) as op:
            return op.store.agreements.all_agreements()
