"""The backup file's format: canonical manifest, encrypted parts, and hostile archives refused before any key."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.backup_manifest import (
    BackupDamaged,
    BackupManifest,
    BackupPart,
    parse_checkpoint,
    restore_detail,
)
from gvm_desktop.core.errors import StorageError, ValidationError
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store.backup_archive import BackupArchive

ADMIN = next(a for a in DEMO_ACCOUNTS if a.role is Role.ADMIN)
SHA = "ab" * 32
MANIFEST = BackupManifest(vault_id="0" * 32, backup_id="1" * 32, created="2026-11-30T01:00:00Z", app_version="0.1.0",
                          head_seq=41, head_hash=SHA,
                          parts=(BackupPart("vault.db", 4096, SHA), BackupPart("keyslots.json", 10, SHA)))


def test_the_manifest_round_trips_and_only_its_canonical_bytes_are_accepted() -> None:
    data = MANIFEST.to_bytes()
    assert BackupManifest.from_bytes(data) == MANIFEST
    with pytest.raises(BackupDamaged, match="altered"):
        BackupManifest.from_bytes(data.replace(b",", b", ", 1))  # same JSON, other bytes: not what we sign
    for hostile in (data.replace(b"vault.db", b"../x.db"), data.replace(b'"seq":41', b'"seq":-1'),
                    data.replace(b"keyslots.json", b"vault.db"), b"[]", b"\xff", b"{" * 100_000):
        with pytest.raises(BackupDamaged):
            BackupManifest.from_bytes(hostile)


def test_a_later_format_is_named_not_misread() -> None:
    with pytest.raises(BackupDamaged, match="version 2"):
        BackupManifest.from_bytes(MANIFEST.to_bytes().replace(b'"version":1', b'"version":2'))


def test_the_restore_entry_says_which_entries_are_gone() -> None:
    later = ("c" * 64)
    assert "entries 42..57 are gone" in restore_detail(MANIFEST, (57, later), new_workstation=False)
    assert "no entry was lost" in restore_detail(MANIFEST, (41, SHA), new_workstation=False)
    assert "was not available" in restore_detail(MANIFEST, None, new_workstation=True)
    with pytest.raises(ValidationError, match="another vault"):
        parse_checkpoint(b'{"format":"gvm-desktop-log-checkpoint","vault_id":"x","seq":3,"hash":"' + SHA.encode()
                         + b'"}', "0" * 32)


def _backup(app: App, out: Path) -> None:
    ws = app.auth.sign_in(ADMIN.username, ADMIN.password)
    try:
        app.backup.backup(ws, out)
    finally:
        app.auth.sign_out(ws)


def test_the_parts_are_the_vaults_files_still_encrypted(demo_app: App, tmp_path: Path) -> None:
    _backup(demo_app, tmp_path / "b.gvmbak")
    with zipfile.ZipFile(tmp_path / "b.gvmbak") as zf:
        names = zf.namelist()
        manifest = BackupManifest.from_bytes(zf.read("manifest.json"))
        for part in manifest.parts:
            data = zf.read(part.name)
            assert hashlib.sha256(data).hexdigest() == part.sha256 and len(data) == part.size
            if part.name.endswith(".db"):
                assert not data.startswith(b"SQLite format 3")
                assert b"demo" not in data.lower()  # not one readable word of any table
        assert all(zf.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names)
    assert "signin-throttle.json" not in names and not any(n.endswith(".lock") for n in names)
    assert names[0] == "vault.db" and names[-2:] == ["manifest.json", "manifest.hmac"]
    assert {p.name for p in manifest.parts} == {p.name for p in demo_app.vault_dir.iterdir()
                                                if p.suffix == ".db" or p.name in ("keyslots.json",
                                                                                   "log-checkpoint.json")}


def test_an_archive_with_anything_extra_is_refused_before_any_key(demo_app: App, tmp_path: Path) -> None:
    _backup(demo_app, tmp_path / "b.gvmbak")
    with zipfile.ZipFile(tmp_path / "b.gvmbak") as src, zipfile.ZipFile(tmp_path / "extra.gvmbak", "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("../../etc/cron.d/x", b"* * * * * root true\n")
    with pytest.raises(BackupDamaged, match="no gvm-desktop backup holds"):
        BackupArchive().read(tmp_path / "extra.gvmbak")
    (tmp_path / "not-a-zip.gvmbak").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(BackupDamaged):
        BackupArchive().read(tmp_path / "not-a-zip.gvmbak")


def test_a_journal_left_by_a_crash_stops_the_backup(demo_app: App, tmp_path: Path) -> None:
    (demo_app.vault_dir / "bcu-CE.db-journal").write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + b"\x00" * 504)
    ws = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    try:
        with pytest.raises(StorageError, match=r"journal beside bcu-CE\.db"):
            demo_app.backup.backup(ws, tmp_path / "b.gvmbak")
    finally:
        demo_app.auth.sign_out(ws)
    assert not (tmp_path / "b.gvmbak").exists() and not list(tmp_path.glob(".b.gvmbak*"))


def _read_in_a_child(path: Path) -> str:
    """BackupArchive().read(path) in a child process capped at 1 GiB and 20 s: a regression (a hang on a FIFO,
    an unbounded read of /dev/zero) fails here instead of hanging or eating the machine's memory."""
    import resource
    import subprocess
    import sys

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    code = ("import sys\nfrom gvm_desktop.store.backup_archive import BackupArchive\n"
            "try:\n    BackupArchive().read(__import__('pathlib').Path(sys.argv[1]))\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=20,
                          preexec_fn=cap_memory, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom", "folder"])
def test_a_special_file_is_refused_as_a_backup_without_reading_it(tmp_path: Path, kind: str) -> None:
    import os

    path = tmp_path / "special.gvmbak"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path(kind)
    said = _read_in_a_child(path)
    assert said.startswith("ValidationError") and path.name in said, said
    assert "not a backup file" in said or "folder" in said, said


def test_member_sizes_beyond_the_file_are_refused_before_any_member_is_read(demo_app: App, tmp_path: Path) -> None:
    import struct

    _backup(demo_app, tmp_path / "b.gvmbak")
    data = bytearray((tmp_path / "b.gvmbak").read_bytes())
    # keyslots.json's central-directory entry made to claim 2 GiB (compressed and not), as a hostile file would.
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(b"keyslots.json") + 1)
    assert data[entry + 46:entry + 46 + 13] == b"keyslots.json"
    struct.pack_into("<II", data, entry + 20, 0x7FFF_FFFF, 0x7FFF_FFFF)
    (tmp_path / "big.gvmbak").write_bytes(bytes(data))
    with pytest.raises(BackupDamaged, match="larger than the file"):
        BackupArchive().read(tmp_path / "big.gvmbak")
