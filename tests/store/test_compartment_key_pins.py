"""Key substitution: a slot accepts a compartment key only as its pins and the key's history vouch for it.

Anyone who can write the vault folder can seal a key of their choosing to any slot (HPKE needs only
the recipient's public key, which is in the file). Here the attacker is an officer of CE, with their
own password and the project's API, writing the slot file as the folder lets them: every planted key
must be refused (VaultCorrupt, naming the compartment), never accepted and never a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.store import compartment_keys, key_history, key_pins, keyslots, log_pin
from gvm_desktop.store.key_history import KeyLink
from gvm_desktop.store.key_pins import FIRST_USE, RELEASED, ROTATED, KeyPin, OpenedKeyring
from gvm_desktop.store.log_pin import LogPin
from gvm_desktop.store.slot import KEY_PINS_REQUIRED, PIN_REQUIRED, TEST_KDF, KeyAtEpoch, KeySlot, Unlocked
from gvm_desktop.store.slot_file import KeySlotFile
from gvm_desktop.store.slot_format import COMMON

VAULT = "0123456789abcdef0123456789abcdef"
V1_FILE = Path(__file__).with_name("keyslots_v1.json")
CE, EA = "bcu:CE", "bcu:EA"
AUDITOR, CE_OFFICER, EA_OFFICER, NEW_OFFICER = 3, 1, 2, 4
SUBSTITUTE = "someone tried to substitute the key of compartment"


def _with_checksum(body: dict[str, Any]) -> bytes:
    """What a forger writes: the file's checksum recomputed over their change."""
    body = {k: v for k, v in body.items() if k != "checksum"}
    body["checksum"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return json.dumps(body).encode()


@dataclass
class Vault:
    """A slot file as the application would leave it, and each party's opened slot (their password)."""

    file: KeySlotFile
    keys: dict[str, bytes]
    opened: dict[int, Unlocked] = field(default_factory=dict)

    def reload(self) -> None:
        self.file = KeySlotFile.from_bytes(self.file.to_bytes())

    def slot(self, user_id: int) -> KeySlot:
        slot = self.file.slot_of_user(user_id)
        assert slot is not None
        return slot

    def open(self, user_id: int) -> OpenedKeyring:
        """A sign-in: the keyring checked and, when anything moved, the pins written; then the file on disk."""
        ring, self.opened[user_id] = key_pins.pin_keyring(self.file, self.slot(user_id), self.opened[user_id])
        self.reload()
        return ring

    def check(self, user_id: int) -> OpenedKeyring:
        return key_pins.open_checked_keyring(self.file, self.slot(user_id), self.opened[user_id])

    def add(self, user_id: int, *, pinned: bool = True, **held: bytes) -> None:
        """A new account's slot, made by a session holding the keys it seals (born pinned to them)."""
        compartments = {name.replace("_", ":"): KeyAtEpoch(key, self.file.epoch_of(name.replace("_", ":")))
                        for name, key in held.items()}
        slot, self.opened[user_id] = keyslots.new_slot(
            vault_id=VAULT, kind="user", user_id=user_id, version=1, locator=f"{user_id:02x}", secret="pw",
            data_key=self.keys[COMMON], epoch=self.file.key_epoch, kdf=TEST_KDF, device_secret=None,
            compartments=compartments, pin_keys=pinned)
        self.file.slots.append(slot)

    def forge(self, change: Callable[[dict[str, Any]], object]) -> None:
        """The attacker edits the file on disk as JSON."""
        body = json.loads(self.file.to_bytes())
        change(body)
        self.file = KeySlotFile.from_bytes(_with_checksum(body))


def _vault() -> Vault:
    """An auditor who created CE and EA (pinned at creation), an officer of each, granted their BCU by the auditor."""
    v = Vault(KeySlotFile(vault_id=VAULT, locator_salt=bytes(16), key_epoch=1, device_binding=False),
              {name: os.urandom(32) for name in (COMMON, CE, EA)})
    v.add(AUDITOR)
    for name in (CE, EA):
        v.file.add_compartment(name, v.keys[name], 1, [v.slot(AUDITOR)])
    assert {c.compartment: c.change for c in v.open(AUDITOR).changes} == {CE: FIRST_USE, EA: FIRST_USE}
    for officer, bcu in ((CE_OFFICER, CE), (EA_OFFICER, EA)):
        v.add(officer)  # an administrator sets the password: common only
        v.file.grant(bcu, v.keys[bcu], [v.slot(officer)])
        assert [(c.compartment, c.change) for c in v.open(officer).changes] == [(bcu, FIRST_USE)]
    v.reload()
    return v


def _attacker_seals(v: Vault, victim: int, name: str, key: bytes, epoch: int, *, nxt: bool = False) -> None:
    """What the CE officer can do to another slot: HPKE needs only the victim's public key."""
    slot = v.slot(victim)
    if nxt:
        compartment_keys.seal_next(slot, VAULT, name, key, epoch)
    else:
        compartment_keys.seal_compartment(slot, VAULT, name, key, epoch)


# -- pins at first use, and thereafter ------------------------------------------------


def test_the_first_opening_pins_every_key_and_says_so_then_nothing_moves() -> None:
    v = _vault()
    again = v.open(EA_OFFICER)
    assert again.changes == () and not again.needs_writing
    assert again.keys == {COMMON: v.keys[COMMON], EA: v.keys[EA]}
    assert v.opened[EA_OFFICER].key_pins_required
    pins = key_pins.read_key_pins(v.slot(EA_OFFICER), VAULT, v.opened[EA_OFFICER])
    assert pins is not None and set(pins) == {COMMON, EA}
    assert pins[EA] == KeyPin(1, key_history.compartment_fingerprint(v.keys[EA], VAULT, EA, 1))
    # The file holds fingerprints, never a key; the pins are encrypted.
    text = v.file.to_bytes()
    for key in v.keys.values():
        assert key.hex().encode() not in text and base64.b64encode(key) not in text
    # A change is said in words the log can carry: compartment, epoch, short fingerprint.
    v.add(NEW_OFFICER, pinned=False)
    change = v.check(NEW_OFFICER).changes[0]
    assert change.describe() == f"key of compartment common pinned at its first use: epoch 1, fingerprint {change.fingerprint}"
    assert change.fingerprint == key_history.speakable_fingerprint(pins[COMMON].fingerprint)


def test_a_slot_from_before_pins_is_pinned_at_its_first_opening_and_requires_them_after() -> None:
    v = _vault()
    v.add(NEW_OFFICER, pinned=False, bcu_EA=v.keys[EA])
    assert not v.opened[NEW_OFFICER].key_pins_required
    ring = v.open(NEW_OFFICER)
    assert {c.compartment: c.change for c in ring.changes} == {COMMON: FIRST_USE, EA: FIRST_USE}
    assert v.opened[NEW_OFFICER].key_pins_required
    # The flag lives inside the password-wrapped key: the same password now unwraps it set.
    assert keyslots.unlock(v.slot(NEW_OFFICER), VAULT, "pw", None).key_pins_required


# -- substitution in another slot -----------------------------------------------------


def test_a_key_the_ce_officer_seals_to_the_ea_officer_is_refused() -> None:
    v = _vault()
    planted = os.urandom(32)
    _attacker_seals(v, EA_OFFICER, EA, planted, 1)
    v.reload()
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.open(EA_OFFICER)


def test_a_planted_key_with_its_history_rewritten_to_match_is_still_refused_by_the_pin() -> None:
    v = _vault()
    planted = os.urandom(32)
    _attacker_seals(v, EA_OFFICER, EA, planted, 1)
    v.file.key_history[EA] = [KeyLink(1, key_history.compartment_fingerprint(planted, VAULT, EA, 1))]
    v.reload()
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.open(EA_OFFICER)
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.open(AUDITOR)  # the rewritten history shows to every pinned holder, whose own key is untouched


@pytest.mark.parametrize(("epoch", "as_next"), [(1, False), (2, False), (2, True)],
                         ids=["same-epoch", "as-a-rotation", "as-a-next-key"])
def test_a_planted_key_with_the_history_stripped_is_refused_by_the_pin_alone(epoch: int, as_next: bool) -> None:
    v = _vault()
    _attacker_seals(v, EA_OFFICER, EA, os.urandom(32), epoch, nxt=as_next)
    v.file.key_history.clear()  # as if the compartment came from before histories
    v.reload()
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.open(EA_OFFICER)


def test_a_whole_history_forged_for_an_account_away_during_a_rotation_is_refused() -> None:
    """The attacker anchors a history of their own at the victim's pinned epoch and endorses a planted key."""
    v = _vault()
    v.file.seal_next(EA, os.urandom(32), current=v.keys[EA])
    v.file.promote([EA])  # the EA officer has not signed in since: pinned at epoch 1
    own, planted = os.urandom(32), os.urandom(32)
    _attacker_seals(v, EA_OFFICER, EA, planted, 2)
    v.file.key_history[EA] = [KeyLink(1, key_history.compartment_fingerprint(own, VAULT, EA, 1)),
                              key_history.endorse(own, VAULT, EA, 2, planted)]
    v.reload()
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.open(EA_OFFICER)


def test_the_limit_a_revoked_holder_can_endorse_for_an_account_still_pinned_before_the_rotation() -> None:
    """A holder of epoch 1's key, revoked at the rotation to 2, can sign a link 2 of their own. An account
    pinned at 1 and away since cannot tell it from the true one; every holder pinned at 2 refuses the
    rewritten history at their next sign-in, so it does not stay quiet."""
    v = _vault()
    v.file.seal_next(EA, new := os.urandom(32), current=v.keys[EA])
    v.file.promote([EA])
    v.reload()
    v.open(AUDITOR)  # pinned at 2
    planted = os.urandom(32)
    _attacker_seals(v, EA_OFFICER, EA, planted, 2)
    v.file.key_history[EA][-1] = key_history.endorse(v.keys[EA], VAULT, EA, 2, planted)
    v.reload()
    assert v.open(EA_OFFICER).keys[EA] == planted != new
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.open(AUDITOR)


def test_pins_removed_from_a_slot_that_requires_them_are_refused() -> None:
    v = _vault()
    _attacker_seals(v, EA_OFFICER, EA, os.urandom(32), 1)
    v.slot(EA_OFFICER).key_pins = None  # "first use" again, the attacker hopes
    v.reload()
    with pytest.raises(VaultCorrupt, match="pinned compartment keys were removed"):
        v.open(EA_OFFICER)


def test_a_planted_key_for_a_slot_taking_the_compartment_for_the_first_time_must_match_the_history() -> None:
    """No pin to compare with: the key must be the one the history ends at, which only holders extend."""
    v = _vault()
    v.add(NEW_OFFICER)  # common only, pinned; EA not granted yet
    planted = os.urandom(32)
    _attacker_seals(v, NEW_OFFICER, EA, planted, 1)
    v.reload()
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.open(NEW_OFFICER)


def test_a_history_rewritten_to_fit_a_first_use_is_accepted_once_and_refused_by_every_pinned_holder() -> None:
    """The limit of trust on first use: the newcomer cannot tell, but the rewrite is loud at the next holder's sign-in."""
    v = _vault()
    v.add(NEW_OFFICER)
    planted = os.urandom(32)
    _attacker_seals(v, NEW_OFFICER, EA, planted, 1)
    v.file.key_history[EA] = [KeyLink(1, key_history.compartment_fingerprint(planted, VAULT, EA, 1))]
    v.reload()
    ring = v.open(NEW_OFFICER)
    assert [(c.compartment, c.change) for c in ring.changes] == [(EA, FIRST_USE)]  # for the log, with its fingerprint
    for holder in (EA_OFFICER, AUDITOR):
        with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
            v.open(holder)
    # And once the true history is put back, the newcomer's own pin refuses it: the two cannot both pass.
    v.file.key_history[EA] = [KeyLink(1, key_history.compartment_fingerprint(v.keys[EA], VAULT, EA, 1))]
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.check(NEW_OFFICER)


def test_an_older_key_put_back_is_refused() -> None:
    """A holder revoked at a rotation kept the old key: sealed back, it is refused, pinned or not."""
    v = _vault()
    new = os.urandom(32)
    v.file.seal_next(EA, new, current=v.keys[EA])
    v.file.promote([EA])
    v.reload()
    v.open(EA_OFFICER)  # pinned at epoch 2
    v.add(NEW_OFFICER)
    for victim in (EA_OFFICER, NEW_OFFICER):
        _attacker_seals(v, victim, EA, v.keys[EA], 1)
    v.reload()
    with pytest.raises(VaultCorrupt, match=r"is older \(epoch 1\) than the one it accepted \(epoch 2\)"):
        v.open(EA_OFFICER)
    with pytest.raises(VaultCorrupt, match="behind the compartment's 2"):
        v.open(NEW_OFFICER)


# -- rotation: only a holder of the current key introduces the next --------------------


def test_a_valid_rotation_by_a_holder_passes_and_moves_the_pin() -> None:
    v = _vault()
    new = os.urandom(32)
    assert v.file.seal_next(EA, new, current=v.keys[EA]) == 2
    v.reload()
    during = v.open(EA_OFFICER)  # a crash between sealing and promoting: both keys, the pin stays
    assert during.keys[EA] == v.keys[EA] and during.next_keys == {EA: new} and during.changes == ()
    assert v.file.promote([EA]) == [EA]
    v.reload()
    after = v.open(EA_OFFICER)
    assert after.keys[EA] == new
    assert [(c.compartment, c.change, c.previous_epoch, c.epoch) for c in after.changes] == [(EA, ROTATED, 1, 2)]
    assert "endorsed from epoch 1" in after.changes[0].describe()
    assert v.open(EA_OFFICER).changes == ()  # moved, and written
    assert [c.change for c in v.open(AUDITOR).changes] == [ROTATED]


def test_an_account_away_for_several_rotations_follows_the_history() -> None:
    v = _vault()
    current = v.keys[EA]
    for _ in range(3):
        new = os.urandom(32)
        v.file.seal_next(EA, new, current=current)
        v.file.promote([EA])
        current = new
    v.reload()
    ring = v.open(EA_OFFICER)
    assert ring.keys[EA] == current
    assert [(c.previous_epoch, c.epoch) for c in ring.changes] == [(1, 4)]


def test_a_next_key_without_an_endorsement_is_refused_at_promotion() -> None:
    v = _vault()
    planted = os.urandom(32)
    _attacker_seals(v, EA_OFFICER, EA, planted, 2, nxt=True)
    v.reload()
    before = v.file.to_bytes()
    with pytest.raises(VaultCorrupt, match=r"carries no valid endorsement by its current key.*Nothing was promoted"):
        v.file.promote()
    assert v.file.to_bytes() == before
    # Had it been promoted by code that does not check, its holder still refuses it.
    slot = v.slot(EA_OFFICER)
    slot.keys[EA].sealed, slot.keys[EA].sealed_next = slot.keys[EA].sealed_next or slot.keys[EA].sealed, None
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.check(EA_OFFICER)


def test_a_next_key_endorsed_by_the_attackers_own_key_is_refused_at_promotion() -> None:
    """The CE officer does not hold EA's key: a link signed with any other key does not verify."""
    v = _vault()
    planted, own = os.urandom(32), os.urandom(32)
    _attacker_seals(v, EA_OFFICER, EA, planted, 2, nxt=True)
    v.file.key_history[EA].append(key_history.endorse(own, VAULT, EA, 2, planted))
    v.reload()
    with pytest.raises(VaultCorrupt, match="carries no valid endorsement"):
        v.file.promote([EA])
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.check(EA_OFFICER)  # nor does the holder take it as the next key in the meantime


def test_a_valid_endorsement_moved_onto_another_key_or_compartment_does_not_verify() -> None:
    v = _vault()
    new = os.urandom(32)
    v.file.seal_next(EA, new, current=v.keys[EA])
    true_link = v.file.key_history[EA][-1]
    planted = os.urandom(32)
    v.file.key_history[EA][-1] = KeyLink(2, key_history.compartment_fingerprint(planted, VAULT, EA, 2),
                                         true_link.endorsement)
    with pytest.raises(VaultCorrupt, match="carries no valid endorsement"):
        v.file.promote([EA])
    # An endorsement made for CE's rotation, replayed in EA's history.
    w = _vault()
    ce_next = os.urandom(32)
    w.file.seal_next(CE, ce_next, current=w.keys[CE])
    _attacker_seals(w, EA_OFFICER, EA, ce_next, 2, nxt=True)
    w.file.key_history[EA].append(KeyLink(2, w.file.key_history[CE][-1].fingerprint,
                                          w.file.key_history[CE][-1].endorsement))
    with pytest.raises(VaultCorrupt, match="carries no valid endorsement"):
        w.file.promote([EA])


def test_a_next_key_planted_beside_a_valid_rotation_is_refused_by_its_holder() -> None:
    """Promotion cannot open other slots' next keys; the holder's own opening compares it with the history."""
    v = _vault()
    v.file.seal_next(EA, os.urandom(32), current=v.keys[EA])
    _attacker_seals(v, EA_OFFICER, EA, os.urandom(32), 2, nxt=True)
    v.reload()
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.check(EA_OFFICER)
    v.file.promote([EA])
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} bcu:EA"):
        v.check(EA_OFFICER)


