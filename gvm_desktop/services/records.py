"""Opening a person's record: the justification first, the read and its log entry in one transaction."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.justification import Justification, ReasonCategory
from gvm_desktop.core.people import age_on
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.records import NominalRecord, ScoreLine, VersionRecord
from gvm_desktop.core.scoring import ScoringPolicy, default_policy, score
from gvm_desktop.core.text import fold
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.scope import Target, refuse, resolve
from gvm_desktop.store import access_log, nominals, records
from gvm_desktop.store.database import Connection

# -- free text that names the person it is about ---------------------------------------------------
# A justification is written to an append-only log that is read by reference: the person's name in it
# would outlive their removal. Archive reasons are scrubbed with the same matcher.

WHY_NOT_WHO = "write why, not who: the reference is already recorded"


class NamesThePerson(ValidationError):
    """A justification that contains the person's name, an alias or their date of birth."""

    code = "names_the_person"

    def __init__(self) -> None:
        # Never the matched words: this message is shown, and written to the log as the refusal's detail.
        super().__init__(f"This justification contains the person's name, an alias or their date of birth: "
                         f"{WHY_NOT_WHO}.")


@dataclass(frozen=True)
class Identity:
    """What identifies a person in free text: given name, family name, aliases and date of birth."""

    names: tuple[str, ...]
    date_of_birth: date


def identity_of(conn: Connection, nominal_id: int) -> Identity:
    data = records.fields(conn, nominal_id)
    return Identity((data["given_name"], data["family_name"], *records.aliases(conn, nominal_id)),
                    date.fromisoformat(data["date_of_birth"]))


