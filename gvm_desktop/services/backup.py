"""Backing up the vault into one file, restoring it, and reminding the administrator to back up.

A backup is three steps, each safe on its own: (1) a VAULT_BACKUP entry saying it started
commits, so the backup holds its own entry; (2) the files are copied under the vault's write
lock (vault work, no transaction of ours: store/backup_archive.py); (3) after (2), a second
entry says the file was written and only then is "last backup" (what the reminder reads) set,
or, if (2) failed, a FAILED entry says so. A kill during (2) leaves the vault as (1) left it,
no file under the backup's name, the reminder still due, and a "started" entry with no
outcome after it, which is how the auditor reads an interrupted backup. The "started" entry
stays before the copy rather than moving after it: the backup's log head must include the
entry that made it.

A restore lands a whole vault folder or nothing: the backup is checked (every part's SHA-256
and the manifest's MAC under the vault's key) before anything is written, unpacked into a
hidden folder beside the target, opened there to log the restore (which backup, and what the
old vault's checkpoint says was lost since), and only then renamed into place.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gvm_desktop import __version__
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.backup_manifest import (
    BackupMade,
    BackupManifest,
    BackupNotWritten,
    LastBackup,
    Restored,
    opened_with,
    restore_detail,
)
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.errors import GvmError, PermissionDenied
from gvm_desktop.core.policy import Permission, allows, require
from gvm_desktop.core.settings import BACKUP_REMINDER_DAYS
from gvm_desktop.services.auth import AuthService
from gvm_desktop.services.context import Workspace, system_entry
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.store import unit
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.keyslots import KeySlot, KeySlotFile
from gvm_desktop.store.vault import Vault

# In the vault's meta: "<created> <backup id>" of the last backup written (restored with the vault).
LAST_BACKUP = "last_backup"


class WrittenBackup(Protocol):
    @property
    def manifest(self) -> BackupManifest: ...
    @property
    def size(self) -> int: ...
    @property
    def locked_seconds(self) -> float: ...
    @property
    def leftovers_removed(self) -> int: ...


class SealedBackup(Protocol):
    @property
    def manifest(self) -> BackupManifest: ...
    @property
    def slot_file(self) -> KeySlotFile: ...


class BackupKeys(Protocol):
    @property
    def slot(self) -> KeySlot: ...


Sealed = TypeVar("Sealed", bound=SealedBackup)
Keys = TypeVar("Keys", bound=BackupKeys)


class BackupFiles(Protocol[Sealed, Keys]):
    """The backend's backup files (store/backup_archive.py for the vault), given by the composition root."""

    def snapshot(self, vault: Vault, out: Path, *, backup_id: str, created: str,
                 app_version: str) -> WrittenBackup: ...

    def read(self, path: Path) -> Sealed: ...

    def open_keys(self, backup: Sealed, secret: str, username: str | None, device: DeviceSecrets) -> Keys: ...

    def check_target(self, target: Path) -> None: ...

    def unpack(self, backup: Sealed, keys: Keys, target: Path) -> Path: ...

    def land(self, staging: Path, target: Path) -> None: ...

    def discard(self, staging: Path) -> None: ...

    def open_unpacked(self, keys: Keys, staging: Path, device: DeviceSecrets) -> Vault: ...

    def read_checkpoint(self, given: Path, vault_id: str) -> tuple[int, str]: ...


def _parse_last(raw: str | None) -> LastBackup | None:
    if not raw:
        return None
    at, _, backup_id = raw.partition(" ")
    try:
        from_iso(at)
    except ValueError:
        return None
    return LastBackup(at, backup_id)


