"""The backup file: one ZIP of the vault folder's encrypted files and a MAC'd manifest (core/backup_manifest.py).

Consistency. The parts are the files' bytes, copied while this process holds the key-slot file's
lock (no rotation, password change or pin moves meanwhile) and BEGIN IMMEDIATE on common (every
writer needs common's write lock: every write logs there, and BEGIN IMMEDIATE takes the main
file first). Under rollback journals nobody but the holder of that lock changes a database
file, so the bytes read are one committed state, as encrypted as on disk. Copying bytes rather
than SQLite's backup API or VACUUM INTO: the administrator's session holds only common's key,
and a BCU's file must be copied without its key; SQLCipher's backup API would also need the
target keyed alike, and VACUUM INTO rewrites every page (decrypt, re-encrypt) where a copy
moves them as they are.

Under the locks the files are only copied (shutil.copyfile: the kernel's copy) into a hidden
folder beside the target; hashing and packing follow after the locks are let go. Measured on
the 100,000-person bench vault (158 MB, one run each, this 2-core machine under load): hashing
and packing under the locks held writers back 0.88 s; copying only, 0.14 s (a bare copy of the
same files: 0.075 s), and the whole backup took 0.95 s against 1.00 s.

Members are ZIP_STORED: the parts are ciphertext already and do not compress. The file is
written under a hidden temporary name beside the target, fsynced, then linked to the target
name (which refuses an existing file): a kill at any moment leaves no file under that name.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

if sys.platform != "win32":
    import fcntl

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gvm_desktop.core.backup_manifest import (
    MAC_KEY_INFO,
    MAC_NAME,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    MAX_PARTS,
    PART_NAME,
    BackupDamaged,
    BackupManifest,
    BackupNotWritten,
    BackupPart,
    mac_matches,
    manifest_mac,
    parse_checkpoint,
)
from gvm_desktop.core.errors import (
    AuthenticationError,
    FileWriteError,
    GvmError,
    StorageError,
    ValidationError,
    VaultCorrupt,
    VaultExists,
)
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.store import database, keyslots, log_chain
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.file_lock import FileLock
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.key_pins import open_checked_keyring
from gvm_desktop.store.keyslots import KeySlot, KeySlotFile
from gvm_desktop.store.slot_format import COMMON
from gvm_desktop.store.vault import SLOT_LOCK_SECONDS, Vault, load_slots

_CHUNK = 1 << 20
_WRONG = "Sign-in failed: the username or password is wrong."
# What tempfile.mkstemp/mkdtemp make from the prefix ".NAME." and our suffixes: the cleanup's whole reach.
_LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.(?:partial|copying)")
# Younger than this, a leftover-named file may be a running backup's that has not yet taken its lock (POSIX); on
# Windows no lock tells, so only a day-old one is taken as stale.
_LEFTOVER_STALE_SECONDS = 86_400 if sys.platform == "win32" else 60
_WRITE_ERRNOS = frozenset(getattr(errno, n) for n in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS") if hasattr(errno, n))
# keyslots.json is read into memory before any key: far above any real vault's (a few KB per account).
_MAX_SLOT_FILE_BYTES = 64 << 20


@dataclass(frozen=True)
class WrittenBackup:
    path: Path
    manifest: BackupManifest
    size: int  # bytes of the backup file
    locked_seconds: float  # how long writers of the vault were held back
    leftovers_removed: int  # stale hidden files of killed backups cleared from the output's folder


@dataclass(frozen=True)
class SealedBackup:
    """A backup file read and checked as far as can be without a key: its shape and its key slots' hash."""

    path: Path
    manifest: BackupManifest
    manifest_bytes: bytes
    mac: bytes
    slot_file: KeySlotFile


@dataclass(frozen=True)
class BackupKeys:
    """What a secret opened in the backup's key slots: which slot, common's key (the current one, and the next
    if a rotation stopped after its rekey) and the manifest's MAC keys derived from them."""

    slot: KeySlot
    common: tuple[bytes, ...]
    mac_keys: tuple[bytes, ...]


def _mac_key(common_key: bytes, vault_id: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=MAC_KEY_INFO + vault_id.encode("ascii")).derive(common_key)


