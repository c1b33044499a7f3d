"""The dsa and audit_forms tables through their repositories: typed rows in, the same rows out."""

from __future__ import annotations

from datetime import date

from gvm_desktop.app import App
from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.audit_forms import AuditForm
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import unit
from tests.support.vault_access import vault_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
AT = "2026-05-01T09:00:00Z"


def test_an_agreement_round_trips_and_follows_the_partner_it_is_linked_to(demo_app: App) -> None:
    admin = demo_app.auth.sign_in(ACC[Role.ADMIN].username, ACC[Role.ADMIN].password)
    admin_id = admin.session.user_id
    with unit.transaction(vault_of(admin)) as store:
        partner = store.accounts.by_username(ACC[Role.PARTNER].username)
        assert partner is not None
        partner_id = partner.id
        demo = store.agreements.of_user(partner_id)  # the demo's own agreement, which this one replaces
        assert demo is not None and demo.organisation == "Demo Probation Service (synthetic)"
        dsa_id = store.agreements.add(organisation="Youth Service", bcu="CE", fields=("ref", "status"),
                                      starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), at=AT, by=admin_id)
        store.agreements.link_user(partner_id, dsa_id)
    expected = Agreement(dsa_id, "Youth Service", "CE", ("ref", "status"), date(2026, 1, 1), date(2026, 12, 31))
    store = unit.reading(vault_of(admin))
    assert store.agreements.by_id(dsa_id) == expected
    assert store.agreements.of_user(partner_id) == expected
    assert store.agreements.by_id(dsa_id + 1) is None
    assert expected in store.agreements.all_agreements()
    demo_app.auth.sign_out(admin)


def test_an_audit_form_round_trips_with_its_answer(demo_app: App) -> None:
    auditor = demo_app.auth.sign_in(ACC[Role.AUDITOR].username, ACC[Role.AUDITOR].password)
    me = auditor.session
    with unit.transaction(vault_of(auditor)) as store:
        form_id = store.audit_forms.issue(log_seq=1, entry_hash=bytes(32), subject_id=me.user_id, at=AT,
                                          by=me.user_id)
    store = unit.reading(vault_of(auditor))
    asked = AuditForm(form_id, 1, me.username, AT, me.username, None, None)
    assert store.audit_forms.by_id(form_id) == asked
    assert store.audit_forms.by_id(form_id + 1) is None
    assert store.audit_forms.all_forms()[0] == asked  # the latest first
    with unit.transaction(vault_of(auditor)) as store:
        store.audit_forms.record_answer(form_id, "For the quarterly review.", "2026-05-02T10:00:00Z", me.user_id)
        store.audit_forms.replace_answer(form_id, "For the [review].")
    answered = unit.reading(vault_of(auditor)).audit_forms.by_id(form_id)
    assert answered == AuditForm(form_id, 1, me.username, AT, me.username, "For the [review].", "2026-05-02T10:00:00Z")
    demo_app.auth.sign_out(auditor)
