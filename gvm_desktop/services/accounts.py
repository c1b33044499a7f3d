"""Account administration and one's own password."""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.governance import inactive_since
from gvm_desktop.core.passwords import check_display_name, check_password, check_username
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, Role, validate_bcu
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.key_custody import add_due, clear_due
from gvm_desktop.store import keyslots
from gvm_desktop.store.protocols import Unit
from gvm_desktop.store.vault import Checkpoint, Vault, load_slots, no_checkpoint


def create_account(
    store: Unit,
    vault: Vault,
    *,
    username: str,
    display_name: str,
    role: Role,
    bcu: str | None,
    password: str,
    created_by: int | None,
    at: str,
) -> tuple[int, str]:
    """Validate and insert the row, in the caller's open transaction on `store`; the caller writes the slot.

    Returns (user id, log detail). Used by the account service and by vault creation,
    which has a unit of work but no session yet.
    """
    name = check_username(username)
    display = check_display_name(display_name)
    bcu_code = validate_bcu(role, bcu, frozenset(BCUS))
    check_password(password, name)
    if store.accounts.by_username(name) is not None:
        raise ValidationError(f"The username '{name}' is taken.")
    user_id = store.accounts.insert(
        username=name, display_name=display, role=role, bcu=bcu_code, locator=vault.locator(name),
        created_at=at, created_by=created_by,
    )
    return user_id, f"{name} as {role.value}" + (f" in {bcu_code}" if bcu_code else "")


def _inactive_within_reach(op: Operation, target: Account) -> None:
    """What the inactive-accounts permission reaches: accounts unused for six months, and for a SPOC only
    those of their own BCU. Checked here, where the disabling happens, not only by the caller that lists them."""
    if op.session.role is Role.SPOC and target.bcu != op.session.bcu:
        raise op.refuse(PermissionDenied(f"{target.username} is not in your BCU ({op.session.bcu}); their own "
                                         "BCU's SPOC decides."), record_ref=f"user:{target.id}")
    last = from_iso(target.last_signin_at).date() if target.last_signin_at else None
    if not inactive_since(last, from_iso(target.created_at).date(), op.env.clock.now().date()):
        raise op.refuse(PermissionDenied(f"{target.username} has been used within six months: only an "
                                         "administrator may disable it."), record_ref=f"user:{target.id}")


def _account(op: Operation, user_id: int) -> Account:
    account = op.store.accounts.by_id(user_id)
    assert account is not None  # an account is disabled, never deleted
    return account


@dataclass(frozen=True)
class Rekeyed:
    """What an on-demand rotation moved at once, and what waits for a holder of the key to sign in."""

    rotated: list[str]
    due: list[str]


