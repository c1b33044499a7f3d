"""Key-slot cryptography in isolation."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from gvm_desktop.core.errors import AuthenticationError, VaultCorrupt
from gvm_desktop.store import keyslots
from gvm_desktop.store.slot import DEFAULT_KDF, TEST_KDF, KeySlot, Sealed
from gvm_desktop.store.slot_file import KeySlotFile


def _slot(**overrides: object) -> KeySlot:
    args: dict[str, object] = dict(vault_id="v1", kind="user", user_id=7, version=1, locator="ab", secret="pw-one",
                                   data_key=os.urandom(32), epoch=1, kdf=TEST_KDF, device_secret=None)
    args.update(overrides)
    return keyslots.make_slot(**args)  # type: ignore[arg-type]


def test_default_argon2id_is_not_weakened() -> None:
    assert DEFAULT_KDF.memory_kib >= 64 * 1024
    assert DEFAULT_KDF.time_cost >= 3
    assert TEST_KDF.memory_kib < DEFAULT_KDF.memory_kib  # the cheap one is only ever passed explicitly


def test_round_trip_and_wrong_password() -> None:
    key = os.urandom(32)
    slot = _slot(data_key=key)
    private = keyslots.open_private(slot, "v1", "pw-one", None)
    assert keyslots.open_sealed(slot, "v1", private, slot.sealed) == key
    with pytest.raises(AuthenticationError):
        keyslots.open_private(slot, "v1", "pw-two", None)


@pytest.mark.parametrize("field", ["user_id", "version"])
def test_associated_data_binds_user_and_version(field: str) -> None:
    slot = _slot()
    forged = replace(slot, **{field: getattr(slot, field) + 1})
    with pytest.raises(AuthenticationError):
        keyslots.open_private(forged, "v1", "pw-one", None)


def test_associated_data_binds_the_vault() -> None:
    with pytest.raises(AuthenticationError):
        keyslots.open_private(_slot(), "another-vault", "pw-one", None)


def test_device_secret_is_required_when_bound() -> None:
    secret = os.urandom(32)
    slot = _slot(device_secret=secret)
    assert slot.device_bound
    keyslots.open_private(slot, "v1", "pw-one", secret)
    with pytest.raises(AuthenticationError):
        keyslots.open_private(slot, "v1", "pw-one", None)
    with pytest.raises(AuthenticationError):
        keyslots.open_private(slot, "v1", "pw-one", os.urandom(32))


def test_sealed_key_is_bound_to_its_epoch() -> None:
    slot = _slot()
    private = keyslots.open_private(slot, "v1", "pw-one", None)
    with pytest.raises(VaultCorrupt):
        keyslots.open_sealed(slot, "v1", private, Sealed(2, slot.sealed.ciphertext))


def test_file_round_trip_has_no_usernames() -> None:
    f = KeySlotFile(vault_id="v1", locator_salt=os.urandom(16), key_epoch=1, device_binding=False, slots=[_slot()])
    data = f.to_bytes()
    again = KeySlotFile.from_bytes(data)
    assert again.slots[0].public == f.slots[0].public
    loc = keyslots.locator_for("jo.bloggs", f.locator_salt)
    assert b"jo.bloggs" not in data and len(loc) == 32
    assert loc != keyslots.locator_for("jo.bloggs", os.urandom(16))  # salted per vault


def test_recovery_codes_are_long_and_normalise() -> None:
    code = keyslots.new_recovery_code()
    assert len(keyslots.normalise_recovery_code(code)) == 25
    assert keyslots.normalise_recovery_code(code.lower().replace("-", " ")) == keyslots.normalise_recovery_code(code)


def test_only_a_demo_vault_is_ever_copied_out_unencrypted(admin_ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bench's plain copy: a real vault (not marked DEMO) is refused, and no file is written."""
    from gvm_desktop.core.errors import PermissionDenied
    from tests.support.vault_access import vault_of

    vault = vault_of(admin_ws)
    target = tmp_path / "plain.db"
    with pytest.raises(PermissionDenied, match="demo vault"):
        keyslots.export_plaintext(vault.paths.database, bytes(vault._key), target)
    assert not target.exists()