def test_rotating_needs_the_current_key() -> None:
    v = _vault()
    with pytest.raises(ValueError, match="needs its current key"):
        v.file.seal_next(EA, os.urandom(32))
    with pytest.raises(VaultCorrupt, match="not its current key"):
        v.file.seal_next(EA, os.urandom(32), current=v.keys[CE])
    v.file.seal_next(EA, os.urandom(32), current=v.keys[EA])
    with pytest.raises(ValueError, match="under way"):
        v.file.seal_next(EA, os.urandom(32), current=v.keys[EA])


# -- grants and new compartments -------------------------------------------------------


def test_a_grant_by_a_holder_passes_and_is_a_first_use() -> None:
    v = _vault()
    v.add(NEW_OFFICER)
    assert v.file.grant(EA, v.keys[EA], [v.slot(NEW_OFFICER)]) == 1
    v.reload()
    ring = v.open(NEW_OFFICER)
    assert ring.keys == {COMMON: v.keys[COMMON], EA: v.keys[EA]}
    assert [(c.compartment, c.change) for c in ring.changes] == [(EA, FIRST_USE)]
    with pytest.raises(VaultCorrupt, match="not its current key"):
        v.file.grant(EA, os.urandom(32), [v.slot(NEW_OFFICER)])  # a grant is a holder's act


