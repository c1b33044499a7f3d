"""Help › About's vault facts (services/about.py): the vault's id and the log's head, for every role, unlogged."""

from __future__ import annotations

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS, DemoAccount
from gvm_desktop.core.errors import SessionLocked
from gvm_desktop.services.about import AboutService
from gvm_desktop.store.vault import load_slots


def test_the_facts_are_the_vaults_own_id_and_the_head_a_verification_ends_at(demo_app: App) -> None:
    auditor = next(a for a in DEMO_ACCOUNTS if a.role.value == "auditor")
    ws = demo_app.auth.sign_in(auditor.username, auditor.password)
    facts = AboutService().facts(ws)
    verified = demo_app.audit.verify(ws)  # walks the chain itself, then logs that it did
    assert verified.intact
    assert (facts.log_head_seq, facts.log_head_hash) == (verified.head_seq, verified.head_hash)
    assert facts.vault_id == load_slots(demo_app.paths).vault_id
    assert facts.head_text == f"{verified.head_seq}:{verified.head_hash[:16]}"
    demo_app.auth.sign_out(ws)


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.role.value)
def test_every_role_may_read_them_and_reading_them_logs_nothing(demo_app: App, account: DemoAccount) -> None:
    ws = demo_app.auth.sign_in(account.username, account.password)
    service = AboutService()
    first = service.facts(ws)
    again = service.facts(ws)
    # A logged read would have moved the head it reports: the second reading would differ from the first.
    assert again == first
    assert len(first.log_head_hash) == 64 and first.log_head_seq > 0
    demo_app.auth.sign_out(ws)


def test_a_locked_session_reads_nothing(demo_app: App) -> None:
    officer = DEMO_ACCOUNTS[0]
    ws = demo_app.auth.sign_in(officer.username, officer.password)
    demo_app.auth.lock(ws)
    with pytest.raises(SessionLocked):
        AboutService().facts(ws)
