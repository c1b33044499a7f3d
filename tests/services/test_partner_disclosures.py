"""A partner's preview is a disclosure: registered with its log entry, once a day per agreement, and in the SAR pack."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from gvm_desktop.app import App
from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.reports.pdftools import text
from tests.support.vault_access import conn_of, holder_signs_in

SPOC_PASSWORD = next(a for a in DEMO_ACCOUNTS if a.role.value == "spoc").password  # signs the pack (issue 15)

ACC = {a.role: a for a in DEMO_ACCOUNTS}
TODAY = date(2026, 11, 2)  # ManualClock's start
SAR_WHY = Justification.make("other", "Subject access request received by the DPO")


def sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def _agreement(app: App, organisation: str, fields: list[str]) -> Agreement:
    admin = sign_in(app, Role.ADMIN)
    agreement = app.dsa.register(admin, organisation=organisation, bcu="CE", fields=fields, starts_on=TODAY,
                                 ends_on=TODAY + timedelta(days=30))
    app.dsa.link_partner(admin, ACC[Role.PARTNER].username, agreement.id)
    holder_signs_in(app)
    return agreement


def _register(ws: Workspace) -> list[tuple[str, str, str, str, str, str]]:
    """The disclosure register joined to its log entries: (ref, user, action, operation ref, day, detail)."""
    return conn_of(ws).execute(
        "SELECT d.ref, a.username, a.action, a.operation_ref, substr(a.at_utc, 1, 10), a.detail FROM disclosures d "
        "JOIN access_log a ON a.seq = d.log_seq ORDER BY d.log_seq, d.ref").fetchall()


def _refs(ws: Workspace, ids: list[int]) -> list[str]:
    return [conn_of(ws).execute("SELECT ref FROM person_index WHERE id = ?", (i,)).fetchone()[0] for i in ids]


def _pack_text(app: App, ref: str, out: Path) -> str:
    spoc = sign_in(app, Role.SPOC)
    app.reports.subject_access(spoc, ref, SAR_WHY, out, request_ref="SAR-2026-0101",
                               account_password=SPOC_PASSWORD, pdf_password=None,
                               unencrypted=True)
    return " ".join(text(out, layout=False).split())


def test_every_row_a_partner_is_shown_is_registered_once_a_day_and_listed_in_the_subject_access_pack(
        demo_app: App, clock: ManualClock, tmp_path: Path) -> None:
    agreement = _agreement(demo_app, "Demo Probation (synthetic)", ["ref", "age", "harm_band"])
    partner = sign_in(demo_app, Role.PARTNER)
    view = demo_app.matrix.view(partner)
    assert len(view.ids) >= 4  # the small demo BCU's active people
    rows = demo_app.matrix.rows(partner, view, view.ids[:2])
    seen = [str(r.values["ref"]) for r in rows]
    assert len(seen) == 2

    # One row per person shown, tied to the partner's log entry of this agreement, in its transaction.
    register = _register(partner)
    dsa = f"dsa:{agreement.id}"
    assert sorted(r[0] for r in register) == sorted(seen)
    assert {r[1:5] for r in register} == {(ACC[Role.PARTNER].username, "matrix.rows", dsa, "2026-11-02")}
    assert {r[5] for r in register} == {f"DSA #{agreement.id} Demo Probation (synthetic): 2 rows shown"}

    # Looking again the same day (a new preview, the same page, an overlapping page) adds nobody twice.
    clock.advance(timedelta(hours=3))
    again = demo_app.matrix.view(partner)
    demo_app.matrix.rows(partner, again, again.ids[:2])
    demo_app.matrix.rows(partner, view, view.ids[1:3])
    register = _register(partner)
    assert sorted(r[0] for r in register) == sorted([*seen, *_refs(partner, view.ids[2:3])])
    assert len(register) == 3  # the two, then the one new person of the overlapping page

    # The next day is another disclosure.
    clock.advance(timedelta(days=1))
    demo_app.matrix.rows(partner, view, view.ids[:1])
    days = [r[4] for r in _register(partner) if r[0] == seen[0]]
    assert days == ["2026-11-02", "2026-11-03"]

    # The SPOC's subject access pack lists both days' disclosures, with the organisation and the agreement.
    shown = _pack_text(demo_app, seen[0], tmp_path / "seen.pdf")
    assert "2 disclosures of this record are listed in section 7" in shown
    assert "Shown in a partner's preview of the matrix" in shown
    assert f"Under data sharing agreement #{agreement.id}" in shown
    assert shown.count("Demo Probation (synthetic)") == 2
    assert "2026-11-02" in shown and "2026-11-03" in shown
    # Someone the partner was never shown has none.
    never = next(ref for ref in _refs(partner, view.ids) if ref not in {r[0] for r in _register(partner)})
    hidden = _pack_text(demo_app, never, tmp_path / "never.pdf")
    assert "No disclosures recorded" in hidden and "Demo Probation" not in hidden


def test_another_agreement_is_another_disclosure_the_same_day_even_without_references(demo_app: App) -> None:
    first = _agreement(demo_app, "Demo Youth Service (synthetic)", ["age", "harm_band"])
    partner = sign_in(demo_app, Role.PARTNER)
    view = demo_app.matrix.view(partner)
    rows = demo_app.matrix.rows(partner, view, view.ids[:3])
    first_refs = sorted(_refs(partner, view.ids[:3]))
    assert all("ref" not in r.values for r in rows)  # the agreement shares no reference...
    assert sorted(r[0] for r in _register(partner)) == first_refs  # ...the register has it all the same
    second = _agreement(demo_app, "Demo Borough Council (synthetic)", ["ref", "harm_band"])
    # The second agreement's preview is a compartment of its own, whose key reaches the partner's slot at the
    # holder's sign-in: the partner's session opened before that holds only the first's.
    demo_app.auth.sign_out(partner)
    partner = sign_in(demo_app, Role.PARTNER)
    view = demo_app.matrix.view(partner)
    demo_app.matrix.rows(partner, view, view.ids[:3])
    second_refs = sorted(_refs(partner, view.ids[:3]))
    officer = sign_in(demo_app, Role.OFFICER)  # the police's own list is no disclosure
    listed = demo_app.matrix.list(officer)
    assert demo_app.matrix.rows(officer, listed, listed.ids[:5])
    assert sorted((r[3], r[0]) for r in _register(partner)) == (
        [(f"dsa:{first.id}", ref) for ref in first_refs] + [(f"dsa:{second.id}", ref) for ref in second_refs])