# Scripts written without spaces between words: a name in them is found anywhere in the text.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")
_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
# Dates as people write them, matched in folded (lower-case, accent-free) text.
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})([./\- ])(\d{1,2})\2(\d{1,4})(?!\d)")  # 29/11/2006, 2006-11-29
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")  # 29112006, 20061129
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}}){_ORDINAL}\s*(?:of\s+)?(?<![a-z]){_MONTH}\s*,?\s*(\d{{4}}|\d{{2}})(?!\d)")
_MONTH_DAY_YEAR = re.compile(rf"(?<![a-z]){_MONTH}\s*(\d{{1,2}}){_ORDINAL}\s*,?\s*(\d{{4}}|\d{{2}})(?!\d)")


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` folded as search folds it, and for each folded character the index of its original one."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        f = fold(ch)
        out.append(f)
        origin.extend([i] * len(f))
    return "".join(out), origin


def _name_pattern(name: str) -> re.Pattern[str] | None:
    words = re.findall(r"\w+", fold(name))
    if sum(len(w) for w in words) < 2:
        return None  # a single letter identifies nobody, and would refuse half the language
    body = r"\W*".join(re.escape(w) for w in words)  # "Mary-Jane" is also "Mary Jane", "O'Neil" also "ONeil"
    if any(unicodedata.name(ch, "").startswith(_UNSPACED) for ch in name):
        return re.compile(body)
    return re.compile(rf"(?<!\w){body}(?!\w)")  # whole words: "Al" is not in "already"


def _is_birthday(born: date, year: str, month: int, day: int) -> bool:
    """Whether day, month and a year of 4 digits (or 2, as in 29/11/06) are the date of birth."""
    if (month, day) != (born.month, born.day) or len(year) not in (2, 4):
        return False
    return int(year) == (born.year if len(year) == 4 else born.year % 100)


def _date_spans(folded: str, born: date) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in _NUMERIC_DATE.finditer(folded):
        a, _sep, b, c = m.groups()
        if len(a) == 4:
            hit = len(c) <= 2 and _is_birthday(born, a, int(b), int(c))
        else:  # day first as in the UK; month first too, since either reading names the birthday
            hit = _is_birthday(born, c, int(b), int(a)) or _is_birthday(born, c, int(a), int(b))
        if hit:
            spans.append(m.span())
    for m in _COMPACT_DATE.finditer(folded):
        digits = m.group(1)
        if _is_birthday(born, digits[4:], int(digits[2:4]), int(digits[:2])) or \
                _is_birthday(born, digits[:4], int(digits[4:6]), int(digits[6:])):
            spans.append(m.span())
    for m in _DAY_MONTH_YEAR.finditer(folded):
        if _is_birthday(born, m.group(3), _MONTHS[m.group(2)], int(m.group(1))):
            spans.append(m.span())
    for m in _MONTH_DAY_YEAR.finditer(folded):
        if _is_birthday(born, m.group(3), _MONTHS[m.group(1)], int(m.group(2))):
            spans.append(m.span())
    return spans


def _spans(text: str, who: Identity) -> list[tuple[int, int, str]]:
    """Where `text` names `who` (case- and accent-insensitively): (start, end, what) in `text`'s own indices."""
    folded, origin = _folded(text)
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, what: str) -> None:
        if end > start:
            found.append((origin[start], origin[end - 1] + 1, what))

    for name in who.names:
        pattern = _name_pattern(name)
        if pattern is not None:
            for m in pattern.finditer(folded):
                add(*m.span(), "[name]")
    for start, end in _date_spans(folded, who.date_of_birth):
        add(start, end, "[date of birth]")
    return sorted(found)


def names_person(text: str, who: Identity) -> bool:
    return bool(_spans(text, who))


def scrub(text: str, who: Identity) -> str:
    """`text` with every mention of `who` (names, aliases, date of birth) replaced by what it was."""
    out, at = [], 0
    for start, end, what in _spans(text, who):
        if start < at:
            continue  # overlaps a mention already replaced
        out += [text[at:start], what]
        at = end
    return "".join(out) + text[at:]


def names_in(j: Justification, who: Identity) -> bool:
    # The operation reference is logged beside the words, so it must not name the person either.
    return names_person(j.text, who) or names_person(j.operation_ref or "", who)


def check_justification(ws: Workspace, action: Action, target: Target, j: Justification) -> None:
    """Refuse a justification that names the person it opens; the refusal is logged, its text is not."""
    if names_in(j, identity_of(ws.conn, target.id)):
        raise refuse(ws, action, NamesThePerson(), record_ref=target.ref)


def justified(ws: Workspace, action: Action, ref: str, j: Justification) -> dict[str, object]:
    """The log fields of a justified read. Every caller should have run check_justification (which logs
    the refusal) before its transaction; this is the last line, so a name never reaches the log."""
    found = nominals.by_ref(ws.conn, ref)
    if found is not None and names_in(j, identity_of(ws.conn, found[0])):
        raise NamesThePerson()
    return {"record_ref": ref, "reason_category": j.category.value, "justification": j.text,
            "operation_ref": j.operation_ref}


class RecordService:
    def __init__(self, policy: ScoringPolicy | None = None) -> None:
        self.policy = policy or default_policy()

    def last_justification(self, ws: Workspace, ref: str) -> Justification | None:
        """What this user said last time for this record, to prefill the prompt (never to skip it)."""
        ws.authorize(Permission.RECORD_OPEN, Action.RECORD_OPEN)  # not after training lapsed or access was revoked
        found = access_log.last_justification(ws.conn, ws.session.user_id, ref.strip().upper())
        if found is None:
            return None
        return Justification(ReasonCategory(found[0]), found[1], found[2])

    def open(self, ws: Workspace, ref: str, justification: Justification) -> NominalRecord:
        """A person's full record. Nothing is read before the justification is in hand, and the
        log entry commits with the read: no entry, no record."""
        ws.authorize(Permission.RECORD_OPEN, Action.RECORD_OPEN)
        target = resolve(ws, ref, Action.RECORD_OPEN)
        check_justification(ws, Action.RECORD_OPEN, target, justification)
        today = ws.env.clock.now().date()
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.RECORD_OPEN, **justified(ws, Action.RECORD_OPEN, target.ref,
                                                                                justification)))
            record = self.read(conn, target, today)
        return record

    def read(self, conn: Connection, target: Target, today: date) -> NominalRecord:
        """The full record, rescored as of today, inside the caller's logged transaction."""
        data = records.fields(conn, target.id)
        card = score(records.scoring_events(conn, target.id), today, self.policy)
        if data["scored_on"] != today.isoformat() or data["score_policy"] != self.policy.version:
            records.store_score(conn, target.id, card)  # scores move with time: keep the list honest
        record = NominalRecord(
            id=target.id, ref=target.ref, given_name=data["given_name"], family_name=data["family_name"],
            aliases=records.aliases(conn, target.id), date_of_birth=date.fromisoformat(data["date_of_birth"]),
            age=age_on(date.fromisoformat(data["date_of_birth"]), today), gender=data["gender"],
            ethnicity=data["ethnicity"], observed_ethnicity=data["observed_ethnicity"],
            disability=data["disability"], address=data["address"], postcode=data["postcode"],
            borough=data["borough"], bcu=data["bcu"], gangs=tuple(g for g in data["gangs"].split("\n") if g),
            status=data["status"], date_added=data["date_added"], last_reviewed=data["last_reviewed"],
            in_custody=bool(data["in_custody"]), custody_from=data["custody_from"],
            custody_to=data["custody_to"], version=data["version"], harm_score=card.harm,
            victim_score=card.victim, harm_band=card.harm_band.value, victim_band=card.victim_band.value,
            classification=card.classification.value, policy_version=card.policy_version,
            score_lines=tuple(ScoreLine(c.kind, c.on, c.side, c.points) for c in card.contributions),
            evidence=tuple(records.evidence(conn, target.id)),
            interventions=tuple(records.interventions(conn, target.id)),
            activity=tuple(records.activity(conn, target.id)),
            pending=records.pending_kinds(conn, target.id),
        )
        return record

    def history(self, ws: Workspace, ref: str, justification: Justification) -> list[VersionRecord]:
        """Earlier versions of a record: SPOCs and auditors only, justified like an open."""
        ws.authorize(Permission.RECORD_HISTORY, Action.RECORD_HISTORY)
        target = resolve(ws, ref, Action.RECORD_HISTORY)
        check_justification(ws, Action.RECORD_HISTORY, target, justification)
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.RECORD_HISTORY, **justified(ws, Action.RECORD_HISTORY,
                                                                                   target.ref, justification)))
            return records.versions(conn, target.id)