def test_a_grant_during_a_rotation_carries_both_keys() -> None:
    v = _vault()
    v.add(NEW_OFFICER)
    new = os.urandom(32)
    v.file.seal_next(EA, new, current=v.keys[EA])
    with pytest.raises(ValueError, match="next key exactly while a rotation"):
        v.file.grant(EA, v.keys[EA], [v.slot(NEW_OFFICER)])
    with pytest.raises(VaultCorrupt, match="not the ones its key history holds"):
        v.file.grant(EA, v.keys[EA], [v.slot(NEW_OFFICER)], next_key=os.urandom(32))
    v.file.grant(EA, v.keys[EA], [v.slot(NEW_OFFICER)], next_key=new)
    v.reload()
    assert v.open(NEW_OFFICER).next_keys == {EA: new}
    v.file.promote([EA])
    v.reload()
    assert [(c.change, c.previous_epoch, c.epoch) for c in v.open(NEW_OFFICER).changes] == [(ROTATED, 1, 2)]


def test_a_new_compartment_is_anchored_at_its_creation_and_cannot_be_created_twice() -> None:
    v = _vault()
    preview = os.urandom(32)
    v.file.add_compartment("dsa:7", preview, 1, [v.slot(AUDITOR)])
    assert [(c.compartment, c.change) for c in v.open(AUDITOR).changes] == [("dsa:7", FIRST_USE)]
    with pytest.raises(ValueError, match="already has keys"):
        v.file.add_compartment("dsa:7", os.urandom(32), 1, [v.slot(EA_OFFICER)])
    # The agreement ends: its key leaves every slot, and the pin goes with it, said as such.
    v.file.remove_compartment("dsa:7")
    v.reload()
    assert [(c.compartment, c.change) for c in v.open(AUDITOR).changes] == [("dsa:7", RELEASED)]
    assert "dsa:7" not in v.file.key_history


