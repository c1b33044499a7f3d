"""'Write why, not who' holds against what a reviewer tried (issue 11, items 1 and 8, second round).

Invisible characters inside a name and dates written another way got a name past the check; the archive
reason kept the address and postcode; an audit-form answer could name the person and outlived the removal;
a status check logged the matched person's alias; and ordinary words ("will", "he") were taken for names.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.evidence import SourceType
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.services.records import Identity, names_person, scrub
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.services.test_matrix_flow import evidence, person
from tests.services.test_removal_scan import (
    ADDRESS,
    ALIASES,
    BORN,
    FAMILY,
    GIVEN,
    OFFICER,
    POSTCODE,
    SPOC,
    add_marked_person,
    sign_in,
)
from tests.support.vault_access import conn_of

AUDITOR = next(a for a in DEMO_ACCOUNTS if a.role.value == "auditor")
REVIEWED = Identity("Tamsin", "Zyxwquuxtest", date(2007, 5, 6), ("Kkkwwwnick",), "41 Xxqqjjmews Close", "ZZ9 8QJ")
WHY_NOT_WHO = "write why, not who: the reference is already recorded"


def log_rows(app: App) -> str:
    auditor = sign_in(app, AUDITOR)
    return repr(conn_of(auditor).execute("SELECT * FROM access_log").fetchall())


# -- 1. invisible characters and other date formats ------------------------------------------------------------

@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_an_invisible_character_inside_the_name_does_not_hide_it(hidden: str) -> None:
    text = f"Welfare visit for Zyxw{hidden}quuxtest at home"
    assert names_person(text, REVIEWED)
    assert scrub(text, REVIEWED) == "Welfare visit for [name] at home"  # no tail of the name is left


@pytest.mark.parametrize("written", ["6\u200b/5/2007", "06-May-2007", "06-may-07", "2007 May 6", "2007, 6th of May",
                                     "6 - 5 - 2007"])
def test_the_date_of_birth_is_found_however_it_is_written(written: str) -> None:
    text = f"Pupil born {written}, welfare referral"
    assert names_person(text, REVIEWED)
    assert scrub(text, REVIEWED) == "Pupil born [date of birth], welfare referral"
    assert not names_person(text.replace("2007", "2008").replace("07", "08"), REVIEWED)  # another date is not them


def test_the_service_refuses_an_invisible_character_and_a_name_split_by_a_joiner(demo_app: App) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    # A zero-width space has no business in a reason at all.
    with pytest.raises(ValidationError, match="invisible character"):
        Justification.make("safeguarding", f"Welfare visit for {FAMILY[:4]}\u200b{FAMILY[4:]} at home")
    # A joiner is allowed (Persian and Indic text need it), so the name check must see through it.
    for why in (f"Welfare visit for {FAMILY[:4]}\u200d{FAMILY[4:]} at home", "Born 29\u200c/11/2006, welfare visit",
                "Confirming 29-Nov-2006 with the school", "Confirming 2006 Nov 29 with the school"):
        with pytest.raises(ValidationError, match=WHY_NOT_WHO):
            app.records.open(officer, ref, Justification.make("safeguarding", why))
    assert FAMILY[4:] not in log_rows(app) and "Nov" not in log_rows(app)


def test_a_removal_reason_with_an_invisible_character_is_scrubbed_whole(demo_app: App) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    app.changes.propose_removal(officer, ref, f"No sighting of {FAMILY[:4]}\u200b{FAMILY[4:]} since the spring term.")
    app.changes.approve_removal(spoc, ref, "Agreed: remove; nothing current supports inclusion.")
    reason = conn_of(spoc).execute("SELECT reason FROM archive WHERE ref = ?", (ref,)).fetchone()[0]
    assert reason == "No sighting of [name] since the spring term."


# -- 2. the address and the postcode ----------------------------------------------------------------------------

@pytest.mark.parametrize("why", [f"Home visit to {ADDRESS} planned", "Home visit to 41 xxqqjjmews planned",
                                 "Check of Xxqqjjmews Close for the visit", f"Checking postcode {POSTCODE} today",
                                 "Checking postcode zz98qj today"])
def test_a_justification_naming_the_address_or_postcode_is_refused(demo_app: App, why: str) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    with pytest.raises(ValidationError, match=WHY_NOT_WHO):
        app.records.open(officer, ref, Justification.make("safeguarding", why))
    assert why not in log_rows(app)


def test_an_earlier_address_is_scrubbed_from_the_archive_reason_too() -> None:
    moved = Identity("Tamsin", "Zyxwquuxtest", date(2007, 5, 6), address="42 Xxqqjjmews Close", postcode="ZZ9 8QL",
                     earlier=(REVIEWED,))
    assert scrub("Moved away from 41 Xxqqjjmews Close, ZZ9 8QJ, to 42 Xxqqjjmews Close", moved) == \
        "Moved away from [address], [postcode], to [address]"


# -- 3. an auditor's answer to an audit form ---------------------------------------------------------------------

def _form_about(app: App, ref: str, tmp_path: Path) -> int:
    officer = sign_in(app, OFFICER)
    app.records.open(officer, ref, Justification.make("safeguarding", "Welfare visit planned this week"))
    auditor = sign_in(app, AUDITOR)
    entry = app.log.search(auditor, LogFilter(record_ref=ref, actions=("record.open",))).entries[0]
    return app.forms.issue(auditor, entry.seq, tmp_path / "form.pdf", account_password=AUDITOR.password,
                           pdf_password="copper-kettle-review-2026").id


def test_an_audit_form_answer_that_names_the_person_is_refused(demo_app: App, tmp_path: Path) -> None:
    app = demo_app
    ref = add_marked_person(app, sign_in(app, OFFICER), sign_in(app, SPOC))
    form_id = _form_about(app, ref, tmp_path)
    auditor = sign_in(app, AUDITOR)
    naming = f"The officer says {ALIASES[1]} had been reported missing by the school."
    with pytest.raises(ValidationError, match=WHY_NOT_WHO):
        app.forms.record_answer(auditor, form_id, naming)
    assert app.forms.get(auditor, form_id).answer is None
    refused = conn_of(auditor).execute("SELECT record_ref, detail FROM access_log WHERE action = 'audit_form.answer' "
                                   "AND outcome = 'refused'").fetchall()
    assert [r[0] for r in refused] == [ref] and ALIASES[1] not in repr(refused)
    fine = "The officer says the pupil had been reported missing by the school."
    assert app.forms.record_answer(auditor, form_id, fine).answer == fine


def test_removal_scrubs_the_person_from_audit_form_answers(demo_app: App, tmp_path: Path) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    form_id = _form_about(app, ref, tmp_path)
    # An answer recorded before answers were checked (or naming an alias added to the record since).
    old_answer = f"Asked about {GIVEN} {FAMILY} of {ADDRESS}: the visit was planned with the school."
    conn_of(spoc).execute("UPDATE audit_forms SET answer = ?, answered_at = '2026-11-01T10:00:00Z' WHERE id = ?",
                      (old_answer, form_id))
    app.changes.propose_removal(officer, ref, "No intelligence of involvement for three years.")
    app.changes.approve_removal(spoc, ref, "Agreed: remove; nothing current supports inclusion.")
    auditor = sign_in(app, AUDITOR)
    assert app.forms.get(auditor, form_id).answer == \
        "Asked about [name] of [address]: the visit was planned with the school."
    detail = conn_of(auditor).execute("SELECT detail FROM access_log WHERE action = 'matrix.remove' "
                                  "AND record_ref = ?", (ref,)).fetchone()[0]
    assert detail.endswith("; the person scrubbed from 1 audit-form answer(s)")


# -- 4. a status check that matches ------------------------------------------------------------------------------

def test_a_status_check_that_matches_logs_its_reason_without_the_matched_persons_alias(demo_app: App) -> None:
    app = demo_app
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    ref = add_marked_person(app, officer, spoc)
    why = Justification.make("safeguarding", f"School referral: the pupil known as {ALIASES[1]}, near {ADDRESS}")
    answer = app.matrix.status_check(officer, GIVEN, FAMILY, BORN, why)  # refusing now would tell them who matched
    assert answer.on_matrix and answer.ref == ref
    logged = conn_of(officer).execute("SELECT record_ref, justification, outcome FROM access_log "
                                  "WHERE action = 'matrix.status_check' ORDER BY seq DESC LIMIT 1").fetchone()
    assert logged == (ref, "School referral: the pupil known as [name], near [address]", "allowed")
    assert ALIASES[1] not in log_rows(app)


# -- 5. ordinary words are not names; names written as names are -----------------------------------------------

@pytest.mark.parametrize(("given", "family", "why"), [
    ("Will", "Quillbrook", "I will visit the family this week"),
    ("Tamsin", "Green", "Green band person, routine review"),
    ("Tamsin", "He", "Checking where he lives before a visit"),
    ("An", "Quillbrook", "checking an address before a home visit"),
])
def test_ordinary_words_that_are_also_name_parts_are_accepted(demo_app: App, given: str, family: str, why: str) -> None:
    app = demo_app
    officer = sign_in(app, OFFICER)
    ref = app.changes.propose(officer, person(given_name=given, family_name=family, aliases=()),
                              evidence=[evidence(SourceType.POLICE)], reason="Linked to two synthetic incidents.")
    assert app.records.open(officer, ref, Justification.make("safeguarding", why)).ref == ref


@pytest.mark.parametrize(("given", "family", "why"), [
    ("Tamsin", "Zyxwquuxtest", "visit to Zyxwquuxtest's house"),
    ("Tamsin", "Zyxwquuxtest", "saw Tamsin today"),
    ("Tamsin", "Zyxwquuxtest", "saw tamsin today at school"),  # a name that is no English word, in any case
    ("Will", "Quillbrook", "saw Will today at school"),
    ("Tamsin", "Green", "Home visit to Mr. Green today"),
    ("Will", "Green", "Referral about will green today"),  # the full name, in any case
    ("Will", "Green", "Referral about GREEN, Will today"),
    ("An", "He", "Visit planned for An today"),
])
def test_a_name_written_as_a_name_is_refused(demo_app: App, given: str, family: str, why: str) -> None:
    app = demo_app
    officer = sign_in(app, OFFICER)
    ref = app.changes.propose(officer, person(given_name=given, family_name=family, aliases=()),
                              evidence=[evidence(SourceType.POLICE)], reason="Linked to two synthetic incidents.")
    with pytest.raises(ValidationError, match=WHY_NOT_WHO):
        app.records.open(officer, ref, Justification.make("safeguarding", why))


# -- 6. the third round: look-alike letters, spelt-out names, plurals, more invisible characters -----------------
# Every bypass below was reproduced with `record open REF --reason safeguarding --why ...`: it exited 0 and the text
# went into the append-only log.

BYPASSED = Identity("Amir", "Clovercliff", date(2007, 5, 6), ("Quillbrook",))
BYPASSES = [
    "Home visit to Clovercliffs house planned",  # a possessive without its apostrophe
    "Home visit to the Clovercliffes planned",
    "Home visit to Clover-cliff planned",
    "Home visit to Cl\u043evercliff planned",  # Cyrillic о
    "Home visit to Cl\u03bfvercliff planned",  # Greek ο
    "Home visit to \u0421\u04cfovercliff planned",  # Cyrillic С and palochka
    "Saw \u0410mir at the school gates",  # Cyrillic А
    "Saw \u0391mir at the school gates",  # Greek Α
    "Saw Q u i l l b r o o k at the school gates",
    "Saw Q.u.i.l.l.b.r.o.o.k at the school gates",
    "Saw C l o v e r c l i f f at the school gates",
    "Saw the Quillbrooks at the school gates",  # a plural alias
    "Pupil born May the 6th 2007, welfare referral",
    *(f"Home visit to Clover{ch}cliff planned" for ch in ("\u034f", "\ufe00", "\ufe0f", "\u3164", "\u115f", "\u2800")),
]


@pytest.mark.parametrize("why", BYPASSES)
def test_a_name_disguised_by_a_reviewer_is_still_found_and_scrubbed(why: str) -> None:
    assert names_person(why, BYPASSED)
    scrubbed = scrub(why, BYPASSED)
    assert "[name]" in scrubbed or "[date of birth]" in scrubbed
    assert not names_person(scrubbed, BYPASSED)  # nothing of the name is left beside the replacement


def test_each_reproduced_bypass_is_refused_by_the_service_and_kept_out_of_the_log(demo_app: App) -> None:
    app = demo_app
    officer = sign_in(app, OFFICER)
    ref = app.changes.propose(officer, person(given_name="Amir", family_name="Clovercliff", date_of_birth=date(2007, 5, 6),
                                              aliases=("Quillbrook",)),
                              evidence=[evidence(SourceType.POLICE)], reason="Linked to two synthetic incidents.")
    for why in BYPASSES:
        try:
            j = Justification.make("safeguarding", why)
        except ValidationError as refused:  # the invisible characters are refused before the name check
            assert "invisible character" in refused.message
            continue
        with pytest.raises(ValidationError, match=WHY_NOT_WHO):
            app.records.open(officer, ref, j)
    logged = log_rows(app)
    assert "Clover" not in logged and "mir at" not in logged and "u i l l" not in logged and "Quillbrook" not in logged


@pytest.mark.parametrize("hidden", ["\u034f", "\ufe00", "\ufe0f", "\u3164", "\u115f", "\u2800", "\u180b", "\u17b4",
                                    "\uffa0", "\U000e0100"])
def test_an_invisible_character_outside_category_cf_is_refused(hidden: str) -> None:
    with pytest.raises(ValidationError, match=r"invisible character \(U\+"):
        Justification.make("safeguarding", f"Welfare visit for Clover{hidden}cliff at home")


@pytest.mark.parametrize(("given", "family", "sentences"), [
    ("Tamsin", "Case", ["Raised at a case conference last week", "Case conference raised new concerns"]),
    ("Tamsin", "Gates", ["Seen at the school gates by staff", "Reported at the gate by the caretaker"]),
    ("Nick", "Quillbrook", ["He was taken to the nick after an arrest", "Nicked for theft, checking the outcome"]),
    ("Bill", "Quillbrook", ["Unpaid phone bill raised by the school", "Bills unpaid, family support referral"]),
    ("Tamsin", "Burns", ["Treated for burns at hospital last week", "Burns unit referral, welfare check"]),
    ("Tamsin", "Street", ["Seen in the street near the school", "Street robbery linked to an operation"]),
    ("Tamsin", "Gang", ["Gang involvement review this quarter", "Intelligence on gang activity near the school"]),
    ("May", "Quillbrook", ["Incident on 6 May at the school", "Referral made in May by the school",
                           "Seen on May 6th at the school", "Referral since May, welfare check",
                           "Incident at the end of May near the school"]),
    ("April", "Quillbrook", ["Incident in April at the school", "Reviewed on the 3rd of April, update",
                             "Review due April 2026 at the school"]),
])
def test_ordinary_words_and_months_are_not_taken_for_names(demo_app: App, given: str, family: str,
                                                          sentences: list[str]) -> None:
    app = demo_app
    officer = sign_in(app, OFFICER)
    ref = app.changes.propose(officer, person(given_name=given, family_name=family, aliases=()),
                              evidence=[evidence(SourceType.POLICE)], reason="Linked to two synthetic incidents.")
    for why in sentences:
        assert app.records.open(officer, ref, Justification.make("safeguarding", why)).ref == ref, why


@pytest.mark.parametrize(("given", "family", "why"), [
    ("May", "Quillbrook", "Saw May at the school today"),  # a month that is no date is a name
    ("April", "Quillbrook", "Had a call from April about the visit"),
    ("Tamsin", "Case", "Home visit to Mrs Case today"),
    ("Nick", "Quillbrook", "Spoke to Nick at the school today"),
    ("Tamsin", "Gates", "Home visit to the Gates family planned"),
])
def test_those_ordinary_words_written_as_names_are_still_refused(given: str, family: str, why: str) -> None:
    assert names_person(why, Identity(given, family, date(2007, 5, 6)))


# Names that ordinary words spell when run together: spelling a name across words counts only when the pieces are
# joined by punctuation or are all single letters or pairs, so these ordinary sentences are not about them.
@pytest.mark.parametrize(("family", "why"), [
    ("Whitehouse", "Visit to the white house on the corner"),
    ("Newman", "A new man was seen at the door"),
    ("Amani", "Spoke to a man I know from the school"),
    ("Andor", "Check him and/or his brother today"),
    ("Goodwin", "A good win for the youth club team"),
    ("Fairweather", "Fair weather football at the park"),
    ("Ontime", "Arrived on time for the welfare visit"),
    ("Isaac", "He is a active member of the club"),
    ("Clovercliff", "Follow-up visit: the clover field by the cliff path"),
])
def test_ordinary_sentences_do_not_spell_a_name_across_words(family: str, why: str) -> None:
    assert not names_person(why, Identity("Tamsin", family, date(2007, 5, 6)))
