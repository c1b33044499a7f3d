"""Backup and restore through the services: consistent under concurrent writes, checked before anything
lands, restored on a new workstation with the recovery code, and explained in the restored log."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gvm_desktop.app import App, build_app
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.backup_manifest import BackupDamaged
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import AuthenticationError, FileWriteError, PermissionDenied, VaultExists
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store.slot import TEST_KDF
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
ADMIN, AUDITOR, OFFICER, SPOC = ACC[Role.ADMIN], ACC[Role.AUDITOR], ACC[Role.OFFICER], ACC[Role.SPOC]


@dataclass(frozen=True)
class Template:
    folder: Path
    recovery_code: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("backup-template") / "vault"
    app = build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                    workstation="ws-test-01", tz="UTC")
    created = app.create_demo(60)
    app.auth.sign_out(created.workspace)
    return Template(folder, created.recovery_code)


@pytest.fixture
def vault_app(template: Template, tmp_path: Path, make_app: Callable[..., App]) -> App:
    shutil.copytree(template.folder, tmp_path / "vault")
    return make_app(tmp_path / "vault")


def new_workstation(make_app: Callable[..., App], folder: Path) -> App:
    """Another machine: its own (empty) credential store."""
    return make_app(folder, keyring_backend=MemoryKeyring(), workstation="ws-test-02")


def people_per_bcu(app: App) -> dict[str, int]:
    ws = app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    try:
        rows = conn_of(ws).execute("SELECT bcu, status, count(*) FROM person_index GROUP BY bcu, status").fetchall()
        return {f"{bcu}/{status}": n for bcu, status, n in rows}
    finally:
        app.auth.sign_out(ws)


def backup_as_admin(app: App, out: Path) -> object:
    ws = app.auth.sign_in(ADMIN.username, ADMIN.password)
    try:
        return app.backup.backup(ws, out)
    finally:
        app.auth.sign_out(ws)


def test_round_trip_on_a_new_workstation_with_the_recovery_code(vault_app: App, template: Template, tmp_path: Path,
                                                                make_app: Callable[..., App]) -> None:
    before = people_per_bcu(vault_app)
    made = backup_as_admin(vault_app, tmp_path / "vault.gvmbak")
    head = made.manifest.head_seq  # type: ignore[attr-defined]  # BackupMade, typed loosely by the helper
    assert (tmp_path / "vault.gvmbak").stat().st_mode & 0o777 == 0o600

    target = tmp_path / "elsewhere" / "restored"
    other = new_workstation(make_app, target)
    done = other.backup.restore(tmp_path / "vault.gvmbak", target, template.recovery_code,
                                checkpoint=vault_app.vault_dir)
    assert not done.bound  # a demo vault is unbound: every account signs in on the new machine as it is

    result = other.audit.verify_vault(AUDITOR.username, AUDITOR.password)
    assert result.intact, result.problems
    assert result.head_seq == head + 1  # the backup's head, then the restore's own entry
    assert people_per_bcu(other) == before
    def vault_files(folder: Path) -> list[str]:
        return sorted(p.name for p in folder.iterdir() if p.suffix in (".db", ".json") and "throttle" not in p.name)

    assert vault_files(target) == vault_files(vault_app.vault_dir)
    assert not list(target.parent.glob(".restored.restoring-*"))

    ws = other.auth.sign_in(AUDITOR.username, AUDITOR.password)
    try:
        entry = next(e for e in other.log.search(ws, LogFilter(actions=(Action.VAULT_RESTORE.value,))).entries)
    finally:
        other.auth.sign_out(ws)
    assert entry.seq == head + 1 and entry.entry.outcome is Outcome.ALLOWED
    detail = entry.entry.detail or ""
    assert made.manifest.backup_id in detail  # type: ignore[attr-defined]  # as above
    # The old vault went on logging after the backup (the admin's sign-out at least): those entries are named gone.
    assert f"entries {head + 1}.." in detail and "are gone" in detail


def test_without_the_old_checkpoint_the_restore_says_it_could_not_count(vault_app: App, template: Template,
                                                                      tmp_path: Path) -> None:
    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    done = vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "r", template.recovery_code)
    assert "the current checkpoint was not available" in done.detail


def test_a_backup_taken_while_others_write_is_consistent(vault_app: App, template: Template, tmp_path: Path,
                                                         make_app: Callable[..., App],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from gvm_desktop.store import backup_archive

    # A slow copy under the locks (4 KiB a millisecond), so the writer's commits fall inside it, not only between.
    def slow_copy(source: Path, target: Path) -> None:
        with source.open("rb") as src, target.open("wb") as dst:
            while chunk := src.read(4096):
                time.sleep(0.001)
                dst.write(chunk)

    monkeypatch.setattr(backup_archive.shutil, "copyfile", slow_copy)
    writer_app = make_app(vault_app.vault_dir)  # a second connection, as another window would have
    stop = threading.Event()
    signed_in = [0]
    errors: list[BaseException] = []

    def write_in_a_loop() -> None:
        while not stop.is_set():
            try:
                ws = writer_app.auth.sign_in(SPOC.username, SPOC.password)
                writer_app.matrix.list(ws)
                writer_app.auth.sign_out(ws)
                signed_in[0] += 1
            except BaseException as exc:  # whatever stopped the writer, reported below
                errors.append(exc)
                return

    writer = threading.Thread(target=write_in_a_loop)
    writer.start()
    try:
        made = [backup_as_admin(vault_app, tmp_path / f"b{i}.gvmbak") for i in range(3)]
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert signed_in[0] > 0
    for i, m in enumerate(made):
        target = tmp_path / f"r{i}"
        other = new_workstation(make_app, target)
        other.backup.restore(tmp_path / f"b{i}.gvmbak", target, template.recovery_code)
        result = other.audit.verify_vault(AUDITOR.username, AUDITOR.password)
        assert result.intact, result.problems
        assert result.head_seq == m.manifest.head_seq + 1  # type: ignore[attr-defined]  # BackupMade


@pytest.mark.parametrize("where", ["vault.db", "bcu-CE.db", "keyslots.json", "manifest.json", "manifest.hmac",
                                   "zip-directory"])
def test_a_backup_with_one_byte_changed_is_refused_and_nothing_lands(vault_app: App, template: Template,
                                                                     tmp_path: Path, where: str) -> None:
    import zipfile

    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    data = bytearray((tmp_path / "b.gvmbak").read_bytes())
    with zipfile.ZipFile(tmp_path / "b.gvmbak") as zf:
        if where == "zip-directory":
            offset = len(data) - 30  # inside the central directory's end record
        else:
            info = zf.getinfo(where)
            start = info.header_offset + 30 + len(info.filename) + len(info.extra)
            offset = start + info.file_size // 2
    data[offset] ^= 0x01
    (tmp_path / "b.gvmbak").write_bytes(bytes(data))
    target = tmp_path / "restored"
    with pytest.raises(BackupDamaged):
        vault_app.backup.restore(tmp_path / "b.gvmbak", target, template.recovery_code)
    assert not target.exists()
    assert not list(tmp_path.glob(".restored.*"))


def test_restore_into_a_folder_that_is_not_empty_is_refused_and_it_is_untouched(vault_app: App, template: Template,
                                                                                tmp_path: Path) -> None:
    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    with pytest.raises(VaultExists, match="never overwrites"):
        vault_app.backup.restore(tmp_path / "b.gvmbak", vault_app.vault_dir, template.recovery_code)
    other = tmp_path / "busy"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(VaultExists):
        vault_app.backup.restore(tmp_path / "b.gvmbak", other, template.recovery_code)
    assert [p.name for p in other.iterdir()] == ["notes.txt"] and (other / "notes.txt").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    vault_app.backup.restore(tmp_path / "b.gvmbak", empty, template.recovery_code)
    assert (empty / "vault.db").exists()


def test_only_an_administrator_backs_up_and_refusals_are_logged(vault_app: App, tmp_path: Path) -> None:
    for account in (OFFICER, SPOC, AUDITOR, ACC[Role.PARTNER]):
        ws = vault_app.auth.sign_in(account.username, account.password)
        try:
            with pytest.raises(PermissionDenied):
                vault_app.backup.backup(ws, tmp_path / f"{account.username}.gvmbak")
            row = conn_of(ws).execute("SELECT outcome FROM access_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
                                      (Action.VAULT_BACKUP.value,)).fetchone()
            assert row == (Outcome.REFUSED.value,)
        finally:
            vault_app.auth.sign_out(ws)
        assert not (tmp_path / f"{account.username}.gvmbak").exists()


def test_a_backup_never_overwrites_a_file_and_the_failure_is_logged(vault_app: App, tmp_path: Path) -> None:
    out = tmp_path / "b.gvmbak"
    out.write_bytes(b"someone else's file")
    ws = vault_app.auth.sign_in(ADMIN.username, ADMIN.password)
    try:
        with pytest.raises(FileWriteError, match="never overwrites"):
            vault_app.backup.backup(ws, out)
        assert vault_app.backup.last_backup(ws) is None
        row = conn_of(ws).execute("SELECT outcome FROM access_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
                                  (Action.VAULT_BACKUP.value,)).fetchone()
        assert row == (Outcome.FAILED.value,)
    finally:
        vault_app.auth.sign_out(ws)
    assert out.read_bytes() == b"someone else's file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b.gvmbak")] == []


def test_a_wrong_recovery_code_or_password_restores_nothing(vault_app: App, tmp_path: Path) -> None:
    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    with pytest.raises(AuthenticationError):
        vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "r", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
    with pytest.raises(AuthenticationError):
        vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "r", "wrong-password-123", username=ADMIN.username)
    assert not (tmp_path / "r").exists()


def test_an_officer_cannot_restore_with_their_password(vault_app: App, tmp_path: Path) -> None:
    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    with pytest.raises(PermissionDenied):
        vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "r", OFFICER.password, username=OFFICER.username)
    assert not (tmp_path / "r").exists() and not list(tmp_path.glob(".r.*"))


def test_the_administrator_restores_on_the_same_workstation_with_their_password(vault_app: App,
                                                                                tmp_path: Path) -> None:
    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    done = vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "r", ADMIN.password, username=ADMIN.username)
    assert not done.new_workstation


def _rebuilt(source: Path, target: Path, *, part: str, manifest_too: bool) -> None:
    """A forger's copy: `part` changed by one byte inside a fresh, self-consistent ZIP (CRCs recomputed), and with
    `manifest_too` the manifest's SHA-256 of that part recomputed as well (the MAC kept: it needs the key)."""
    import hashlib
    import json
    import zipfile

    with zipfile.ZipFile(source) as src:
        members = {i.filename: src.read(i.filename) for i in src.infolist()}
    changed = bytearray(members[part])
    changed[len(changed) // 2] ^= 0x01
    members[part] = bytes(changed)
    if manifest_too:
        body = json.loads(members["manifest.json"])
        for p in body["parts"]:
            if p["name"] == part:
                p["sha256"] = hashlib.sha256(members[part]).hexdigest()
        members["manifest.json"] = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as dst:
        for name, data in members.items():
            dst.writestr(name, data)


# keyslots.json carries its own checksum, so a byte changed there is refused as damaged before the MAC is reached.
@pytest.mark.parametrize(("part", "manifest_too"), [
    ("vault.db", False), ("bcu-NE.db", False), ("keyslots.json", False), ("log-checkpoint.json", False),
    ("vault.db", True), ("bcu-NE.db", True), ("log-checkpoint.json", True)])
def test_a_forged_archive_is_refused_by_its_hashes_or_its_mac(vault_app: App, template: Template, tmp_path: Path,
                                                              part: str, manifest_too: bool) -> None:
    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    _rebuilt(tmp_path / "b.gvmbak", tmp_path / "forged.gvmbak", part=part, manifest_too=manifest_too)
    with pytest.raises(BackupDamaged, match="seal" if manifest_too else "differ"):
        vault_app.backup.restore(tmp_path / "forged.gvmbak", tmp_path / "r", template.recovery_code)
    assert not (tmp_path / "r").exists() and not list(tmp_path.glob(".r.*"))


def _backup_entries(ws: object) -> list[tuple[str, str]]:
    rows = conn_of(ws).execute("SELECT outcome, detail FROM access_log WHERE action = ? ORDER BY seq",  # type: ignore[arg-type]
                               (Action.VAULT_BACKUP.value,)).fetchall()
    return [(o, d or "") for o, d in rows]


def test_a_backup_killed_part_way_is_not_counted_as_a_backup(vault_app: App, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # as a kill -9 would: no handler of ours runs after it

    ws = vault_app.auth.sign_in(ADMIN.username, ADMIN.password)
    try:
        monkeypatch.setattr(vault_app.backup.files, "snapshot", killed)
        with pytest.raises(KeyboardInterrupt):
            vault_app.backup.backup(ws, tmp_path / "b.gvmbak")
        assert vault_app.backup.last_backup(ws) is None
        assert (vault_app.backup.reminder(ws) or "").startswith("This vault has never been backed up")
        (outcome, detail), = _backup_entries(ws)
        assert outcome == Outcome.ALLOWED.value and "started" in detail
        monkeypatch.undo()
        made = vault_app.backup.backup(ws, tmp_path / "b.gvmbak")
        last = vault_app.backup.last_backup(ws)
        assert last is not None and last.backup_id == made.manifest.backup_id
        entries = _backup_entries(ws)
        assert len(entries) == 3 and entries[-1][0] == Outcome.ALLOWED.value
        assert f"backup {made.manifest.backup_id} written" in entries[-1][1]
    finally:
        vault_app.auth.sign_out(ws)


def _aged(path: Path, seconds: float = 3600) -> Path:
    import os

    when = time.time() - seconds
    os.utime(path, (when, when), follow_symlinks=False)
    return path


def test_the_next_backup_removes_only_its_own_stale_leftovers(vault_app: App, tmp_path: Path) -> None:
    import fcntl
    import os

    media = tmp_path / "media"
    media.mkdir()
    stale_partial = media / ".k.gvmbak.ab12cd_9.partial"
    stale_partial.write_bytes(b"half a backup")
    stale_copy = media / ".k.gvmbak.x7y8z9w0.copying"
    stale_copy.mkdir()
    (stale_copy / "keyslots.json").write_bytes(b"{}")
    for path in (stale_copy / "keyslots.json", stale_copy, stale_partial):
        _aged(path)
    fresh = media / ".other.gvmbak.qqqqqqqq.partial"  # a backup that may have only just begun
    fresh.write_bytes(b"x")
    live = media / ".live.gvmbak.llllllll.partial"  # old, but a running backup holds it
    live.write_bytes(b"x")
    _aged(live)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_bytes(b"keep")
    link = media / ".sym.gvmbak.ssssssss.copying"
    link.symlink_to(elsewhere)
    _aged(link)
    not_ours = [media / "notes.partial", media / ".notes.partial", media / "k.gvmbak.ab12cd_9.partial",
                media / ".k.gvmbak.toolongname.copying"]
    for path in not_ours:
        path.write_bytes(b"keep")
        _aged(path)
    holder = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        made = backup_as_admin(vault_app, media / "new.gvmbak")
    finally:
        os.close(holder)
    assert made.leftovers_removed == 2  # type: ignore[attr-defined]  # BackupMade, typed loosely by the helper
    assert not stale_partial.exists() and not stale_copy.exists()
    assert fresh.exists() and live.exists() and link.is_symlink() and (elsewhere / "precious").exists()
    assert all(p.read_bytes() == b"keep" for p in not_ours)


def test_a_full_disk_names_the_backup_file_not_the_vaults(vault_app: App, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from gvm_desktop.store import backup_archive

    def disk_full(source: Path, target: Path) -> None:
        # As shutil's sendfile path raises it: the source's name first, the target's second.
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(source), None, str(target))

    def compartments() -> dict[str, bytes]:  # vault.db takes the sign-ins' entries: the BCUs' files must not change
        return {p.name: p.read_bytes() for p in vault_app.vault_dir.iterdir() if p.name.startswith("bcu-")}

    before = compartments()
    out = tmp_path / "media" / "b.gvmbak"
    out.parent.mkdir()
    for stage in ("copy", "pack"):
        with monkeypatch.context() as patch:
            if stage == "copy":
                patch.setattr(backup_archive.shutil, "copyfile", disk_full)
            else:
                patch.setattr(backup_archive, "_copy_hashing", lambda *_a: disk_full(Path("x"), Path("y")))
            ws = vault_app.auth.sign_in(ADMIN.username, ADMIN.password)
            try:
                with pytest.raises(FileWriteError) as caught:
                    vault_app.backup.backup(ws, out)
                assert vault_app.backup.last_backup(ws) is None
                outcome, detail = _backup_entries(ws)[-1]
            finally:
                vault_app.auth.sign_out(ws)
        message = str(caught.value)
        assert message.startswith(f"Could not write the backup to {out}: no space left on device"), message
        assert str(vault_app.vault_dir) not in message and ".db" not in message
        assert outcome == Outcome.FAILED.value and "no space left on device" in detail and str(out) not in detail
        assert list(out.parent.iterdir()) == []
    assert compartments() == before


def _restore_entry(app: App) -> str:
    ws = app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    try:
        found = app.log.search(ws, LogFilter(actions=(Action.VAULT_RESTORE.value,))).entries
        return next(e for e in found).entry.detail or ""
    finally:
        app.auth.sign_out(ws)


def test_the_restore_records_how_it_was_opened_and_counts_the_active_accounts(
        vault_app: App, template: Template, tmp_path: Path, make_app: Callable[..., App]) -> None:
    backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    by_admin = vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "a", ADMIN.password,
                                        username=ADMIN.username)
    by_code = vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "c", template.recovery_code)
    assert by_admin.opened_by == ADMIN.username and by_code.opened_by is None
    assert by_admin.active_accounts == by_code.active_accounts == len(DEMO_ACCOUNTS)
    assert f"opened with administrator {ADMIN.username}'s password" in _restore_entry(make_app(tmp_path / "a"))
    assert "opened with the recovery code" in _restore_entry(make_app(tmp_path / "c"))


def test_a_restored_vault_counts_the_backup_it_came_from_as_its_last(vault_app: App, template: Template,
                                                                      tmp_path: Path,
                                                                      make_app: Callable[..., App]) -> None:
    made = backup_as_admin(vault_app, tmp_path / "b.gvmbak")
    vault_app.backup.restore(tmp_path / "b.gvmbak", tmp_path / "r", template.recovery_code)
    restored = make_app(tmp_path / "r")
    ws = restored.auth.sign_in(ADMIN.username, ADMIN.password)
    try:
        last = restored.backup.last_backup(ws)
    finally:
        restored.auth.sign_out(ws)
    assert last is not None and last.backup_id == made.manifest.backup_id  # type: ignore[attr-defined]  # BackupMade
