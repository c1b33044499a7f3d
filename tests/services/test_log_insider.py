"""An insider with an ordinary account cannot rewrite the access log and get "Intact".

Each attack is the one reproduced in issue 10, made with the attacker's own password
through the project's own API (the read-only open hands over the data key) and a
raw SQLCipher connection. Before pins and the log-state check, every one of them
ended with `log verify` saying "Intact" (exit 0).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.errors import VaultCorrupt
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database, log_chain, log_pin
from gvm_desktop.store.slot_file import KeySlotFile
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
AUDITOR, OFFICER = ACC[Role.AUDITOR], ACC[Role.OFFICER]
NOSY = "my neighbour, just curious about him"
ATTACKERS = [Role.OFFICER, Role.PARTNER, Role.ADMIN]


def run(app: App, *argv: str, password: str = AUDITOR.password, actor: str = AUDITOR.username) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--vault", str(app.vault_dir), "--as", actor, "--password-stdin"],
                app_factory=lambda folder: app, stdin=io.StringIO(password + "\n"), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def verify(app: App) -> tuple[int, str, str]:
    return run(app, "log", "verify")


def nosy_open(app: App) -> str:
    """The officer opens a record for a reason that would interest an auditor."""
    ws = app.auth.sign_in(OFFICER.username, OFFICER.password)
    ref = conn_of(ws).execute("SELECT ref FROM nominals WHERE bcu = 'CE' AND status = 'active' LIMIT 1").fetchone()[0]
    app.records.open(ws, ref, Justification.make("other", NOSY))
    app.auth.sign_out(ws)
    return ref


def attacker_connection(app: App, role: Role) -> database.Connection:
    """The attacker's own password, the project's API, then raw SQL with the triggers dropped."""
    acct = ACC[role]
    vault, _session = app.auth.open_read_only(acct.username, acct.password)
    key = bytes(vault._key)
    vault.close()
    conn = database.connect(app.paths.database, key)
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
    return conn


def erase_entry(conn: database.Connection) -> None:
    """Delete the nosy entry and renumber seq 1..n, so no gap shows."""
    (seq,) = conn.execute("SELECT seq FROM access_log WHERE justification = ?", (NOSY,)).fetchone()
    conn.execute("DELETE FROM access_log WHERE seq = ?", (seq,))
    conn.execute("UPDATE access_log SET seq = seq - 1 WHERE seq > ?", (seq,))


def rewrite_checkpoint(app: App, conn: database.Connection) -> None:
    head_seq, head_hash = conn.execute("SELECT head_seq, head_hash FROM log_state").fetchone()
    body = json.loads(app.paths.checkpoint.read_text())
    body.update(seq=head_seq, hash=bytes(head_hash).hex())
    app.paths.checkpoint.write_text(json.dumps(body))


def seal_own_key(app: App, key0: bytes, *, strip_pins: bool = False) -> None:
    """Seal a verification key of the attacker's choosing to every slot (HPKE needs only the public key)."""
    slots = KeySlotFile.from_bytes(app.paths.keyslots.read_bytes())
    for slot in slots.slots:
        if strip_pins:
            slot.log_pin = None
        log_pin.seal_log_key(slot, slots.vault_id, key0)
    app.paths.keyslots.write_bytes(slots.to_bytes())  # the checksum is recomputed: anyone can


def rechain_as(app: App, role: Role) -> bytes:
    """Attack 2's database half: erase the nosy entry, then re-chain the whole log under a key of the
    attacker's choosing (fresh hashes and MACs, a new log state, a matching checkpoint). Returns that key."""
    nosy_open(app)
    conn = attacker_connection(app, role)
    erase_entry(conn)
    conn.execute("DELETE FROM log_state")
    with database.transaction(conn):
        key0 = log_chain.start_chain(conn)
    rewrite_checkpoint(app, conn)
    conn.close()
    return key0


def nosy_entries(app: App) -> int:
    """How many entries carry the nosy justification, read as an attacker could (no log entry)."""
    vault, _ = app.auth.open_read_only(ACC[Role.ADMIN].username, ACC[Role.ADMIN].password)
    try:
        return vault.conn.execute("SELECT count(*) FROM access_log WHERE justification = ?", (NOSY,)).fetchone()[0]
    finally:
        vault.close()


