"""After a removal the write-ahead log is emptied, so the person's old pages are not left in it."""

from __future__ import annotations

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}


def test_a_removal_leaves_an_empty_write_ahead_log_while_the_session_stays_open(demo_app: App) -> None:
    officer = demo_app.auth.sign_in(ACC[Role.OFFICER].username, ACC[Role.OFFICER].password)
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu = 'CE' AND status = 'active' LIMIT 1").fetchone()[0]
    demo_app.changes.propose_removal(officer, ref, "No longer involved: moved out of the area last year.")
    demo_app.auth.sign_out(officer)
    spoc = demo_app.auth.sign_in(ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    demo_app.changes.approve_removal(spoc, ref, "Agreed: no intelligence for over a year.")
    wal = demo_app.paths.database.with_name("vault.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    demo_app.auth.sign_out(spoc)
