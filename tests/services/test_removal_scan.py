"""The label does not follow: after a removal, not one byte of the person's names or date of birth is left.

The hard way (issue 11): the whole vault is exported to plain SQLite with SQLCipher's own
sqlcipher_export, and every byte of the copy is searched for the person's given name, family
name, aliases, address and date of birth, in UTF-8, UTF-16-LE and UTF-16-BE. Each scan is
checked against a control first (the same scan finds the person while they are on the matrix),
so a broken export cannot pass for a clean one.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.core.changes import Intervention
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.evidence import EvidenceType, SourceType
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation, Verdict
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.reviews import REMOVED_NAME
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.services.test_matrix_flow import WHY, evidence, person
from tests.services.test_reviews import COVERS_EVERY_FLAG
from tests.support.vault_access import conn_of, decrypted_files, read_bcu

SPOC_PASSWORD = next(a for a in DEMO_ACCOUNTS if a.role.value == "spoc").password  # signs the pack (issue 15)

ACC = {a.role: a for a in DEMO_ACCOUNTS}
OFFICER, SPOC, ADMIN = ACC[Role.OFFICER], ACC[Role.SPOC], ACC[Role.ADMIN]

GIVEN, FAMILY = "Qqqvvvtest", "Zyxwquuxtest"
ALIASES = ("Vvvjjjalias", "Kkkwwwnick")
ADDRESS = "41 Xxqqjjmews Close"
POSTCODE = "ZZ9 8QJ"
BORN = date(2006, 11, 29)
# Everything that identifies the person, and the tails of their names: the name index stores its
# terms prefix-compressed, so a word left in its blocks may show only as its tail.
NEEDLES = (GIVEN, FAMILY, *ALIASES, ADDRESS, "Xxqqjjmews", POSTCODE, POSTCODE.replace(" ", ""), BORN.isoformat(),
           BORN.strftime("%d/%m/%Y"), *(word[-8:] for word in (GIVEN, FAMILY, *ALIASES)))
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
# Free text written about the person by name and address: it must not keep them after the removal either.
NAMING_REMOVAL_REASON = (f"{GIVEN} {FAMILY} (born {BORN:%d/%m/%Y}, also {ALIASES[0]}) has not been seen with the group "
                         f"since moving away from {ADDRESS}, {POSTCODE.replace(' ', '')}.")


def sign_in(app: App, who: object) -> Workspace:
    return app.auth.sign_in(who.username, who.password)  # type: ignore[attr-defined]


def plain_export(app: App, folder: Path) -> bytes:
    """The whole vault as plain SQLite: common and every BCU compartment (sqlcipher_export), their bytes."""
    return decrypted_files(app, folder)


def hits(blob: bytes, needles: Iterable[str]) -> list[tuple[str, str]]:
    """(needle, encoding) for every needle found; ASCII case is ignored (the name index folds case)."""
    low = blob.lower()
    return [(n, enc) for n in needles for enc in ENCODINGS if n.encode(enc).lower() in low]


def add_marked_person(app: App, officer: Workspace, spoc: Workspace) -> str:
    """The distinctive person, proposed with aliases and evidence from two sources, then made active."""
    draft = person(given_name=GIVEN, family_name=FAMILY, date_of_birth=BORN, address=ADDRESS, postcode=POSTCODE,
                   aliases=ALIASES)
    ref = app.changes.propose(officer, draft, evidence=[evidence(SourceType.POLICE)],
                              reason="Linked to two synthetic incidents this year.")
    app.changes.add_evidence(officer, ref, evidence(SourceType.COMMUNITY, grade="2CC"))
    app.changes.add_evidence(officer, ref, evidence(SourceType.POLICE, EvidenceType.VIOLENT_OFFENCE, 30))
    app.changes.approve_addition(spoc, ref, "Approved after review of the evidence.")
    return ref


def decide_all(app: App, officer: Workspace, spoc: Workspace, review_id: int, *, remove: str | None = None,
               rationale: str = COVERS_EVERY_FLAG) -> None:
    for item in app.reviews.items(officer, review_id):
        if item.removed:
            continue
        if item.ref == remove:
            app.reviews.recommend(officer, review_id, item.ref, Recommendation.REMOVE,
                                  f"{FAMILY} no longer meets the criteria: nothing since {BORN:%d %B %Y}.")
        else:
            app.reviews.recommend(officer, review_id, item.ref, Recommendation.RETAIN, rationale)
        app.reviews.decide(spoc, review_id, item.ref, Verdict.AGREE)


def signed_review_holding(app: App, officer: Workspace, spoc: Workspace, ref: str) -> int:
    """Sign this quarter's open review, then open a new one: it lists `ref`. Returns the new review."""
    first = app.reviews.find(officer)
    assert first is not None
    decide_all(app, officer, spoc, first.id)
    app.reviews.sign(spoc, first.id, SPOC.password)
    review_id = app.reviews.open(spoc)
    assert ref in {i.ref for i in app.reviews.items(officer, review_id)}
    return review_id