class AccountService:
    def list(self, ws: Workspace) -> list[Account]:
        with ws.operation(Permission.ACCOUNT_LIST, Action.ACCOUNT_LIST) as op:
            rows = op.store.accounts.all_accounts()
            op.log(detail=f"{len(rows)} accounts")
        return rows

    def add(
        self, ws: Workspace, *, username: str, display_name: str, role: Role, bcu: str | None, password: str
    ) -> Account:
        with ws.operation(Permission.ACCOUNT_MANAGE, Action.ACCOUNT_ADD) as op:
            user_id, detail = create_account(
                op.store, op.vault, username=username, display_name=display_name, role=role, bcu=bcu,
                password=password, created_by=op.session.user_id, at=to_iso(op.env.clock.now()),
            )
            op.log(record_ref=f"user:{user_id}", detail=detail)
            # The slot is written last, inside the transaction: if it fails, the row goes too.
            op.vault.put_user_slot(user_id, 1, op.vault.locator(check_username(username)), password, op.env.kdf,
                                   auditor=role is Role.AUDITOR)
            return _account(op, user_id)

    def disable(self, ws: Workspace, username: str, *, checkpoint: Checkpoint = no_checkpoint,
                permission: Permission = Permission.ACCOUNT_MANAGE, reason: str = "") -> Account:
        """Disable an account: its slot goes and the data key is rotated, so a copy of it opens nothing.

        `permission` lets governance disable inactive accounts under its own permission
        (SPOCs may, for their BCU); the check itself is never skipped. Never call it inside
        a write operation: the rotation must follow the commit of the disabling.
        """
        if permission not in (Permission.ACCOUNT_MANAGE, Permission.INACTIVE_DISABLE):
            raise ValueError(permission)
        with ws.operation(permission, Action.ACCOUNT_DISABLE) as op:
            target = op.store.accounts.by_username(check_username(username))
            if target is None:
                raise NotFound(f"There is no account '{username[:40]}'.")
            if not target.active:
                raise ValidationError(f"The account '{target.username}' is already disabled.")
            if target.id == op.session.user_id:
                raise ValidationError("You cannot disable your own account; ask another administrator.")
            if permission is Permission.INACTIVE_DISABLE:
                _inactive_within_reach(op, target)
            if target.role is Role.ADMIN and op.store.accounts.count_active_admins() <= 1:
                raise ValidationError("This is the last active administrator; add another before disabling it.")
            op.store.accounts.set_disabled(target.id, to_iso(op.env.clock.now()))
            op.log(record_ref=f"user:{target.id}", detail=f"{target.username}{'; ' + reason if reason else ''}")
            held = op.vault.rotatable(op.vault.held_by(target.id))
            # Recorded as due in the same transaction: whichever of them this session cannot rotate
            # (it does not hold the key) the next session that holds it rotates (key_custody).
            add_due(op.store, held)
            op.log(Action.KEY_ROTATE, detail=f"data key rotated after disabling {target.username}"
                   + (f"; due: {', '.join(held)}" if held else ""))
        # Committed first, logged as rotated: the rotation rekeys the whole database, which SQLite refuses inside
        # a transaction, and finishes by its own crash-safe steps (a sign-in completes one a crash interrupted).
        with ws.operation(None, Action.KEY_ROTATE, writes=False, alone=True) as op:
            done = [n for n in held if op.vault.holds(n)]
            op.vault.revoke_and_rotate(target.id, checkpoint=checkpoint)
        if done:
            with ws.operation(None, Action.KEY_ROTATE) as op:
                clear_due(op.store, done)
                op.log(detail=f"keys rotated after disabling {target.username}: {', '.join(done)}")
        with ws.operation(None, Action.ACCOUNT_DISABLE, writes=False) as op:
            return _account(op, target.id)

    def rekey(self, ws: Workspace, *, checkpoint: Checkpoint = no_checkpoint) -> Rekeyed:
        """Rotate common's key now and mark every BCU and preview key due, by the path `disable` takes.

        The administrator holds common's key only: each other compartment's next key must be endorsed
        by a holder of its current one, so those are rotated at their holders' next sign-in (key_custody).
        """
        with ws.operation(Permission.VAULT_REKEY, Action.VAULT_REKEY) as op:
            slots = load_slots(op.vault.paths)
            # Only compartments someone holds: a removed preview's history lingers in the file, and nobody
            # could ever rotate it.
            held = op.vault.rotatable([n for n in slots.compartments() if slots.holders(n)])
            add_due(op.store, held)
            op.log(detail="data key rotated on demand" + (f"; due: {', '.join(held)}" if held else ""))
        # As in `disable`: committed first, then rotated outside any transaction by the crash-safe steps.
        with ws.operation(None, Action.KEY_ROTATE, writes=False, alone=True) as op:
            done = [n for n in held if op.vault.holds(n)]
            op.vault.revoke_and_rotate(None, names=held, checkpoint=checkpoint)
        if done:
            with ws.operation(None, Action.KEY_ROTATE) as op:
                clear_due(op.store, done)
                op.log(detail=f"keys rotated on demand: {', '.join(done)}")
        return Rekeyed(rotated=[keyslots.COMMON, *done], due=[n for n in held if n not in done])

    def change_own_password(self, ws: Workspace, current: str, new: str) -> None:
        """Rewrites only this user's slot; the data key and other slots stay as they are."""
        # The current password is checked (Argon2id, the full cost) before the write lock is taken.
        with ws.operation(Permission.PASSWORD_CHANGE_OWN, Action.PASSWORD_CHANGE, writes=False) as op:
            slots = op.vault.slots
            slot = slots.slot_of_user(op.session.user_id)
            if slot is None:
                raise AuthenticationError("Your key slot is missing; ask an administrator.")
            keyslots.open_private(slot, op.vault.vault_id, current, Vault.device_secret(slots, slot, op.env.device))
            if new == current:
                raise ValidationError("The new password must differ from the current one.")
            check_password(new, op.session.username)
            with ws.operation(None, Action.PASSWORD_CHANGE) as write:
                self._rewrite_slot(write, op.session.user_id, op.session.username, new, detail="own password changed")

    def reset_password(self, ws: Workspace, username: str, new: str) -> None:
        """An administrator sets another user's password (forgotten password); logged as such."""
        with ws.operation(Permission.ACCOUNT_MANAGE, Action.PASSWORD_CHANGE) as op:
            target = op.store.accounts.by_username(check_username(username))
            if target is None or not target.active:
                raise NotFound(f"There is no active account '{username[:40]}'.")
            check_password(new, target.username)
            self._rewrite_slot(op, target.id, target.username, new,
                               detail=f"password of {target.username} reset by an administrator")

    def _rewrite_slot(self, op: Operation, user_id: int, username: str, password: str, *, detail: str) -> None:
        target = _account(op, user_id)
        version = target.slot_version + 1
        op.store.accounts.set_slot_version(user_id, version)
        op.log(Action.PASSWORD_CHANGE, record_ref=f"user:{user_id}", detail=detail)
        op.vault.put_user_slot(user_id, version, op.vault.locator(username), password, op.env.kdf,
                               auditor=target.role is Role.AUDITOR)