def test_two_openings_that_anchor_a_history_differently_cannot_both_write() -> None:
    """Before histories, someone sealed another common key to one slot: the first to anchor wins, the other is refused."""
    v = _vault()
    v.file.key_history.pop(COMMON)
    v.add(NEW_OFFICER, pinned=False)
    compartment_keys.seal_compartment(v.slot(NEW_OFFICER), VAULT, COMMON, os.urandom(32), 1)
    newcomer = v.check(NEW_OFFICER)
    auditor = v.check(AUDITOR)
    assert COMMON in newcomer.started and COMMON in auditor.started
    key_pins.write_key_pins(v.file, v.slot(AUDITOR), v.opened[AUDITOR], auditor)
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} common"):
        key_pins.write_key_pins(v.file, v.slot(NEW_OFFICER), v.opened[NEW_OFFICER], newcomer)
    with pytest.raises(VaultCorrupt, match=f"{SUBSTITUTE} common"):
        v.check(NEW_OFFICER)
    with pytest.raises(VaultCorrupt, match="changed while it was open"):
        key_pins.write_key_pins(v.file, v.slot(EA_OFFICER), v.opened[AUDITOR], auditor)


def test_an_account_pinned_further_back_than_the_history_reaches_is_told_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(key_history, "MAX_HISTORY", 3)
    v = _vault()
    current = v.keys[EA]
    for _ in range(4):
        new = os.urandom(32)
        v.file.seal_next(EA, new, current=current)
        v.file.promote([EA])
        current = new
    v.reload()
    assert [link.epoch for link in v.file.key_history[EA]] == [3, 4, 5]
    with pytest.raises(VaultCorrupt, match="further back than the compartment's key history reaches"):
        v.open(EA_OFFICER)


