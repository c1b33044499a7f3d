"""Seeded, reproducible generator of fictitious nominals for demos and tests.

Everything this module makes is SYNTHETIC. A gangs matrix is a list of named
people that police act on, so a demo record that could be mistaken for a real
person - a real-sounding name at a real-looking address - would be harmful if
it ever leaked into a screenshot, a report or a training session. So the data
is made to look fake at a glance while still exercising the app like real data:

* Given names are ordinary-looking and deliberately diverse (including names of
  many origins written in Latin script, a few with accents or hyphens), because
  the app must handle them. Given names alone identify nobody.
* Family names are invented two-part compounds ("Quill" + "mere" ->
  "Quillmere", "Amber" + "vale" -> "Ambervale") built from whimsical parts, with
  a deny-list for compounds that are real surnames or places. About 2% carry an
  apostrophe or a hyphen ("O'Quillmere", "Amber-Larchvale") so quoting bugs show.
* Aliases are plainly invented nicknames ("Synth", "Demo-K", "Little Vale").
* Streets are invented ("Placeholder Road", "Fictive Larch Close") and every
  postcode is in the "ZZ" area, which has never been issued by Royal Mail.

Ages, gender, ethnicity (ONS 2021 codes, roughly London's population mix, with
a floor so every code shows up), disability, BCU and borough follow simple
fixed weights. Only ``random.Random(seed)`` is used, never the global random
state, so the same arguments always give the same people.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from itertools import accumulate

from gvm_desktop.core.people import BCUS, DISABILITY, ETHNICITY_2021, GENDERS, NominalDraft

# --- names -----------------------------------------------------------------

_GIVEN_MALE: tuple[str, ...] = (
    "Abdirahman", "Adam", "Ahmed", "Aiden", "Alfie", "Amir", "Arjun", "Bilal", "Bogdan", "Caleb",
    "Callum", "Chidi", "Connor", "Daniel", "Dante", "Darnell", "Declan", "Dimitri", "Elijah", "Emeka",
    "Ethan", "Ezra", "Farhan", "Finn", "Hamza", "Harvey", "Ibrahim", "Isaac", "Jamal", "Jayden",
    "Jean-Paul", "Jerome", "Joel", "José", "Jun", "Kareem", "Kofi", "Kwame", "Leon", "Liam",
    "Luca", "Malik", "Marcus", "Mateusz", "Mohammed", "Nathan", "Nikolai", "Obinna", "Olamide", "Omar",
    "Oscar", "Rafael", "Reuben", "Ricardo", "Rohan", "Ryan", "Samir", "Sean", "Tariq", "Tayo",
    "Theo", "Tiago", "Tyrone", "Wei", "Yusuf", "Zain",
)
_GIVEN_FEMALE: tuple[str, ...] = (
    "Aaliyah", "Abena", "Agnieszka", "Aisha", "Amara", "Amelia", "Ana", "Anne-Marie", "Chiamaka", "Chloe",
    "Demi", "Ebony", "Fatima", "Funmi", "Grace", "Hana", "Imani", "Isla", "Jade", "Keisha",
    "Layla", "Leah", "Maya", "Mei", "Mia", "Nadia", "Niamh", "Nkechi", "Olivia", "Precious",
    "Priya", "Renée", "Sade", "Safiya", "Shanice", "Simone", "Sofia", "Tanisha", "Yasmin", "Zara",
    "Zoë",
)
_GIVEN_UNISEX: tuple[str, ...] = (
    "Alex", "Ari", "Charlie", "Eden", "Jesse", "Jordan", "Kai", "Morgan", "Nico", "Quinn",
    "Remi", "Riley", "Robin", "Rowan", "Sam", "Sasha",
)

# Whimsical halves of invented family names (25 x 25). Suffixes such as
# "-field", "-ford", "-wood", "-ley", "-ton" are left out on purpose: they are
# what most real English surnames are made of.
_FAMILY_HEADS: tuple[str, ...] = (
    "Amber", "Bramble", "Cinder", "Clover", "Ember", "Fennel", "Juniper", "Kestrel", "Lantern", "Larch",
    "Marble", "Nettle", "Otter", "Pebble", "Pewter", "Quill", "Sable", "Saffron", "Sorrel", "Tansy",
    "Teasel", "Thimble", "Thistle", "Velvet", "Wicker",
)
_FAMILY_TAILS: tuple[str, ...] = (
    "brook", "cliff", "combe", "croft", "dell", "down", "fen", "gill", "glen", "haven",
    "hollow", "holt", "hythe", "marsh", "mere", "moor", "ridge", "spire", "stead", "tarn",
    "thorne", "vale", "wick", "wold", "worth",
)
# Compounds that are (or too closely resemble) real surnames or place names.
# Some cannot be formed from the parts above; they stay listed so that anyone
# extending the parts keeps them out.
_FAMILY_DENY: frozenset[str] = frozenset(
    {
        "Ashford", "Brookfield", "Whitfield", "Nettlecombe", "Otterholt", "Thistlewood",
        "Hazelwood", "Copperfield", "Ambergate", "Thimbleby", "Marblehead",
    }
)
_FAMILY_NAMES: tuple[str, ...] = tuple(
    head + tail
    for head in _FAMILY_HEADS
    for tail in _FAMILY_TAILS
    if head + tail not in _FAMILY_DENY
)
_FAMILY_APOSTROPHE: tuple[str, ...] = ("O'", "D'")
_QUOTED_SHARE = 0.01  # apostrophe names; the same share again get a hyphen

_GIVEN_POOLS: dict[str, tuple[str, ...]] = {
    "M": _GIVEN_MALE,
    "F": _GIVEN_FEMALE,
    "X": _GIVEN_UNISEX,
    "U": _GIVEN_MALE + _GIVEN_FEMALE + _GIVEN_UNISEX,
}

# --- aliases -----------------------------------------------------------------

_ALIAS_WORDS: tuple[str, ...] = (
    "Byte", "Cipher", "Decoy", "Demo", "Dummy", "Echo", "Fixture", "Gizmo", "Glitch", "Mockup",
    "Null", "Pixel", "Placebo", "Proxy", "Sample", "Sprite", "Stub", "Synth", "Token", "Widget",
)
_ALIAS_SIZES: tuple[str, ...] = ("Little", "Big", "Young", "Lil")
_ALIAS_LETTERS = "ABDJKLMPRTVXZ"
_ALIAS_COUNTS: tuple[int, ...] = (0, 1, 2)
_ALIAS_COUNT_CUM: tuple[float, ...] = tuple(accumulate((45.0, 40.0, 15.0)))
_ALIAS_MAX = 40

# --- addresses ---------------------------------------------------------------

_STREET_WORDS: tuple[str, ...] = (
    "Exemplar", "Fabled", "Facsimile", "Fictive", "Figment", "Hypothetical", "Imaginary", "Invented",
    "Makebelieve", "Mockup", "Nonesuch", "Notional", "Placeholder", "Pretend", "Prototype", "Sample",
    "Simulacrum", "Specimen", "Surrogate", "Synthetic", "Testbed",
)
_STREET_TYPES: tuple[str, ...] = ("Street", "Road", "Lane", "Close", "Way")
# Letters Royal Mail uses at the end of an inward code (no C, I, K, M, O, V).
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# --- demographics ------------------------------------------------------------

_GENDER_CODES: tuple[str, ...] = ("M", "F", "X", "U")
_GENDER_CUM: tuple[float, ...] = tuple(accumulate((80.0, 16.0, 2.0, 2.0)))

_DISABILITY_CODES: tuple[str, ...] = ("N", "Y", "U")
_DISABILITY_CUM: tuple[float, ...] = tuple(accumulate((85.0, 8.0, 7.0)))

# Roughly London's Census 2021 mix (per cent), with a floor of 1.0 so that the
# smallest groups (e.g. Gypsy or Irish Traveller, Roma) still appear in demos.
_ETHNICITY_WEIGHTS: dict[str, float] = {
    "A1": 3.7, "A2": 1.7, "A3": 7.5, "A4": 3.3, "A5": 4.6,
    "B1": 7.9, "B2": 3.9, "B3": 1.6,
    "M1": 1.5, "M2": 1.0, "M3": 1.5, "M4": 1.9,
    "W1": 36.8, "W2": 1.7, "W3": 1.0, "W4": 1.0, "W5": 14.7,
    "O1": 1.6, "O2": 4.7,
    "NS": 3.0,
}
_ETHNICITY_CODES: tuple[str, ...] = tuple(_ETHNICITY_WEIGHTS)
_ETHNICITY_CUM: tuple[float, ...] = tuple(accumulate(_ETHNICITY_WEIGHTS.values()))
# From this many people on, every ethnicity code is guaranteed to appear.
_ALL_ETHNICITIES_FROM = 500

# Relative weight of each age in whole years: most 16-25, about 12% under 18.
_AGE_WEIGHTS: dict[int, float] = {
    13: 0.5, 14: 1.0, 15: 2.0, 16: 4.0, 17: 6.0,
    18: 10.0, 19: 10.0, 20: 10.0, 21: 9.0, 22: 8.0, 23: 7.0, 24: 6.0, 25: 5.0,
    26: 4.0, 27: 4.0, 28: 3.0, 29: 3.0, 30: 3.0,
    31: 2.0, 32: 2.0, 33: 2.0, 34: 2.0, 35: 2.0,
    **{age: 1.0 for age in range(36, 46)},
}
_EARLIEST_DOB = date(1940, 1, 1)

# Sanity: the tables above must only use codes the app accepts.
assert set(_GENDER_CODES) == set(GENDERS) == set(_GIVEN_POOLS)
assert set(_DISABILITY_CODES) == set(DISABILITY)
assert set(_ETHNICITY_CODES) == set(ETHNICITY_2021)
assert not _FAMILY_DENY.intersection(_FAMILY_NAMES)

DEMO_PEOPLE = 1200  # the people of the demo vault `gvm-desktop --demo` (and `gvm-desktop demo`) makes


def generate_nominals(
    count: int,
    *,
    seed: int = 2026,
    today: date,
    bcus: Sequence[str] | None = None,
) -> list[NominalDraft]:
    """Make ``count`` fictitious people, the same ones for the same arguments.

    ``today`` is the day ages are measured on (everyone is 13 to 45 then).
    ``bcus`` restricts people to those BCU codes (default: all of them); each
    person's borough is one of their BCU's boroughs.
    """
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"count must be an int, not {type(count).__name__}")
    if count < 0:
        raise ValueError(f"count must not be negative: {count}")
    if isinstance(today, datetime):
        today = today.date()
    if not isinstance(today, date):
        raise TypeError(f"today must be a date, not {type(today).__name__}")
    bcu_codes = _chosen_bcus(bcus)
    ages, age_cum, starts, spans = _age_table(today)

    rng = random.Random(seed)
    n = count
    rand = rng.random
    genders = rng.choices(_GENDER_CODES, cum_weights=_GENDER_CUM, k=n)
    ethnicities = rng.choices(_ETHNICITY_CODES, cum_weights=_ETHNICITY_CUM, k=n)
    if n >= _ALL_ETHNICITIES_FROM:
        _ensure_every_code(rng, ethnicities, _ETHNICITY_CODES)
    disabilities = rng.choices(_DISABILITY_CODES, cum_weights=_DISABILITY_CUM, k=n)

    pools = _GIVEN_POOLS
    given_names = [(pool := pools[g])[int(rand() * len(pool))] for g in genders]
    family_names = _family_names(rng, n)

    age_draws = rng.choices(range(len(ages)), cum_weights=age_cum, k=n)
    fromordinal = date.fromordinal
    births = [fromordinal(starts[a] + int(rand() * spans[a])) for a in age_draws]

    bcu_draws = rng.choices(bcu_codes, k=n)
    boroughs = [(names := BCUS[b][1])[int(rand() * len(names))] for b in bcu_draws]

    addresses = _addresses(rng, n)
    postcodes = _postcodes(rng, n)
    alias_counts = rng.choices(_ALIAS_COUNTS, cum_weights=_ALIAS_COUNT_CUM, k=n)
    aliases = [_aliases(rng, k) if k else () for k in alias_counts]

    return [
        NominalDraft(
            given_name=given_names[i],
            family_name=family_names[i],
            date_of_birth=births[i],
            gender=genders[i],
            ethnicity=ethnicities[i],
            disability=disabilities[i],
            address=addresses[i],
            postcode=postcodes[i],
            borough=boroughs[i],
            bcu=bcu_draws[i],
            aliases=aliases[i],
        )
        for i in range(n)
    ]


def _chosen_bcus(bcus: Sequence[str] | None) -> tuple[str, ...]:
    if bcus is None:
        return tuple(BCUS)
    if isinstance(bcus, str):
        raise TypeError("bcus must be a sequence of BCU codes, not a single string")
    codes = tuple(dict.fromkeys(bcus))
    if not codes:
        raise ValueError("bcus must name at least one BCU")
    unknown = [code for code in codes if code not in BCUS]
    if unknown:
        raise ValueError(f"unknown BCU code(s): {', '.join(map(str, unknown))}")
    return codes


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _age_table(today: date) -> tuple[list[int], list[float], list[int], list[int]]:
    """Ages that fit on ``today``, their cumulative weights, first DOB ordinals and DOB spans.

    Someone aged ``age`` on ``today`` was born after the day ``age + 1`` years
    before it and no later than the day ``age`` years before it.
    """
    ages: list[int] = []
    weights: list[float] = []
    starts: list[int] = []
    spans: list[int] = []
    floor = _EARLIEST_DOB.toordinal()
    for age, weight in _AGE_WEIGHTS.items():
        latest = _years_before(today, age).toordinal()
        earliest = max(_years_before(today, age + 1).toordinal() + 1, floor)
        if latest < earliest:
            continue
        ages.append(age)
        weights.append(weight)
        starts.append(earliest)
        spans.append(latest - earliest + 1)
    if not ages:
        raise ValueError(f"no one born in or after {_EARLIEST_DOB.year} is 13 to 45 on {today}")
    return ages, list(accumulate(weights)), starts, spans


def _ensure_every_code(rng: random.Random, drawn: list[str], codes: Sequence[str]) -> None:
    """Overwrite a few draws so every code appears at least once (needs len(drawn) >= 2 * len(codes))."""
    seen = Counter(drawn)
    for code in codes:
        if seen[code]:
            continue
        while True:
            i = rng.randrange(len(drawn))
            if seen[drawn[i]] > 1:
                break
        seen[drawn[i]] -= 1
        drawn[i] = code
        seen[code] += 1


def _family_names(rng: random.Random, n: int) -> list[str]:
    """Invented compounds; about 1% get an apostrophe prefix and 1% a hyphenated head."""
    names = rng.choices(_FAMILY_NAMES, k=n)
    rand = rng.random
    for i in range(n):
        roll = rand()
        if roll < _QUOTED_SHARE:
            names[i] = rng.choice(_FAMILY_APOSTROPHE) + names[i]
        elif roll < 2 * _QUOTED_SHARE:
            names[i] = rng.choice(_FAMILY_HEADS) + "-" + names[i]
    return names


def _aliases(rng: random.Random, how_many: int) -> tuple[str, ...]:
    found: list[str] = []
    while len(found) < how_many:
        style = rng.random()
        if style < 0.4:
            alias = rng.choice(_ALIAS_WORDS)
        elif style < 0.65:
            alias = f"{rng.choice(_ALIAS_WORDS)}-{rng.choice(_ALIAS_LETTERS)}"
        elif style < 0.9:
            alias = f"{rng.choice(_ALIAS_SIZES)} {rng.choice(_FAMILY_TAILS).capitalize()}"
        else:
            alias = f"{rng.choice(_ALIAS_WORDS)} {rng.randrange(1, 10)}"
        if alias not in found and len(alias) <= _ALIAS_MAX:
            found.append(alias)
    return tuple(found)


def _addresses(rng: random.Random, n: int) -> list[str]:
    """"<number> <invented street> <type>", e.g. "12 Placeholder Road", "7 Fictive Larch Close"."""
    numbers = rng.choices(range(1, 221), k=n)
    words = rng.choices(_STREET_WORDS, k=n)
    heads = rng.choices(_FAMILY_HEADS, k=n)
    kinds = rng.choices(_STREET_TYPES, k=n)
    rand = rng.random
    return [
        f"{numbers[i]} {words[i]} {heads[i]} {kinds[i]}" if rand() < 0.4 else f"{numbers[i]} {words[i]} {kinds[i]}"
        for i in range(n)
    ]


def _postcodes(rng: random.Random, n: int) -> list[str]:
    """Postcodes in the never-issued "ZZ" area, e.g. "ZZ4 7QX"."""
    districts = rng.choices("123456789", k=n)
    sectors = rng.choices("0123456789", k=n)
    first = rng.choices(_POSTCODE_LETTERS, k=n)
    second = rng.choices(_POSTCODE_LETTERS, k=n)
    return [f"ZZ{districts[i]} {sectors[i]}{first[i]}{second[i]}" for i in range(n)]
