"""Attacks a review found after the first round of issue 10's fixes, each reproduced here first."""

from __future__ import annotations

import json

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import AuthenticationError, VaultCorrupt
from gvm_desktop.core.policy import Role
from gvm_desktop.store import database, keyslots
from gvm_desktop.store.slot import TEST_KDF, KeySlot
from gvm_desktop.store.slot_file import KeySlotFile
from tests.services.test_log_insider import (
    ACC,
    AUDITOR,
    OFFICER,
    attacker_connection,
    nosy_open,
    run,
    verify,
)
from tests.support.vault_access import conn_of, vault_of

ADMIN = ACC[Role.ADMIN]


def test_a_ghost_slot_planted_by_a_user_does_not_survive_their_disabling(demo_app: App) -> None:
    """The officer, while active, adds a slot of their own; the rotation at their disabling skips it."""
    vault, _ = demo_app.auth.open_read_only(OFFICER.username, OFFICER.password)
    key = bytes(vault._key)
    vault.close()
    slots = KeySlotFile.from_bytes(demo_app.paths.keyslots.read_bytes())
    ghost = keyslots.make_slot(vault_id=slots.vault_id, kind="user", user_id=999, version=1, locator="ab" * 16,
                               secret="ghost-secret", data_key=key, epoch=slots.key_epoch, kdf=TEST_KDF,
                               device_secret=None)
    fake_recovery = keyslots.make_slot(vault_id=slots.vault_id, kind="recovery", user_id=0, version=1, locator=None,
                                       secret="GHOSTRECOVERY", data_key=key, epoch=slots.key_epoch, kdf=TEST_KDF,
                                       device_secret=None)
    slots.slots = [fake_recovery, *slots.slots, ghost]
    demo_app.paths.keyslots.write_bytes(slots.to_bytes())

    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    demo_app.accounts.disable(admin, OFFICER.username)
    demo_app.auth.sign_out(admin)

    after = KeySlotFile.from_bytes(demo_app.paths.keyslots.read_bytes())
    assert all(s.public not in (ghost.public, fake_recovery.public) for s in after.slots)
    assert sum(s.kind == "recovery" for s in after.slots) == 1
    # Even the ghost's old copy cannot open the database any more: its key is the old one.
    private = keyslots.open_private(ghost, slots.vault_id, "ghost-secret", None)
    old = keyslots.open_sealed(ghost, slots.vault_id, private, ghost.sealed)
    with pytest.raises(VaultCorrupt):
        database.connect(demo_app.paths.database, old)
    assert run(demo_app, "user", "list", actor=ADMIN.username, password=ADMIN.password)[0] == 0


def _plant(app: App, *, copy_of: str | None = None, recovery_first: bool = False) -> KeySlot:
    """As the officer, with the data key: add a slot of their own, claiming `copy_of`'s account (or a
    recovery slot put first), so that a rotation might seal the next key to it."""
    vault, _ = app.auth.open_read_only(OFFICER.username, OFFICER.password)
    key = bytes(vault._key)
    owner = vault.conn.execute("SELECT id, slot_version, locator FROM users WHERE username = ?",
                               (copy_of,)).fetchone() if copy_of else None
    vault.close()
    slots = KeySlotFile.from_bytes(app.paths.keyslots.read_bytes())
    planted = keyslots.make_slot(vault_id=slots.vault_id, kind="recovery" if recovery_first else "user",
                                 user_id=owner[0] if owner else 0, version=owner[1] if owner else 1,
                                 locator=None if recovery_first else "cd" * 16, secret="planted-secret", data_key=key,
                                 epoch=slots.key_epoch, kdf=TEST_KDF, device_secret=None)
    slots.slots = [planted, *slots.slots] if recovery_first else [*slots.slots, planted]
    app.paths.keyslots.write_bytes(slots.to_bytes())
    return planted


def _planted_opens_the_new_key(app: App, planted: KeySlot) -> bool:
    after = KeySlotFile.from_bytes(app.paths.keyslots.read_bytes())
    mine = next((s for s in after.slots if s.public == planted.public), None)
    if mine is None:
        return False
    private = keyslots.open_private(mine, after.vault_id, "planted-secret", None)
    try:
        database.connect(app.paths.database, keyslots.open_sealed(mine, after.vault_id, private, mine.sealed)).close()
    except VaultCorrupt:
        return False
    return True