@pytest.mark.parametrize("role", ATTACKERS, ids=[r.value for r in ATTACKERS])
def test_attack_1_erasing_an_entry_and_the_log_state_is_never_repaired_quietly(demo_app: App, role: Role) -> None:
    nosy_open(demo_app)
    conn = attacker_connection(demo_app, role)
    erase_entry(conn)
    conn.execute("DELETE FROM log_state")
    conn.close()
    # The next ordinary sign-in used to re-chain the whole log under a fresh key, silently.
    with pytest.raises(VaultCorrupt, match="the log's state is missing"):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    code, out, err = verify(demo_app)
    assert code == 4, (out, err)
    assert "the log's state is missing" in err + out  # beside the entry whose successors were renumbered
    assert nosy_entries(demo_app) == 0  # the attacker did erase it; what matters is that it shows


@pytest.mark.parametrize("role", ATTACKERS, ids=[r.value for r in ATTACKERS])
def test_attack_2_a_log_rechained_under_the_attackers_own_key_is_caught(demo_app: App, role: Role) -> None:
    seal_own_key(demo_app, rechain_as(demo_app, role))
    code, out, err = verify(demo_app)
    assert code == 4, (out, err)
    assert "substitute the key that checks the log" in err
    with pytest.raises(VaultCorrupt, match="substitute"):
        demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)


@pytest.mark.parametrize("role", ATTACKERS, ids=[r.value for r in ATTACKERS])
def test_attack_2_without_the_sealed_key_still_fails_on_the_pinned_one(demo_app: App, role: Role) -> None:
    """Re-chained, but the auditor's slot left alone: the pinned k[0] finds the very first entry forged."""
    rechain_as(demo_app, role)
    code, _out, err = verify(demo_app)
    assert code == 4 and "entry 1: its MAC is wrong" in err, err


def test_attack_2_with_the_pins_stripped_is_caught_by_the_slot_itself(demo_app: App) -> None:
    """Removing the auditor's pin to make them trust a delivered key: the flag inside the wrapped key says a pin
    belongs there, and only the auditor's password could have cleared it."""
    seal_own_key(demo_app, rechain_as(demo_app, Role.ADMIN), strip_pins=True)
    code, out, err = verify(demo_app)
    assert code == 4, (out, err)
    assert "pinned log verification key was removed" in err


def test_a_rewrite_after_the_auditors_last_verification_is_caught(demo_app: App) -> None:
    """The attacker copied the MAC key of entry j early, waited for the auditor to verify past j, then
    rewrote entries j.. with that key: MACs, hashes, log state and checkpoint all consistent."""
    for _ in range(3):
        nosy_open(demo_app)
    conn = attacker_connection(demo_app, Role.ADMIN)
    copied_seq, copied_hash, copied_key = conn.execute("SELECT head_seq, head_hash, mac_key FROM log_state").fetchone()
    conn.close()
    nosy_open(demo_app)  # more work, then the auditor's verification moves their pin past j
    assert verify(demo_app)[0] == 0
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)  # records the verification
    demo_app.auth.sign_out(ws)

    conn = attacker_connection(demo_app, Role.ADMIN)
    conn.execute("UPDATE access_log SET justification = 'Routine safeguarding review of the case' "
                 "WHERE justification = ? AND seq > ?", (NOSY, copied_seq))
    prev, key = bytes(copied_hash), bytes(copied_key)
    fields = ", ".join(log_chain._FIELDS)
    for (seq, canonical) in conn.execute(f"SELECT seq, json_array({fields}) FROM access_log WHERE seq > ? "
                                         "ORDER BY seq", (copied_seq,)).fetchall():
        prev = log_chain._link(prev, canonical.encode())
        conn.execute("UPDATE access_log SET entry_hash = ?, mac = ? WHERE seq = ?", (prev, log_chain.mac_of(key, prev), seq))
        key = log_chain.evolve(key)
        last = seq
    conn.execute("UPDATE log_state SET head_seq = ?, head_hash = ?, mac_key = ?", (last, prev, key))
    rewrite_checkpoint(demo_app, conn)
    conn.close()

    with pytest.raises(VaultCorrupt, match="rewritten or rolled back since"):
        demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    code, _out, err = verify(demo_app)
    assert code == 4 and "rewritten or rolled back since" in err, err


