"""Key slots that seal a keyring: one key per compartment, each bound to its name, its slot and its epoch."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import PermissionDenied, ValidationError, VaultCorrupt
from gvm_desktop.store import compartment_keys, keyslots, slot_format
from gvm_desktop.store.slot import TEST_KDF, KeyAtEpoch, KeySlot, Sealed, Unlocked
from gvm_desktop.store.slot_file import KeySlotFile
from gvm_desktop.store.slot_format import COMMON
from tests.conftest import ADMIN, ADMIN_PW

VAULT = "0123456789abcdef0123456789abcdef"
# Written by the version 1 code (commit 9890625, keyslots.py unchanged since 91cb7d8): a user slot
# (user 7, password "pw-one") holding data key 0x01 * 32 at epoch 1 with a rotation to 0x02 * 32
# (epoch 2) under way, and a recovery slot (code "RECOVERYCODE") holding 0x01 * 32.
V1_FILE = Path(__file__).with_name("keyslots_v1.json")


def _slot(user_id: int = 7, *, common: bytes | None = None, **held: bytes) -> tuple[KeySlot, Unlocked]:
    """A user slot holding common's key and `held` (by name, "bcu_CE" for "bcu:CE"), all at epoch 1."""
    compartments = {name.replace("_", ":"): KeyAtEpoch(key, 1) for name, key in held.items()}
    return keyslots.new_slot(vault_id=VAULT, kind="user", user_id=user_id, version=1, locator="ab",
                             secret="pw-one", data_key=common or os.urandom(32), epoch=1, kdf=TEST_KDF,
                             device_secret=None, compartments=compartments)


def _file(*slots: KeySlot) -> KeySlotFile:
    return KeySlotFile(vault_id=VAULT, locator_salt=bytes(16), key_epoch=1, device_binding=False, slots=list(slots),
                       compartment_epochs={n: 1 for s in slots for n in s.compartments() if n != COMMON})


def _reload(f: KeySlotFile) -> KeySlotFile:
    return KeySlotFile.from_bytes(f.to_bytes())