def _disable_officer(app: App) -> None:
    admin = app.auth.sign_in(ADMIN.username, ADMIN.password)
    app.accounts.disable(admin, OFFICER.username)
    app.auth.sign_out(admin)


def test_a_slot_claiming_another_active_account_does_not_survive_the_planters_disabling(demo_app: App) -> None:
    spoc = ACC[Role.SPOC]
    ws = demo_app.auth.sign_in(spoc.username, spoc.password)  # the database knows the SPOC's real slot
    demo_app.auth.sign_out(ws)
    planted = _plant(demo_app, copy_of=spoc.username)
    _disable_officer(demo_app)
    assert not _planted_opens_the_new_key(demo_app, planted)
    ws = demo_app.auth.sign_in(spoc.username, spoc.password)  # and the SPOC is not locked out
    demo_app.auth.sign_out(ws)


def test_a_recovery_slot_planted_first_in_an_old_vault_neither_survives_nor_costs_the_real_code(
        tmp_path, make_app) -> None:  # type: ignore[no-untyped-def]
    from gvm_desktop.store.vault import RECOVERY_PUBLIC

    app = make_app(tmp_path / "v")
    created = app.init_vault("ann.admin", "Ann Admin (synthetic)", "copper-kettle-orbit-91")
    ws = created.workspace
    app.accounts.add(ws, username="bob.officer", display_name="Bob Officer (synthetic)", role=Role.OFFICER,
                     bcu="CE", password="violet-harbour-ledger-63")
    key = bytes(vault_of(ws)._key)
    app.auth.sign_out(ws)
    conn = database.connect(app.paths.database, key)  # a vault from before the recovery slot was recorded
    conn.execute("DELETE FROM meta WHERE key = ?", (RECOVERY_PUBLIC,))
    conn.close()
    slots = KeySlotFile.from_bytes(app.paths.keyslots.read_bytes())
    planted = keyslots.make_slot(vault_id=slots.vault_id, kind="recovery", user_id=0, version=1, locator=None,
                                 secret="planted-secret", data_key=key, epoch=slots.key_epoch, kdf=TEST_KDF,
                                 device_secret=None)
    slots.slots = [planted, *slots.slots]  # first, where recovery_slot() looks
    app.paths.keyslots.write_bytes(slots.to_bytes())

    ws = app.auth.sign_in("ann.admin", "copper-kettle-orbit-91")
    with pytest.raises(VaultCorrupt, match="more than one recovery slot"):
        app.accounts.disable(ws, "bob.officer")  # refused loudly, rather than guessing which one is real
    app.auth.sign_out(ws)
    # The genuine code still opens its own slot, and that use records which one is real...
    app.recover(created.recovery_code, "ann.admin", "meadow-lantern-quarry-88")
    ws = app.auth.sign_in("ann.admin", "meadow-lantern-quarry-88")
    app.auth.sign_out(ws)  # (the interrupted revocation is finished here, by the next sign-in)
    # ...so the planted slot is left out of the rotation.
    assert not _planted_opens_the_new_key(app, planted)
    app.recover(created.recovery_code, "ann.admin", "harbour-violet-ledger-64")


def test_the_genuine_recovery_code_still_recovers_after_rotations(tmp_path, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tmp_path / "v")
    created = app.init_vault("ann.admin", "Ann Admin (synthetic)", "copper-kettle-orbit-91")
    ws = created.workspace
    for name in ("bob.officer", "cat.officer"):
        app.accounts.add(ws, username=name, display_name=f"{name} (synthetic)", role=Role.OFFICER, bcu="CE",
                         password="violet-harbour-ledger-63")
    app.accounts.disable(ws, "bob.officer")
    app.accounts.disable(ws, "cat.officer")
    app.auth.sign_out(ws)
    app.recover(created.recovery_code, "ann.admin", "meadow-lantern-quarry-88")
    app.auth.sign_out(app.auth.sign_in("ann.admin", "meadow-lantern-quarry-88"))