def test_log_verify_writes_nothing_to_the_database_and_is_logged_at_the_next_sign_in(demo_app: App) -> None:
    nosy_open(demo_app)
    before = {p.name: p.read_bytes() for p in demo_app.vault_dir.iterdir() if p.name.startswith("vault.db")}
    checkpoint = demo_app.paths.checkpoint.read_bytes()
    code, out, _err = verify(demo_app)
    assert code == 0 and "Nothing was written to the database" in out
    after = {p.name: p.read_bytes() for p in demo_app.vault_dir.iterdir() if p.name.startswith("vault.db")}
    assert after == before and demo_app.paths.checkpoint.read_bytes() == checkpoint
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    entries = demo_app.audit.recent(ws, 5)
    verified = [e for e in entries if e.entry.action.value == "access_log.verify"]
    assert verified and "checked read-only with 'log verify'" in (verified[0].entry.detail or "")
    demo_app.auth.sign_out(ws)
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)  # recorded once, not at every sign-in
    again = [e for e in demo_app.audit.recent(ws, 5) if e.entry.action.value == "access_log.verify"]
    assert [e.seq for e in again] == [e.seq for e in verified]


def test_a_chained_log_is_never_chained_again_even_if_the_vault_asks(demo_app: App) -> None:
    from gvm_desktop.store.migrations import LOG_BACKFILL_MARK

    conn = attacker_connection(demo_app, Role.ADMIN)
    conn.execute("INSERT INTO meta (key, value) VALUES (?, 'pending')", (LOG_BACKFILL_MARK,))
    conn.close()
    with pytest.raises(VaultCorrupt, match="already chained"):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)


def test_a_log_that_starts_after_entry_1_or_ends_before_its_head_refuses_sign_in(demo_app: App) -> None:
    conn = attacker_connection(demo_app, Role.OFFICER)
    conn.execute("DELETE FROM access_log WHERE seq = 1")
    conn.close()
    with pytest.raises(VaultCorrupt, match="starts at entry 2"):
        demo_app.auth.sign_in(OFFICER.username, OFFICER.password)
    assert verify(demo_app)[0] == 4


def test_a_new_auditor_pins_a_delivered_key_at_first_use_and_says_so(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ACC[Role.ADMIN].username, ACC[Role.ADMIN].password)
    demo_app.accounts.add(admin, username="second.auditor", display_name="Second Auditor (synthetic)",
                          role=Role.AUDITOR, bcu=None, password="violet-harbour-ledger-63")
    demo_app.auth.sign_out(admin)
    first = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)  # passes the key on, sealed
    demo_app.auth.sign_out(first)
    code, out, err = run(demo_app, "log", "verify", actor="second.auditor", password="violet-harbour-ledger-63")
    assert code == 0, err
    assert "pinned now, at its first use" in out
    fingerprint = out.split("Verification key ")[1].split(" ")[0]
    code, out, _ = verify(demo_app)
    assert code == 0 and f"Verification key {fingerprint} (your pinned key)" in out


def _slot_file(app: App) -> dict:
    return json.loads(app.paths.keyslots.read_text())