# -- the log pin and the key pins in one slot -------------------------------------------


def test_a_slot_born_with_a_log_pin_and_key_pins_requires_both() -> None:
    pin = LogPin(os.urandom(32), 0, bytes(32), None, recorded=True)
    slot, opened = keyslots.new_slot(vault_id=VAULT, kind="recovery", user_id=0, version=1, locator=None,
                                     secret="CODE", data_key=os.urandom(32), epoch=1, kdf=TEST_KDF,
                                     device_secret=None, log_pin=pin, pin_keys=True)
    again = keyslots.unlock(slot, VAULT, "CODE", None)
    assert again.pin_required and again.key_pins_required
    assert log_pin.read_pin(slot, VAULT, again) == pin
    f = KeySlotFile(vault_id=VAULT, locator_salt=bytes(16), key_epoch=1, device_binding=False, slots=[slot])
    assert key_pins.pin_keyring(f, slot, opened)[1].flags == PIN_REQUIRED | KEY_PINS_REQUIRED
    slot.log_pin = None
    with pytest.raises(VaultCorrupt, match="pinned log verification key was removed"):
        log_pin.read_pin(slot, VAULT, again)


# -- hostile pin blobs ---------------------------------------------------------------------


def _blob(v: Vault, user_id: int) -> bytes:
    blob = v.slot(user_id).key_pins
    assert blob is not None
    return blob


