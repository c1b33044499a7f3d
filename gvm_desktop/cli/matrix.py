"""Matrix commands of the command line: list, open a record (justified), status check, DSA, purge.

Partners have no command here: their preview lives in the application only,
where copy, print and export are off. Printing it to a terminal would be an export.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.core.errors import UsageError
from gvm_desktop.core.justification import Justification, ReasonCategory
from gvm_desktop.core.labels import people_text
from gvm_desktop.core.people import DISABILITY, ETHNICITY_2021, GENDERS
from gvm_desktop.core.records import COLUMN_LABELS, SORTABLE, NominalRecord
from gvm_desktop.services.context import Workspace


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:20]}' is not a date (YYYY-MM-DD)") from None


def _justification_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", required=True, choices=[c.value for c in ReasonCategory], help="why, as a category")
    p.add_argument("--why", required=True, help="why, in at least two words (10 characters or more)")
    p.add_argument("--operation", default=None, help="the operation reference, if any")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser,
                parser_class: type[argparse.ArgumentParser]) -> None:
    m = sub.add_parser("matrix", parents=[common], help="the matrix of your BCU (officer, SPOC), or references (auditor)")
    msub = m.add_subparsers(dest="matrix_command", parser_class=parser_class, required=True)
    ls = msub.add_parser("list", parents=[common], help="list people (names are personal data: every listing is logged)")
    ls.add_argument("--search", default=None)
    ls.add_argument("--sort", default="name", choices=sorted(SORTABLE))
    ls.add_argument("--limit", type=int, default=50)
    msub.add_parser("refs", parents=[common], help="record references across BCUs (auditor)")

    rec = sub.add_parser("record", parents=[common], help="one person's record")
    rsub = rec.add_subparsers(dest="record_command", parser_class=parser_class, required=True)
    op = rsub.add_parser("open", parents=[common], help="open a record; asks why first, and logs it")
    op.add_argument("ref")
    _justification_args(op)

    sc = sub.add_parser("status-check", parents=[common], help="is this person on the matrix? (officer, SPOC)")
    sc.add_argument("--given", required=True)
    sc.add_argument("--family", required=True)
    sc.add_argument("--dob", required=True, type=parse_date)
    _justification_args(sc)

    ret = sub.add_parser("retention", parents=[common], help="retention of removed people's archive records (admin)")
    rsub2 = ret.add_subparsers(dest="retention_command", parser_class=parser_class, required=True)
    rsub2.add_parser("purge", parents=[common],
                     help="purge archive records and signed reviews past the retention period")

    dsa = sub.add_parser("dsa", parents=[common], help="data sharing agreements (admin)")
    dsub = dsa.add_subparsers(dest="dsa_command", parser_class=parser_class, required=True)
    add = dsub.add_parser("add", parents=[common])
    add.add_argument("--organisation", required=True)
    add.add_argument("--bcu", required=True)
    add.add_argument("--fields", required=True, help="comma-separated, e.g. ref,age,harm_band")
    add.add_argument("--from", dest="starts_on", required=True, type=parse_date)
    add.add_argument("--to", dest="ends_on", required=True, type=parse_date)
    link = dsub.add_parser("link", parents=[common])
    link.add_argument("partner")
    link.add_argument("dsa_id", type=int)
    dsub.add_parser("list", parents=[common])


def _why(args: argparse.Namespace) -> Justification:
    return Justification.make(args.reason, args.why, args.operation)


def _print_record(r: NominalRecord, out: TextIO) -> None:
    out.write(f"{r.ref}  {r.full_name}  ({r.status}, BCU {r.bcu}, version {r.version})\n")
    out.write(f"  aliases: {', '.join(r.aliases) or '-'}\n")
    out.write(f"  born {r.date_of_birth} (age {r.age}); gender {GENDERS.get(r.gender, r.gender)}; "
              f"ethnicity {ETHNICITY_2021.get(r.ethnicity, ('', r.ethnicity))[1]} (self-defined)"
              f"{'; officer-observed ' + r.observed_ethnicity if r.observed_ethnicity else ''}; "
              f"{DISABILITY.get(r.disability, r.disability).lower()}\n")
    out.write(f"  address: {r.address}, {r.postcode} ({r.borough})\n")
    out.write(f"  classification: {r.classification}; harm {r.harm_score} ({r.harm_band}); "
              f"victim risk {r.victim_score} ({r.victim_band}); policy {r.policy_version}\n")
    if r.in_custody:
        out.write(f"  in custody since {r.custody_from or 'unknown'}\n")
    out.write(f"  evidence ({len(r.evidence)}):\n")
    for e in r.evidence:
        out.write(f"    {e.on}  {e.kind.label:<18} {e.source_type.label:<28} {e.grading}  {e.source_ref}\n")
    for i in r.interventions:
        out.write(f"  intervention: {i.referral} with {i.provider}, offered {i.offered_on}, "
                  f"{'taken up' if i.taken_up else 'not taken up'}; {i.outcome or '-'}\n")
    for a in r.activity:
        out.write(f"  police activity: {a.kind} on {a.on}\n")
    if r.pending:
        out.write(f"  pending: {', '.join(r.pending)}\n")


def run(app: App, ws: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "matrix":
        if args.matrix_command == "refs":
            view = app.matrix.references(ws)
        else:
            if not 1 <= args.limit <= 1000:
                raise UsageError("--limit is from 1 to 1000.")
            view = app.matrix.list(ws, query=args.search, sort=args.sort)
        shown = view.ids[: getattr(args, "limit", 1000)]
        out.write("\t".join(COLUMN_LABELS[c] for c in view.columns) + "\n")
        for row in app.matrix.rows(ws, view, shown):
            out.write("\t".join(str(row.values[c]) for c in view.columns) + "\n")
        out.write(f"({len(shown)} of {len(view.ids)} shown)\n")
    elif args.command == "record":
        _print_record(app.records.open(ws, args.ref, _why(args)), out)
    elif args.command == "status-check":
        answer = app.matrix.status_check(ws, args.given, args.family, args.dob, _why(args))
        if answer.on_matrix:
            out.write(f"ON THE MATRIX: {answer.ref}; harm band {answer.harm_band}, victim band {answer.victim_band}; "
                      f"contact {answer.contact}\n")
        else:
            out.write("Not on the matrix.\n")
    elif args.command == "retention":
        purged = app.retention.purge(ws)
        out.write(f"Purged {purged.archive} archive records past retention and {purged.reviews} signed reviews "
                  f"({people_text(purged.review_items)} listed in them) signed that long ago.\n")
    elif args.command == "dsa":
        if args.dsa_command == "add":
            a = app.dsa.register(ws, organisation=args.organisation, bcu=args.bcu,
                                 fields=[f.strip() for f in args.fields.split(",") if f.strip()],
                                 starts_on=args.starts_on, ends_on=args.ends_on)
            out.write(f"DSA #{a.id}: {a.organisation}, BCU {a.bcu}, {a.starts_on}..{a.ends_on}: {', '.join(a.fields)}\n")
        elif args.dsa_command == "link":
            app.dsa.link_partner(ws, args.partner, args.dsa_id)
            out.write(f"{args.partner} previews under DSA #{args.dsa_id}.\n")
        else:
            for a in app.dsa.list(ws):
                out.write(f"#{a.id}\t{a.organisation}\t{a.bcu}\t{a.starts_on}..{a.ends_on}\t{','.join(a.fields)}\n")
    return 0
