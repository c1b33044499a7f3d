"""The access log's tamper evidence: six ways to rewrite history, each caught by `log verify` (exit 4)."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database
from tests.support.vault_access import conn_of, vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
AUDITOR, ADMIN, OFFICER = ACC[Role.AUDITOR], ACC[Role.ADMIN], ACC[Role.OFFICER]


def verify(app: App, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["log", "verify", "--vault", str(app.vault_dir), "--as", AUDITOR.username, "--password-stdin", *extra],
                app_factory=lambda folder: app, stdin=io.StringIO(AUDITOR.password + "\n"), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def busy(app: App) -> None:
    """Some ordinary work, so the log has a few dozen entries."""
    for acct in (OFFICER, ACC[Role.SPOC], ADMIN):
        ws = app.auth.sign_in(acct.username, acct.password)
        app.auth.lock(ws)
        app.auth.unlock(ws, acct.password)
        app.auth.sign_out(ws)


def raw(app: App) -> database.Connection:
    """What an attacker holding the data key gets: the database, triggers and all, to edit at will."""
    ws = app.auth.sign_in(ADMIN.username, ADMIN.password)
    key = bytes(vault_of(ws)._key)
    app.auth.sign_out(ws)
    conn = database.connect(app.paths.database, key)
    conn.execute("DROP TRIGGER access_log_no_update")
    conn.execute("DROP TRIGGER access_log_no_delete")
    return conn


def _edit(conn: database.Connection) -> None:
    conn.execute("UPDATE access_log SET detail = 'nothing to see here' WHERE seq = 5")


def _delete(conn: database.Connection) -> None:
    conn.execute("DELETE FROM access_log WHERE seq = 6")


def _reorder(conn: database.Connection) -> None:
    cols = [r[1] for r in conn.execute("PRAGMA table_info(access_log)") if r[1] != "seq"]
    a = conn.execute(f"SELECT {', '.join(cols)} FROM access_log WHERE seq = 7").fetchone()
    b = conn.execute(f"SELECT {', '.join(cols)} FROM access_log WHERE seq = 8").fetchone()
    sets = ", ".join(f"{c} = ?" for c in cols)
    conn.execute(f"UPDATE access_log SET {sets} WHERE seq = 7", b)
    conn.execute(f"UPDATE access_log SET {sets} WHERE seq = 8", a)


def _insert_forgery(conn: database.Connection) -> None:
    # Make room at 9 and write a plausible entry there, hash-linked like the real ones (the
    # attacker can compute hashes); they hold only the *current* MAC key, so they use that.
    import hashlib as h

    from gvm_desktop.store.log_chain import mac_of

    conn.execute("UPDATE access_log SET seq = seq + 1000000 WHERE seq >= 9")
    conn.execute("UPDATE access_log SET seq = seq - 1000000 + 1 WHERE seq >= 1000000")
    prev = conn.execute("SELECT entry_hash FROM access_log WHERE seq = 8").fetchone()[0]
    canonical = conn.execute("SELECT json_array(9, '2026-11-02T09:00:00Z', 'UTC', 'ws-test-01', NULL, NULL, NULL, NULL, "
                             "'auth.sign_out', NULL, NULL, NULL, 'allowed', NULL, NULL)").fetchone()[0]
    forged = h.sha256(prev + canonical.encode()).digest()
    key = conn.execute("SELECT mac_key FROM log_state").fetchone()[0]
    conn.execute("INSERT INTO access_log (seq, at_utc, tz, workstation, action, outcome, entry_hash, mac) "
                 "VALUES (9, '2026-11-02T09:00:00Z', 'UTC', 'ws-test-01', 'auth.sign_out', 'allowed', ?, ?)",
                 (forged, mac_of(key, forged)))


def _truncate(conn: database.Connection) -> None:
    last = conn.execute("SELECT max(seq) FROM access_log").fetchone()[0]
    conn.execute("DELETE FROM access_log WHERE seq > ?", (last - 3,))
    new_head = conn.execute("SELECT entry_hash FROM access_log WHERE seq = ?", (last - 3,)).fetchone()[0]
    conn.execute("UPDATE log_state SET head_seq = ?, head_hash = ?", (last - 3, new_head))


@pytest.mark.parametrize(
    ("tamper", "explanation"),
    [
        (_edit, "entry 5: its contents or its place in the chain were changed"),
        (_delete, "entries 6 to 6 are missing"),
        (_reorder, "entry 7: its contents or its place in the chain were changed"),
        (_insert_forgery, "entry 9: its MAC is wrong"),
        (_truncate, "the stored MAC key does not follow from the last entry"),
    ],
    ids=["edited-field", "deleted-entry", "reordered-pair", "inserted-forgery", "truncated-tail"],
)
def test_each_tampering_is_caught_and_verify_changes_nothing(demo_app: App, tamper: Callable[[database.Connection], None],
                                                             explanation: str) -> None:
    busy(demo_app)
    assert verify(demo_app)[0] == 0
    conn = raw(demo_app)
    tamper(conn)
    conn.close()
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo_app.vault_dir.iterdir()}
    code, out, err = verify(demo_app)
    assert code == 4, (out, err)
    assert explanation in err, err
    assert err.startswith("gvm-desktop: the access log is NOT intact: ")
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo_app.vault_dir.iterdir()}
    assert after == before, "log verify must not modify anything on a damaged vault"


def test_truncation_with_a_consistent_key_is_still_caught_by_the_checkpoint(demo_app: App) -> None:
    busy(demo_app)
    ws = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    demo_app.auth.sign_out(ws)
    conn = raw(demo_app)
    # Cut the tail and put back a state that is self-consistent at the cut (as a copy from then would be).
    last = conn.execute("SELECT max(seq) FROM access_log").fetchone()[0]
    conn.execute("DELETE FROM access_log WHERE seq > ?", (last - 2,))
    conn.close()
    code, _out, err = verify(demo_app)
    assert code == 4 and ("cut short" in err or "removed from the end" in err or "does not follow" in err)


def test_a_database_restored_from_an_old_copy_is_caught(demo_app: App, tmp_path: Path) -> None:
    busy(demo_app)
    old = tmp_path / "old-vault.db"
    shutil.copy(demo_app.paths.database, old)
    busy(demo_app)  # the log and its checkpoint move on
    shutil.copy(old, demo_app.paths.database)
    for extra in demo_app.vault_dir.glob("vault.db-*"):
        extra.unlink()
    code, _out, err = verify(demo_app)
    assert code == 4
    assert "restored from an older copy or cut short" in err


def test_an_untouched_vault_verifies_and_the_verification_is_logged(demo_app: App) -> None:
    busy(demo_app)
    code, out, err = verify(demo_app)
    assert code == 0, err
    assert out.startswith("Intact: ") and "entries/s" in out
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    actions = [e.entry.action.value for e in demo_app.audit.recent(ws, 10)]
    assert "access_log.verify" in actions


def test_heads_printed_on_documents_are_checked(demo_app: App) -> None:
    busy(demo_app)
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    seq, digest = conn_of(ws).execute("SELECT seq, hex(entry_hash) FROM access_log WHERE seq = 3").fetchone()
    demo_app.auth.sign_out(ws)
    assert verify(demo_app, "--head", f"{seq}:{digest.lower()[:16]}")[0] == 0
    code, _out, err = verify(demo_app, "--head", f"{seq}:{'0' * 16}")
    assert code == 4 and "head printed on a document" in err
    assert verify(demo_app, "--head", "nonsense")[0] == 2  # a malformed argument: usage


def test_only_auditors_verify_and_admin_cannot_by_holding_the_vault_key(demo_app: App) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["log", "verify", "--vault", str(demo_app.vault_dir), "--as", ADMIN.username, "--password-stdin"],
                app_factory=lambda folder: demo_app, stdin=io.StringIO(ADMIN.password + "\n"), stdout=out, stderr=err)
    assert code == 3 and "may not read the access log" in err.getvalue()
    # The admin's slot does not carry the verification key at all.
    import json

    slots = json.loads(demo_app.paths.keyslots.read_text())["slots"]
    holders = {s["user_id"] for s in slots if s.get("log_key") or s.get("log_pin")}
    ws = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    auditor_id = ws.session.user_id
    demo_app.auth.sign_out(ws)
    assert holders == {0, auditor_id}  # the recovery slot and the auditor


def test_the_in_session_verification_button_agrees(demo_app: App) -> None:
    busy(demo_app)
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    assert demo_app.audit.verify(auditor).intact
    demo_app.auth.sign_out(auditor)
    conn = raw(demo_app)
    _edit(conn)
    conn.close()
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    result = demo_app.audit.verify(auditor)
    assert not result.intact and result.first_problem and result.first_problem.startswith("entry 5:")
