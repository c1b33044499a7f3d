"""`gvm-desktop backup --out FILE --as ADMIN` and `gvm-desktop restore FILE --vault DIR`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.core.errors import UsageError
from gvm_desktop.services.context import Workspace

ReadPassword = Callable[[str], str]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    backup = sub.add_parser("backup", parents=[common],
                            help="write one backup file of the whole vault, still encrypted, while it is in use (admin)")
    backup.add_argument("--out", required=True, type=Path, metavar="FILE", help="a new file (never overwritten)")
    restore = sub.add_parser(
        "restore", parents=[common],
        help="restore a backup into a new or empty --vault folder (stdin: the recovery code, or with --as the "
             "administrator's password)")
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--checkpoint", type=Path, default=None, metavar="OLD",
                         help="the old vault's log-checkpoint.json (or its folder): the restore then records "
                              "which log entries written after the backup are gone")


def run_backup(app: App, ws: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    made = app.backup.backup(ws, args.out)
    manifest = made.manifest
    out.write(f"Backed up to {made.path} ({made.size:,} bytes, {len(manifest.parts)} files).\n")
    if made.leftovers_removed:
        # Said, not silent: those were hidden files in the administrator's chosen folder.
        n = made.leftovers_removed
        what = "an interrupted backup" if n == 1 else "interrupted backups"
        out.write(f"Removed {n} leftover{'s' if n != 1 else ''} of {what} from {made.path.parent}.\n")
    out.write(f"Backup {manifest.backup_id} of {manifest.created}; access-log head {manifest.head_seq}:"
              f"{manifest.head_hash}\n")
    return 0


def run_restore(app: App, args: argparse.Namespace, read: ReadPassword, out: TextIO) -> int:
    if getattr(args, "vault", None) is None:
        raise UsageError("restore needs --vault DIR: the new (or empty) folder to restore into.")
    actor = getattr(args, "actor", None)
    secret = read(f"Password for {actor}: " if actor else "Recovery code: ")
    done = app.backup.restore(args.file, app.vault_dir, secret, username=actor, checkpoint=args.checkpoint)
    manifest = done.manifest
    out.write(f"Restored backup {manifest.backup_id} of {manifest.created} into {done.folder}.\n")
    out.write(f"Its access log ends at {manifest.head_seq}:{manifest.head_hash}, then the restore's own entry: "
              f"{done.detail.split('; ', 1)[1]}.\n")
    if done.opened_by is not None and not done.checkpoint_given:
        # The administrator's password alone rolls the vault back: say plainly what that cannot show.
        out.write("Warning: restored with an administrator's password and without --checkpoint: entries written "
                  "after the backup cannot be counted, and accounts disabled since the backup are active again. "
                  f"{done.active_accounts} accounts are active in the restored vault: check them "
                  "('gvm-desktop user list'). Give the old vault's folder as --checkpoint to record what was lost.\n")
    if done.new_workstation:
        out.write("The accounts are bound to the workstation the backup came from and cannot sign in here yet: "
                  "give the administrator a new password with the recovery code ('gvm-desktop recover --user "
                  "NAME'), then the administrator resets the others' ('gvm-desktop user passwd NAME').\n")
    return 0