class BackupService:
    # Any: the backend's own sealed-backup and key types, which only it reads.
    def __init__(self, auth: AuthService, files: BackupFiles[Any, Any], settings: SettingsService) -> None:
        self.auth = auth
        self.files = files
        self.settings = settings

    # -- backing up --------------------------------------------------------------

    def backup(self, ws: Workspace, out: Path) -> BackupMade:
        """Write a backup of the whole vault to `out` (a new file), while the vault stays in use."""
        backup_id = secrets.token_hex(16)
        with ws.operation(Permission.VAULT_BACKUP, Action.VAULT_BACKUP) as op:
            created = to_iso(op.env.clock.now())
            op.log(detail=f"backup {backup_id} started; a later entry says whether it was written")
        try:
            with ws.operation(None, Action.VAULT_BACKUP, writes=False, alone=True) as op:
                written = self.files.snapshot(op.vault, out, backup_id=backup_id, created=created,
                                              app_version=__version__)
        except (GvmError, OSError) as exc:
            # Worded without the path: a file's name may say whose matrix this is.
            if isinstance(exc, BackupNotWritten):
                why = exc.reason
            else:
                why = exc.message if isinstance(exc, GvmError) else (exc.strerror or type(exc).__name__)
            with ws.operation(None, Action.VAULT_BACKUP) as op:
                op.log(outcome=Outcome.FAILED, detail=f"backup {backup_id} not written: {why}")
            raise
        manifest = written.manifest
        with ws.operation(None, Action.VAULT_BACKUP) as op:
            op.store.meta.set_meta(LAST_BACKUP, f"{created} {backup_id}")
            op.log(detail=f"backup {backup_id} written: {written.size} bytes, {len(manifest.parts)} files, "
                          f"log head {manifest.head}")
        return BackupMade(Path(out), manifest, written.size, written.locked_seconds, written.leftovers_removed)

    def last_backup(self, ws: Workspace) -> LastBackup | None:
        """The last backup written from this vault (or from the copy it was restored from)."""
        with ws.operation(None, Action.VAULT_BACKUP, writes=False) as op:
            return _parse_last(op.store.meta.get_meta(LAST_BACKUP))

    def reminder(self, ws: Workspace) -> str | None:
        """The sentence for an administrator whose vault is due a backup; None when not due, or not an admin."""
        if not allows(ws.session.role, Permission.VAULT_BACKUP):
            return None
        every = self.settings.value(ws, BACKUP_REMINDER_DAYS.key)
        if every == 0:
            return None
        last = self.last_backup(ws)
        asks = f"this vault asks for one every {every} day{'s' if every != 1 else ''}"
        if last is None:
            return f"This vault has never been backed up ({asks}). Back up now: Vault › Back up…"
        days = (ws.env.clock.now() - from_iso(last.at)).days
        if days < every:
            return None
        return f"No backup for {days} day{'s' if days != 1 else ''} ({asks}). Back up now: Vault › Back up…"

    # -- restoring ----------------------------------------------------------------

    def restore(self, backup_file: Path, target: Path, secret: str, *, username: str | None = None,
                checkpoint: Path | None = None) -> Restored:
        """Restore `backup_file` into `target` (new or empty), with the recovery code or, with `username`,
        that administrator's password. Nothing lands in `target` unless the whole backup checks."""
        files, env = self.files, self.auth.env
        files.check_target(target)
        sealed = files.read(backup_file)
        manifest = sealed.manifest
        current = files.read_checkpoint(checkpoint, manifest.vault_id) if checkpoint is not None else None
        keys = files.open_keys(sealed, secret, username, env.device)
        bound = sealed.slot_file.device_binding
        new_workstation = bound and env.device.get(manifest.vault_id) is None
        detail = restore_detail(manifest, current, new_workstation=new_workstation)
        staging = files.unpack(sealed, keys, target)
        try:
            if bound and env.device.available():
                # Re-bound here: the passwords the recovery code sets from now on are bound to this workstation.
                env.device.get_or_create(manifest.vault_id)
            opened_by, active = self._record(files.open_unpacked(keys, staging, env.device), keys.slot, detail,
                                             manifest)
            files.land(staging, target)
        except BaseException:
            files.discard(staging)
            raise
        return Restored(target, manifest, detail, new_workstation, bound, opened_by=opened_by,
                        active_accounts=active, checkpoint_given=current is not None)

    def _record(self, vault: Vault, slot: KeySlot, detail: str, manifest: BackupManifest) -> tuple[str | None, int]:
        """Log the restore in the unpacked vault (as the restoring administrator, or the recovery code), saying
        which secret opened it, and count it as backed up by the backup it came from; the checkpoint is written
        after the commit. Returns who opened it (None: the recovery code) and how many accounts are active."""
        env = self.auth.env
        try:
            fields: dict[str, object] = {}
            opened_by: str | None = None
            reading = unit.reading(vault)
            if slot.kind == "user":
                account = reading.accounts.by_id(slot.user_id)
                if account is None or not account.active or account.slot_version != slot.version:
                    raise PermissionDenied("This account is not active in the backup: restore with the recovery code.")
                require(account.role, Permission.VAULT_BACKUP)
                opened_by = account.username
                fields = {"user_id": account.id, "username": account.username, "role": account.role.value,
                          "bcu": account.bcu}
            active = sum(1 for a in reading.accounts.all_accounts() if a.active)
            with unit.transaction(vault) as store:
                # The backup's own "last backup" is the one before it (it is set once a backup is written).
                store.meta.set_meta(LAST_BACKUP, f"{manifest.created} {manifest.backup_id}")
                store.log.append(system_entry(env, Action.VAULT_RESTORE, Outcome.ALLOWED,
                                              detail=f"{detail}; {opened_with(opened_by)}", **fields))
        finally:
            vault.close()
        return opened_by, active