def _with_checksum(body: dict[str, Any]) -> bytes:
    """What a forger writes: the file's checksum recomputed over their change."""
    body = {k: v for k, v in body.items() if k != "checksum"}
    body["checksum"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return json.dumps(body).encode()


def _forged(f: KeySlotFile, change: Callable[[dict[str, Any]], object]) -> bytes:
    body = json.loads(f.to_bytes())
    change(body)
    return _with_checksum(body)


# -- a keyring per slot ---------------------------------------------------------------


def test_a_slot_sealed_common_and_one_bcu_opens_exactly_those() -> None:
    common, ce = os.urandom(32), os.urandom(32)
    slot, opened = _slot(common=common, bcu_CE=ce)
    for again in (slot, _reload(_file(slot)).slots[0]):
        assert again.compartments() == [COMMON, "bcu:CE"]
        assert compartment_keys.open_keyring(again, VAULT, opened.private) == {COMMON: common, "bcu:CE": ce}
        assert compartment_keys.open_compartment(again, VAULT, opened.private, "bcu:CE") == ce
        # What the slot was never given, its password cannot open: there is nothing sealed to open.
        for other in ("bcu:EA", "dsa:7"):
            with pytest.raises(PermissionDenied, match=f"holds no key to the compartment {other}"):
                compartment_keys.open_compartment(again, VAULT, opened.private, other)
    assert keyslots.open_sealed(slot, VAULT, opened.private, slot.sealed) == common  # version 1's call, common's key


def test_every_role_gets_its_own_keyring_in_one_file() -> None:
    keys = {name: os.urandom(32) for name in (COMMON, "bcu:CE", "bcu:EA", "dsa:7")}
    officer, o = _slot(1, common=keys[COMMON], bcu_CE=keys["bcu:CE"])
    auditor, a = _slot(2, common=keys[COMMON], bcu_CE=keys["bcu:CE"], bcu_EA=keys["bcu:EA"])
    partner, p = _slot(3, common=keys[COMMON], dsa_7=keys["dsa:7"])
    admin, d = _slot(4, common=keys[COMMON])
    f = _reload(_file(officer, auditor, partner, admin))
    opened = {s.user_id: compartment_keys.open_keyring(s, VAULT, u.private) for s, u in zip(f.slots, (o, a, p, d), strict=True)}
    assert opened == {1: {n: keys[n] for n in (COMMON, "bcu:CE")},
                      2: {n: keys[n] for n in (COMMON, "bcu:CE", "bcu:EA")},
                      3: {n: keys[n] for n in (COMMON, "dsa:7")},
                      4: {COMMON: keys[COMMON]}}
    assert f.compartments() == [COMMON, "bcu:CE", "bcu:EA", "dsa:7"]
    assert [s.user_id for s in f.holders("bcu:CE")] == [1, 2]


def test_compartment_names_have_one_shape() -> None:
    assert slot_format.bcu_compartment("CE") == "bcu:CE" and slot_format.dsa_compartment(7) == "dsa:7"
    for bad in ("bcu:ce", "bcu:C", "bcu:CE\n", "dsa:07", "dsa:0", "common ", "bcu:CE|1", ""):
        with pytest.raises(ValueError):
            slot_format.check_compartment(bad)
    with pytest.raises(ValueError):
        slot_format.dsa_compartment(True)  # a bool is an int to Python, not an agreement's id


def test_every_compartment_file_has_a_key_name() -> None:
    """store/compartments.py names the files; every one it accepts has a key in a slot, and only those."""
    from gvm_desktop.store import compartments

    for code in ("CE", "WA", "ABCD"):
        assert slot_format.bcu_compartment(code) == f"bcu:{compartments.bcu(code).label}"
    for dsa_id in (1, 7, 10**18 - 1):
        assert slot_format.dsa_compartment(dsa_id) == f"dsa:{compartments.agreement(dsa_id).label}"
    for bad in ("C", "ABCDE", "ce"):
        with pytest.raises(ValueError):
            compartments.bcu(bad)
        with pytest.raises(ValueError):
            slot_format.bcu_compartment(bad)
    with pytest.raises(ValueError):
        slot_format.dsa_compartment(10**18)


def test_a_key_of_the_wrong_length_is_never_sealed() -> None:
    slot, _ = _slot()
    with pytest.raises(ValidationError):
        compartment_keys.seal_compartment(slot, VAULT, "bcu:CE", os.urandom(16), 1)
    with pytest.raises(ValueError):
        compartment_keys.remove_compartment(slot, COMMON)  # every role holds common


# -- a sealed key is bound to its compartment, its slot and its epoch -------------------
#
# Each failure is VaultCorrupt, not AuthenticationError: the password has already proved itself
# (it unwrapped the private key, which matched the slot's public key), so a sealed key that does not
# open was changed or moved in the file. That is damage to report (exit 4), not a wrong password to
# count towards a lockout.


def test_a_sealed_key_moved_to_another_compartment_does_not_open() -> None:
    slot, opened = _slot(bcu_CE=os.urandom(32), bcu_EA=os.urandom(32))
    moves = [("bcu:CE", "bcu:EA"), ("bcu:CE", COMMON), (COMMON, "bcu:CE"), ("bcu:CE", "dsa:7")]
    for source, target in moves:
        moved = replace(slot, keys={**slot.keys, target: replace(slot.keys[source])})
        with pytest.raises(VaultCorrupt, match="does not open"):
            compartment_keys.open_compartment(moved, VAULT, opened.private, target)


def test_a_key_renamed_in_the_file_does_not_open() -> None:
    """A forger who can write the file renames the CE key to EA: the file reads (its shape is right), the key does not."""
    slot, opened = _slot(bcu_CE=os.urandom(32))

    def rename(body: dict[str, Any]) -> None:
        held = body["slots"][0]["compartments"]
        held["bcu:EA"] = held.pop("bcu:CE")

    forged = KeySlotFile.from_bytes(_forged(_file(slot), rename)).slots[0]
    assert forged.compartments() == [COMMON, "bcu:EA"]
    with pytest.raises(VaultCorrupt, match="sealed key of compartment bcu:EA does not open"):
        compartment_keys.open_keyring(forged, VAULT, opened.private)


def test_a_sealed_key_moved_to_another_slot_does_not_open() -> None:
    ce = os.urandom(32)
    mine, _ = _slot(7, bcu_CE=ce)
    theirs, their_key = _slot(8)
    # Another public key: HPKE binds the recipient's key (the KEM context), so the other private key fails.
    theirs.keys["bcu:CE"] = replace(mine.keys["bcu:CE"])
    with pytest.raises(VaultCorrupt, match="does not open"):
        compartment_keys.open_compartment(theirs, VAULT, their_key.private, "bcu:CE")


@pytest.mark.parametrize("change", [{"user_id": 8}, {"version": 2}, {"kind": "recovery"}])
def test_a_sealed_key_is_bound_to_the_slots_owner_and_version(change: dict[str, Any]) -> None:
    """Same key pair, another slot's identity (a slot copied under another account): the info differs."""
    slot, opened = _slot(bcu_CE=os.urandom(32))
    with pytest.raises(VaultCorrupt, match="does not open"):
        compartment_keys.open_compartment(replace(slot, **change), VAULT, opened.private, "bcu:CE")
    with pytest.raises(VaultCorrupt, match="does not open"):
        compartment_keys.open_compartment(slot, "another-vault", opened.private, "bcu:CE")


def test_a_sealed_key_is_bound_to_its_epoch() -> None:
    slot, opened = _slot(bcu_CE=os.urandom(32))
    slot.keys["bcu:CE"].sealed = Sealed(2, slot.keys["bcu:CE"].sealed.ciphertext)
    with pytest.raises(VaultCorrupt, match="does not open"):
        compartment_keys.open_compartment(slot, VAULT, opened.private, "bcu:CE")


# -- version 1 files ------------------------------------------------------------------


def test_a_version_1_file_reads_as_a_keyring_of_common_and_is_rewritten_as_the_current_version() -> None:
    data = V1_FILE.read_bytes()
    assert json.loads(data)["format_version"] == 1
    old = KeySlotFile.from_bytes(data)
    user = old.slot_of_user(7)
    assert user is not None and old.recovery_slot() is not None
    assert old.key_epoch == 1 and old.compartment_epochs == {} and old.compartments() == [COMMON]
    assert [s.compartments() for s in old.slots] == [[COMMON], [COMMON]]
    assert old.rotation_pending() == [COMMON]

    written = old.to_bytes()
    body = json.loads(written)
    assert body["format_version"] == slot_format.FILE_VERSION == 3
    assert body["compartment_epochs"] == {} and all(s["compartments"] == {} for s in body["slots"])
    assert body["key_history"] == {} and not any("key_pins" in s for s in body["slots"])  # first use comes later
    again = KeySlotFile.from_bytes(written)
    for f in (old, again):
        slot = f.slot_of_user(7)
        assert slot is not None
        private = keyslots.open_private(slot, f.vault_id, "pw-one", None)
        assert compartment_keys.open_keyring(slot, f.vault_id, private) == {COMMON: bytes([1]) * 32}
        assert compartment_keys.open_next(slot, f.vault_id, private, COMMON) == bytes([2]) * 32
        recovery = f.recovery_slot()
        assert recovery is not None
        private = keyslots.open_private(recovery, f.vault_id, "RECOVERYCODE", None)
        assert compartment_keys.open_compartment(recovery, f.vault_id, private, COMMON) == bytes([1]) * 32
    # The rotation the old code began finishes under the new one.
    assert again.promote() == [COMMON] and again.key_epoch == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["slots"][0].update(compartments={}),
        lambda b: b.update(compartment_epochs={}),
        lambda b: b.update(format_version=True),  # equals 1 to Python
        lambda b: b.update(format_version=4),
        lambda b: b.update(format_version="1"),
    ],
    ids=["v1-slot-with-compartments", "v1-file-with-epochs", "version-true", "version-4", "version-text"],
)
def test_a_version_1_file_holds_one_key_only(change: Callable[[dict[str, Any]], object]) -> None:
    body = json.loads(V1_FILE.read_bytes())
    change(body)
    with pytest.raises(VaultCorrupt):
        KeySlotFile.from_bytes(_with_checksum(body))