def _session_mac_key(vault: Vault) -> bytes:
    # The session's common key never leaves the vault object; only this one-way derivation of it does.
    return vault.derive_from_common(lambda common: _mac_key(common, vault.vault_id))


def _parts_of(folder: Path) -> list[str]:
    names = sorted(p.name for p in folder.iterdir() if PART_NAME.fullmatch(p.name) and p.is_file())
    # The main database first, so a reader meets it first; the rest in name order.
    return sorted(names, key=lambda n: (n != "vault.db", n))


def _interrupted_writes(folder: Path, names: list[str]) -> list[str]:
    """Parts with a rollback journal beside them while we hold common's write lock: a crash left it (hot)."""
    return [n for n in names if n.endswith(".db") and database.journal_of(folder / n).exists()
            and database.journal_of(folder / n).stat().st_size > 0]


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":
        return  # Windows cannot open a folder for fsync; its renames are durable through NTFS's log
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _open_regular(path: Path, what: str) -> IO[bytes]:
    """`path` opened for reading if it is a regular file; ValidationError naming it otherwise. O_NONBLOCK and the
    second stat (of what was opened): a FIFO swapped in after the first must not hang us, nor a device be read."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ValidationError(f"{path.name} is a folder, not a {what}." if path.is_dir()
                                  else f"{path.name} is not a {what} (not a regular file).")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ValidationError(f"There is no {what} {path.name}.") from None
    except OSError as exc:
        raise ValidationError(f"The {what} {path.name} cannot be read ({exc.strerror or 'I/O error'}).") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValidationError(f"{path.name} is not a {what} (not a regular file).")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_sizes(infos: list[zipfile.ZipInfo], file_size: int) -> None:
    """The central directory's claims, held against the file itself before any member is read: stored members
    cannot together be larger than the file that stores them."""
    if len(infos) > MAX_PARTS + 2:
        raise BackupDamaged("The backup file holds more files than a gvm-desktop backup does: it was altered.")
    total = 0
    for info in infos:
        if (info.file_size != info.compress_size or info.header_offset + info.compress_size > file_size
                or info.header_offset < 0):
            raise BackupDamaged("The backup file's directory claims a member larger than the file: it was altered.")
        total += info.compress_size
    if total > file_size:
        raise BackupDamaged("The backup file's directory claims members larger than the file: it was altered.")


def _link_into_place(temp: Path, out: Path) -> None:
    try:
        os.link(temp, out)  # fails if `out` appeared meanwhile: never over someone's file
    except FileExistsError:
        raise FileWriteError(f"{out.name} appeared while the backup was written; "
                             "the backup was not kept under that name.") from None
    except OSError:
        # A file system without hard links: a rename, which on POSIX would replace; checked just above.
        if out.exists():
            raise FileWriteError(f"{out.name} already exists: a backup never overwrites a file.") from None
        os.rename(temp, out)


def _reason(exc: OSError) -> str:
    """Why, in the user's words and without any path: "no space left on device"."""
    return os.strerror(exc.errno).lower() if exc.errno else (exc.strerror or type(exc).__name__).lower()


def _written_side(exc: OSError, staging: Path) -> bool:
    """Did the copy fail writing the backup's side (rather than reading the vault's file)? shutil names the
    source first even when the target's disk is full."""
    if exc.errno in _WRITE_ERRNOS:
        return True
    names = (exc.filename, getattr(exc, "filename2", None))
    return any(isinstance(n, str) and Path(n).parent == staging for n in names)


def _lock_while_writing(fd: int) -> None:
    """Mark a leftover-named file or folder as a running backup's: the next backup's cleanup leaves it alone.
    The lock dies with the process, so a killed backup's leftovers read as stale."""
    if sys.platform != "win32":
        fcntl.flock(fd, fcntl.LOCK_EX)


def _hold_while_writing(folder: Path) -> int | None:
    if sys.platform == "win32":
        return None  # a folder cannot be locked there: its leftovers are left for a day instead (see below)
    fd = os.open(folder, os.O_RDONLY)
    _lock_while_writing(fd)
    return fd


def _held_by_a_running_backup(path: str) -> bool:
    if sys.platform == "win32":
        return False  # only the age tells there; an open .partial also refuses to be deleted
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return True  # cannot look: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing lets go of the lock we may have taken
    return False


