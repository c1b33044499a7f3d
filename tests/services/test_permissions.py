"""Every cell of the role x permission table, at the service layer, allowed and refused."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Outcome
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS, DemoAccount
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.import_mapping import parse_mapping
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import POLICY, Permission, Role
from gvm_desktop.services.context import Workspace
from tests.support.vault_access import conn_of, holder_signs_in

ACCOUNT_OF = {a.role: a for a in DEMO_ACCOUNTS}
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
AUDITOR = ACCOUNT_OF[Role.AUDITOR]

WHY = Justification.make("quarterly_review", "Permission table test of the service layer")


def ce_ref(app: App, ws: Workspace) -> str:
    """An active person of the demo BCU (read straight from the store: test set-up, not a service path)."""
    # The reference index in common: every role's session can read it, whichever BCU keys it holds.
    row = conn_of(ws).execute("SELECT ref FROM person_index WHERE bcu = 'CE' AND status = 'active' ORDER BY id"
                              ).fetchone()
    return str(row[0])


# One real service call that needs each permission.
CALLS: dict[Permission, Callable[[App, Workspace, DemoAccount], object]] = {
    Permission.MATRIX_VIEW: lambda app, ws, _a: app.matrix.list(ws),
    Permission.MATRIX_EDIT: lambda app, ws, _a: app.changes.add_activity(ws, ce_ref(app, ws), "stop", date(2026, 10, 1)),
    Permission.MATRIX_APPROVE: lambda app, ws, _a: app.changes.approve_removal(
        ws, ce_ref(app, ws), "Permission test: removal approved by the SPOC"),
    Permission.MATRIX_PREVIEW: lambda app, ws, _a: app.matrix.preview(ws),
    Permission.MATRIX_REFERENCES: lambda app, ws, _a: app.matrix.references(ws),
    Permission.RECORD_OPEN: lambda app, ws, _a: app.records.open(ws, ce_ref(app, ws), WHY),
    Permission.RECORD_HISTORY: lambda app, ws, _a: app.records.history(ws, ce_ref(app, ws), WHY),
    Permission.STATUS_CHECK: lambda app, ws, _a: app.matrix.status_check(ws, "Nobody", "Known", date(2000, 1, 1), WHY),
    Permission.DSA_MANAGE: lambda app, ws, _a: app.dsa.list(ws),
    Permission.RETENTION_PURGE: lambda app, ws, _a: app.retention.purge_expired(ws),
    Permission.TRAINING_RECORD: lambda app, ws, _a: app.governance.record_training(
        ws, "demo.officer", completed_on=date(2026, 10, 1), expires_on=date(2027, 10, 1)),
    Permission.ACCESS_GRANT: lambda app, ws, _a: app.governance.revoke(ws, "demo.officer"),
    Permission.INACTIVE_LIST: lambda app, ws, _a: app.governance.inactive(ws),
    Permission.INACTIVE_DISABLE: lambda app, ws, _a: app.governance.disable_inactive(ws, []),
    Permission.AUDIT_SUMMARY: lambda app, ws, _a: app.governance.monthly_audit(ws, "CE", "2026-11"),
    Permission.AUDIT_FORM: lambda app, ws, _a: app.forms.list(ws),
    Permission.LOG_EXPORT: lambda app, ws, _a: app.exports.export_csv(
        ws, LogFilter(), Path(tempfile.mkdtemp(prefix="gvm-perm-")) / "export.csv"),
    Permission.ACCOUNT_MANAGE: lambda app, ws, _a: app.accounts.add(
        ws, username="new.officer", display_name="New Officer", role=Role.OFFICER, bcu="CE",
        password="velvet-anchor-comet-33"),
    Permission.ACCOUNT_LIST: lambda app, ws, _a: app.accounts.list(ws),
    Permission.SETTINGS_MANAGE: lambda app, ws, _a: app.settings.change(ws, "idle_lock_minutes", 15),
    Permission.ACCESS_LOG_READ: lambda app, ws, _a: app.audit.recent(ws, 10),
    Permission.VAULT_CHECK: lambda app, ws, _a: app.integrity.check(ws),
    Permission.VAULT_REKEY: lambda app, ws, _a: app.accounts.rekey(ws),
    Permission.VAULT_BACKUP: lambda app, ws, _a: app.backup.backup(ws, Path(tempfile.mkdtemp(prefix="gvm-perm-")) / "vault.gvmbak"),
    Permission.MATRIX_IMPORT: lambda app, ws, _a: app.importing.dry_run(
        ws, SAMPLES / "legacy-matrix.xlsx", parse_mapping((SAMPLES / "legacy-matrix.toml").read_text(encoding="utf-8"))),
    Permission.PASSWORD_CHANGE_OWN: lambda app, ws, a: app.accounts.change_own_password(
        ws, a.password, "fresh-mango-telescope-58"),
    Permission.REVIEW_READ: lambda app, ws, _a: app.reviews.find(ws),
    Permission.REVIEW_RECOMMEND: lambda app, ws, _a: app.reviews.recommend(
        ws, review_id(ws), ce_ref(app, ws), "remove", "Permission table test: criteria no longer met."),
    Permission.REVIEW_SIGN: lambda app, ws, _a: app.reviews.open(ws, "2026Q3"),
    Permission.REVIEW_OVERDUE: lambda app, ws, _a: app.reviews.overdue(ws),
    # The calls below stop at a validation error once authorised (no signed review, no reference, no PDF
    # password): the permission is what is tested, and a refusal comes before any of those checks.
    Permission.REVIEW_EXPORT: lambda app, ws, a: past_authorisation(lambda: app.reports.export_review(
        ws, review_id(ws), out_path(), account_password=a.password, pdf_password=None)),
    Permission.EXPORT_UNENCRYPTED: lambda app, ws, a: past_authorisation(lambda: app.reports.export_review(
        ws, review_id(ws), out_path(), account_password=a.password, pdf_password=None, unencrypted=True)),
    Permission.DISPROPORTIONALITY: lambda app, ws, _a: past_authorisation(
        lambda: app.reports.disproportionality(ws, "CE")),
    Permission.REFERENCE_MANAGE: lambda app, ws, _a: past_authorisation(
        lambda: app.reports.load_reference(ws, out_path().with_suffix(".csv"))),
    Permission.SUBJECT_ACCESS: lambda app, ws, a: past_authorisation(lambda: app.reports.subject_access(
        ws, ce_ref(app, ws), WHY, out_path(), request_ref="SAR-PERM-1", account_password=a.password,
        pdf_password=None)),
}


def review_id(ws: Workspace) -> int:
    row = conn_of(ws).execute("SELECT max(id) FROM reviews WHERE bcu = 'CE'").fetchone()
    return int(row[0] or 0)


def out_path() -> Path:
    return Path(tempfile.mkdtemp(prefix="gvm-perm-")) / "out.pdf"


def past_authorisation(call: Callable[[], object]) -> None:
    with contextlib.suppress(ValidationError):
        call()


def test_every_permission_has_a_call_here() -> None:
    assert set(CALLS) == set(Permission)


@pytest.fixture
def demo(demo_app: App) -> App:
    return demo_app


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("permission", list(Permission), ids=lambda p: p.value)
def test_role_permission_cell(demo: App, role: Role, permission: Permission) -> None:
    account = ACCOUNT_OF[role]
    if role is Role.PARTNER and permission is Permission.MATRIX_PREVIEW:
        give_partner_a_dsa(demo)
    ws = demo.auth.sign_in(account.username, account.password)
    call = CALLS[permission]
    if role in POLICY[permission]:
        call(demo, ws, account)
        return
    with pytest.raises(PermissionDenied, match=f"The {role.value} role may not"):
        call(demo, ws, account)
    demo.auth.sign_out(ws)
    # The refusal itself is in the access log, with who tried and what.
    auditor = demo.auth.sign_in(AUDITOR.username, AUDITOR.password)
    refused = [e.entry for e in demo.audit.recent(auditor, 50) if e.entry.outcome is Outcome.REFUSED]
    assert any(e.username == account.username and e.detail and role.value in e.detail for e in refused)


def give_partner_a_dsa(app: App) -> None:
    admin = app.auth.sign_in(ACCOUNT_OF[Role.ADMIN].username, ACCOUNT_OF[Role.ADMIN].password)
    agreement = app.dsa.register(admin, organisation="Demo Probation (synthetic)", bcu="CE",
                                 fields=["ref", "age", "harm_band"], starts_on=date(2026, 1, 1), ends_on=date(2027, 1, 1))
    app.dsa.link_partner(admin, ACCOUNT_OF[Role.PARTNER].username, agreement.id)
    app.auth.sign_out(admin)
    holder_signs_in(app)


def test_admin_home_never_carries_personal_data(demo: App) -> None:
    admin = ACCOUNT_OF[Role.ADMIN]
    ws = demo.auth.sign_in(admin.username, admin.password)
    with pytest.raises(PermissionDenied):
        demo.matrix.overview(ws)


# Reads that support another call are checked too, not only the call they support.
SUPPORTING_CALLS: dict[Permission, Callable[[App, Workspace], object]] = {
    Permission.RECORD_OPEN: lambda app, ws: app.records.last_justification(ws, "N-000001"),
    Permission.AUDIT_FORM: lambda app, ws: app.forms.get(ws, 1),
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("permission", list(SUPPORTING_CALLS), ids=lambda p: p.value)
def test_supporting_reads_need_the_same_permission(demo: App, role: Role, permission: Permission) -> None:
    if role in POLICY[permission]:
        return  # the allowed side is exercised where the call is used (record flow, audit forms)
    ws = demo.auth.sign_in(ACCOUNT_OF[role].username, ACCOUNT_OF[role].password)
    with pytest.raises(PermissionDenied, match=f"The {role.value} role may not"):
        SUPPORTING_CALLS[permission](demo, ws)