def _set_blob(data: bytes) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        next(s for s in body["slots"] if s["user_id"] == EA_OFFICER)["key_pins"] = base64.b64encode(data).decode()
    return change


def test_pins_truncated_or_of_the_wrong_length_are_a_damaged_file() -> None:
    v = _vault()
    blob = _blob(v, EA_OFFICER)
    for data in (blob[:10], blob[:28], os.urandom(96 * 1024 + 1)):
        with pytest.raises(VaultCorrupt, match="key-slot file is damaged: a field is missing or malformed"):
            v.forge(_set_blob(data))
    for data in (blob[:29], blob[:-1], blob + b"\0", blob[:12] + bytes(len(blob) - 12)):
        v.forge(_set_blob(data))
        with pytest.raises(VaultCorrupt, match="pinned compartment keys were altered or forged"):
            v.open(EA_OFFICER)


def test_pins_replayed_from_another_slot_or_another_pin_do_not_open() -> None:
    v = _vault()
    for source in (CE_OFFICER, AUDITOR):  # another account's pins, an authentic blob
        v.forge(_set_blob(_blob(v, source)))
        with pytest.raises(VaultCorrupt, match="pinned compartment keys were altered or forged"):
            v.open(EA_OFFICER)
    # The same account's pins under a new password (a new slot version) belong to that slot only.
    old = _blob(v, EA_OFFICER)
    v.forge(lambda body: None)
    replacement, v.opened[EA_OFFICER] = keyslots.new_slot(
        vault_id=VAULT, kind="user", user_id=EA_OFFICER, version=2, locator="02", secret="pw2",
        data_key=v.keys[COMMON], epoch=1, kdf=TEST_KDF, device_secret=None,
        compartments={EA: KeyAtEpoch(v.keys[EA], 1)}, pin_keys=True)
    replacement.key_pins = old
    v.file.replace_slot(replacement)
    with pytest.raises(VaultCorrupt, match="altered or forged"):
        v.check(EA_OFFICER)


