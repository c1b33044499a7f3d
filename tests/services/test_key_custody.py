"""Issue 13's key changes: keys reach only the entitled, from a holder; a revoked account's keys stop opening.

Each check holds a copy of the key as the revoked account would have kept it, and tries it on
the file itself with a raw connection: "file is not a database" once the rotation is done.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlcipher3

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import keyslots
from gvm_desktop.store.compartment_keys import open_keyring
from gvm_desktop.store.vault import load_slots
from tests.support.vault_access import conn_of, held_keys, holder_signs_in, opens_with

ACC = {a.role: a for a in DEMO_ACCOUNTS}
OFFICER, SPOC, AUDITOR, ADMIN, PARTNER = (ACC[r] for r in (Role.OFFICER, Role.SPOC, Role.AUDITOR, Role.ADMIN,
                                                            Role.PARTNER))
NEW_PW = "granite-orchard-lamp-83"



def slot_names(app: App, username: str) -> list[str]:
    slots = load_slots(app.paths)
    slot = slots.find_user_slot(keyslots.locator_for(username, slots.locator_salt))
    return slot.compartments() if slot is not None else []


def log_details(app: App, action: str) -> list[tuple[str, str]]:
    ws = app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    try:
        return [(str(u), str(d)) for u, d in conn_of(ws).execute(
            "SELECT username, detail FROM access_log WHERE action = ? ORDER BY seq", (action,))]
    finally:
        app.auth.sign_out(ws)


def test_disabling_an_officer_rotates_common_now_and_ce_at_its_next_holder(demo_app: App) -> None:
    kept = held_keys(demo_app, OFFICER.username, OFFICER.password)  # what the officer could have copied
    ce = demo_app.paths.folder / "bcu-CE.db"
    assert opens_with(demo_app.paths.database, kept["common"]) and opens_with(ce, kept["bcu:CE"])
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    demo_app.accounts.disable(admin, OFFICER.username)
    demo_app.auth.sign_out(admin)
    # The administrator holds no key to CE: common is rotated at once, CE's rotation is due.
    assert not opens_with(demo_app.paths.database, kept["common"])
    assert opens_with(ce, kept["bcu:CE"])
    holder_signs_in(demo_app)  # CE's SPOC: the rotation it finds due is carried out
    assert not opens_with(ce, kept["bcu:CE"])
    assert any("bcu:CE" in d and u == SPOC.username for u, d in log_details(demo_app, "vault.key_rotate"))
    # Every holder still opens its files with its new keys, and the officer no longer exists in any slot.
    for account in (SPOC, AUDITOR):
        keys = held_keys(demo_app, account.username, account.password)
        assert opens_with(ce, keys["bcu:CE"]) and opens_with(demo_app.paths.database, keys["common"])
    assert slot_names(demo_app, OFFICER.username) == []


def test_a_grant_delivers_the_key_and_a_revocation_takes_it_back_and_rotates_it(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    demo_app.accounts.add(admin, username="new.officer", display_name="New Officer (synthetic)", role=Role.OFFICER,
                          bcu="CE", password=NEW_PW)
    demo_app.auth.sign_out(admin)
    assert slot_names(demo_app, "new.officer") == ["common"]  # made by the administrator: common's key alone
    spoc = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    assert slot_names(demo_app, "new.officer") == ["common"]  # not granted: a SPOC's sign-in delivers nothing
    today = demo_app.env.clock.now().date()
    demo_app.governance.record_training(spoc, "new.officer", completed_on=today - timedelta(days=1),
                                       expires_on=today + timedelta(days=300))
    demo_app.governance.grant(spoc, "new.officer")
    # The BCU's key, the status key, and the demo agreement's preview (its officers keep it current).
    assert slot_names(demo_app, "new.officer") == ["common", "bcu:CE", "dsa:1", "status"]
    kept = held_keys(demo_app, "new.officer", NEW_PW)
    ce = demo_app.paths.folder / "bcu-CE.db"
    assert opens_with(ce, kept["bcu:CE"])
    demo_app.governance.revoke(spoc, "new.officer")  # the SPOC holds CE: rotated at once
    demo_app.auth.sign_out(spoc)
    assert slot_names(demo_app, "new.officer") == ["common"]
    assert not opens_with(ce, kept["bcu:CE"])
    assert opens_with(demo_app.paths.database, kept["common"])  # still an active account of the vault


def test_an_agreement_s_preview_is_made_by_a_holder_and_opens_with_the_partner_s_key_alone(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    today = demo_app.env.clock.now().date()
    agreement = demo_app.dsa.register(admin, organisation="Demo Probation (synthetic)", bcu="CE",
                                      fields=["ref", "age", "harm_band"], starts_on=today,
                                      ends_on=today + timedelta(days=30))
    demo_app.dsa.link_partner(admin, PARTNER.username, agreement.id)
    demo_app.auth.sign_out(admin)
    preview = demo_app.paths.folder / f"dsa-{agreement.id}.db"
    assert not preview.exists()  # the administrator cannot make it: no key to CE's people
    holder_signs_in(demo_app)
    assert preview.exists()
    partner = held_keys(demo_app, PARTNER.username, PARTNER.password)
    assert sorted(partner) == ["common", f"dsa:{agreement.id}"]
    assert opens_with(preview, partner[f"dsa:{agreement.id}"])
    for file in demo_app.paths.folder.glob("bcu-*.db"):
        assert not any(opens_with(file, key) for key in partner.values()), file.name
    # Only the agreement's columns, and no date of birth, in the partner's file.
    conn = sqlcipher3.connect(str(preview))
    conn.execute(f"PRAGMA key = \"x'{partner[f'dsa:{agreement.id}'].hex()}'\"")
    columns = {r[1] for r in conn.execute("PRAGMA table_info(preview)")}
    rows = conn.execute("SELECT count(*) FROM preview").fetchone()[0]
    conn.close()
    assert columns <= {"id", "ref", "bcu", "age", "harm_band"} and "date_of_birth" not in columns
    assert rows > 0
    # The agreement ends: the next holder's sign-in empties the preview.
    demo_app.env.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    holder_signs_in(demo_app)
    conn = sqlcipher3.connect(str(preview))
    conn.execute(f"PRAGMA key = \"x'{partner[f'dsa:{agreement.id}'].hex()}'\"")
    assert conn.execute("SELECT count(*) FROM preview").fetchone()[0] == 0
    conn.close()


def test_moving_a_partner_to_another_agreement_takes_the_old_preview_s_key(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    today = demo_app.env.clock.now().date()
    first = demo_app.dsa.register(admin, organisation="Demo Youth Service (synthetic)", bcu="CE",
                                  fields=["ref", "harm_band"], starts_on=today, ends_on=today + timedelta(days=30))
    demo_app.dsa.link_partner(admin, PARTNER.username, first.id)
    holder_signs_in(demo_app)
    old = held_keys(demo_app, PARTNER.username, PARTNER.password)[f"dsa:{first.id}"]
    second = demo_app.dsa.register(admin, organisation="Demo Council (synthetic)", bcu="CE",
                                   fields=["ref"], starts_on=today, ends_on=today + timedelta(days=30))
    demo_app.dsa.link_partner(admin, PARTNER.username, second.id)
    demo_app.auth.sign_out(admin)
    assert f"dsa:{first.id}" not in slot_names(demo_app, PARTNER.username)
    holder_signs_in(demo_app)  # the first preview's holders rotate it; the second is made
    assert not opens_with(demo_app.paths.folder / f"dsa-{first.id}.db", old)
    assert slot_names(demo_app, PARTNER.username) == ["common", f"dsa:{second.id}"]


def test_the_recovery_slot_holds_every_key_and_only_it_opens_every_file(demo_app: App) -> None:
    slots = load_slots(demo_app.paths)
    recovery = slots.recovery_slot()
    assert recovery is not None
    names = recovery.compartments()
    assert names == ["common", *sorted(f"bcu:{p.name[4:-3]}" for p in demo_app.paths.folder.glob("bcu-*.db")),
                     *sorted(f"dsa:{p.name[4:-3]}" for p in demo_app.paths.folder.glob("dsa-*.db")), "status"]
    with pytest.raises(Exception):  # noqa: B017  the recovery code is not in the demo template
        open_keyring(recovery, slots.vault_id, keyslots.unlock(recovery, slots.vault_id, "not-the-code", None).private)


def _as_if_wa_were_new(app: App) -> None:
    """The state a BCU added to the list by an update finds: no file, no key anywhere, nobody in the index."""
    (app.paths.folder / "bcu-WA.db").unlink()
    slots = load_slots(app.paths)
    for slot in slots.slots:
        slot.keys.pop("bcu:WA", None)
    slots.compartment_epochs.pop("bcu:WA", None)
    slots.key_history.pop("bcu:WA", None)
    app.paths.keyslots.write_bytes(slots.to_bytes())
    common = held_keys(app, ADMIN.username, ADMIN.password)["common"]
    conn = sqlcipher3.connect(str(app.paths.database), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{common.hex()}'\"")
    conn.execute("DELETE FROM person_index WHERE bcu = 'WA'")
    conn.execute("DELETE FROM status_index WHERE id NOT IN (SELECT id FROM person_index)")
    conn.close()


def test_a_new_bcu_s_compartment_is_made_by_the_first_auditor_and_sealed_only_to_the_entitled(demo_app: App) -> None:
    _as_if_wa_were_new(demo_app)
    wa = demo_app.paths.folder / "bcu-WA.db"
    demo_app.auth.sign_out(demo_app.auth.sign_in(ADMIN.username, ADMIN.password))
    demo_app.auth.sign_out(demo_app.auth.sign_in(SPOC.username, SPOC.password))
    assert not wa.exists()  # neither the administrator nor another BCU's SPOC may make it: the maker knows the key
    demo_app.auth.sign_out(demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password))
    assert wa.exists()
    auditor = held_keys(demo_app, AUDITOR.username, AUDITOR.password)
    assert opens_with(wa, auditor["bcu:WA"])
    recovery = load_slots(demo_app.paths).recovery_slot()
    assert recovery is not None and recovery.holds("bcu:WA")
    for account in (ADMIN, SPOC, OFFICER, PARTNER):
        assert "bcu:WA" not in slot_names(demo_app, account.username), account.username
    assert any("compartments made for WA" in d and u == AUDITOR.username
               for u, d in log_details(demo_app, "vault.split"))
    # A WA SPOC created afterwards receives the key from the next holder's sign-in, as any new account does.
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    demo_app.accounts.add(admin, username="wa.spoc", display_name="WA SPOC (synthetic)", role=Role.SPOC, bcu="WA",
                          password=NEW_PW)
    demo_app.auth.sign_out(admin)
    demo_app.auth.sign_out(demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password))
    assert "bcu:WA" in slot_names(demo_app, "wa.spoc")
    assert opens_with(wa, held_keys(demo_app, "wa.spoc", NEW_PW)["bcu:WA"])
