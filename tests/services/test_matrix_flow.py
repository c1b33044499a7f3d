"""Issue 3's walk-through at the service layer: add -> corroborate -> approve -> score -> remove -> purge."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.changes import DuplicatePerson
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.people import NominalDraft
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS, DEMO_AGREEMENT_FIELDS
from tests.support.vault_access import conn_of

ACC = {a.role: a for a in DEMO_ACCOUNTS}
WHY = Justification.make("linked_operation", "Briefing for a planned operation", "Op DEMO/26")
TODAY = date(2026, 11, 2)


def person(**kw: object) -> NominalDraft:
    base: dict[str, object] = dict(
        given_name="Tamsin", family_name="Quillmere-Testcase", date_of_birth=date(2007, 5, 6), gender="F",
        ethnicity="M3", disability="N", address="9 Exemplar Close", postcode="ZZ3 4QT", borough="Hackney",
        bcu="CE", aliases=("T-Quill",))
    base.update(kw)
    return NominalDraft(**base)  # type: ignore[arg-type]


def evidence(source: SourceType, kind: EvidenceType = EvidenceType.GANG_ASSOCIATION, days_ago: int = 20,
             grade: str = "1BP") -> EvidenceDraft:
    return EvidenceDraft(kind=kind, source_type=source, source_ref=f"SYN/{source.value}/1",
                         grading=Grading.parse(grade), on=TODAY - timedelta(days=days_ago),
                         summary="Synthetic: seen with associates of a demo gang.",
                         social_media_note="Synthetic public video; account verified by handle history."
                         if source is SourceType.OPEN_SOURCE else None)


def sign_in(app: App, role: Role):
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


def actions_for(app: App, ref: str) -> list[Action]:
    auditor = sign_in(app, Role.AUDITOR)
    return [e.entry.action for e in app.audit.recent(auditor, 500) if e.entry.record_ref == ref]


def test_add_corroborate_approve_score_remove_purge(demo_app: App, clock: ManualClock) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = demo_app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE)],
                                   reason="Linked to two synthetic incidents this year.", gangs=["Demo Crew North"])
    found = demo_app.matrix.list(officer, query="quillmere")
    assert ref in [r.values["ref"] for r in demo_app.matrix.rows(officer, found, found.ids)]

    spoc = sign_in(demo_app, Role.SPOC)
    with pytest.raises(ValidationError, match="cannot become active: needs 1 more"):
        demo_app.changes.approve_addition(spoc, ref, "Approved after review of the evidence.")
    demo_app.changes.add_evidence(officer, ref, evidence(SourceType.COMMUNITY, grade="2CC"))
    demo_app.changes.add_evidence(officer, ref, evidence(SourceType.POLICE, EvidenceType.VIOLENT_OFFENCE, 30))
    demo_app.changes.add_evidence(officer, ref, evidence(SourceType.PARTNER, EvidenceType.VICTIMISATION, 40))
    with pytest.raises(PermissionDenied):
        demo_app.changes.approve_addition(officer, ref, "Officers cannot approve their own proposals.")
    demo_app.changes.approve_addition(spoc, ref, "Approved after review of the evidence.")

    record = demo_app.records.open(officer, ref, WHY)
    assert record.status == "active" and record.date_added == TODAY.isoformat()
    assert (record.harm_score, record.victim_score) == (10, 10)
    assert record.classification == "offender and victim" and record.policy_version == "2026.1"
    assert {line.event for line in record.score_lines} == {"violent_offence", "victimisation"}

    # Time passes: events leave their windows and the scores fall to zero.
    clock.advance(timedelta(days=1100))
    later = demo_app.records.open(officer, ref, WHY)
    assert (later.harm_score, later.victim_score) == (0, 0) and later.harm_band == "Green"

    demo_app.changes.propose_removal(officer, ref, "No intelligence of involvement for three years.")
    demo_app.changes.approve_removal(spoc, ref, "Agreed: remove; nothing current supports inclusion.")
    # Gone from every live query, for every role, and from the name index itself.
    assert demo_app.matrix.list(officer, query="quillmere").ids == []
    from gvm_desktop.store.records import search_terms

    terms = search_terms(conn_of(officer))
    assert "quillmere" not in terms and len(terms) > 10  # the words of the officer's BCU (its compartment)
    # Not only hidden by a delete marker: the words are gone from the index's stored blocks (in CE's compartment).
    blocks = b"".join(r[0] for r in conn_of(officer).execute("SELECT block FROM bcu_ce.nominal_search_data"))
    assert b"illmere" not in blocks  # terms are prefix-compressed: look for the tail
    auditor = sign_in(demo_app, Role.AUDITOR)
    refs = demo_app.matrix.references(auditor)
    assert ref not in [r.values["ref"] for r in demo_app.matrix.rows(auditor, refs, refs.ids)]
    with pytest.raises(NotFound):
        demo_app.records.open(officer, ref, WHY)
    status = demo_app.matrix.status_check(officer, "Tamsin", "Quillmere-Testcase", date(2007, 5, 6), WHY)
    assert not status.on_matrix
    # The archive keeps no name; only the admin's purge sees its size.
    admin = sign_in(demo_app, Role.ADMIN)
    archived = conn_of(admin).execute("SELECT * FROM archive WHERE ref = ?", (ref,)).fetchone()
    assert archived is not None and "Tamsin" not in repr(archived) and "Quillmere" not in repr(archived)
    clock.advance(timedelta(days=4 * 365 - 1))
    demo_app.retention.purge_expired(admin)
    assert conn_of(admin).execute("SELECT 1 FROM archive WHERE ref = ?", (ref,)).fetchone() is not None
    clock.advance(timedelta(days=2))
    demo_app.retention.purge_expired(admin)
    assert conn_of(admin).execute("SELECT 1 FROM archive WHERE ref = ?", (ref,)).fetchone() is None
    # Purged for real: VACUUM left no free page that could still hold the old rows.
    assert conn_of(admin).execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert conn_of(admin).execute("PRAGMA secure_delete").fetchone()[0] == 1
    actions = actions_for(demo_app, ref)
    for expected in (Action.PROPOSE_ADD, Action.EVIDENCE_ADD, Action.APPROVE_ADD, Action.RECORD_OPEN,
                     Action.PROPOSE_REMOVE, Action.APPROVE_REMOVE):
        assert expected in actions


def test_record_open_logs_justification_in_the_same_transaction(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu='CE' AND status='active' LIMIT 1").fetchone()[0]
    assert demo_app.records.last_justification(officer, ref) is None
    demo_app.records.open(officer, ref, WHY)
    entry = next(e.entry for e in demo_app.audit.recent(sign_in(demo_app, Role.AUDITOR), 50)
                 if e.entry.action is Action.RECORD_OPEN)
    assert (entry.record_ref, entry.reason_category, entry.justification, entry.operation_ref, entry.username,
            entry.role, entry.workstation) == (ref, "linked_operation", WHY.text, "Op DEMO/26", ACC[Role.OFFICER].username,
                                               "officer", "ws-test-01")
    prefill = demo_app.records.last_justification(officer, ref)
    assert prefill == WHY


def test_officers_stay_in_their_bcu_and_refusals_are_logged(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    # From the reference index in common: the officer's session holds no other BCU's compartment.
    other = conn_of(officer).execute("SELECT ref FROM person_index WHERE bcu <> 'CE' AND status='active' LIMIT 1"
                                     ).fetchone()[0]
    # The same words as a reference that does not exist: an officer does not learn where a person is held.
    with pytest.raises(NotFound, match=rf"^There is no live record {other}\.$"):
        demo_app.records.open(officer, other, WHY)
    assert all(r.values["ref"] != other for r in demo_app.matrix.rows(officer, demo_app.matrix.list(officer), [
        conn_of(officer).execute("SELECT id FROM person_index WHERE ref = ?", (other,)).fetchone()[0]]))
    refused = [e.entry for e in demo_app.audit.recent(sign_in(demo_app, Role.AUDITOR), 20)
               if e.entry.record_ref == other]
    assert refused and refused[0].outcome.value == "refused"


def test_auditor_sees_references_only_and_opens_with_justification(demo_app: App) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    view = demo_app.matrix.view(auditor)
    rows = demo_app.matrix.rows(auditor, view, view.ids[:20])
    assert rows and all(set(r.values) == {"ref", "bcu", "status"} for r in rows)
    record = demo_app.records.open(auditor, str(rows[0].values["ref"]), WHY)
    assert record.given_name


def test_partner_preview_only_dsa_fields_only_while_in_force(demo_app: App, clock: ManualClock) -> None:
    admin = sign_in(demo_app, Role.ADMIN)
    partner_acct = ACC[Role.PARTNER]
    partner = demo_app.auth.sign_in(partner_acct.username, partner_acct.password)
    # The demo's own agreement first (its fields, no name), then another that replaces it.
    assert demo_app.matrix.view(partner).columns == DEMO_AGREEMENT_FIELDS
    agreement = demo_app.dsa.register(admin, organisation="Demo Probation (synthetic)", bcu="CE",
                                      fields=["ref", "age", "harm_band"], starts_on=TODAY, ends_on=TODAY + timedelta(days=30))
    demo_app.dsa.link_partner(admin, partner_acct.username, agreement.id)
    # The administrator holds no key to CE's people: the preview is made, under its own key, by CE's next holder.
    with pytest.raises(ValidationError, match="not ready yet"):
        demo_app.matrix.view(partner)
    demo_app.auth.sign_out(sign_in(demo_app, Role.SPOC))
    demo_app.auth.sign_out(partner)
    partner = demo_app.auth.sign_in(partner_acct.username, partner_acct.password)
    view = demo_app.matrix.view(partner)
    assert view.columns == ("ref", "age", "harm_band")
    rows = demo_app.matrix.rows(partner, view, view.ids)
    assert rows and all(set(r.values) == {"ref", "age", "harm_band"} for r in rows)
    statuses = {conn_of(partner).execute("SELECT status, bcu FROM person_index WHERE id = ?", (r.nominal_id,)
                                         ).fetchone() for r in rows}
    assert statuses == {("active", "CE")}  # proposals and other BCUs are never shared
    assert demo_app.matrix.view(partner, query="anything").ids == []  # no names in this DSA: no name search
    with pytest.raises(PermissionDenied):
        demo_app.records.open(partner, str(rows[0].values["ref"]), WHY)
    clock.advance(timedelta(days=31))
    with pytest.raises(PermissionDenied, match="in force from"):
        demo_app.matrix.view(partner)


def test_admin_sees_no_personal_data(demo_app: App) -> None:
    admin = sign_in(demo_app, Role.ADMIN)
    for call in (lambda: demo_app.matrix.view(admin), lambda: demo_app.matrix.list(admin),
                 lambda: demo_app.records.open(admin, "N-000001", WHY),
                 lambda: demo_app.matrix.status_check(admin, "A", "B", date(2000, 1, 1), WHY)):
        with pytest.raises(PermissionDenied):
            call()


def test_search_is_case_and_accent_insensitive_and_logs_only_the_shape(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = demo_app.changes.propose(officer, person(given_name="Zoë", family_name="Ambervale-Synthe"),
                                   evidence=[evidence(SourceType.POLICE)], reason="Synthetic person for search tests.")
    for typed in ("zoe amber", "ZOË", "ambervale-syn", "t-quill"):
        view = demo_app.matrix.list(officer, query=typed)
        assert conn_of(officer).execute("SELECT id FROM nominals WHERE ref = ?", (ref,)).fetchone()[0] in view.ids, typed
    entries = [e.entry for e in demo_app.audit.recent(sign_in(demo_app, Role.AUDITOR), 30)
               if e.entry.action is Action.MATRIX_LIST]
    assert entries and all("amber" not in (e.detail or "").lower() and "zo" not in (e.detail or "").lower()
                           for e in entries)


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (person(date_of_birth=date(2027, 1, 1)), "in the future"),
        (person(given_name="x" * 10_000), "10,000 characters long; the limit is 100"),
        (person(ethnicity="ZZ"), "Unknown ethnicity code"),
        (person(borough="Croydon"), "not a borough of the Central East BCU"),
        (person(postcode="NOTACODE"), "not a UK postcode"),
        (person(bcu="NE", borough="Newham"), "your own BCU"),
        (person(given_name="Nul\x00l"), "control character"),
    ],
)
def test_bad_input_is_refused_and_nothing_half_saved(demo_app: App, draft: NominalDraft, message: str) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    before = conn_of(officer).execute("SELECT (SELECT count(*) FROM nominals), (SELECT count(*) FROM evidence)").fetchone()
    with pytest.raises(ValidationError, match=message):
        demo_app.changes.propose(officer, draft, evidence=[evidence(SourceType.POLICE)],
                                 reason="Synthetic reason long enough to pass.")
    after = conn_of(officer).execute("SELECT (SELECT count(*) FROM nominals), (SELECT count(*) FROM evidence)").fetchone()
    assert before == after


def test_evidence_before_birth_or_in_future_is_refused(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    bad = evidence(SourceType.POLICE, days_ago=-3)
    with pytest.raises(ValidationError, match="in the future"):
        demo_app.changes.propose(officer, person(), evidence=[bad], reason="Synthetic reason long enough to pass.")
    with pytest.raises(ValidationError, match="before the person's date of birth"):
        demo_app.changes.propose(officer, person(date_of_birth=date(2014, 1, 1)),
                                 evidence=[evidence(SourceType.POLICE, days_ago=365 * 14)],
                                 reason="Synthetic reason long enough to pass.")


def test_duplicates_warn_and_point_to_the_existing_record(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = demo_app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE)],
                                   reason="Synthetic reason long enough to pass.")
    with pytest.raises(DuplicatePerson) as caught:
        demo_app.changes.propose(officer, person(given_name="TAMSIN", aliases=()),
                                 evidence=[evidence(SourceType.COMMUNITY)], reason="Synthetic reason long enough.")
    assert caught.value.refs == [ref]
    # The refused proposal is in the log with the record it matched: asking "is this person held?" leaves a trace.
    refused = [e for e in actions_and_outcomes(demo_app, ref) if e[0] is Action.PROPOSE_ADD]
    assert (Action.PROPOSE_ADD, Outcome.REFUSED) in refused


def actions_and_outcomes(app: App, ref: str) -> list[tuple[Action, Outcome]]:
    auditor = sign_in(app, Role.AUDITOR)
    return [(e.entry.action, e.entry.outcome) for e in app.audit.recent(auditor, 500) if e.entry.record_ref == ref]


def test_quotes_sql_rtl_and_emoji_are_just_names(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    odd = person(given_name="Robert'); DROP TABLE nominals;--", family_name="אבגד-🙂-O'Quill", aliases=("עבר evil",))
    ref = demo_app.changes.propose(officer, odd, evidence=[evidence(SourceType.POLICE)],
                                   reason="Synthetic reason long enough to pass.")
    # Right-to-left text is a name; a right-to-left OVERRIDE is not (it makes one name look like another).
    with pytest.raises(ValidationError, match="may not contain U\\+202E"):
        demo_app.changes.propose(officer, person(aliases=("\u202eevil",)), evidence=[evidence(SourceType.POLICE)],
                                 reason="Synthetic reason long enough to pass.")
    record = demo_app.records.open(officer, ref, WHY)
    assert record.given_name == "Robert'); DROP TABLE nominals;--" and record.family_name == "אבגד-🙂-O'Quill"
    assert conn_of(officer).execute("SELECT count(*) FROM nominals").fetchone()[0] > 1


def test_edit_keeps_versions_officers_see_current_history_is_for_spoc(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = demo_app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE)],
                                   reason="Synthetic reason long enough to pass.")
    v = demo_app.changes.edit(officer, ref, {"address": "11 Fictive Way", "postcode": "ZZ9 9ZZ"},
                              "Moved address per synthetic partner update.")
    assert v == 2
    assert demo_app.records.open(officer, ref, WHY).address == "11 Fictive Way"
    with pytest.raises(PermissionDenied):
        demo_app.records.history(officer, ref, WHY)
    history = demo_app.records.history(sign_in(demo_app, Role.SPOC), ref, WHY)
    assert [h.version for h in history] == [1] and history[0].snapshot["address"] == "9 Exemplar Close"
    with pytest.raises(ValidationError, match="Nothing changed"):
        demo_app.changes.edit(officer, ref, {"address": "11 Fictive Way"}, "No real change at all here.")


def test_list_rows_are_rescored_as_time_passes(demo_app: App, clock: ManualClock) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = demo_app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE),
                                   evidence(SourceType.POLICE, EvidenceType.VIOLENT_OFFENCE, 30)],
                                   reason="Synthetic reason long enough to pass.")
    view = demo_app.matrix.list(officer, query="quillmere")
    (row,) = demo_app.matrix.rows(officer, view, view.ids)
    assert (row.values["ref"], row.values["harm_score"]) == (ref, 10)
    clock.advance(timedelta(days=400))
    (row,) = demo_app.matrix.rows(officer, view, view.ids)
    assert row.values["harm_score"] == 5  # the event moved to its older, lighter window
    clock.advance(timedelta(days=800))
    (row,) = demo_app.matrix.rows(officer, view, view.ids)
    assert (row.values["harm_score"], row.values["harm_band"], row.values["classification"]) == (0, "Green",
                                                                                              "no scored events")


def test_overview_counts_removed_people_from_the_archive(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    before = demo_app.matrix.overview(officer).by_status["removed"]
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu='CE' AND status='active' LIMIT 1").fetchone()[0]
    demo_app.changes.approve_removal(sign_in(demo_app, Role.SPOC), ref, "Synthetic: removal approved for a count test.")
    assert demo_app.matrix.overview(officer).by_status["removed"] == before + 1


def test_status_check_refuses_an_impossible_date_of_birth(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    with pytest.raises(ValidationError, match="age outside 10 to 100"):
        demo_app.matrix.status_check(officer, "A", "B", TODAY - timedelta(days=300), WHY)


def test_custody_dates_change_only_when_given(demo_app: App) -> None:
    officer = sign_in(demo_app, Role.OFFICER)
    ref = demo_app.changes.propose(officer, person(), evidence=[evidence(SourceType.POLICE)],
                                   reason="Synthetic reason long enough to pass.")
    demo_app.changes.edit(officer, ref, {"in_custody": True, "custody_from": TODAY - timedelta(days=10)},
                          "Remanded in custody per synthetic court result.")
    demo_app.changes.edit(officer, ref, {"in_custody": False, "custody_to": TODAY},
                          "Released from custody per synthetic notice.")
    record = demo_app.records.open(officer, ref, WHY)
    assert (record.in_custody, record.custody_from, record.custody_to) == (
        False, (TODAY - timedelta(days=10)).isoformat(), TODAY.isoformat())
    with pytest.raises(ValidationError, match="cannot be in the future"):
        demo_app.changes.edit(officer, ref, {"custody_to": TODAY + timedelta(days=1)}, "A date in the future here.")


def test_free_text_about_a_person_stays_out_of_the_log(demo_app: App) -> None:
    from gvm_desktop.core.changes import Intervention

    officer = sign_in(demo_app, Role.OFFICER)
    ref = conn_of(officer).execute("SELECT ref FROM nominals WHERE bcu='CE' AND status='active' LIMIT 1").fetchone()[0]
    demo_app.changes.add_intervention(officer, ref, Intervention("Mentoring for Tamsin Quillmere", "Demo Youth Service",
                                                                 TODAY, True, "Engaged well"))
    with pytest.raises(ValidationError) as caught:
        demo_app.changes.propose(officer, person(postcode="QQ9QQX9"), evidence=[evidence(SourceType.POLICE)],
                                 reason="Synthetic reason long enough to pass.")
    assert "not a UK postcode" in caught.value.message and "QQ9" not in caught.value.message
    details = " ".join(e.entry.detail or "" for e in demo_app.audit.recent(sign_in(demo_app, Role.AUDITOR), 30))
    assert "Tamsin" not in details and "Mentoring" not in details
