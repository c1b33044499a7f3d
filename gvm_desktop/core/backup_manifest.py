"""A backup's manifest: what the file holds, when, the log head it ends at; its canonical bytes and MAC.

Pure: the store writes and reads the archive (store/backup_archive.py); this module says what a
manifest must contain and refuses anything else. The manifest is authenticated with HMAC-SHA-256
under a key derived from the vault's common key (the one every key slot in the backup unwraps):
nobody without a key slot's secret can make or alter a backup that a restore accepts. It does not
protect against a holder of that key (any account of the vault): such a person could build a
backup of their own making. The restore's log entry and the log's chain, whose MAC key only
auditors and the recovery code hold, are what tell the auditor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

from gvm_desktop.core.errors import FileWriteError, ValidationError, VaultCorrupt

FORMAT = "gvm-desktop-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MAC_NAME = "manifest.hmac"
MAC_KEY_INFO = b"gvm-desktop/backup-manifest/v1|"

# Every file of a vault folder a backup carries; the throttle and the lock files are this workstation's.
PART_NAME = re.compile(r"vault\.db|bcu-[A-Z]{2,4}\.db|dsa-[1-9][0-9]{0,17}\.db|keyslots\.json|log-checkpoint\.json")
REQUIRED_PARTS = ("vault.db", "keyslots.json")
MAX_PARTS = 64
MAX_MANIFEST_BYTES = 64 * 1024

_HEX64 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[0-9a-f]{32}")
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,40}")
_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z")


class BackupDamaged(VaultCorrupt):
    """A backup file that is not exactly what was written: nothing of it is restored."""

    code = "backup_damaged"


class BackupNotWritten(FileWriteError):
    """The backup file could not be written where asked; `reason` is the same without the path, for the log
    (a file's name may say whose matrix this is)."""

    def __init__(self, out: Path, reason: str) -> None:
        super().__init__(f"Could not write the backup to {out}: {reason}. Nothing was kept there; "
                         "the vault is untouched.")
        self.reason = reason


@dataclass(frozen=True)
class BackupPart:
    name: str
    size: int
    sha256: str  # hex


@dataclass(frozen=True)
class BackupManifest:
    vault_id: str
    backup_id: str
    created: str  # UTC, ISO 8601 with Z
    app_version: str
    head_seq: int
    head_hash: str  # hex
    parts: tuple[BackupPart, ...]

    @property
    def head(self) -> str:
        """The head as printed on documents: SEQ:first 16 hex digits."""
        return f"{self.head_seq}:{self.head_hash[:16]}"

    def to_bytes(self) -> bytes:
        """Canonical: sorted keys, no spaces, ASCII; the MAC is over exactly these bytes."""
        body = {
            "format": FORMAT, "version": FORMAT_VERSION, "vault_id": self.vault_id, "backup_id": self.backup_id,
            "created": self.created, "app_version": self.app_version,
            "log_head": {"seq": self.head_seq, "hash": self.head_hash},
            "parts": [{"name": p.name, "size": p.size, "sha256": p.sha256} for p in self.parts],
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes) -> BackupManifest:
        """The manifest, or BackupDamaged naming what is wrong; canonical bytes only (none re-encoded)."""
        if len(data) > MAX_MANIFEST_BYTES:
            raise BackupDamaged("The backup's manifest is too large to be one gvm-desktop wrote.")
        try:
            body = json.loads(data.decode("ascii"))
            manifest = cls._from_body(body)
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
            raise BackupDamaged("The backup's manifest is damaged: it is not a gvm-desktop backup manifest.") from None
        if manifest.to_bytes() != data:
            raise BackupDamaged("The backup's manifest was altered: it is not in the form gvm-desktop writes.")
        return manifest

    @classmethod
    def _from_body(cls, body: dict[str, object]) -> BackupManifest:
        if body["format"] != FORMAT:
            raise ValueError("format")
        if body["version"] != FORMAT_VERSION:
            raise BackupDamaged(f"This backup's format (version {str(body['version'])[:8]}) is not one this "
                                f"version of gvm-desktop reads (version {FORMAT_VERSION}).")
        head = body["log_head"]
        parts_raw = body["parts"]
        if not isinstance(head, dict) or not isinstance(parts_raw, list) or not 0 < len(parts_raw) <= MAX_PARTS:
            raise ValueError("shape")
        parts = tuple(BackupPart(_text(p["name"], PART_NAME), _count(p["size"]), _text(p["sha256"], _HEX64))
                      for p in parts_raw)
        names = [p.name for p in parts]
        if len(set(names)) != len(names) or any(r not in names for r in REQUIRED_PARTS):
            raise ValueError("parts")
        return cls(vault_id=_text(body["vault_id"], _ID), backup_id=_text(body["backup_id"], _ID),
                   created=_text(body["created"], _UTC), app_version=_text(body["app_version"], _VERSION),
                   head_seq=_count(head["seq"]), head_hash=_text(head["hash"], _HEX64), parts=parts)


def _text(value: object, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError("field")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("number")
    return value


def manifest_mac(mac_key: bytes, manifest_bytes: bytes) -> bytes:
    return hmac.new(mac_key, manifest_bytes, hashlib.sha256).digest()


def mac_matches(mac_keys: list[bytes], manifest_bytes: bytes, mac: bytes) -> bool:
    """Does any of the keys (common's current key, or a next one a stopped rotation left) vouch for the manifest?"""
    return any(hmac.compare_digest(manifest_mac(k, manifest_bytes), mac) for k in mac_keys)


def parse_checkpoint(data: bytes, vault_id: str) -> tuple[int, str]:
    """A vault's log checkpoint (log-checkpoint.json) as (seq, hash hex); ValidationError if it is not one of this vault."""
    try:
        body = json.loads(data.decode("utf-8"))
        if not isinstance(body, dict) or body.get("format") != "gvm-desktop-log-checkpoint":
            raise ValueError("format")
        seq, digest = body["seq"], body["hash"]
        checkpoint = _count(seq), _text(digest, _HEX64)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise ValidationError("The checkpoint given is not a gvm-desktop log checkpoint (log-checkpoint.json).") from None
    if body.get("vault_id") != vault_id:
        raise ValidationError("The checkpoint given belongs to another vault than this backup.")
    return checkpoint


def opened_with(username: str | None) -> str:
    """How a restore opened the backup, for its log entry: which secret stood behind it."""
    return "opened with the recovery code" if username is None else f"opened with administrator {username}'s password"


def restore_detail(manifest: BackupManifest, current: tuple[int, str] | None, *, new_workstation: bool) -> str:
    """The restore's log entry: which backup, its head, and what the vault's checkpoint says was lost since."""
    said = f"backup {manifest.backup_id} of {manifest.created}, log head {manifest.head_seq}:{manifest.head_hash}"
    if current is None:
        gap = ("the current checkpoint was not available: entries written after the backup's head, if any, "
               "are gone and cannot be counted")
    else:
        seq, digest = current
        if seq > manifest.head_seq:
            gap = (f"entries {manifest.head_seq + 1}..{seq} are gone (the checkpoint's head was {seq}:{digest}); "
                   "this log continues from the backup's head")
        elif seq == manifest.head_seq and digest == manifest.head_hash:
            gap = "no entry was lost: the checkpoint's head is the backup's"
        else:
            gap = (f"the checkpoint given ({seq}:{digest[:16]}) is not later than the backup's head and "
                   "does not match it: it is not this vault's latest")
    where = "; on a new workstation" if new_workstation else ""
    return f"{said}; {gap}{where}"


# What the backup service answers (a page shows them: they are core's, not the service's).


@dataclass(frozen=True)
class BackupMade:
    path: Path
    manifest: BackupManifest
    size: int
    locked_seconds: float
    leftovers_removed: int = 0  # stale hidden files of interrupted backups cleared from the output's folder


@dataclass(frozen=True)
class LastBackup:
    at: str  # UTC ISO
    backup_id: str


@dataclass(frozen=True)
class Restored:
    folder: Path
    manifest: BackupManifest
    detail: str  # what the restore's log entry says
    new_workstation: bool  # the vault is bound and this workstation had no device secret for it
    bound: bool
    opened_by: str | None = None  # the administrator whose password opened the backup; None: the recovery code
    active_accounts: int = 0  # in the restored vault: any disabled after the backup are among them again
    checkpoint_given: bool = False