def test_a_log_pin_moved_into_the_key_pins_does_not_open() -> None:
    """The two pins are encrypted under keys derived for each: one never passes for the other."""
    slot, opened = keyslots.new_slot(vault_id=VAULT, kind="user", user_id=5, version=1, locator="05", secret="pw",
                                     data_key=os.urandom(32), epoch=1, kdf=TEST_KDF, device_secret=None,
                                     log_pin=LogPin(os.urandom(32), 0, bytes(32), None, recorded=True),
                                     pin_keys=True)
    slot.key_pins, slot.log_pin = slot.log_pin, slot.key_pins
    with pytest.raises(VaultCorrupt, match="pinned compartment keys were altered or forged"):
        key_pins.read_key_pins(slot, VAULT, opened)
    with pytest.raises(VaultCorrupt, match="pinned log verification key was altered or forged"):
        log_pin.read_pin(slot, VAULT, opened)


def test_an_older_pin_of_the_same_slot_put_back_only_follows_the_history_again() -> None:
    """A replay of the slot's own earlier pins: authentic, so it opens, and the history leads it to the same key."""
    v = _vault()
    old = _blob(v, EA_OFFICER)
    new = os.urandom(32)
    v.file.seal_next(EA, new, current=v.keys[EA])
    v.file.promote([EA])
    v.reload()
    v.open(EA_OFFICER)
    v.forge(_set_blob(old))
    ring = v.open(EA_OFFICER)
    assert ring.keys[EA] == new and [(c.previous_epoch, c.epoch) for c in ring.changes] == [(1, 2)]


@pytest.mark.parametrize("plain", [
    b"", b"not json", b"[]", b'{"pins": []}', b'{"pins": {}, "more": 1}', b'{"pins": {"bcu:ea": [1, "00"]}}',
    b'{"pins": {"bcu:EA": [0, "' + b"00" * 32 + b'"]}}', b'{"pins": {"bcu:EA": [1, "00"]}}',
    b'{"pins": {"bcu:EA": [true, "' + b"00" * 32 + b'"]}}', b'{"pins": {"bcu:EA": [1, "zz"]}}',
    b'{"pins": {"bcu:EA": {"epoch": 1}}}', b'{"pins": {"bcu:EA": [1, 7]}}', b"[" * 100_000 + b"]" * 100_000,
    b"\xff\xfe",
], ids=lambda p: repr(p[:30]))
def test_authentic_but_malformed_pins_are_damage_not_a_traceback(plain: bytes) -> None:
    """Only the slot's own key writes pins, so this is a bug or a broken disk, still never a crash."""
    v = _vault()
    slot, opened = v.slot(EA_OFFICER), v.opened[EA_OFFICER]
    nonce = secrets.token_bytes(12)
    slot.key_pins = nonce + key_pins._key_pins_aead(slot, VAULT, opened.private).encrypt(
        nonce, plain, slot._key_pins_info(VAULT))
    with pytest.raises(VaultCorrupt, match="pinned compartment keys are damaged"):
        v.check(EA_OFFICER)


# -- hostile key histories -----------------------------------------------------------------


def _link(body: dict[str, Any], epoch: int = 1) -> dict[str, Any]:
    return dict(next(link for link in body["key_history"][EA] if link["epoch"] == epoch))


def _endorsed_body() -> dict[str, Any]:
    v = _vault()
    v.file.seal_next(EA, os.urandom(32), current=v.keys[EA])
    return dict(json.loads(v.file.to_bytes()))


def _as_version_2(body: dict[str, Any], *, keep: str) -> None:
    """A version 2 file carrying one of what version 3 added: code that wrote version 2 never made one."""
    body["format_version"] = 2
    if keep != "key_history":
        body.pop("key_history")
    if keep != "key_pins":
        for slot in body["slots"]:
            slot.pop("key_pins", None)