def show_review(app: App, quarter: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["review", "show", "--quarter", quarter, "--vault", str(app.vault_dir), "--as", OFFICER.username,
                 "--password-stdin"], app_factory=lambda folder: app, stdin=io.StringIO(OFFICER.password + "\n"),
                stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_removal_by_spoc_approval_leaves_no_byte_of_the_person(demo_app: App, tmp_path: Path) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    # Everything a record gathers: a version (edited address), an intervention, police activity, reads.
    app.changes.edit(officer, ref, {"address": "42 Xxqqjjmews Close"}, "Moved next door, says the housing officer.")
    app.changes.add_intervention(officer, ref, Intervention("Youth worker", "Synthetic Trust", date(2026, 10, 1), True,
                                                            f"{GIVEN} took up the offer."))
    app.changes.add_activity(officer, ref, "stop", date(2026, 10, 3), f"{FAMILY} stopped near the station.")
    app.records.open(officer, ref, WHY)
    app.records.history(spoc, ref, WHY)
    # In a signed review (retained, by name) and in the open review after it.
    signed_id = signed_review_holding(app, officer, spoc, ref)
    decide_all(app, officer, spoc, signed_id)
    app.reviews.sign(spoc, signed_id, SPOC.password)
    open_id = app.reviews.open(spoc)
    app.reviews.recommend(officer, open_id, ref, Recommendation.RETAIN, COVERS_EVERY_FLAG)

    before = plain_export(app, tmp_path / "before")
    assert {n for n, _enc in hits(before, NEEDLES)} >= {GIVEN, FAMILY, *ALIASES, POSTCODE, BORN.isoformat()}  # the control

    app.changes.propose_removal(officer, ref, NAMING_REMOVAL_REASON)
    app.changes.approve_removal(spoc, ref, "Agreed: remove; nothing current supports inclusion.")

    after = plain_export(app, tmp_path / "after")
    assert hits(after, NEEDLES) == []
    # The reviews still say who was decided about, by reference and outcome.
    kept = {i.ref: i for i in app.reviews.items(spoc, signed_id)}[ref]
    assert kept.removed and kept.name == REMOVED_NAME and kept.age is None and kept.rationale == ""
    assert (kept.recommendation, kept.verdict, kept.decision) == (Recommendation.RETAIN, Verdict.AGREE,
                                                                 Recommendation.RETAIN)
    assert kept.recommended_by == OFFICER.username and kept.verdict_by == SPOC.username
    reason = conn_of(spoc).execute("SELECT reason FROM archive WHERE ref = ?", (ref,)).fetchone()[0]
    assert reason == ("[name] (born [date of birth], also [name]) has not been seen with the group since moving "
                      "away from [address], [postcode].")


def test_removal_at_review_sign_off_leaves_no_byte_and_review_show_names_nobody_removed(
        demo_app: App, tmp_path: Path) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    review_id = signed_review_holding(app, officer, spoc, ref)
    decide_all(app, officer, spoc, review_id, remove=ref)

    before = plain_export(app, tmp_path / "before")
    assert {n for n, _enc in hits(before, NEEDLES)} >= {GIVEN, FAMILY, *ALIASES, BORN.isoformat()}  # the control
    assert FAMILY in show_review(app, "2026Q4")

    assert app.reviews.sign(spoc, review_id, SPOC.password) == 1

    after = plain_export(app, tmp_path / "after")
    assert hits(after, NEEDLES) == []
    shown = show_review(app, "2026Q4")
    assert [line for line in shown.splitlines() if GIVEN in line or FAMILY in line or ALIASES[0] in line] == []
    line = next(line for line in shown.splitlines() if line.startswith(ref + "\t"))
    assert REMOVED_NAME in line and line.endswith("\tremove\tagree\tremove")
    signed = app.reviews.find(spoc)
    assert signed is not None and signed.id == review_id and signed.signed_at is not None


def test_after_the_retention_period_the_archive_row_and_old_signed_reviews_are_purged(
        demo_app: App, clock: ManualClock, tmp_path: Path) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    review_id = signed_review_holding(app, officer, spoc, ref)
    # What a signed review keeps of the people it retained: their rationale, until the retention period ends.
    kept_marker, archive_marker = "Wwwyyyrationale", "Ppprrrarchived"
    decide_all(app, officer, spoc, review_id, rationale=f"{COVERS_EVERY_FLAG} {kept_marker}.")
    app.reviews.sign(spoc, review_id, SPOC.password)
    app.changes.propose_removal(officer, ref, f"{NAMING_REMOVAL_REASON} {archive_marker}.")
    app.changes.approve_removal(spoc, ref, "Agreed: remove; nothing current supports inclusion.")
    signed = conn_of(spoc).execute("SELECT count(*) FROM reviews WHERE signed_at IS NOT NULL").fetchone()[0]
    assert signed == 2
    for ws in (officer, spoc):
        app.auth.sign_out(ws)

    before = plain_export(app, tmp_path / "before")
    assert hits(before, NEEDLES) == []
    assert {n for n, _enc in hits(before, (kept_marker, archive_marker))} == {kept_marker, archive_marker}  # control

    clock.advance(timedelta(days=4 * 365 - 1))  # one day short of four years: nothing is due yet
    admin = sign_in(app, ADMIN)
    assert app.retention.purge_expired(admin) == 0
    items = conn_of(admin).execute("SELECT count(*) FROM review_items").fetchone()[0]
    assert conn_of(admin).execute("SELECT count(*) FROM reviews WHERE signed_at IS NOT NULL").fetchone()[0] == 2
    clock.advance(timedelta(days=2))
    archived = app.retention.purge_expired(admin)  # what `gvm-desktop retention purge` runs
    assert archived >= 1
    assert conn_of(admin).execute("SELECT 1 FROM archive WHERE ref = ?", (ref,)).fetchone() is None
    assert conn_of(admin).execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
    assert conn_of(admin).execute("SELECT count(*) FROM review_items").fetchone()[0] == 0
    assert conn_of(admin).execute("PRAGMA freelist_count").fetchone()[0] == 0  # VACUUMed
    entry = conn_of(admin).execute("SELECT detail, outcome FROM access_log WHERE action = 'retention.purge' "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
    assert entry == (f"{archived} archive records past retention; 2 signed reviews "
                     f"({items} items) signed 4 or more years ago", "allowed")
    app.auth.sign_out(admin)

    after = plain_export(app, tmp_path / "after")
    assert hits(after, (*NEEDLES, kept_marker, archive_marker)) == []


def test_the_retention_setting_decides_when_a_signed_review_goes(demo_app: App, clock: ManualClock) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    decide_all(app, officer, spoc, review.id)
    app.reviews.sign(spoc, review.id, SPOC.password)
    newer = app.reviews.open(spoc)  # supersedes the signed one; stays open
    admin = sign_in(app, ADMIN)
    app.settings.change(admin, "retention_years", 2)
    clock.advance(timedelta(days=2 * 365 - 1))
    assert app.retention.purge(admin).reviews == 0
    clock.advance(timedelta(days=2))
    done = app.retention.purge(admin)
    # The administrator holds no key to CE's compartment, where the items (names, ages) are: the review goes
    # from common now, and CE's next holder removes its items at sign-in, logged.
    assert (done.reviews, done.review_items) == (1, 0)
    assert read_bcu(app, "CE", "SELECT count(*) FROM review_items WHERE review_id = ?", (review.id,)) == [(review.people,)]
    app.auth.sign_out(sign_in(app, SPOC))
    assert read_bcu(app, "CE", "SELECT count(*) FROM review_items WHERE review_id = ?", (review.id,)) == [(0,)]
    entry = conn_of(admin).execute("SELECT username, detail FROM access_log WHERE action = 'retention.purge' "
                                   "ORDER BY seq DESC LIMIT 1").fetchone()
    assert entry == (SPOC.username, f"{review.people} items of signed reviews purged from common, removed from CE")
    left = conn_of(admin).execute("SELECT id, supersedes, signed_at FROM reviews").fetchall()
    assert newer in [r[0] for r in left] and review.id not in [r[0] for r in left]
    assert all(r[1] != review.id for r in left)  # the pointer to the purged review went with it


@pytest.mark.parametrize("why", [
    f"Safeguarding visit for {GIVEN.upper()} today",
    "Check on mr zyxwquuxtest's address history",
    f"Known as {ALIASES[1].lower()}, safeguarding referral",
    "Born 29/11/2006, confirming identity for the visit",
    "Date of birth 2006-11-29 needed by the school",
    "Confirming 29 November 2006 is on the referral",
])
def test_a_justification_that_names_the_person_is_refused_and_not_logged(demo_app: App, why: str) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    from gvm_desktop.core.errors import ValidationError
    from gvm_desktop.core.justification import Justification

    naming = Justification.make("safeguarding", why)
    with pytest.raises(ValidationError, match="write why, not who: the reference is already recorded"):
        app.records.open(officer, ref, naming)
    with pytest.raises(ValidationError, match="write why, not who: the reference is already recorded"):
        app.records.history(spoc, ref, naming)
    refused = conn_of(officer).execute(
        "SELECT action, justification, reason_category FROM access_log WHERE record_ref = ? AND outcome = 'refused' "
        "ORDER BY seq", (ref,)).fetchall()
    assert refused == [("record.open", None, None), ("record.history", None, None)]
    rows = conn_of(officer).execute("SELECT * FROM access_log").fetchall()
    assert why not in repr(rows)
    # The same reason, without the person in it, opens the record.
    assert app.records.open(officer, ref, Justification.make("safeguarding", "Safeguarding visit planned today")).ref == ref


def test_an_accent_or_case_does_not_hide_the_name(demo_app: App) -> None:
    from gvm_desktop.core.errors import ValidationError
    from gvm_desktop.core.justification import Justification

    app = demo_app
    officer = sign_in(app, OFFICER)
    ref = app.changes.propose(officer, person(given_name="Zoë", family_name="Ñuñez-Quillbrook", date_of_birth=BORN),
                              evidence=[evidence(SourceType.POLICE)], reason="Linked to two synthetic incidents.")
    for why in ("visit for ZOE this week", "nunez quillbrook referral", "seen on 29th of Nov, 2006 per school"):
        with pytest.raises(ValidationError, match="write why, not who"):
            app.records.open(officer, ref, Justification.make("safeguarding", why))
    # Near misses are not the person: another name that starts the same, another date.
    for why in ("visit for Zoey's school this week", "referral dated 29/11/2007 from school"):
        assert app.records.open(officer, ref, Justification.make("safeguarding", why)).ref == ref


def test_a_subject_access_pack_is_not_built_on_a_justification_that_names_the_person(
        demo_app: App, tmp_path: Path) -> None:
    from gvm_desktop.core.errors import ValidationError
    from gvm_desktop.core.justification import Justification

    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    why = f"Subject access request from {GIVEN} {FAMILY}"
    with pytest.raises(ValidationError, match="write why, not who"):
        app.reports.subject_access(spoc, ref, Justification.make("other", why), tmp_path / "sar.pdf",
                                   request_ref="SAR-2026-001",
                                   account_password=SPOC_PASSWORD, pdf_password="walnut-lantern-sheet-31")
    assert not (tmp_path / "sar.pdf").exists()
    assert why not in repr(conn_of(spoc).execute("SELECT * FROM access_log").fetchall())


def test_someone_removed_while_the_review_is_open_leaves_nothing_to_decide(demo_app: App) -> None:
    from gvm_desktop.core.errors import ValidationError

    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    review_id = signed_review_holding(app, officer, spoc, ref)
    app.changes.propose_removal(officer, ref, "No intelligence of involvement for three years.")
    app.changes.approve_removal(spoc, ref, "Agreed: remove; nothing current supports inclusion.")
    with pytest.raises(ValidationError, match="left the matrix"):
        app.reviews.recommend(officer, review_id, ref, Recommendation.RETAIN, COVERS_EVERY_FLAG)
    decide_all(app, officer, spoc, review_id)  # everyone still on the matrix
    assert app.reviews.sign(spoc, review_id, SPOC.password) == 0


def test_the_command_line_refuses_a_justification_that_names_the_person(demo_app: App) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    out, err = io.StringIO(), io.StringIO()
    code = main(["record", "open", ref, "--reason", "safeguarding", "--why", f"Home visit to {ALIASES[0]} this week",
                 "--vault", str(app.vault_dir), "--as", OFFICER.username, "--password-stdin"],
                app_factory=lambda folder: app, stdin=io.StringIO(OFFICER.password + "\n"), stdout=out, stderr=err)
    assert code != 0 and out.getvalue() == ""
    assert "write why, not who: the reference is already recorded" in err.getvalue()
    assert ALIASES[0] not in err.getvalue()
