"""Where a vault's files live, and writing them so a crash leaves old or new, never half."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Tests replace this to simulate a device that fails mid-write.
Writer = Callable[[int, bytes], None]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: Path, data: bytes, *, writer: Writer = _write_all) -> None:
    """Write temp file in the same folder, fsync, rename over, fsync the folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            writer(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass(frozen=True)
class VaultPaths:
    """A vault is a folder: the encrypted database, its key slots and the sign-in throttle."""

    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "vault.db"

    @property
    def keyslots(self) -> Path:
        return self.folder / "keyslots.json"

    @property
    def checkpoint(self) -> Path:
        return self.folder / "log-checkpoint.json"

    @property
    def throttle(self) -> Path:
        return self.folder / "signin-throttle.json"

    def exists(self) -> bool:
        return self.database.exists() or self.keyslots.exists()
