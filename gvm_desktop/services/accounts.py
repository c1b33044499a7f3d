"""Account administration and one's own password."""

from __future__ import annotations

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import AuthenticationError, NotFound, ValidationError
from gvm_desktop.core.passwords import check_display_name, check_password, check_username
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Permission, Role, validate_bcu
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, accounts, keyslots
from gvm_desktop.store.vault import Checkpoint, Vault, no_checkpoint


def create_account(
    ws_or_vault: Workspace | Vault,
    *,
    username: str,
    display_name: str,
    role: Role,
    bcu: str | None,
    password: str,
    created_by: int | None,
    at: str,
) -> tuple[int, str]:
    """Validate, insert the row and write its slot; the caller's transaction must be open.

    Returns (user id, log detail). Used by the account service and by vault creation.
    """
    vault = ws_or_vault.vault if isinstance(ws_or_vault, Workspace) else ws_or_vault
    name = check_username(username)
    display = check_display_name(display_name)
    bcu_code = validate_bcu(role, bcu, frozenset(BCUS))
    check_password(password, name)
    if accounts.by_username(vault.conn, name) is not None:
        raise ValidationError(f"The username '{name}' is taken.")
    locator = vault.locator(name)
    user_id = accounts.insert(
        vault.conn, username=name, display_name=display, role=role, bcu=bcu_code, locator=locator,
        created_at=at, created_by=created_by,
    )
    return user_id, f"{name} as {role.value}" + (f" in {bcu_code}" if bcu_code else "")


class AccountService:
    def list(self, ws: Workspace) -> list[Account]:
        ws.authorize(Permission.ACCOUNT_LIST, Action.ACCOUNT_LIST)
        with ws.write() as conn:
            rows = accounts.all_accounts(conn)
            access_log.append(conn, ws.entry(Action.ACCOUNT_LIST, detail=f"{len(rows)} accounts"))
        return rows

    def add(
        self, ws: Workspace, *, username: str, display_name: str, role: Role, bcu: str | None, password: str
    ) -> Account:
        ws.authorize(Permission.ACCOUNT_MANAGE, Action.ACCOUNT_ADD)
        with ws.write() as conn:
            user_id, detail = create_account(
                ws, username=username, display_name=display_name, role=role, bcu=bcu, password=password,
                created_by=ws.session.user_id, at=to_iso(ws.env.clock.now()),
            )
            access_log.append(conn, ws.entry(Action.ACCOUNT_ADD, record_ref=f"user:{user_id}", detail=detail))
            # The slot is written last, inside the transaction: if it fails, the row goes too.
            ws.vault.put_user_slot(user_id, 1, ws.vault.locator(check_username(username)), password, ws.env.kdf,
                                   auditor=role is Role.AUDITOR)
        account = accounts.by_id(ws.conn, user_id)
        assert account is not None
        return account

    def disable(self, ws: Workspace, username: str, *, checkpoint: Checkpoint = no_checkpoint,
                permission: Permission = Permission.ACCOUNT_MANAGE, reason: str = "") -> Account:
        """Disable an account: its slot goes and the data key is rotated, so a copy of it opens nothing.

        `permission` lets governance disable inactive accounts under its own permission
        (SPOCs may, for their BCU); the check itself is never skipped.
        """
        if permission not in (Permission.ACCOUNT_MANAGE, Permission.INACTIVE_DISABLE):
            raise ValueError(permission)
        ws.authorize(permission, Action.ACCOUNT_DISABLE)
        target = accounts.by_username(ws.conn, check_username(username))
        if target is None:
            raise NotFound(f"There is no account '{username[:40]}'.")
        if not target.active:
            raise ValidationError(f"The account '{target.username}' is already disabled.")
        if target.id == ws.session.user_id:
            raise ValidationError("You cannot disable your own account; ask another administrator.")
        if target.role is Role.ADMIN and accounts.count_active_admins(ws.conn) <= 1:
            raise ValidationError("This is the last active administrator; add another before disabling it.")
        with ws.write() as conn:
            accounts.set_disabled(conn, target.id, to_iso(ws.env.clock.now()))
            access_log.append(conn, ws.entry(Action.ACCOUNT_DISABLE, record_ref=f"user:{target.id}",
                                             detail=f"{target.username}{'; ' + reason if reason else ''}"))
            access_log.append(conn, ws.entry(Action.KEY_ROTATE, detail=f"data key rotated after disabling {target.username}"))
        ws.vault.revoke_and_rotate(target.id, checkpoint=checkpoint)
        updated = accounts.by_id(ws.conn, target.id)
        assert updated is not None
        return updated

    def change_own_password(self, ws: Workspace, current: str, new: str) -> None:
        """Rewrites only this user's slot; the data key and other slots stay as they are."""
        ws.authorize(Permission.PASSWORD_CHANGE_OWN, Action.PASSWORD_CHANGE)
        slot = ws.vault.slots.slot_of_user(ws.session.user_id)
        if slot is None:
            raise AuthenticationError("Your key slot is missing; ask an administrator.")
        keyslots.open_private(slot, ws.vault.vault_id, current, Vault.device_secret(ws.vault.slots, slot, ws.env.device))
        if new == current:
            raise ValidationError("The new password must differ from the current one.")
        check_password(new, ws.session.username)
        self._rewrite_slot(ws, ws.session.user_id, ws.session.username, new, detail="own password changed")

    def reset_password(self, ws: Workspace, username: str, new: str) -> None:
        """An administrator sets another user's password (forgotten password); logged as such."""
        ws.authorize(Permission.ACCOUNT_MANAGE, Action.PASSWORD_CHANGE)
        target = accounts.by_username(ws.conn, check_username(username))
        if target is None or not target.active:
            raise NotFound(f"There is no active account '{username[:40]}'.")
        check_password(new, target.username)
        self._rewrite_slot(ws, target.id, target.username, new, detail=f"password of {target.username} reset by an administrator")

    def _rewrite_slot(self, ws: Workspace, user_id: int, username: str, password: str, *, detail: str) -> None:
        target = accounts.by_id(ws.conn, user_id)
        assert target is not None
        version = target.slot_version + 1
        with ws.write() as conn:
            accounts.set_slot_version(conn, user_id, version)
            access_log.append(conn, ws.entry(Action.PASSWORD_CHANGE, record_ref=f"user:{user_id}", detail=detail))
            ws.vault.put_user_slot(user_id, version, ws.vault.locator(username), password, ws.env.kdf,
                                   auditor=target.role is Role.AUDITOR)
