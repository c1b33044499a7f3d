"""`backup_s` and `restore_s`: the whole bench vault into one backup file and back, each against a plain copy
(shutil.copyfile) of the same files' bytes in the same run.

The backup is the service's whole path: its log entry, the locks, every part copied with its SHA-256 into the
archive, the manifest and its MAC, the fsync and the rename. The restore is too: the archive read, the
administrator's key slot opened (one Argon2id at the vault's cost: its key checks the manifest before anything
lands, then opens the unpacked vault), every part unpacked and checked, the restore logged and the folder
renamed into place. `backup_lock_ms` is how long writers of the vault waited on the backup.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from gvm_desktop.app import App
from gvm_desktop.bench.measure import Metric, metric
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.policy import Role

ADMIN = next(a for a in DEMO_ACCOUNTS if a.role is Role.ADMIN)
_PARTS = (".db", ".json")


def _vault_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in _PARTS and p.name != "signin-throttle.json")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def backup_restore_metrics(app: App, runs: int) -> dict[str, Metric]:
    folder = app.paths.folder
    with tempfile.TemporaryDirectory(prefix="gvm-bench-backup-", dir=folder.parent) as tmp:
        work = Path(tmp)
        backups, locked, plain = [], [], []
        ws = app.auth.sign_in(ADMIN.username, ADMIN.password)
        try:
            for run in range(runs):
                start = time.perf_counter()
                made = app.backup.backup(ws, work / f"backup-{run}.gvmbak")
                backups.append(time.perf_counter() - start)
                locked.append(made.locked_seconds)
        finally:
            app.auth.sign_out(ws)
        for run in range(runs):
            copy = work / f"plain-{run}"
            copy.mkdir()
            start = time.perf_counter()
            for part in _vault_files(folder):
                shutil.copyfile(part, copy / part.name)
            plain.append(time.perf_counter() - start)
            shutil.rmtree(copy)
        restores = []
        for run in range(runs):
            target = work / f"restored-{run}"
            start = time.perf_counter()
            app.backup.restore(work / f"backup-{run}.gvmbak", target, ADMIN.password, username=ADMIN.username)
            restores.append(time.perf_counter() - start)
            shutil.rmtree(target)
        size = (work / "backup-0.gvmbak").stat().st_size
    what = f"shutil.copyfile of the same {size / 1e6:,.1f} MB of vault files"
    return {
        "backup_s": metric(_median(backups), "s", _median(plain), what, runs),
        "restore_s": metric(_median(restores), "s", _median(plain), what + " (the restore adds one Argon2id "
                            "derivation: the administrator's slot, opened to check the manifest's MAC)", runs),
        "backup_lock_ms": metric(_median(locked) * 1000, "ms", _median(plain) * 1000,
                                 "the plain copy of the same files: under the locks the backup makes just that copy", runs),
    }
