"""Opening a person's record: the justification first, the read and its log entry in one transaction."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

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
    """Free text that contains the person's name, an alias, their date of birth, address or postcode."""

    code = "names_the_person"

    def __init__(self, what: str = "This justification") -> None:
        # Never the matched words: this message is shown, and written to the log as the refusal's detail.
        super().__init__(f"{what} contains the person's name, an alias, their date of birth or their address: "
                         f"{WHY_NOT_WHO}.")


@dataclass(frozen=True)
class Identity:
    """What identifies a person in free text: their names, aliases, date of birth, address and postcode."""

    given_name: str
    family_name: str
    date_of_birth: date
    aliases: tuple[str, ...] = ()
    address: str = ""
    postcode: str = ""
    earlier: tuple[Identity, ...] = ()  # what earlier versions of the record held: a former address identifies too


def _identity(data: Mapping[str, Any], aliases: Iterable[str]) -> Identity:
    return Identity(str(data["given_name"]), str(data["family_name"]), date.fromisoformat(str(data["date_of_birth"])),
                    tuple(aliases), str(data.get("address") or ""), str(data.get("postcode") or ""))


def identity_of(conn: Connection, nominal_id: int) -> Identity:
    """The person as the record holds them now, with every other identity its earlier versions held (a reason
    "moved away from <the old address>" names them as surely as the current one)."""
    current = _identity(records.fields(conn, nominal_id), records.aliases(conn, nominal_id))
    earlier = dict.fromkeys(_identity(v.snapshot, v.snapshot.get("aliases") or ())  # type: ignore[arg-type]
                            for v in records.versions(conn, nominal_id))
    earlier.pop(current, None)
    return replace(current, earlier=tuple(earlier))


# Scripts written without spaces between words: a name in them is found anywhere in the text.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")
_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_MONTH = "(?<![a-z])(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?![a-z])"
_ORDINAL = r"(?:st|nd|rd|th)?"
# Dates as people write them, matched in the matcher's text (folded, every separator one space: see _folded),
# so 29/11/2006, 29-11-2006 and 29.11.2006 all read "29 11 2006", and 06-May-07 reads "06 may 07".
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4}) (\d{1,2}) (\d{1,4})(?!\d)")  # 29/11/2006, 2006-11-29, 29/11/06
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")  # 29112006, 20061129
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}}){_ORDINAL} ?(?:of )?{_MONTH} ?(\d{{4}}|\d{{2}})(?!\d)")  # 6 May 07
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH} ?(\d{{1,2}}){_ORDINAL} ?(\d{{4}}|\d{{2}})(?!\d)")  # May 6th, 2007
_YEAR_MONTH_DAY = re.compile(rf"(?<!\d)(\d{{4}}) ?{_MONTH} ?(\d{{1,2}}){_ORDINAL}(?![a-z\d])")  # 2007 May 6
_YEAR_DAY_MONTH = re.compile(rf"(?<!\d)(\d{{4}}) ?(\d{{1,2}}){_ORDINAL} ?(?:of )?{_MONTH}")  # 2007, 6th of May