HOSTILE_HISTORIES: dict[str, Callable[[dict[str, Any]], object]] = {
    "not-a-dict": lambda b: b.update(key_history=[]),
    "links-not-a-list": lambda b: b["key_history"].update({EA: _link(b)}),
    "empty": lambda b: b["key_history"].update({EA: []}),
    "bad-name": lambda b: b["key_history"].update({"bcu:ea": b["key_history"].pop(EA)}),
    "gap": lambda b: b["key_history"][EA][1].update(epoch=3),
    "repeat": lambda b: b["key_history"][EA][1].update(epoch=1),
    "backwards": lambda b: b["key_history"].update({EA: list(reversed(b["key_history"][EA]))}),
    "second-anchor": lambda b: b["key_history"][EA][1].pop("endorsement"),
    "key-31": lambda b: b["key_history"][EA][0].update(key=base64.b64encode(bytes(31)).decode()),
    "key-text": lambda b: b["key_history"][EA][0].update(key=7),
    "endorsement-63": lambda b: b["key_history"][EA][1].update(endorsement=base64.b64encode(bytes(63)).decode()),
    "epoch-0": lambda b: b["key_history"][EA][0].update(epoch=0),
    "epoch-true": lambda b: b["key_history"][EA][0].update(epoch=True),
    "unknown-field": lambda b: b["key_history"][EA][0].update(key2="AAAA"),
    "too-long": lambda b: b["key_history"].update({EA: [_link(b)] * (key_history.MAX_HISTORY + 1)}),
    "too-many": lambda b: b["key_history"].update({f"dsa:{i}": [_link(b)] for i in range(1, 10_001)}),
    "pins-in-version-2": lambda b: _as_version_2(b, keep="key_pins"),
    "history-in-version-2": lambda b: _as_version_2(b, keep="key_history"),
}


@pytest.mark.parametrize("change", HOSTILE_HISTORIES.values(), ids=HOSTILE_HISTORIES.keys())
def test_a_hostile_key_history_is_refused_as_a_damaged_file(change: Callable[[dict[str, Any]], object]) -> None:
    body = _endorsed_body()
    change(body)
    with pytest.raises(VaultCorrupt, match=r"^The vault's key-slot file is damaged: a field is missing or malformed"):
        KeySlotFile.from_bytes(_with_checksum(body))


# -- files from before pins --------------------------------------------------------------


def test_a_version_1_file_opens_pins_at_first_use_and_finishes_its_rotation_endorsed() -> None:
    old = KeySlotFile.from_bytes(V1_FILE.read_bytes())
    slot = old.slot_of_user(7)
    assert slot is not None
    opened = keyslots.unlock(slot, old.vault_id, "pw-one", None)
    ring, opened = key_pins.pin_keyring(old, slot, opened)
    assert ring.keys == {COMMON: bytes([1]) * 32} and ring.next_keys == {COMMON: bytes([2]) * 32}
    assert [(c.compartment, c.change) for c in ring.changes] == [(COMMON, FIRST_USE)]
    # The rotation the old code began: this holder of both keys anchored and endorsed it.
    assert [link.epoch for link in old.key_history[COMMON]] == [1, 2]
    again = KeySlotFile.from_bytes(old.to_bytes())
    assert again.promote() == [COMMON]
    again = KeySlotFile.from_bytes(again.to_bytes())
    slot = again.slot_of_user(7)
    assert slot is not None
    ring = key_pins.open_checked_keyring(again, slot, opened)
    assert ring.keys == {COMMON: bytes([2]) * 32} and [c.change for c in ring.changes] == [ROTATED]


def test_a_version_2_file_opens_every_key_at_its_first_use() -> None:
    v = _vault()
    v.add(NEW_OFFICER, pinned=False, bcu_CE=v.keys[CE])
    body = json.loads(v.file.to_bytes())
    body.update(format_version=2)
    body.pop("key_history")
    body["slots"] = [s for s in body["slots"] if s["user_id"] == NEW_OFFICER]
    old = KeySlotFile.from_bytes(_with_checksum(body))
    slot = old.slot_of_user(NEW_OFFICER)
    assert slot is not None
    ring = key_pins.open_checked_keyring(old, slot, v.opened[NEW_OFFICER])
    assert {c.compartment: c.change for c in ring.changes} == {COMMON: FIRST_USE, CE: FIRST_USE}
    assert set(ring.started) == {COMMON, CE}
