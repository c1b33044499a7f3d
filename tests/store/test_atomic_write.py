"""A device that fails mid-write leaves the old file whole and no temp file behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gvm_desktop.store.files import atomic_write


def test_failure_mid_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keyslots.json"
    atomic_write(target, b"old contents")

    def failing_writer(fd: int, data: bytes) -> None:
        os.write(fd, data[:5])
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, b"new contents that never fully land", writer=failing_writer)
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["keyslots.json"]


def test_success_replaces_and_is_private(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