def _clear_stale_leftovers(folder: Path) -> int:
    """Remove what a killed backup left beside its target: only names made by this module's own pattern
    (hidden, 8-character random part, .partial file or .copying folder), only in `folder`, only ours (owner),
    not symlinks, and only when no running backup holds them and they are older than a running one's start."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not _LEFTOVER.fullmatch(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        is_folder = entry.name.endswith(".copying")
        kind_ok = stat.S_ISDIR(st.st_mode) if is_folder else stat.S_ISREG(st.st_mode)
        if not kind_ok or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            continue
        if time.time() - st.st_mtime < _LEFTOVER_STALE_SECONDS or _held_by_a_running_backup(entry.path):
            continue
        try:
            if is_folder:
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed += 1
    return removed


def _member(name: str, created: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(int(created[0:4]), int(created[5:7]), int(created[8:10]),
                                            int(created[11:13]), int(created[14:16]), int(created[17:19])))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


class BackupArchive:
    """The vault-file implementation of backups (a server backend would have its own)."""

    def snapshot(self, vault: Vault, out: Path, *, backup_id: str, created: str, app_version: str) -> WrittenBackup:
        """Write the backup of the open vault to `out` (which must not exist); the vault is not changed."""
        out = Path(os.path.abspath(out))
        if out.exists() or out.is_symlink():
            raise FileWriteError(f"{out.name} already exists: a backup never overwrites a file. Choose a new name.")
        if not out.parent.is_dir():
            raise FileWriteError(f"The folder for {out.name} does not exist.")
        removed = _clear_stale_leftovers(out.parent)
        folder = vault.paths.folder
        slot_lock = FileLock(vault.paths.keyslots.with_suffix(".lock"), what="Backing up the vault",
                             timeout=SLOT_LOCK_SECONDS)
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".copying", dir=out.parent))
        except OSError as exc:
            raise BackupNotWritten(out, _reason(exc)) from None
        staging_hold: int | None = None
        temp: Path | None = None
        try:
            staging_hold = _hold_while_writing(staging)
            # The key slots' lock first, then common's: a session holding common's lock that waits for the slot
            # lock (a new account's slot) is then never waited for by us; the reverse wait ends in SQLite's busy
            # timeout, which fails this backup, not someone's work. Under the locks only the plain copy (the
            # kernel's, the fastest there is): writers wait for that alone, not for the hashing and packing.
            with slot_lock.hold(), database.transaction(vault.conn):
                began = time.perf_counter()
                head_seq, head_hash = log_chain.head(vault.conn)
                names = _parts_of(folder)
                interrupted = _interrupted_writes(folder, names)
                if interrupted:
                    raise StorageError(
                        f"An interrupted write left a journal beside {interrupted[0]}: the next sign-in of a "
                        "holder of that file's key puts it right. Back up after that.")
                for name in names:
                    try:
                        shutil.copyfile(folder / name, staging / name)
                    except OSError as exc:
                        if _written_side(exc, staging):
                            raise BackupNotWritten(out, _reason(exc)) from None
                        raise
                locked = time.perf_counter() - began
            try:
                temp, manifest = self._pack(vault, out, staging, names, backup_id=backup_id, created=created,
                                            app_version=app_version, head_seq=head_seq, head_hash=head_hash.hex())
                _link_into_place(temp, out)
                _fsync_folder(out.parent)
            except FileWriteError:
                raise
            except OSError as exc:
                raise BackupNotWritten(out, _reason(exc)) from None
        finally:
            if temp is not None:
                temp.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            if staging_hold is not None:
                os.close(staging_hold)
        return WrittenBackup(out, manifest, out.stat().st_size, locked, removed)

    @staticmethod
    def _pack(vault: Vault, out: Path, staging: Path, names: list[str], *, backup_id: str, created: str,
              app_version: str, head_seq: int, head_hash: str) -> tuple[Path, BackupManifest]:
        """The copied parts, hashed, into a hidden .partial file beside `out`, fsynced; returns it and the manifest."""
        fd, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        temp = Path(temp_name)
        try:
            _lock_while_writing(fd)
            with os.fdopen(fd, "wb") as fh:
                with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                    parts = []
                    for name in names:
                        with (staging / name).open("rb") as source, \
                                zf.open(_member(name, created), "w", force_zip64=True) as member:
                            size, digest = _copy_hashing(source, member)
                        parts.append(BackupPart(name, size, digest))
                        (staging / name).unlink()
                    manifest = BackupManifest(vault_id=vault.vault_id, backup_id=backup_id, created=created,
                                              app_version=app_version, head_seq=head_seq, head_hash=head_hash,
                                              parts=tuple(parts))
                    body = manifest.to_bytes()
                    zf.writestr(_member(MANIFEST_NAME, created), body)
                    zf.writestr(_member(MAC_NAME, created), manifest_mac(_session_mac_key(vault), body).hex())
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, manifest

    # -- restoring ---------------------------------------------------------------

    def read(self, path: Path) -> SealedBackup:
        """The backup's manifest, MAC and key slots, checked for shape; BackupDamaged if anything is off."""
        fh = _open_regular(path, "backup file")
        try:
            with fh, zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
                _check_sizes(infos, os.fstat(fh.fileno()).st_size)
                by_name = {i.filename: i for i in infos}
                if len(by_name) != len(infos):
                    raise BackupDamaged("The backup file holds a file twice: it was altered.")
                for info in infos:
                    if info.filename not in (MANIFEST_NAME, MAC_NAME) and not PART_NAME.fullmatch(info.filename):
                        raise BackupDamaged("The backup file holds a file no gvm-desktop backup holds: it was altered.")
                    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                        raise BackupDamaged("The backup file's members are not stored as gvm-desktop stores them.")
                if MANIFEST_NAME not in by_name or MAC_NAME not in by_name:
                    raise BackupDamaged("The backup file has no manifest: it is not a gvm-desktop backup.")
                if by_name[MANIFEST_NAME].file_size > MAX_MANIFEST_BYTES or by_name[MAC_NAME].file_size != 64:
                    raise BackupDamaged("The backup's manifest is damaged.")
                body = zf.read(MANIFEST_NAME)
                mac = bytes.fromhex(zf.read(MAC_NAME).decode("ascii"))
                manifest = BackupManifest.from_bytes(body)
                listed = {p.name: p for p in manifest.parts}
                held = set(by_name) - {MANIFEST_NAME, MAC_NAME}
                if held != set(listed) or any(by_name[n].file_size != p.size for n, p in listed.items()):
                    raise BackupDamaged("The backup file's contents do not match its manifest: it was altered.")
                slots_part = listed["keyslots.json"]
                if slots_part.size > _MAX_SLOT_FILE_BYTES:
                    raise BackupDamaged("The backup's key-slot file is larger than any gvm-desktop writes.")
                slot_bytes = zf.read("keyslots.json")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, UnicodeDecodeError, OSError):
            raise BackupDamaged("The backup file is damaged (it does not read as the archive gvm-desktop wrote): "
                                "nothing was restored.") from None
        if hashlib.sha256(slot_bytes).hexdigest() != slots_part.sha256:
            raise BackupDamaged("The backup's key slots differ from what its manifest records: it was altered.")
        try:
            slot_file = KeySlotFile.from_bytes(slot_bytes)
        except GvmError:
            raise BackupDamaged("The backup's key-slot file is damaged.") from None
        if slot_file.vault_id != manifest.vault_id:
            raise BackupDamaged("The backup's key slots belong to another vault than its manifest.")
        return SealedBackup(path, manifest, body, mac, slot_file)

    def open_keys(self, backup: SealedBackup, secret: str, username: str | None,
                  device: DeviceSecrets) -> BackupKeys:
        """Open a slot of the backup with the recovery code (`username` None) or the user's password."""
        slots = backup.slot_file
        if username is None:
            for recovery in (s for s in slots.slots if s.kind == "recovery"):
                try:
                    unlocked = keyslots.unlock(recovery, slots.vault_id, keyslots.normalise_recovery_code(secret), None)
                except AuthenticationError:
                    continue
                return self._keys(slots, recovery, unlocked)
            raise AuthenticationError("The recovery code is wrong: it is the 25 characters shown once when the "
                                      "vault was created.")
        slot = slots.find_user_slot(keyslots.locator_for(normalise_username(username), slots.locator_salt))
        if slot is None:
            raise AuthenticationError(_WRONG)
        device_secret = None
        if slot.device_bound:
            device_secret = device.get(slots.vault_id)
            if device_secret is None:
                raise AuthenticationError(
                    "This backup's accounts are bound to the workstation the vault was made on, and its credential "
                    "store is not here: restore with the recovery code (leave out --as), then give accounts new "
                    "passwords on this workstation ('gvm-desktop recover').")
        return self._keys(slots, slot, keyslots.unlock(slot, slots.vault_id, secret, device_secret))

    @staticmethod
    def _keys(slots: KeySlotFile, slot: KeySlot, unlocked: keyslots.Unlocked) -> BackupKeys:
        ring = open_checked_keyring(slots, slot, unlocked)
        common = (ring.keys[COMMON], *([ring.next_keys[COMMON]] if COMMON in ring.next_keys else []))
        return BackupKeys(slot, common, tuple(_mac_key(k, slots.vault_id) for k in common))

    def open_unpacked(self, keys: BackupKeys, staging: Path, device: DeviceSecrets) -> Vault:
        """The unpacked vault, common alone, with the key the restore's secret already opened (no second
        Argon2id): enough to append the restore's entry; everything else waits for the next sign-in."""
        paths = VaultPaths(staging)
        slots = load_slots(paths)
        for key in keys.common:
            try:
                return Vault.with_keys(paths, slots, {COMMON: key}, device)
            except VaultCorrupt:
                continue  # the other key: a rotation stopped between its rekey and its promotion
        raise VaultCorrupt("The backup's database does not open with its own key slots' key.")

    def check_target(self, target: Path) -> None:
        """A restore lands only in a new or empty folder."""
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise VaultExists(f"{target.name} exists and is not a folder: a restore never overwrites anything.")
        if target.exists() and any(target.iterdir()):
            raise VaultExists(f"{target} is not empty: a restore never overwrites an existing vault. "
                              "Restore into a new folder.")

    def unpack(self, backup: SealedBackup, keys: BackupKeys, target: Path) -> Path:
        """Check the manifest's MAC, then copy every part into a new hidden folder beside `target`, each
        checked against its SHA-256. Returns that folder; nothing is at `target` yet."""
        if not mac_matches(list(keys.mac_keys), backup.manifest_bytes, backup.mac):
            raise BackupDamaged("The backup's manifest does not carry this vault's seal: it was altered, or made "
                                "from another vault. Nothing was restored.")
        self.check_target(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=target.parent))
        try:
            with _open_regular(backup.path, "backup file") as archive, zipfile.ZipFile(archive) as zf:
                _check_sizes(zf.infolist(), os.fstat(archive.fileno()).st_size)
                for part in backup.manifest.parts:
                    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
                    with zf.open(part.name) as source, os.fdopen(os.open(staging / part.name, flags, 0o600), "wb") as fh:
                        size, digest = _copy_hashing(source, fh)
                        fh.flush()
                        os.fsync(fh.fileno())
                    if size != part.size or digest != part.sha256:
                        raise BackupDamaged(f"The backup's {part.name} differs from what its manifest records: "
                                            "it was altered. Nothing was restored.")
            _fsync_folder(staging)
        except (zipfile.BadZipFile, EOFError, ValueError):
            self.discard(staging)
            raise BackupDamaged("The backup file is damaged (a part does not read back as written): "
                                "nothing was restored.") from None
        except BaseException:
            self.discard(staging)
            raise
        return staging

    def land(self, staging: Path, target: Path) -> None:
        """Move the restored folder into place (an empty folder there is replaced, anything else refused)."""
        self.check_target(target)
        if target.exists():
            target.rmdir()
        os.rename(staging, target)
        _fsync_folder(target.parent)

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def paths(self, folder: Path) -> VaultPaths:
        return VaultPaths(folder)

    def read_checkpoint(self, given: Path, vault_id: str) -> tuple[int, str]:
        """An old vault's log checkpoint: the file, or the vault folder holding it."""
        path = VaultPaths(given).checkpoint if given.is_dir() else given
        try:
            with _open_regular(path, "checkpoint") as fh:
                data = fh.read(MAX_MANIFEST_BYTES)
        except OSError:
            raise ValidationError(f"The checkpoint {path.name} could not be read.") from None
        return parse_checkpoint(data, vault_id)
