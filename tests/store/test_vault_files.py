"""The vault on disk: encrypted, nameless, and unmoved by a failed open."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import AuthenticationError, VaultCorrupt, VaultNotFound, WrongFileType
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.conftest import ADMIN, ADMIN_PW, DEMO_PEOPLE
from tests.support.vault_access import conn_of

OFFICER = DEMO_ACCOUNTS[0]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.name in ("vault.db", "keyslots.json")}


def test_database_file_is_not_plain_sqlite(demo_app: App) -> None:
    head = demo_app.paths.database.read_bytes()[:16]
    assert head != b"SQLite format 3\x00"
    # 16 random salt bytes: not all the same byte, not printable text
    assert len(set(head)) > 4


def test_no_file_in_the_vault_folder_holds_a_name_or_username(demo_app: App, clock) -> None:
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    people = generate_nominals(DEMO_PEOPLE, seed=2026, today=clock.now().date())
    needles = {p.family_name for p in people} | {a.username for a in DEMO_ACCOUNTS}
    needles |= {a.display_name for a in DEMO_ACCOUNTS}
    # A write under way keeps the pages it changes, as they were, in the rollback journal: every
    # person's row here, so the journal is scanned too.
    conn = conn_of(ws)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # A real change: SQLite writes no page (and journals none) for an update that leaves a row as it was.
        conn.execute("UPDATE nominals SET address = address || ' (moving)'")
        files = list(demo_app.paths.folder.iterdir())
        assert any(f.name.endswith("-journal") and f.stat().st_size > 0 for f in files), \
            "expected a live journal to scan as well"
        for f in files:
            blob = f.read_bytes()
            for needle in needles:
                for enc in ("utf-8", "utf-16-le"):
                    assert needle.encode(enc) not in blob, f"{needle!r} found in clear in {f.name}"
    finally:
        conn.execute("ROLLBACK")
    demo_app.auth.sign_out(ws)


def test_wrong_password_fails_and_changes_no_vault_file(demo_app: App) -> None:
    before = _digests(demo_app.paths.folder)
    with pytest.raises(AuthenticationError, match="username or password is wrong"):
        demo_app.auth.sign_in(OFFICER.username, "not-the-password-at-all-9")
    with pytest.raises(AuthenticationError, match="username or password is wrong"):
        demo_app.auth.sign_in("nobody.here", "not-the-password-at-all-9")
    assert _digests(demo_app.paths.folder) == before


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        (lambda db: db.write_bytes(db.read_bytes()[: len(db.read_bytes()) // 2]), VaultCorrupt, "truncated|damaged"),
        (lambda db: db.write_bytes(db.read_bytes()[:1000]), VaultCorrupt, "shorter than one page"),
        (lambda db: db.write_bytes(b""), VaultCorrupt, "empty"),
        (lambda db: db.write_bytes(bytes(len(db.read_bytes()))), VaultCorrupt, "all zeros"),
        (lambda db: db.write_bytes(b"SQLite format 3\x00" + bytes(8000)), WrongFileType, "unencrypted SQLite"),
        (lambda db: db.write_bytes(b"%PDF-1.7\n" + b"x" * 9000), WrongFileType, "not a gvm-desktop vault"),
    ],
    ids=["truncated-half", "truncated-tiny", "empty", "zeros", "plain-sqlite", "a-pdf"],
)
def test_damaged_database_gives_a_clear_message_and_is_left_alone(
    demo_app: App, damage: Callable[[Path], None], error: type[Exception], message: str
) -> None:
    db = demo_app.paths.database
    for extra in db.parent.glob("vault.db-*"):
        extra.unlink()
    damage(db)
    before = _digests(demo_app.paths.folder)
    with pytest.raises(error, match=message):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    assert _digests(demo_app.paths.folder) == before


def test_another_vaults_key_slots_are_refused(make_app: Callable[..., App], tmp_path: Path) -> None:
    one = make_app(tmp_path / "one")
    two = make_app(tmp_path / "two")
    one.auth.sign_out(one.init_vault(ADMIN, "Admin One", ADMIN_PW).workspace)
    two.auth.sign_out(two.init_vault(ADMIN, "Admin Two", ADMIN_PW).workspace)
    shutil.copy(two.paths.keyslots, one.paths.keyslots)
    before = _digests(one.paths.folder)
    with pytest.raises(VaultCorrupt, match="another vault"):
        one.auth.sign_in(ADMIN, ADMIN_PW)
    assert _digests(one.paths.folder) == before


def _tamper(path: Path, mutate: Callable[[dict], None], *, fix_checksum: bool) -> None:  # type: ignore[type-arg]
    raw = json.loads(path.read_text())
    mutate(raw)
    if fix_checksum:
        raw.pop("checksum")
        canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"))
        raw["checksum"] = hashlib.sha256(canonical.encode()).hexdigest()
    path.write_text(json.dumps(raw))


def _flip_one_byte(field: str) -> Callable[[dict], None]:  # type: ignore[type-arg]
    import base64

    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        slot = next(s for s in raw["slots"] if s["kind"] == "user")
        target = slot if field != "sealed" else slot["sealed"]
        key = field if field != "sealed" else "ct"
        blob = bytearray(base64.b64decode(target[key]))
        blob[len(blob) // 2] ^= 0x01
        target[key] = base64.b64encode(bytes(blob)).decode()

    return mutate


@pytest.mark.parametrize(
    ("field", "error", "message"),
    [
        ("wrapped_private", AuthenticationError, "username or password is wrong"),
        ("sealed", VaultCorrupt, "sealed data key does not open"),
        ("public", VaultCorrupt, "public key does not match"),
    ],
)
def test_a_slot_tampered_by_one_byte_is_rejected(make_app: Callable[..., App], field: str,
                                                 error: type[Exception], message: str) -> None:
    app = make_app()
    app.auth.sign_out(app.init_vault(ADMIN, "Admin", ADMIN_PW).workspace)
    # With the checksum recomputed (a deliberate forgery), AES-GCM / HPKE must catch it.
    _tamper(app.paths.keyslots, _flip_one_byte(field), fix_checksum=True)
    with pytest.raises(error, match=message):
        app.auth.sign_in(ADMIN, ADMIN_PW)


def test_accidental_damage_to_the_slot_file_is_named_as_such(app: App) -> None:
    app.auth.sign_out(app.init_vault(ADMIN, "Admin", ADMIN_PW).workspace)
    _tamper(app.paths.keyslots, _flip_one_byte("wrapped_private"), fix_checksum=False)
    with pytest.raises(VaultCorrupt, match="checksum does not match"):
        app.auth.sign_in(ADMIN, ADMIN_PW)
    app.paths.keyslots.write_bytes(b"\x00\xff garbage")
    with pytest.raises(VaultCorrupt, match="not readable"):
        app.auth.sign_in(ADMIN, ADMIN_PW)
    app.paths.keyslots.write_text('{"format": "something-else"}')
    with pytest.raises(WrongFileType, match="not a gvm-desktop key-slot file"):
        app.auth.sign_in(ADMIN, ADMIN_PW)


def test_missing_vault_and_missing_slot_file(app: App) -> None:
    with pytest.raises(VaultNotFound, match="gvm-desktop init"):
        app.auth.sign_in(ADMIN, ADMIN_PW)
    app.auth.sign_out(app.init_vault(ADMIN, "Admin", ADMIN_PW).workspace)
    app.paths.keyslots.unlink()
    with pytest.raises(VaultCorrupt, match="key-slot file is missing"):
        app.auth.sign_in(ADMIN, ADMIN_PW)


def test_slot_file_names_nobody(app: App) -> None:
    app.auth.sign_out(app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW).workspace)
    text = app.paths.keyslots.read_text()
    assert ADMIN not in text and "Alice" not in text
    assert oct(app.paths.keyslots.stat().st_mode & 0o777) == "0o600"
    assert oct(app.paths.database.stat().st_mode & 0o777) == "0o600"
