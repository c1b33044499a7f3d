"""Ending a data sharing agreement early: the partner is refused at once, loses the preview key, and the preview is
rotated and emptied by its BCU's next holder; only an administrator may end one, and the ending is logged with it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.key_custody import ROTATIONS_DUE
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import compartments
from tests.support.vault_access import conn_of, held_keys, holder_signs_in, opens_with

ACC = {a.role: a for a in DEMO_ACCOUNTS}
TODAY = date(2026, 11, 2)  # ManualClock's start


def sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def _demo_agreement_id(app: App, admin: Workspace) -> int:
    (agreement,) = app.dsa.list(admin)
    return agreement.id


def _log(ws: Workspace, since: int) -> list[tuple[str, str, str, str | None, str]]:
    return conn_of(ws).execute("SELECT u.username, a.action, a.outcome, a.record_ref, a.detail FROM access_log a "
                               "LEFT JOIN users u ON u.id = a.user_id WHERE a.seq > ? ORDER BY a.seq", (since,)).fetchall()


def _due(ws: Workspace) -> str:
    row = conn_of(ws).execute("SELECT value FROM meta WHERE key = ?", (ROTATIONS_DUE,)).fetchone()
    return str(row[0]) if row else ""


def _head(ws: Workspace) -> int:
    return int(conn_of(ws).execute("SELECT max(seq) FROM access_log").fetchone()[0])


def test_an_ended_agreement_shares_nothing_and_its_preview_is_rotated_and_emptied(demo_app: App) -> None:
    partner = ACC[Role.PARTNER]
    admin = sign_in(demo_app, Role.ADMIN)
    dsa_id = _demo_agreement_id(demo_app, admin)
    name = f"dsa:{dsa_id}"
    old_key = held_keys(demo_app, partner.username, partner.password)[name]
    view = demo_app.matrix.view(sign_in(demo_app, Role.PARTNER))
    assert view.ids  # the demo partner previews before the ending

    head = _head(admin)
    ended = demo_app.dsa.end(admin, dsa_id, ended_on=TODAY)
    assert ended.ends_on == TODAY - timedelta(days=1) and not ended.in_force(TODAY)

    # The change, its log entry and the due rotation are one transaction: all three are there.
    entries = _log(admin, head)
    assert [(e[0], e[1], e[2], e[3]) for e in entries] == [
        ("demo.admin", "dsa.add", "allowed", name), ("demo.admin", "vault.key_rotate", "allowed", name)]
    assert f"ended from {TODAY}" in entries[0][4]
    assert name in _due(admin)
    # The partner's slot no longer holds the preview key, and the service refuses by date meanwhile.
    assert name not in held_keys(demo_app, partner.username, partner.password)
    with pytest.raises(PermissionDenied, match="nothing is shared outside those dates"):
        demo_app.matrix.view(sign_in(demo_app, Role.PARTNER))

    # The BCU's next holder rotates the key (the old one, which the partner had, opens nothing) and empties the file.
    holder_signs_in(demo_app)
    path = compartments.agreement(dsa_id).path(demo_app.paths.folder)
    assert not opens_with(path, old_key)
    spoc_keys = held_keys(demo_app, ACC[Role.SPOC].username, ACC[Role.SPOC].password)
    assert opens_with(path, spoc_keys[name])
    auditor = sign_in(demo_app, Role.AUDITOR)
    logged = [e[4] for e in _log(auditor, head) if e[1] in ("vault.key_rotate", "dsa.preview_refresh")]
    assert any(f"keys rotated as due after a revocation: {name}" in d for d in logged)
    assert any(f"preview of DSA #{dsa_id} emptied" in d for d in logged)


def test_ending_is_refused_to_anyone_but_an_administrator_and_logged_as_refused(demo_app: App) -> None:
    admin = sign_in(demo_app, Role.ADMIN)
    dsa_id = _demo_agreement_id(demo_app, admin)
    for role in (Role.SPOC, Role.OFFICER, Role.AUDITOR, Role.PARTNER):
        ws = sign_in(demo_app, role)
        head = _head(admin)
        with pytest.raises(PermissionDenied):
            demo_app.dsa.end(ws, dsa_id, ended_on=TODAY)
        assert [(e[0], e[1], e[2]) for e in _log(admin, head)] == [(ACC[role].username, "dsa.add", "refused")]
    (still,) = demo_app.dsa.list(admin)
    assert still.in_force(TODAY)
    assert f"dsa:{dsa_id}" in held_keys(demo_app, ACC[Role.PARTNER].username, ACC[Role.PARTNER].password)


def test_an_ending_to_come_or_twice_is_refused_and_changes_nothing(demo_app: App) -> None:
    admin = sign_in(demo_app, Role.ADMIN)
    dsa_id = _demo_agreement_id(demo_app, admin)
    with pytest.raises(ValidationError, match="still to come"):
        demo_app.dsa.end(admin, dsa_id, ended_on=TODAY + timedelta(days=1))
    demo_app.dsa.end(admin, dsa_id, ended_on=TODAY - timedelta(days=2))
    with pytest.raises(ValidationError, match="already ended"):
        demo_app.dsa.end(admin, dsa_id, ended_on=TODAY)
    (agreement,) = demo_app.dsa.list(admin)
    assert agreement.ends_on == TODAY - timedelta(days=3)