def test_a_session_writing_slots_never_undoes_anothers_change(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)  # holds the slot file as it was at sign-in
    officer = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    demo_app.accounts.change_own_password(officer, OFFICER.password, "meadow-lantern-quarry-88")
    demo_app.auth.sign_out(officer)
    assert verify(demo_app)[0] == 0  # the auditor's pin moves
    pinned = json.loads(demo_app.paths.keyslots.read_text())
    demo_app.accounts.add(admin, username="late.officer", display_name="Late Officer (synthetic)",
                          role=Role.OFFICER, bcu="CE", password="violet-harbour-ledger-63")
    demo_app.auth.sign_out(admin)
    ws = demo_app.auth.sign_in(OFFICER.username, "meadow-lantern-quarry-88")  # the new password still opens
    demo_app.auth.sign_out(ws)
    with pytest.raises(AuthenticationError):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    auditor_slot = next(s for s in pinned["slots"] if s.get("log_pin") and s["kind"] == "user")
    now = {s["id"]: s for s in json.loads(demo_app.paths.keyslots.read_text())["slots"]}
    assert now[auditor_slot["id"]]["log_pin"] == auditor_slot["log_pin"]  # the pin did not roll back


def test_a_planted_time_in_the_throttle_file_cannot_break_the_logs_order(demo_app: App) -> None:
    demo_app.paths.throttle.write_text(json.dumps({"accounts": {}, "dropped": 0, "pending": [
        {"at": "2099-01-01T00:00:00Z", "locator": None, "outcome": "unknown_user"}]}))
    ws = demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    demo_app.auth.sign_out(ws)
    code, out, err = verify(demo_app)
    assert code == 0, (out, err)
    vault, _ = demo_app.auth.open_read_only(ADMIN.username, ADMIN.password)
    try:
        detail = vault.conn.execute("SELECT detail FROM access_log WHERE action = 'auth.sign_in_failed'").fetchone()[0]
    finally:
        vault.close()
    assert "recorded as at 2099-01-01" in detail


def test_a_wrong_password_at_signing_is_logged_once(demo_app: App) -> None:
    from gvm_desktop.core.audit import Action

    spoc_acct = ACC[Role.SPOC]
    spoc = demo_app.auth.sign_in(spoc_acct.username, spoc_acct.password)
    with pytest.raises(AuthenticationError):
        demo_app.auth.signing_key_for(spoc, "not-the-password", Action.REVIEW_SIGN)
    demo_app.auth.sign_out(spoc)
    ws = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)  # flushes anything pending
    failures = conn_of(ws).execute("SELECT count(*) FROM access_log WHERE action = 'auth.sign_in_failed'").fetchone()[0]
    refusals = conn_of(ws).execute("SELECT count(*) FROM access_log WHERE action = 'review.sign' "
                               "AND outcome = 'refused'").fetchone()[0]
    assert (failures, refusals) == (0, 1)


def test_an_index_rebuilt_to_hide_an_entry_fails_verification(demo_app: App) -> None:
    ref = nosy_open(demo_app)
    conn = attacker_connection(demo_app, Role.OFFICER)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'access_log_record'").fetchone()[0]
    conn.execute("DROP INDEX access_log_record")
    conn.execute("CREATE INDEX access_log_record ON access_log(record_ref, seq) "
                 "WHERE justification IS NOT 'my neighbour, just curious about him'")
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'access_log_record'", (sql,))
    conn.execute("PRAGMA writable_schema = OFF")
    conn.close()
    code, out, err = verify(demo_app)
    assert code == 4, (out, err)
    assert "indexes do not match" in err + out
    assert ref  # the record whose opening the index hid


def test_a_forged_backfill_mark_on_a_pinned_vault_is_refused(demo_app: App) -> None:
    from gvm_desktop.store.migrations import LOG_BACKFILL_MARK

    conn = attacker_connection(demo_app, Role.ADMIN)
    conn.execute("UPDATE access_log SET entry_hash = NULL, mac = NULL")
    conn.execute("DELETE FROM log_state")
    conn.execute("INSERT INTO meta (key, value) VALUES (?, 'pending')", (LOG_BACKFILL_MARK,))
    conn.close()
    with pytest.raises(VaultCorrupt, match="pinned"):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)


