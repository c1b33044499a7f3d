"""The words for a person on the matrix (a nominal), and the fixed code lists.

Pure data: no storage, no Qt. The code lists are the ones the demographic
(disproportionality) analysis will group by, so they are closed sets with
stable codes; anything outside them is refused, not stored as free text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.text import NAME_MAX, TEXT_MAX, check_no_hidden_controls, clean

# ONS Census 2021 ethnic group categories for England and Wales (19 groups),
# with the five high-level groups they belong to. "NS" lets a person decline
# to state it, which is their right and must not be guessed over.
ETHNICITY_2021: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "A1": ("Asian", "Bangladeshi"),
        "A2": ("Asian", "Chinese"),
        "A3": ("Asian", "Indian"),
        "A4": ("Asian", "Pakistani"),
        "A5": ("Asian", "Any other Asian background"),
        "B1": ("Black", "African"),
        "B2": ("Black", "Caribbean"),
        "B3": ("Black", "Any other Black, Black British or Caribbean background"),
        "M1": ("Mixed", "White and Asian"),
        "M2": ("Mixed", "White and Black African"),
        "M3": ("Mixed", "White and Black Caribbean"),
        "M4": ("Mixed", "Any other Mixed or multiple ethnic background"),
        "W1": ("White", "English, Welsh, Scottish, Northern Irish or British"),
        "W2": ("White", "Irish"),
        "W3": ("White", "Gypsy or Irish Traveller"),
        "W4": ("White", "Roma"),
        "W5": ("White", "Any other White background"),
        "O1": ("Other", "Arab"),
        "O2": ("Other", "Any other ethnic group"),
        "NS": ("Not stated", "Not stated"),
    }
)

GENDERS: Mapping[str, str] = MappingProxyType(
    {"F": "Female", "M": "Male", "X": "Non-binary or other", "U": "Not stated"}
)

DISABILITY: Mapping[str, str] = MappingProxyType(
    {"Y": "Disabled", "N": "Not disabled", "U": "Not stated"}
)

# The Met's 12 Basic Command Units and the London boroughs each covers.
BCUS: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "CE": ("Central East", ("Hackney", "Tower Hamlets")),
        "CN": ("Central North", ("Camden", "Islington")),
        "CS": ("Central South", ("Lambeth", "Southwark")),
        "CW": ("Central West", ("Westminster", "Kensington and Chelsea", "Hammersmith and Fulham")),
        "EA": ("East", ("Barking and Dagenham", "Havering", "Redbridge")),
        "NA": ("North", ("Enfield", "Haringey")),
        "NE": ("North East", ("Newham", "Waltham Forest")),
        "NW": ("North West", ("Barnet", "Brent", "Harrow")),
        "SE": ("South East", ("Bexley", "Greenwich", "Lewisham")),
        "SN": ("South", ("Bromley", "Croydon", "Sutton")),
        "SW": ("South West", ("Kingston upon Thames", "Merton", "Richmond upon Thames", "Wandsworth")),
        "WA": ("West", ("Ealing", "Hillingdon", "Hounslow")),
    }
)


def bcu_name(code: str) -> str:
    return BCUS[code][0]


def bcu_of_borough(borough: str) -> str:
    for code, (_name, boroughs) in BCUS.items():
        if borough in boroughs:
            return code
    raise KeyError(borough)


@dataclass(frozen=True)
class NominalDraft:
    """A person as entered (or generated), before the vault gives them a reference."""

    given_name: str
    family_name: str
    date_of_birth: date
    gender: str
    ethnicity: str
    disability: str
    address: str
    postcode: str
    borough: str
    bcu: str
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years of age on a day (a birthday on 29 February counts from 1 March)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


MAX_ALIASES = 10
MIN_AGE, MAX_AGE = 10, 100
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
OBSERVED_ETHNICITY: Mapping[str, str] = MappingProxyType(
    {"IC1": "White - North European", "IC2": "White - South European", "IC3": "Black", "IC4": "Asian",
     "IC5": "Chinese, Japanese or other South East Asian", "IC6": "Arab or North African", "IC9": "Unknown"}
)


def validate_draft(draft: NominalDraft, *, today: date) -> NominalDraft:
    """A person as entered, cleaned, or a ValidationError that names the field and the rule."""
    given = clean(draft.given_name, "The given name", limit=NAME_MAX)
    family = clean(draft.family_name, "The family name", limit=NAME_MAX)
    # An invisible or reordering character makes a held person's name look new to the duplicate check (and on
    # screen look like another name): refused, as in account names. The joiners Persian and Indic names need pass.
    check_no_hidden_controls(given, "The given name")
    check_no_hidden_controls(family, "The family name")
    if draft.date_of_birth > today:
        raise ValidationError(f"The date of birth {draft.date_of_birth.isoformat()} is in the future.")
    age = age_on(draft.date_of_birth, today)
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValidationError(f"The date of birth gives an age of {age}; it must be from {MIN_AGE} to {MAX_AGE}.")
    for value, codes, what in ((draft.gender, GENDERS, "gender"), (draft.ethnicity, ETHNICITY_2021, "ethnicity"),
                               (draft.disability, DISABILITY, "disability")):
        if value not in codes:
            raise ValidationError(f"Unknown {what} code '{str(value)[:10]}': one of {', '.join(codes)}.")
    if draft.bcu not in BCUS:
        raise ValidationError(f"Unknown BCU '{draft.bcu[:10]}'.")
    if draft.borough not in BCUS[draft.bcu][1]:
        raise ValidationError(f"{draft.borough[:40]} is not a borough of the {bcu_name(draft.bcu)} BCU.")
    postcode = clean(draft.postcode, "The postcode", limit=8).upper()
    if not _POSTCODE.fullmatch(postcode):
        # The postcode is part of an address: say what is wrong without repeating it.
        raise ValidationError("The postcode is not a UK postcode (e.g. ZZ1 2AB).")
    aliases = tuple(dict.fromkeys(clean(a, "An alias", limit=NAME_MAX) for a in draft.aliases))
    for alias in aliases:
        check_no_hidden_controls(alias, "An alias")
    if len(aliases) > MAX_ALIASES:
        raise ValidationError(f"At most {MAX_ALIASES} aliases.")
    return replace(draft, given_name=given, family_name=family, postcode=postcode, aliases=aliases,
                   address=clean(draft.address, "The address", limit=TEXT_MAX // 10))
