"""Write resources/samples/legacy-matrix.xlsx: a synthetic BCU matrix as a BCU keeps it in a spreadsheet today.

    .venv/bin/python scripts/make_legacy_sample.py [--out FILE] [--rows N]

Everything in it is invented, in the style of gvm_desktop/core/synthetic.py: family names are
whimsical compounds whose first halves the demo generator never uses (so no sample row can be the
same person as a demo vault's), streets are made up, every postcode is in the never-issued ZZ area,
and the gangs say "(synthetic)". The columns, codes (2001 Census ethnicity, "Male"/"Female", a RAG
rating, a legacy harm score) and date styles are those of a real legacy sheet, and
resources/samples/legacy-matrix.toml maps them. Every row imports cleanly into a fresh demo vault's
Central East BCU as demo.spoc; the same seed gives the same workbook, byte for byte.

Needs xlsxwriter (the test extra); the application itself never writes spreadsheets.
"""

from __future__ import annotations

import argparse
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "samples" / "legacy-matrix.xlsx"

HEADERS = (
    "Nominal", "Surname", "Forename", "AKA", "DOB", "Sex", "SDE", "IC code", "Disability", "Address", "Postcode",
    "Borough", "Gang", "Harm score", "RAG", "Last reviewed",
    "Intel date", "Intel type", "Intel source", "Intel grading", "Intel summary", "Intel ref",
    "Intel 2 date", "Intel 2 type", "Intel 2 source", "Intel 2 grading", "Intel 2 summary", "Intel 2 ref",
    "Intel 2 verification",
)
_GIVEN = {"Male": ("Adam", "Bilal", "Caleb", "Dante", "Emeka", "Finn", "Hamza", "Jamal", "Kofi", "Luca", "Malik",
                   "Omar", "Reuben", "Tariq", "Theo", "Yusuf", "Zain"),
          "Female": ("Aisha", "Amara", "Chloe", "Ebony", "Fatima", "Imani", "Keisha", "Layla", "Nadia", "Priya",
                     "Sade", "Zara")}
# First halves absent from core/synthetic.py's, so no sample person can match a demo vault's by name.
_HEADS = ("Tallow", "Cobalt", "Drizzle", "Mosaic", "Parsnip", "Quibble", "Rhubarb", "Tinsel", "Waffle", "Zephyr")
_TAILS = ("brook", "combe", "dell", "fen", "gill", "haven", "holt", "mere", "spire", "wick")
_STREETS = ("Fictive Larch Close", "Placeholder Road", "Notional Lane", "Specimen Way", "Testbed Street",
            "Makebelieve Road")
_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_SDE = ("W1", "W1", "W9", "B1", "B2", "B9", "A1", "A3", "A9", "M1", "M9", "O1", "O9", "NS")
_IC = {"W": "IC1", "B": "IC3", "A": "IC4", "M": "IC9", "O": "IC9", "N": "IC9"}
_GANGS = ("Velvet Lane Crew (synthetic)", "Otterway Boys (synthetic)", "ZZ Postcode Set (synthetic)")
_INTEL = (  # type, source, grading, summary
    ("Violence", "Police", "1B P", "Named as the suspect in a synthetic street robbery report."),
    ("Association", "Partner", "2B P", "Youth service notes regular contact with a synthetic crew's members."),
    ("Weapons", "Police", "1A P", "Found with a bladed article in a synthetic stop and search."),
    ("Association", "Community", "2C P", "A community source names the person as close to the crew."),
    ("Weapon access", "Police", "2B C", "Intelligence of access to a stored weapon, synthetic case."),
    ("Victim", "Police", "1A P", "Victim of a synthetic assault, treated at hospital."),
)


def _when(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def rows(count: int, seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    out: list[list[object]] = []
    names = [(h + t, g) for h in _HEADS for t in _TAILS for g in ("Male", "Female")]
    rng.shuffle(names)
    for n, (family, sex) in enumerate(names[:count], start=1):
        dob = _when(rng, date(1996, 1, 1), date(2010, 6, 30))
        sde = rng.choice(_SDE)
        first = _when(rng, date(2026, 1, 5), date(2026, 10, 20))
        kind, source, grading, summary = rng.choice(_INTEL)
        row: list[object] = [
            f"CE/L/{n:04d}", family, rng.choice(_GIVEN[sex]),
            rng.choice(("", "", "Synth", "Little Vale", "Demo-K")), dob, sex if n % 7 else sex[0], sde,
            _IC[sde[0]] if n % 3 else "", rng.choice(("No", "No", "No", "Yes", "Unknown")),
            f"{rng.randint(1, 180)} {rng.choice(_STREETS)}",
            f"ZZ{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}",
            rng.choice(("Hackney", "Tower Hamlets")), rng.choice(_GANGS), rng.randint(0, 60),
            rng.choice(("RED", "AMBER", "GREEN")), _when(rng, date(2025, 6, 1), date(2026, 9, 30)),
            # Half the first entries' dates are typed as text, as people do in a shared sheet.
            first if n % 2 else first.strftime("%d-%b-%Y"), kind, source, grading, summary,
            f"INT/26/{rng.randint(10000, 99999)}",
        ]
        if n % 2:
            second = _when(rng, date(2026, 1, 5), date(2026, 10, 20))
            if n % 4 == 1:
                row += [second, "Social media", "Open source", "2B P",
                        "Posted a synthetic drill video naming the crew.", f"OSINT/26/{n:04d}",
                        "Public post seen by the unit on a synthetic platform, saved with its link and time."]
            else:
                k2, s2, g2, t2 = rng.choice(_INTEL)
                row += [second.strftime("%d/%m/%Y"), k2, s2, g2, t2, f"INT/26/{rng.randint(10000, 99999)}", ""]
        else:
            row += [""] * 7
        out.append(row)
    return out


def write(path: Path, count: int = 40, seed: int = 16) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    # Fixed properties: the same seed gives the same bytes, so the shipped file only changes when this does.
    book.set_properties({"title": "Synthetic legacy gangs matrix (fake people)", "author": "gvm-desktop",
                         "created": datetime(2026, 11, 1, 9, 0)})
    sheet = book.add_worksheet("Matrix")
    bold = book.add_format({"bold": True, "bg_color": "#DDDDDD"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, HEADERS, bold)
    for r, row in enumerate(rows(count, seed), start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            elif value != "":
                sheet.write(r, c, value)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("Notes")
    notes.write(0, 0, "SYNTHETIC DATA: every person, address and gang in this workbook is invented.")
    notes.write(1, 0, "Harm score and RAG are the legacy ratings; gvm-desktop never imports them.")
    book.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    write(args.out, args.rows, args.seed)
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