def _rewrite_slots(app: App, change) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    body = _slot_file(app)
    body.pop("checksum")
    change(body)
    body["checksum"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    app.paths.keyslots.write_text(json.dumps(body))


@pytest.mark.parametrize(
    "change",
    [
        lambda b: [s["kdf"].update(m=0) for s in b["slots"]],
        lambda b: [s["kdf"].update(p=0) for s in b["slots"]],
        lambda b: [s["kdf"].update(t=10**9) for s in b["slots"]],
        lambda b: [s.update(wrapped_private="") for s in b["slots"]],
        lambda b: [s.update(public="AAAA") for s in b["slots"]],
        lambda b: [s["sealed"].update(ct="") for s in b["slots"]],
        lambda b: [s.update(user_id="7") for s in b["slots"]],
        lambda b: b.update(slots={"a": 1}),
        lambda b: b.update(slots=[[]]),
    ],
    ids=["kdf-m0", "kdf-p0", "kdf-t-huge", "empty-wrapped-private", "short-public", "empty-sealed", "text-user-id",
         "slots-dict", "slot-list"],
)
def test_a_hostile_key_slot_file_is_one_clear_line_and_exit_4(demo_app: App, change) -> None:  # type: ignore[no-untyped-def]
    _rewrite_slots(demo_app, change)
    code, out, err = run(demo_app, "user", "list", actor=ACC[Role.ADMIN].username, password=ACC[Role.ADMIN].password)
    assert code == 4, (out, err)
    assert err.startswith("gvm-desktop: The vault's key-slot file is damaged") and err.count("\n") == 1


@pytest.mark.parametrize("text", ["[]", "{}", '{"format": "gvm-desktop-log-checkpoint", "seq": "x"}', "null", "7",
                                  '{"format": "gvm-desktop-log-checkpoint", "seq": 1, "hash": "zz"}'])
def test_a_hostile_checkpoint_file_is_reported_not_a_traceback(demo_app: App, text: str) -> None:
    vault_id = _slot_file(demo_app)["vault_id"]
    if text.startswith('{"format"'):
        text = text[:-1] + f', "vault_id": "{vault_id}"}}'
    demo_app.paths.checkpoint.write_text(text)
    code, out, err = verify(demo_app)
    assert code == 4, (out, err)
    assert err.startswith("gvm-desktop: The log checkpoint file is damaged") and err.count("\n") == 1


def test_the_upgrade_from_before_tamper_evidence_chains_once_and_logs_it(tmp_path: Path, make_app) -> None:  # type: ignore[no-untyped-def]
    """A vault at schema 3 (before the chain): the upgrade chains its entries and says so in the log."""
    from gvm_desktop.store.migrations import migrate

    app = make_app(tmp_path / "v")
    created = app.init_vault("old.admin", "Old Admin (synthetic)", "copper-kettle-orbit-91")
    app.auth.sign_out(created.workspace)
    # Rebuild the same vault as schema 3 would have held it: no chain, no state, unhashed rows.
    vault, _ = app.auth.open_read_only("old.admin", "copper-kettle-orbit-91")
    key = bytes(vault._key)
    vault.close()
    old = tmp_path / "old.db"
    conn = database.connect(old, key, create=True)
    migrate(conn, 3)
    src = database.connect(app.paths.database, key)
    cols = "seq, at_utc, tz, workstation, user_id, username, role, bcu, action, record_ref, reason_category, " \
           "justification, outcome, detail"
    rows = src.execute(f"SELECT {cols} FROM access_log ORDER BY seq").fetchall()
    for table in ("meta", "users", "settings"):
        names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        # Nothing of issue 13's split: that vault had all its people in one file.
        where = " WHERE key <> 'compartments'" if table == "meta" else ""
        for row in src.execute(f"SELECT {', '.join(names)} FROM {table}{where}").fetchall():
            conn.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", row)
    conn.executemany(f"INSERT INTO access_log ({cols}) VALUES ({', '.join('?' * 14)})", rows)
    src.close()
    conn.close()
    old.replace(app.paths.database)
    for extra in app.vault_dir.glob("vault.db-*"):
        extra.unlink()
    for compartment in app.vault_dir.glob("bcu-*.db"):
        compartment.unlink()
    slots = KeySlotFile.from_bytes(app.paths.keyslots.read_bytes())
    for slot in slots.slots:  # a slot file from then held no pins, and one key, either
        slot.log_pin = None
        slot.keys = {"common": slot.keys["common"]}
    slots.compartment_epochs.clear()
    slots.key_history.clear()
    app.paths.keyslots.write_bytes(slots.to_bytes())
    ws = app.auth.sign_in("old.admin", "copper-kettle-orbit-91")
    starts = conn_of(ws).execute("SELECT seq, detail FROM access_log WHERE action = 'access_log.chain_start'").fetchall()
    assert len(starts) == 1 and f"{len(rows)} earlier entries chained" in starts[0][1]
    app.auth.sign_out(ws)
    ws = app.auth.sign_in("old.admin", "copper-kettle-orbit-91")  # only once
    assert conn_of(ws).execute("SELECT count(*) FROM access_log WHERE action = 'access_log.chain_start'").fetchone()[0] == 1
    app.auth.sign_out(ws)