# -- hostile version 2 files ---------------------------------------------------------


def _entry(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["slots"][0]["compartments"]["bcu:CE"])


def _many(body: dict[str, Any]) -> None:
    body["slots"][0]["compartments"] = {f"dsa:{i}": _entry(body) for i in range(1, 10_001)}


def _ct_of_length(n: int) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["slots"][0]["compartments"]["bcu:CE"]["sealed"]["ct"] = base64.b64encode(os.urandom(n)).decode()
    return change


def _rename(name: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        held = body["slots"][0]["compartments"]
        held[name] = held.pop("bcu:CE")
    return change


def _sealed(**fields: object) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["slots"][0]["compartments"]["bcu:CE"]["sealed"].update(fields)
    return change


HOSTILE: dict[str, Callable[[dict[str, Any]], object]] = {
    # names that are not a compartment's
    **{f"name-{name!r}": _rename(name) for name in
       ("bcu:ce", "BCU:CE", "bcu:CE\n", "bcu:C", "bcu:CEXYZ", "dsa:07", "dsa:0", "dsa:1234567890123456789", "../bcu:CE",
        "bcu:CE|7", "", "bcu:\uff23\uff25", "dsa:\u0663", "common")},
    "10000-compartments": _many,
    "epochs-10000": lambda b: b.update(compartment_epochs={f"dsa:{i}": 1 for i in range(1, 10_001)}),
    "epochs-bad-name": lambda b: b.update(compartment_epochs={"bcu:ce": 1}),
    "epochs-common": lambda b: b.update(compartment_epochs={"common": 1}),
    "epochs-zero": lambda b: b.update(compartment_epochs={"bcu:CE": 0}),
    "epochs-list": lambda b: b.update(compartment_epochs=[["bcu:CE", 1]]),
    # the sealed key's length: HPKE's encapsulated key (32) + a 32-byte key + tag (16) and nothing else
    "ct-79": _ct_of_length(79),
    "ct-81": _ct_of_length(81),
    "ct-short-key": _ct_of_length(32 + 16 + 16),
    "ct-empty": _sealed(ct=""),
    "ct-not-base64": _sealed(ct="not base64!"),
    "ct-number": _sealed(ct=7),
    "epoch-0": _sealed(epoch=0),
    "epoch-negative": _sealed(epoch=-1),
    "epoch-huge": _sealed(epoch=2**31),
    "epoch-text": _sealed(epoch="1"),
    "epoch-true": _sealed(epoch=True),
    "epoch-float": _sealed(epoch=1.0),
    "no-sealed": lambda b: b["slots"][0]["compartments"]["bcu:CE"].pop("sealed"),
    "next-empty": lambda b: b["slots"][0]["compartments"]["bcu:CE"].update(sealed_next={}),
    "unknown-field": lambda b: b["slots"][0]["compartments"]["bcu:CE"].update(key="AAAA"),
    "entry-list": lambda b: b["slots"][0]["compartments"].update({"bcu:CE": [1, "AAAA"]}),
    "compartments-list": lambda b: b["slots"][0].update(compartments=[_entry(b)]),
    "compartments-text": lambda b: b["slots"][0].update(compartments="bcu:CE"),
    "common-missing": lambda b: b["slots"][0].pop("sealed"),
    "key-epoch-0": lambda b: b.update(key_epoch=0),
    "slots-not-list": lambda b: b.update(slots={"0": b["slots"][0]}),
}


@pytest.mark.parametrize("change", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_keyring_is_refused_as_a_damaged_file(change: Callable[[dict[str, Any]], object]) -> None:
    slot, _ = _slot(bcu_CE=os.urandom(32))
    with pytest.raises(VaultCorrupt, match=r"^The vault's key-slot file is damaged: a field is missing or malformed"):
        KeySlotFile.from_bytes(_forged(_file(slot), change))


def test_a_compartment_named_twice_is_refused() -> None:
    """JSON lets a name appear twice and parsers disagree on which counts: the file is refused outright.

    Each copy is a good key (the second one a forger's), and the checksum matches the file as a
    lenient parser reads it (the last copy wins), so the duplicate itself is the only fault."""
    slot, _ = _slot(bcu_CE=os.urandom(32))
    first = json.dumps(slot.keys["bcu:CE"].to_json(), sort_keys=True)
    compartment_keys.seal_compartment(slot, VAULT, "bcu:CE", os.urandom(32), 1)
    second = json.dumps(slot.keys["bcu:CE"].to_json(), sort_keys=True)
    lenient = _with_checksum(json.loads(_file(slot).to_bytes())).decode()
    assert KeySlotFile.from_bytes(lenient.encode()).slots[0].compartments() == [COMMON, "bcu:CE"]
    twice = lenient.replace(f'"bcu:CE": {second}', f'"bcu:CE": {first}, "bcu:CE": {second}')
    assert twice != lenient and json.loads(twice) == json.loads(lenient)
    with pytest.raises(VaultCorrupt, match="appears twice"):
        KeySlotFile.from_bytes(twice.encode())
    with pytest.raises(VaultCorrupt, match="appears twice"):
        KeySlotFile.from_bytes(b'{"format": "gvm-desktop-keyslots", "format": "gvm-desktop-keyslots"}')


def test_a_file_nested_too_deep_is_unreadable_not_a_crash() -> None:
    with pytest.raises(VaultCorrupt, match="not readable"):
        KeySlotFile.from_bytes(b"[" * 200_000 + b"]" * 200_000)


def test_the_recovery_slot_holds_every_compartment_of_a_large_force() -> None:
    names = [slot_format.bcu_compartment(c) for c in ("CE", "CN", "CS", "CW", "EA", "NA", "NE", "NW", "SE", "SN", "SW",
                                                     "WA")] + [slot_format.dsa_compartment(i) for i in range(1, 300)]
    keys = {name: os.urandom(32) for name in names}
    recovery, opened = keyslots.new_slot(vault_id=VAULT, kind="recovery", user_id=0, version=1, locator=None,
                                         secret="RECOVERYCODE", data_key=os.urandom(32), epoch=1, kdf=TEST_KDF,
                                         device_secret=None,
                                         compartments={n: KeyAtEpoch(k, 1) for n, k in keys.items()})
    again = _reload(_file(recovery)).slots[0]
    ring = compartment_keys.open_keyring(again, VAULT, opened.private)
    assert len(ring) == 1 + len(names) and all(ring[n] == k for n, k in keys.items())


# -- rotating one compartment --------------------------------------------------------


def test_rotating_one_bcu_leaves_common_and_the_others_untouched() -> None:
    common, ce, ea = os.urandom(32), os.urandom(32), os.urandom(32)
    officer, o = _slot(1, common=common, bcu_CE=ce)
    auditor, a = _slot(2, common=common, bcu_CE=ce, bcu_EA=ea)
    admin, _ = _slot(3, common=common)
    f = _file(officer, auditor, admin)
    before = json.loads(f.to_bytes())

    def untouched(now: KeySlotFile) -> None:
        body = json.loads(now.to_bytes())
        assert body["key_epoch"] == before["key_epoch"] == 1
        assert body["compartment_epochs"]["bcu:EA"] == 1
        for old, new in zip(before["slots"], body["slots"], strict=True):
            assert (new["sealed"], "sealed_next" in new) == (old["sealed"], False)  # common's key, byte for byte
            assert new["compartments"].get("bcu:EA") == old["compartments"].get("bcu:EA")
        assert body["slots"][2] == before["slots"][2]  # the administrator holds no CE key: nothing of theirs moved

    new_ce = os.urandom(32)
    assert f.seal_next("bcu:CE", new_ce) == 2
    # Step 1 is on disk (a crash here): both keys open, for each holder only.
    f = _reload(f)
    assert f.rotation_pending() == ["bcu:CE"] and f.slots[2].pending() == []
    for slot, opened in ((f.slots[0], o), (f.slots[1], a)):
        assert compartment_keys.open_compartment(slot, VAULT, opened.private, "bcu:CE") == ce
        assert compartment_keys.open_next(slot, VAULT, opened.private, "bcu:CE") == new_ce
    untouched(f)
    assert f.promote([COMMON]) == []  # promoting another compartment finishes nothing of CE's
    assert f.promote(["bcu:CE"]) == ["bcu:CE"]
    f = _reload(f)
    assert f.rotation_pending() == [] and f.compartment_epochs["bcu:CE"] == 2 and f.epoch_of("bcu:CE") == 2
    for slot, opened in ((f.slots[0], o), (f.slots[1], a)):
        assert compartment_keys.open_keyring(slot, VAULT, opened.private)["bcu:CE"] == new_ce
        assert slot.epoch_of("bcu:CE") == 2
    assert compartment_keys.open_keyring(f.slots[1], VAULT, a.private) == {COMMON: common, "bcu:CE": new_ce, "bcu:EA": ea}
    untouched(f)


def test_a_revoked_holder_gets_no_next_key() -> None:
    ce = os.urandom(32)
    leaving, _ = _slot(1, bcu_CE=ce)
    staying, _ = _slot(2, bcu_CE=ce)
    f = _file(leaving, staying)
    f.remove_user_slot(1)
    f.seal_next("bcu:CE", os.urandom(32))
    assert [s.user_id for s in f.slots if s.pending()] == [2]


def test_rotating_common_the_version_1_way_still_works() -> None:
    """vault.py's rotation today sets `sealed_next` and promotes through the slot's version 1 names."""
    common, ce = os.urandom(32), os.urandom(32)
    slot, opened = _slot(common=common, bcu_CE=ce)
    f = _file(slot)
    slot.sealed_next = keyslots.seal(slot, VAULT, new := os.urandom(32), f.key_epoch + 1)
    assert f.rotation_pending() == [COMMON]
    slot.sealed, slot.sealed_next = slot.sealed_next, None
    f.key_epoch = max(f.key_epoch, slot.sealed.epoch)
    again = _reload(f)
    assert again.key_epoch == 2 and again.compartment_epochs == {"bcu:CE": 1}
    assert compartment_keys.open_keyring(again.slots[0], VAULT, opened.private) == {COMMON: new, "bcu:CE": ce}


def test_a_new_compartment_and_an_ended_one() -> None:
    partner, p = _slot(3)
    auditor, _ = _slot(2)
    f = _file(partner, auditor)
    preview = os.urandom(32)
    f.add_compartment("dsa:7", preview, 1, [partner])
    again = _reload(f)
    assert again.compartment_epochs == {"dsa:7": 1} and [s.user_id for s in again.holders("dsa:7")] == [3]
    assert compartment_keys.open_compartment(again.slots[0], VAULT, p.private, "dsa:7") == preview
    assert again.remove_compartment("dsa:7") == 1
    again = _reload(again)
    assert again.compartments() == [COMMON] and again.slots[0].compartments() == [COMMON]


def test_a_vault_whose_slot_file_is_version_1_signs_in_and_is_rewritten_as_the_latest_version(make_app: Callable[..., App]) -> None:
    """A vault from before compartments: its slot file as the version 1 code wrote it."""
    app = make_app()
    app.auth.sign_out(app.init_vault(ADMIN, "Admin", ADMIN_PW).workspace)
    body = json.loads(app.paths.keyslots.read_bytes())
    # A vault is born with its BCUs' compartments now (their keys with the recovery slot alone); version 1 knew
    # only common's key, so the file is written back as that version would have held it.
    assert all(set(s["compartments"]) <= {n for n in body["compartment_epochs"]} for s in body["slots"])
    for s in body["slots"]:
        s.pop("compartments")
    body.pop("compartment_epochs")
    body.pop("key_history")
    body["format_version"] = 1
    app.paths.keyslots.write_bytes(_with_checksum(body))

    ws = app.auth.sign_in(ADMIN, ADMIN_PW)
    new_password = "fresh-mango-telescope-58"
    app.accounts.change_own_password(ws, ADMIN_PW, new_password)  # rewrites the slot file
    app.auth.sign_out(ws)
    assert json.loads(app.paths.keyslots.read_bytes())["format_version"] == slot_format.FILE_VERSION
    app.auth.sign_out(app.auth.sign_in(ADMIN, new_password))