def test_a_first_pin_at_unlock_is_logged_as_a_pin_not_as_a_verification(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    demo_app.accounts.add(admin, username="second.auditor", display_name="Second Auditor (synthetic)",
                          role=Role.AUDITOR, bcu=None, password="violet-harbour-ledger-63")
    demo_app.auth.sign_out(admin)
    second = demo_app.auth.sign_in("second.auditor", "violet-harbour-ledger-63")  # nothing to pin yet
    demo_app.auth.lock(second)
    first = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)  # delivers the key, sealed
    demo_app.auth.sign_out(first)
    demo_app.auth.unlock(second, "violet-harbour-ledger-63")  # pins it at first use
    rows = conn_of(second).execute("SELECT action, detail FROM access_log WHERE user_id = ? ORDER BY seq",
                               (second.session.user_id,)).fetchall()
    demo_app.auth.sign_out(second)
    assert any(a == "access_log.key_pin" and "fingerprint" in d for a, d in rows)
    assert not any(a == "access_log.verify" for a, _d in rows)


def test_a_short_locator_salt_is_a_damaged_slot_file_not_a_traceback(demo_app: App) -> None:
    import hashlib

    body = json.loads(demo_app.paths.keyslots.read_text())
    body.pop("checksum")
    body["locator_salt"] = ""
    body["checksum"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    demo_app.paths.keyslots.write_text(json.dumps(body))
    code, _out, err = run(demo_app, "user", "list", actor=ADMIN.username, password=ADMIN.password)
    assert code == 4 and "key-slot file is damaged" in err


def test_a_rotation_never_drops_the_recovery_slot_silently(demo_app: App) -> None:
    """A recovery slot that is not the one the vault records (a restored or rewritten file) stops the rotation,
    rather than leaving a vault that no recovery code opens."""
    slots = KeySlotFile.from_bytes(demo_app.paths.keyslots.read_bytes())
    real = next(s for s in slots.slots if s.kind == "recovery")
    other = keyslots.make_slot(vault_id=slots.vault_id, kind="recovery", user_id=0, version=1, locator=None,
                               secret="planted-secret", data_key=bytes(32), epoch=slots.key_epoch, kdf=TEST_KDF,
                               device_secret=None)
    slots.slots = [other if s is real else s for s in slots.slots]
    demo_app.paths.keyslots.write_bytes(slots.to_bytes())
    # A first sign-in pins its keys in its own slot (a rewrite of the file): done before the file is compared.
    demo_app.auth.sign_out(demo_app.auth.sign_in(ADMIN.username, ADMIN.password))
    before = demo_app.paths.keyslots.read_bytes()
    with pytest.raises(VaultCorrupt, match="no recovery slot"):
        _disable_officer(demo_app)
    assert demo_app.paths.keyslots.read_bytes() == before


def test_two_slots_for_one_account_stop_the_rotation(demo_app: App) -> None:
    """For an account the database knows by slot version and locator only, a copy placed first must not win."""
    spoc = ACC[Role.SPOC]
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    spoc_id, = conn_of(admin).execute("SELECT id FROM users WHERE username = ?", (spoc.username,)).fetchone()
    conn_of(admin).execute("UPDATE users SET slot_public = NULL WHERE id = ?", (spoc_id,))
    slots = KeySlotFile.from_bytes(demo_app.paths.keyslots.read_bytes())
    real = next(s for s in slots.slots if s.kind == "user" and s.user_id == spoc_id)
    copy = keyslots.make_slot(vault_id=slots.vault_id, kind="user", user_id=spoc_id, version=real.version,
                              locator=real.locator, secret="planted-secret", data_key=bytes(vault_of(admin)._key),
                              epoch=slots.key_epoch, kdf=TEST_KDF, device_secret=None)
    slots.slots = [copy, *slots.slots]  # found first
    demo_app.paths.keyslots.write_bytes(slots.to_bytes())
    with pytest.raises(VaultCorrupt, match="two slots for account"):
        demo_app.accounts.disable(admin, OFFICER.username)
