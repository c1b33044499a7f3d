"""Key rotation on demand: common's key now, every other compartment's at its holders' next sign-in."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import compartments
from tests.support.vault_access import held_keys, opens_with, vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
ADMIN, AUDITOR, OFFICER = ACC[Role.ADMIN], ACC[Role.AUDITOR], ACC[Role.OFFICER]


def _every_account_signs_in(app: App) -> None:
    for account in DEMO_ACCOUNTS:
        app.auth.sign_out(app.auth.sign_in(account.username, account.password))


def _pending(app: App) -> list[str]:
    raw = json.loads(app.paths.keyslots.read_text())
    return [s.get("user_id", "recovery") for s in raw["slots"] if "sealed_next" in json.dumps(s)]


def test_rekey_rotates_common_now_and_the_rest_at_their_holders_sign_in(demo_app: App) -> None:
    old = held_keys(demo_app, AUDITOR.username, AUDITOR.password)
    ce_file = compartments.bcu("CE").path(demo_app.paths.folder)
    assert opens_with(demo_app.paths.database, old["common"]) and opens_with(ce_file, old["bcu:CE"])

    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    done = demo_app.accounts.rekey(admin)
    demo_app.auth.sign_out(admin)

    assert done.rotated == ["common"]
    assert "bcu:CE" in done.due and "status" not in done.due
    # What a copied key or a stolen slot gave: nothing, for common at once.
    assert not opens_with(demo_app.paths.database, old["common"])
    _every_account_signs_in(demo_app)
    # The holders' sign-ins (the auditor holds every BCU's key) carried out the rotations due.
    for name in done.due:
        if name.startswith("bcu:"):
            path = compartments.bcu(name.removeprefix("bcu:")).path(demo_app.paths.folder)
            assert not opens_with(path, old[name]), name
    assert not _pending(demo_app)

    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    assert demo_app.audit.verify(auditor).intact
    entries = [e.entry for e in demo_app.audit.recent(auditor, 200)]
    rekeys = [e for e in entries if e.action is Action.VAULT_REKEY]
    assert len(rekeys) == 1 and rekeys[0].username == ADMIN.username and rekeys[0].outcome is Outcome.ALLOWED
    assert rekeys[0].detail and "bcu:CE" in rekeys[0].detail
    assert any(e.action is Action.KEY_ROTATE and e.detail and "bcu:CE" in e.detail and "due" in e.detail
               for e in entries)


def test_rekey_is_refused_to_anyone_but_the_administrator_and_the_refusal_logged(demo_app: App) -> None:
    key_file = demo_app.paths.keyslots.read_bytes()
    for account in DEMO_ACCOUNTS:
        if account.role is Role.ADMIN:
            continue
        ws = demo_app.auth.sign_in(account.username, account.password)
        with pytest.raises(PermissionDenied, match=f"The {account.role.value} role may not rotate"):
            demo_app.accounts.rekey(ws)
        demo_app.auth.sign_out(ws)
    auditor = demo_app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    refused = [e.entry for e in demo_app.audit.recent(auditor, 200)
               if e.entry.outcome is Outcome.REFUSED and e.entry.action is Action.VAULT_REKEY]
    assert {e.username for e in refused} == {a.username for a in DEMO_ACCOUNTS if a.role is not Role.ADMIN}
    demo_app.auth.sign_out(auditor)
    assert json.loads(demo_app.paths.keyslots.read_bytes())["key_epoch"] == json.loads(key_file)["key_epoch"]


@pytest.mark.parametrize("stop_at", ["sealed_next_written", "rekeyed"])
def test_rekey_interrupted_at_any_step_loses_nothing(demo_app: App, make_app: Callable[..., App], stop_at: str) -> None:
    class Crash(Exception):
        pass

    def checkpoint(step: str) -> None:
        if step == stop_at:
            raise Crash(step)

    old = held_keys(demo_app, OFFICER.username, OFFICER.password)["common"]
    admin = demo_app.auth.sign_in(ADMIN.username, ADMIN.password)
    with pytest.raises(Crash):
        demo_app.accounts.rekey(admin, checkpoint=checkpoint)
    vault_of(admin).close()  # the process dies here
    restarted = make_app(demo_app.vault_dir)
    _every_account_signs_in(restarted)
    # The next sign-in finished the job: no half-rotation left, and the old key opens nothing.
    assert not _pending(restarted)
    assert not opens_with(restarted.paths.database, old)
    auditor = restarted.auth.sign_in(AUDITOR.username, AUDITOR.password)
    assert restarted.audit.verify(auditor).intact
