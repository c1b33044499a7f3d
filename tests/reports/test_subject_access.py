"""The subject access PDF, read back page by page with qpdf and pdftotext. Every person here is synthetic."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from gvm_desktop.core.audit import Action, LogEntry, LoggedEntry, Outcome
from gvm_desktop.core.evidence import EvidenceType, Grading, SourceType
from gvm_desktop.core.records import (
    ActivityRecord,
    EvidenceRecord,
    InterventionRecord,
    NominalRecord,
    ScoreLine,
    VersionRecord,
)
from gvm_desktop.core.subject_access import SubjectAccessPack
from gvm_desktop.reports import text as report_text
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from gvm_desktop.reports.subject_access import build_subject_access, changes
from tests.reports.pdftools import (
    HEAD,
    WATERMARK,
    assert_every_page,
    entry,
    numbered_words,
    pages,
    text,
    words_missing,
)

REF = "N-000123"
REQUEST = "SAR-2026-0042"
LONG_SUMMARY = numbered_words(330, prefix="s")  # about 1,650 characters: many lines in one cell
HEBREW_ALIAS = "אבי בדיקה"
ARABIC_ALIAS = "تجربة اختبار"
ENTRY_HEADER = re.compile(r"^\s*Seq\s+When \(UTC\)\s+Who\s+What\s+Why\s+Outcome$", re.MULTILINE)
SEQ_AT_LINE_START = re.compile(r"^\s*(\d{4})(?: \(cont\.\))?\s", re.MULTILINE)


def _evidence() -> tuple[EvidenceRecord, ...]:
    return (
        EvidenceRecord(31, EvidenceType.VIOLENT_OFFENCE, SourceType.POLICE, "CRIS-SYNTH-0001", Grading("1", "B", "P"),
                       date(2026, 9, 3), "Synthetic summary EVA1 of a violent offence.", None, "2026-09-04T10:00:00Z"),
        EvidenceRecord(30, EvidenceType.SOCIAL_MEDIA, SourceType.OPEN_SOURCE, "OSINT-SYNTH-7", Grading("2", "C", "C"),
                       date(2026, 8, 1), LONG_SUMMARY, "Synthetic note EVN2: a public post, archived and verifiable.",
                       "2026-08-02T11:30:00Z"),
        EvidenceRecord(29, EvidenceType.VICTIMISATION, SourceType.PARTNER, "YOS-SYNTH-3", Grading("1", "A", "P"),
                       date(2026, 7, 15), "Synthetic summary EVA3: reported as a victim.", None, "2026-07-16T09:00:00Z"),
    )


def _record(**changes: object) -> NominalRecord:
    record = NominalRecord(
        id=123, ref=REF, given_name="Synthia", family_name="Testperson-Example", aliases=(HEBREW_ALIAS, ARABIC_ALIAS,
                                                                                          "Синтия Тест"),
        date_of_birth=date(2007, 5, 17), age=19, gender="F", ethnicity="M3", observed_ethnicity="IC3", disability="N",
        address="Flat 0, 1 Example Street, Synthetic Town", postcode="ZZ1 2AB", borough="Hackney", bcu="CE",
        gangs=("Example Crew (synthetic)",), status="active", date_added="2026-07-20", last_reviewed="2026-10-01",
        in_custody=False, custody_from=None, custody_to=None, version=3, harm_score=42, victim_score=18,
        harm_band="Amber", victim_band="Green", classification="offender and victim", policy_version="2026.1-test",
        score_lines=(ScoreLine("violent_offence", date(2026, 9, 3), "harm", 30),
                     ScoreLine("victimisation", date(2026, 7, 15), "victim", 18)),
        evidence=_evidence(),
        interventions=(InterventionRecord(5, "Synthetic mentoring referral INT1", "Example Youth Service", date(2026, 8, 10),
                                          True, "Attending weekly; outcome note INT1-OUT.", date(2026, 8, 17), None),),
        activity=(ActivityRecord(8, "stop", date(2026, 9, 20), "Synthetic stop note ACT1, nothing found."),
                  ActivityRecord(7, "arrest", date(2026, 9, 3), "Synthetic arrest note ACT2.")),
        pending=(),
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def _versions() -> tuple[VersionRecord, ...]:
    base = {"given_name": "Synthia", "family_name": "Testperson-Example", "address": "Flat 9, 9 Old Example Road",
            "postcode": "ZZ9 9ZZ", "status": "proposed", "gangs": "Example Crew (synthetic)", "in_custody": 0,
            "aliases": [HEBREW_ALIAS], "ethnicity": "M3", "date_added": None}
    second = {**base, "status": "active", "date_added": "2026-07-20"}
    return (VersionRecord(1, "2026-07-20T08:00:00Z", "demo.spoc", "Approved: corroborated by two source types (VER1).",
                          base),
            VersionRecord(2, "2026-09-05T14:10:00Z", "demo.officer", "Moved address, confirmed by housing (VER2).",
                          second))


def _partner(seq: int, at: datetime, org: str) -> LoggedEntry:
    return LoggedEntry(seq, LogEntry(
        at_utc=at.strftime("%Y-%m-%dT%H:%M:%SZ"), tz="Europe/London", workstation="ws-partner-1",
        action=Action.MATRIX_PREVIEW, outcome=Outcome.ALLOWED, user_id=40, username=f"demo.partner{seq}",
        role="partner", bcu="CE", detail=f"DSA #4 {org}: 14 people; no search"))


def _accesses(count: int) -> tuple[LoggedEntry, ...]:
    start = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    actions = (Action.RECORD_OPEN, Action.RECORD_EDIT, Action.STATUS_CHECK, Action.EVIDENCE_ADD, Action.RECORD_HISTORY)
    return tuple(entry(
        2000 + i, at=start + timedelta(hours=7 * i), username=f"demo.officer{i % 5}", action=actions[i % len(actions)],
        outcome=Outcome.REFUSED if i % 13 == 6 else Outcome.ALLOWED, record_ref=REF, reason="safeguarding",
        justification=f"Synthetic justification J{2000 + i}X for the review of this record. " * (1 + i % 3),
        detail=f"synthetic detail D{2000 + i}X" if i % 4 == 1 else None) for i in range(count))


def _pack(**changes: object) -> SubjectAccessPack:
    pack = SubjectAccessPack(
        record=_record(), versions=_versions(), accesses=_accesses(60),
        disclosures=(_partner(1500, datetime(2026, 8, 1, 9, tzinfo=UTC), "Example Youth Service (synthetic) ORG1"),
                     _partner(1501, datetime(2026, 9, 1, 9, tzinfo=UTC), "Example Borough Council (synthetic) ORG2"),
                     entry(1502, action=Action.LOG_EXPORT, username="demo.auditor", record_ref=REF,
                           reason="quarterly_review", justification="Synthetic audit pack EXP1 for the inspection.",
                           detail="PDF audit pack, 212 entries, including this record")),
        retention="Reviewed every quarter; removed when the evidence no longer shows gang involvement; a minimal "
                  "archive record is kept at most 4 years after removal (RET1).",
        controller_contact="Data Protection Officer (synthetic), Example Police, PO Box 0000, Synthetic Town (CON1).",
        prepared_for_request=REQUEST)
    return replace(pack, **changes)  # type: ignore[arg-type]


def _build(path: Path, pack: SubjectAccessPack) -> Path:
    write_pdf_atomically(path, lambda fh: build_subject_access(
        fh, pack, exported_by="demo.auditor", exported_at="2026-11-02T09:00:00Z", log_head=HEAD,
        vault_label="vault 3fa2c9e1"))
    return path


def _flat(pdf: Path) -> str:
    return " ".join(text(pdf, layout=False).split())


def test_the_pack_is_a_valid_pdf_with_furniture_on_every_page(tmp_path: Path) -> None:
    pdf = _build(tmp_path / "sar.pdf", _pack())
    all_pages = assert_every_page(pdf)
    assert len(all_pages) >= 3
    for page in all_pages:
        assert f"Subject access {REQUEST}: record {REF}" in page
    assert WATERMARK in text(pdf, page=1)


def test_the_cover_names_the_person_the_request_and_their_rights(tmp_path: Path) -> None:
    pdf = _build(tmp_path / "sar.pdf", _pack())
    cover = " ".join((text(pdf, page=1, layout=False) + text(pdf, page=2, layout=False)).split())
    for fact in ("Information held about Synthia Testperson-Example", REQUEST, REF, "2007-05-17", "demo.auditor",
                 "2026-11-02 09:00:00 UTC", "vault 3fa2c9e1", HEAD[1], "What you are recorded as", "on the matrix",
                 "Harm score 42 (Amber)", "victim-risk score 18 (Green)", "2026.1-test", "Your rights", "section 46",
                 "section 47", "Information Commissioner", "0303 123 1113", "RET1", "CON1", "3 disclosures",
                 "Open source / social media: 1 entry", "Police: 1 entry", "Partner agency: 1 entry"):
        assert fact in cover, fact


def test_every_detail_evidence_summary_and_section_is_printed(tmp_path: Path) -> None:
    pdf = _build(tmp_path / "sar.pdf", _pack())
    extracted = text(pdf, layout=False)
    flat = " ".join(extracted.split())
    assert words_missing(LONG_SUMMARY.split(), extracted) == []
    for piece in ("Synthia", "Testperson-Example", "Flat 0, 1 Example Street, Synthetic Town", "ZZ1 2AB",
                  "Mixed: White and Black Caribbean (M3)", "Black (IC3)", "CE Central East", "Example Crew (synthetic)",
                  "EVA1", "EVN2", "EVA3", "CRIS-SYNTH-0001", "OSINT-SYNTH-7", "YOS-SYNTH-3",
                  "1B P: source Reliable (1)", "Entry 2 of 3", "INT1", "INT1-OUT", "Example Youth Service", "ACT1", "ACT2",
                  "Harm (as a possible offender)", "Victim risk (as a possible victim)", "VER1", "VER2",
                  "Address was: Flat 9, 9 Old Example Road", "Address became: Flat 0, 1 Example Street, Synthetic Town",
                  "Status was: proposed", "Status became: active", "Date added was: (none)", "Other names added: Синтия Тест",
                  "Postcode was: ZZ9 9ZZ", "1. Personal details", "2. Scores", "3. Intelligence entries",
                  "4. Interventions offered", "5. Police activity", "6. Version history", "7. Disclosures", "8. Accesses"):
        assert piece in flat, piece
    # poppler re-orders right-to-left text on extraction, so each word is looked for on its own
    for word in (*HEBREW_ALIAS.split(), *ARABIC_ALIAS.split(), "Синтия"):
        assert word in flat, word


def test_every_disclosure_and_every_access_is_listed_with_its_reason(tmp_path: Path) -> None:
    pack = _pack()
    pdf = _build(tmp_path / "sar.pdf", pack)
    flat = _flat(pdf)
    for piece in ("ORG1", "ORG2", "demo.partner1500", "demo.partner1501", "Partner (preview only)",
                  "Partner preview of the matrix", "Access-log export", "EXP1"):
        assert piece in flat, piece
    whole = text(pdf)
    listed = {int(s) for s in SEQ_AT_LINE_START.findall(whole)}
    assert {e.seq for e in pack.disclosures} | {e.seq for e in pack.accesses} <= listed
    for logged in pack.accesses:
        assert f"J{logged.seq}X" in flat, logged.seq
    assert "D2001X" in flat and "refused" in whole
    # The accesses run over pages: every page that lists an entry has the table header above it.
    for n, page in enumerate(pages(pdf), start=1):
        if SEQ_AT_LINE_START.search(page):
            assert ENTRY_HEADER.search(page), f"page {n} lists entries without the header"


def test_empty_sections_say_nothing_was_recorded(tmp_path: Path) -> None:
    bare = _record(evidence=(), interventions=(), activity=(), score_lines=(), aliases=(), gangs=(),
                   classification="no scored events")
    pdf = _build(tmp_path / "bare.pdf", _pack(record=bare, versions=(), accesses=(), disclosures=()))
    assert_every_page(pdf)
    flat = _flat(pdf)
    for said in ("No disclosures recorded", "No accesses recorded.", "No intelligence entries recorded.",
                 "No interventions recorded.", "No police activity recorded.", "No earlier versions",
                 "No event currently counts towards either score.", "No disclosure of this record is recorded.",
                 "The record holds no intelligence entries."):
        assert said in flat, said


def test_a_huge_log_detail_and_many_evidence_entries_continue_across_pages(tmp_path: Path) -> None:
    huge = numbered_words(2500, prefix="h")  # pages of text in one cell
    many = tuple(replace(e, id=100 + i, summary=f"Synthetic summary M{i:03d}X. " + numbered_words(60, prefix=f"m{i}_"))
                 for i, e in enumerate(_evidence() * 12))
    pack = _pack(record=_record(evidence=many), accesses=(*_accesses(5), entry(2999, record_ref=REF, detail=huge)))
    pdf = _build(tmp_path / "long.pdf", pack)
    all_pages = assert_every_page(pdf)
    extracted = text(pdf, layout=False)
    assert words_missing(huge.split(), extracted) == []
    flat = " ".join(extracted.split())
    for i in range(len(many)):
        assert f"M{i:03d}X" in flat, i
    assert "(cont.)" in flat
    # The tall row is cut where each page ends, not moved whole in pieces that leave pages half empty.
    per_page = [len(re.findall(r"\bh\d{4}\b", page)) for page in all_pages]
    holding = [count for count in per_page if count]
    assert len(holding) >= 3 and all(count > 200 for count in holding[1:-1]), per_page


def test_changes_between_versions_are_listed_field_by_field() -> None:
    before = {"address": "1 Old Road", "aliases": ["Alpha", HEBREW_ALIAS], "gangs": "Crew A\nCrew B", "in_custody": 0,
              "ethnicity": "B1", "custody_from": None}
    after = {"address": "2 New Road", "aliases": [HEBREW_ALIAS, ARABIC_ALIAS], "gangs": "Crew B", "in_custody": 1,
             "ethnicity": "B1", "custody_from": "2026-10-01"}
    assert changes(before, after) == [
        "Address was: 1 Old Road", "Address became: 2 New Road", "Other names removed: Alpha",
        f"Other names added: {ARABIC_ALIAS}", "Gang names removed: Crew A", "In custody was: No", "In custody became: Yes",
        "Custody from was: (none)", "Custody from became: 2026-10-01"]
    assert changes(before, before) == []


def test_no_printed_text_is_kept_in_memory_after_the_build(tmp_path: Path) -> None:
    _build(tmp_path / "sar.pdf", _pack())
    assert report_text._wrap.cache_info().currsize == 0
