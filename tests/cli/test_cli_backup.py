"""`gvm-desktop backup` and `gvm-desktop restore`: exit codes, words, a new workstation, and kill -9 mid-backup."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.support.memory_keyring import MemoryKeyring

ACC = {a.role: a for a in DEMO_ACCOUNTS}
ADMIN, AUDITOR, OFFICER = ACC[Role.ADMIN], ACC[Role.AUDITOR], ACC[Role.OFFICER]
ROOT = Path(__file__).resolve().parents[2]

Run = Callable[..., tuple[int, str, str]]


def runner(make_app: Callable[..., App], **overrides: object) -> Run:
    def _run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--password-stdin"], app_factory=lambda folder: make_app(folder, **overrides),
                    stdin=io.StringIO(stdin), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return _run


@pytest.fixture
def run(make_app: Callable[..., App]) -> Run:
    return runner(make_app)


def test_a_bound_vault_comes_back_on_a_new_workstation_through_the_recovery_code(
        run: Run, make_app: Callable[..., App], tmp_path: Path) -> None:
    vault, restored = tmp_path / "vault", tmp_path / "restored"
    code, out, err = run("init", "--admin", "alice.admin", "--vault", str(vault),
                         stdin="copper-kettle-orbit-91\ncopper-kettle-orbit-91\n")
    assert code == 0, err
    assert "bound to this workstation" in out
    recovery = out.split("Recovery code (shown once; write it down and keep it in a safe): ")[1].split()[0]

    code, out, err = run("backup", "--out", str(tmp_path / "v.gvmbak"), "--vault", str(vault), "--as", "alice.admin",
                         stdin="copper-kettle-orbit-91\n")
    assert code == 0, err
    assert out.startswith(f"Backed up to {tmp_path / 'v.gvmbak'} (")
    assert "access-log head " in out

    elsewhere = runner(make_app, keyring_backend=MemoryKeyring(), workstation="ws-test-02")
    code, out, err = elsewhere("restore", str(tmp_path / "v.gvmbak"), "--vault", str(restored), "--as", "alice.admin",
                               stdin="copper-kettle-orbit-91\n")
    assert code == 3 and out == ""
    assert "restore with the recovery code" in err and err.count("\n") == 1
    assert not restored.exists()

    code, out, err = elsewhere("restore", str(tmp_path / "v.gvmbak"), "--vault", str(restored), stdin=f"{recovery}\n")
    assert code == 0, err
    assert "cannot sign in here yet" in out and "gvm-desktop recover" in out
    code, _out, err = elsewhere("user", "list", "--vault", str(restored), "--as", "alice.admin",
                                stdin="copper-kettle-orbit-91\n")
    assert code != 0  # bound to the other workstation's credential store
    code, out, err = elsewhere("recover", "--user", "alice.admin", "--vault", str(restored),
                               stdin=f"{recovery}\nnew-lantern-harbour-73\nnew-lantern-harbour-73\n")
    assert code == 0, err
    code, out, err = elsewhere("user", "list", "--vault", str(restored), "--as", "alice.admin",
                               stdin="new-lantern-harbour-73\n")
    assert code == 0, err
    assert out.startswith("alice.admin\tadmin")


def test_after_a_restore_the_auditors_log_verify_passes_and_shows_the_restore(run: Run, demo_app: App,
                                                                              tmp_path: Path) -> None:
    vault, restored = str(demo_app.vault_dir), str(tmp_path / "restored")
    code, out, err = run("backup", "--out", str(tmp_path / "b.gvmbak"), "--vault", vault, "--as", ADMIN.username,
                         stdin=f"{ADMIN.password}\n")
    assert code == 0, err
    head = int(out.split("access-log head ")[1].split(":")[0])
    code, out, err = run("restore", str(tmp_path / "b.gvmbak"), "--vault", restored, "--as", ADMIN.username,
                         "--checkpoint", str(demo_app.vault_dir / "log-checkpoint.json"), stdin=f"{ADMIN.password}\n")
    assert code == 0, err
    assert f"entries {head + 1}.." in out
    code, out, err = run("log", "verify", "--vault", restored, "--as", AUDITOR.username, stdin=f"{AUDITOR.password}\n")
    assert code == 0, err
    assert out.startswith(f"Intact: {head + 1} entries; head {head + 1}:")
    code, out, err = run("log", "search", "--action", "vault.restore", "--vault", restored, "--as", AUDITOR.username,
                         stdin=f"{AUDITOR.password}\n")
    assert code == 0, err
    assert "\tvault.restore\t" in out and "are gone" in out and "(1 shown)" in out


def test_one_byte_changed_is_exit_4_and_no_folder(run: Run, demo_app: App, tmp_path: Path) -> None:
    vault = str(demo_app.vault_dir)
    assert run("backup", "--out", str(tmp_path / "b.gvmbak"), "--vault", vault, "--as", ADMIN.username,
               stdin=f"{ADMIN.password}\n")[0] == 0
    data = bytearray((tmp_path / "b.gvmbak").read_bytes())
    with zipfile.ZipFile(tmp_path / "b.gvmbak") as zf:
        info = zf.getinfo("bcu-CE.db")
    data[info.header_offset + 30 + len(info.filename) + 5000] ^= 0x80
    (tmp_path / "b.gvmbak").write_bytes(bytes(data))
    code, out, err = run("restore", str(tmp_path / "b.gvmbak"), "--vault", str(tmp_path / "r"), "--as", ADMIN.username,
                         stdin=f"{ADMIN.password}\n")
    assert code == 4 and out == ""
    assert err.startswith("gvm-desktop: The backup") and "nothing was restored" in err.lower()
    assert not (tmp_path / "r").exists()


def test_restore_over_a_vault_is_refused_and_backup_over_a_file_too(run: Run, demo_app: App, tmp_path: Path) -> None:
    vault = str(demo_app.vault_dir)
    out_file = tmp_path / "b.gvmbak"
    assert run("backup", "--out", str(out_file), "--vault", vault, "--as", ADMIN.username,
               stdin=f"{ADMIN.password}\n")[0] == 0
    before = {p.name: p.read_bytes() for p in demo_app.vault_dir.iterdir() if p.suffix == ".db"}
    code, _out, err = run("restore", str(out_file), "--vault", vault, "--as", ADMIN.username,
                         stdin=f"{ADMIN.password}\n")
    assert code == 1 and "never overwrites an existing vault" in err
    assert {p.name: p.read_bytes() for p in demo_app.vault_dir.iterdir() if p.suffix == ".db"} == before
    kept = out_file.read_bytes()
    code, _out, err = run("backup", "--out", str(out_file), "--vault", vault, "--as", ADMIN.username,
                         stdin=f"{ADMIN.password}\n")
    assert code == 1 and "never overwrites" in err
    assert out_file.read_bytes() == kept


def test_an_officer_may_not_back_up(run: Run, demo_app: App, tmp_path: Path) -> None:
    code, out, err = run("backup", "--out", str(tmp_path / "b.gvmbak"), "--vault", str(demo_app.vault_dir),
                         "--as", OFFICER.username, stdin=f"{OFFICER.password}\n")
    assert code == 3 and out == "" and err.count("\n") == 1
    assert not (tmp_path / "b.gvmbak").exists()


def test_kill_9_during_a_backup_leaves_the_vault_as_it_was_and_no_file(run: Run, demo_app: App,
                                                                       tmp_path: Path) -> None:
    # Biggish: a 256 MiB compartment-sized file (sparse, so it costs no disk) makes the copy last long enough to
    # be killed inside it.
    with (demo_app.vault_dir / "bcu-ZZZ.db").open("wb") as fh:
        fh.truncate(256 << 20)
    out_file = tmp_path / "big.gvmbak"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gvm_desktop", "backup", "--out", str(out_file), "--vault", str(demo_app.vault_dir),
         "--as", ADMIN.username, "--password-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    assert proc.stdin is not None
    proc.stdin.write(f"{ADMIN.password}\n".encode())
    proc.stdin.close()
    deadline = time.monotonic() + 60
    partial: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        partial = [p for p in tmp_path.glob(".big.gvmbak.*.partial") if p.stat().st_size > (1 << 20)]
        if partial:
            break
        time.sleep(0.002)
    assert partial, "the backup ended before it could be killed mid-copy"
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (demo_app.vault_dir / "bcu-ZZZ.db").unlink()

    assert proc.returncode == -signal.SIGKILL
    assert not out_file.exists()
    code, _out, err = run("log", "verify", "--vault", str(demo_app.vault_dir), "--as", AUDITOR.username,
                          stdin=f"{AUDITOR.password}\n")
    assert code == 0, err
    code, _out, err = run("backup", "--out", str(out_file), "--vault", str(demo_app.vault_dir), "--as", ADMIN.username,
                          stdin=f"{ADMIN.password}\n")
    assert code == 0, err


def test_restore_from_a_fifo_is_refused_at_once_without_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.gvmbak")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "gvm_desktop", "restore", str(tmp_path / "fifo.gvmbak"), "--vault",
                           str(tmp_path / "r"), "--password-stdin"], input="x\n", capture_output=True, text=True,
                          timeout=30, env=env, cwd=ROOT)
    assert done.returncode == 1 and "fifo.gvmbak is not a backup file" in done.stderr, done.stderr
    assert not (tmp_path / "r").exists()


def test_an_administrators_restore_without_the_checkpoint_warns_what_it_cannot_tell(run: Run, demo_app: App,
                                                                                    tmp_path: Path) -> None:
    vault = str(demo_app.vault_dir)
    assert run("backup", "--out", str(tmp_path / "b.gvmbak"), "--vault", vault, "--as", ADMIN.username,
               stdin=f"{ADMIN.password}\n")[0] == 0
    code, out, err = run("restore", str(tmp_path / "b.gvmbak"), "--vault", str(tmp_path / "r"), "--as",
                         ADMIN.username, stdin=f"{ADMIN.password}\n")
    assert code == 0, err
    assert "Warning: restored with an administrator's password and without --checkpoint" in out
    assert "cannot be counted" in out and "disabled since the backup are active again" in out
    assert f"{len(DEMO_ACCOUNTS)} accounts are active in the restored vault" in out
    code, out, err = run("restore", str(tmp_path / "b.gvmbak"), "--vault", str(tmp_path / "r2"), "--as",
                         ADMIN.username, "--checkpoint", vault, stdin=f"{ADMIN.password}\n")
    assert code == 0 and "Warning" not in out, err


def test_the_next_backup_says_it_removed_a_killed_backups_leftovers(run: Run, demo_app: App, tmp_path: Path) -> None:
    leftover = tmp_path / ".k.gvmbak.abcdefgh.partial"
    leftover.write_bytes(b"half")
    os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    code, out, err = run("backup", "--out", str(tmp_path / "b.gvmbak"), "--vault", str(demo_app.vault_dir), "--as",
                         ADMIN.username, stdin=f"{ADMIN.password}\n")
    assert code == 0, err
    assert f"Removed 1 leftover of an interrupted backup from {tmp_path}." in out
    assert not leftover.exists()