# English words that are also given or family names. A single name part of four letters or more is matched in
# any case ("visit to zyxwquuxtest's house"); one of these, like a part shorter than four letters, only as a
# name is written (see _written_as_name), so "I will visit" and "Green band person" are not about Will Green.
# A name missing here is refused in any case: a false refusal the writer rephrases, never a name let through.
_NAME_WORDS = frozenset({
    "able", "amber", "angel", "april", "archer", "autumn", "baker", "banks", "barber", "baron", "bell", "berry", "best",
    "bird", "bishop", "black", "bliss", "bloom", "blue", "bond", "booth", "brand", "brave", "bright", "brook", "brooks",
    "brown", "buck", "bull", "bush", "butler", "carol", "carter", "cash", "chance", "chase", "cherry", "child",
    "christian", "church", "clay", "cliff", "coal", "cook", "cooper", "crane", "cross", "crystal", "daisy", "dale",
    "dawn", "dean", "dear", "diamond", "drake", "drew", "duke", "dune", "earl", "early", "east", "ernest", "fair",
    "faith", "field", "fields", "finch", "fisher", "flint", "ford", "forest", "frank", "free", "freeman", "friend",
    "frost", "gentle", "ginger", "glass", "glen", "gold", "golden", "good", "grace", "grant", "gray", "green", "grey",
    "hale", "hall", "hardy", "harmony", "hart", "hawk", "heart", "heath", "heather", "hill", "holly", "honey", "hood",
    "hope", "house", "hunt", "hunter", "iris", "ivory", "jack", "jade", "jewel", "judge", "june", "justice", "kind",
    "king", "knight", "lake", "lamb", "lance", "land", "lane", "lily", "little", "long", "love", "lucky", "major",
    "march", "mark", "marsh", "marshal", "mason", "melody", "mercy", "miles", "mill", "miller", "mills", "moody",
    "moon", "moss", "noble", "north", "nurse", "page", "palmer", "park", "parker", "parks", "patience", "peace",
    "pearl", "penny", "piper", "poppy", "porter", "potter", "power", "precious", "price", "pride", "prince", "rain",
    "ranger", "read", "reed", "rich", "river", "rivers", "robin", "rock", "rose", "royal", "ruby", "rush", "sage",
    "sandy", "savage", "sharp", "shepherd", "short", "silver", "slater", "smart", "smith", "snow", "sonny", "south",
    "sparrow", "spring", "star", "steel", "sterling", "stone", "storm", "strong", "summer", "sunny", "swan", "sweet",
    "swift", "tanner", "trinity", "turner", "violet", "wade", "walker", "ward", "warden", "waters", "weaver", "wells",
    "west", "white", "wild", "will", "wise", "wolf", "wood", "woods", "wren", "young"
})
# A full stop after these ends no sentence: "Mr. Green" is written as a name.
_TITLES = frozenset({"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "rev", "st", "sgt", "pc", "dc", "insp"})
_SENTENCE_END = frozenset(".!?…。！？")


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` as the matcher reads it, and for each of its characters the index of the original one.

    Folded as search folds it (case and accents ignored). Invisible format characters (Unicode category Cf:
    zero-width space, soft hyphen, ZWNJ, ZWJ, word joiner...) are deleted, so "Zyxw<U+200B>quuxtest" reads
    "zyxwquuxtest". Every run of anything that is not a letter, mark or digit reads as one space, so
    "06-May-2007" separates its parts as "06 May 2007" does, and "Tamsin_Quillmere" as "Tamsin Quillmere".
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":
            continue
        for f in fold(ch):
            if unicodedata.category(f)[0] in "LMN":
                out.append(f)
                origin.append(i)
            elif out and out[-1] != " ":
                out.append(" ")
                origin.append(i)
    return "".join(out), origin


def _words(text: str) -> list[str]:
    return _folded(text)[0].split()


def _pattern(words: list[str], *, unspaced: bool = False) -> re.Pattern[str]:
    body = " ?".join(re.escape(w) for w in words)  # "Mary-Jane" is also "Mary Jane" and "MaryJane"
    return re.compile(body if unspaced else rf"(?<!\S){body}(?!\S)")  # whole words: "Al" is not in "already"


def _unspaced(name: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(_UNSPACED) for ch in name)


@dataclass(frozen=True)
class _Mention:
    pattern: re.Pattern[str]
    what: str
    as_written: bool = False  # only with a capital initial, and not as the first word of the text or a sentence


def _name_mention(name: str, *, alias: bool) -> _Mention | None:
    words = _words(name)
    letters = sum(len(w) for w in words)
    if letters < 2:
        return None  # a single letter identifies nobody, and would refuse half the language
    unspaced = _unspaced(name)
    # Ordinary words are names only as a name is written: a part shorter than four letters ("He", "An") or an
    # English word ("Will", "Green"). Aliases of four letters or more, and names of several words, always count.
    as_written = not unspaced and (letters < 4 or (not alias and len(words) == 1 and words[0] in _NAME_WORDS))
    return _Mention(_pattern(words, unspaced=unspaced), "[name]", as_written)


def _address_mentions(address: str, postcode: str) -> list[_Mention]:
    found: list[_Mention] = []
    words = _words(address)
    if words:
        found.append(_Mention(_pattern(words), "[address]"))
        # The house number is the number just before the street: "Flat 3, 41 Xxqqjjmews Close" has 41.
        number = next((i for i, w in enumerate(words[:-1]) if w[0].isdigit() and not words[i + 1][0].isdigit()), None)
        if number is not None:
            street = words[number + 1:]
            # The house number and the street, its later words optional: "41 Xxqqjjmews", "41 Xxqqjjmews Close".
            rest = ""
            for w in reversed(street[1:]):
                rest = f"(?: ?{re.escape(w)}{rest})?"
            found.append(_Mention(re.compile(rf"(?<!\S){re.escape(words[number])} ?{re.escape(street[0])}{rest}(?!\S)"),
                                  "[address]"))
            if len(street) >= 2:  # the street without its number ("Xxqqjjmews Close"); one word alone is too common
                found.append(_Mention(_pattern(street), "[address]"))
    code = "".join(_words(postcode))
    if len(code) >= 4:  # spacing ignored: "ZZ9 8QJ", "ZZ98QJ", "zz9-8qj"
        found.append(_Mention(_pattern(list(code)), "[postcode]"))
    return found


def _mentions(who: Identity) -> list[_Mention]:
    found: list[_Mention] = []
    for former in who.earlier:
        found += _mentions(former)
    given, family = _words(who.given_name), _words(who.family_name)
    if given and family:  # the full name, either order, in any case: "Will Green", "GREEN, Will"
        unspaced = _unspaced(who.given_name + who.family_name)
        found += [_Mention(_pattern(given + family, unspaced=unspaced), "[name]"),
                  _Mention(_pattern(family + given, unspaced=unspaced), "[name]")]
    for name, alias in ((who.given_name, False), (who.family_name, False), *((a, True) for a in who.aliases)):
        mention = _name_mention(name, alias=alias)
        if mention is not None:
            found.append(mention)
    return found + _address_mentions(who.address, who.postcode)


def _written_as_name(text: str, at: int) -> bool:
    """Whether the word at `at` in `text` is written as a name: a capital initial, and not the first word of
    the text or of a sentence (where every word has one). A script without case gives no such sign: it counts."""
    first = text[at]
    if first.lower() == first.upper():
        return True
    if not first.isupper():
        return False
    i = at - 1
    while i >= 0 and (text[i].isspace() or unicodedata.category(text[i]) in ("Cf", "Ps", "Pi", "Pf") or text[i] in "\"'"):
        if text[i] in "\n\r\u2028\u2029":
            return False  # a new line starts a new sentence
        i -= 1
    if i < 0:
        return False
    if text[i] not in _SENTENCE_END:
        return True
    word_start = i
    while word_start > 0 and text[word_start - 1].isalpha():
        word_start -= 1
    return fold(text[word_start:i]) in _TITLES  # "Mr. Green": a title's full stop ends no sentence


def _is_birthday(born: date, year: str, month: int, day: int) -> bool:
    """Whether day, month and a year of 4 digits (or 2, as in 29/11/06) are the date of birth."""
    if (month, day) != (born.month, born.day) or len(year) not in (2, 4):
        return False
    return int(year) == (born.year if len(year) == 4 else born.year % 100)


def _date_spans(folded: str, born: date) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in _NUMERIC_DATE.finditer(folded):
        a, b, c = m.groups()
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
    for m in _YEAR_MONTH_DAY.finditer(folded):
        if _is_birthday(born, m.group(1), _MONTHS[m.group(2)], int(m.group(3))):
            spans.append(m.span())
    for m in _YEAR_DAY_MONTH.finditer(folded):
        if _is_birthday(born, m.group(1), _MONTHS[m.group(3)], int(m.group(2))):
            spans.append(m.span())
    return spans


def _spans(text: str, who: Identity) -> list[tuple[int, int, str]]:
    """Where `text` mentions `who`: (start, end, what) in `text`'s own indices, longest first at each start."""
    folded, origin = _folded(text)
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, what: str) -> None:
        if end > start:
            found.append((origin[start], origin[end - 1] + 1, what))

    # Earlier versions mostly repeat the current names: each pattern is run once.
    for mention in {(m.pattern.pattern, m.what, m.as_written): m for m in _mentions(who)}.values():
        for m in mention.pattern.finditer(folded):
            if not mention.as_written or _written_as_name(text, origin[m.start()]):
                add(*m.span(), mention.what)
    for born in dict.fromkeys(i.date_of_birth for i in (who, *who.earlier)):
        for start, end in _date_spans(folded, born):
            add(start, end, "[date of birth]")
    return sorted(found, key=lambda span: (span[0], -span[1]))


def names_person(text: str, who: Identity) -> bool:
    return bool(_spans(text, who))


def scrub(text: str, who: Identity) -> str:
    """`text` with every mention of `who` (names, aliases, date of birth, address, postcode) replaced by what
    it was ("[name]", "[date of birth]", "[address]", "[postcode]")."""
    out, at = [], 0
    for start, end, what in _spans(text, who):
        if start < at:
            at = max(at, end)  # overlaps the mention just replaced: the one replacement covers both
            continue
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
