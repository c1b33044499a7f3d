"""`gvm-desktop review ...` and `gvm-desktop report ...`: the quarterly review and the documents that leave.

Passwords follow the contract's order on --password-stdin: the acting user's
first (it also unlocks their signing key), then the new password the command
sets (the PDF's: `review sign --sheet`, `review export-pdf`, subject access,
`report disproportionality --out`), unless --unencrypted. Every PDF is signed with
the acting user's own key, so every PDF export needs the first.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.cli.matrix import parse_date
from gvm_desktop.core.audit import Action
from gvm_desktop.core.disproportionality import format_ratio, format_share
from gvm_desktop.core.errors import NotFound, UsageError, ValidationError
from gvm_desktop.core.exports import Exported
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.labels import people_text
from gvm_desktop.core.review import REUSED_RATIONALE_PEOPLE, Recommendation, Verdict
from gvm_desktop.core.review_rows import SheetDelivery
from gvm_desktop.core.subject_access import parse_withholding
from gvm_desktop.services.context import Workspace

ReadPassword = Callable[..., str]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser,
                parser_class: type[argparse.ArgumentParser]) -> None:
    rev = sub.add_parser("review", parents=[common], help="the quarterly review and its signed PDF sheet")
    rsub = rev.add_subparsers(dest="review_command", parser_class=parser_class, required=True)
    rsub.add_parser("list", parents=[common], help="your BCU's reviews")
    rsub.add_parser("overdue", parents=[common], help="reviews whose quarter ended unsigned (SPOC, admin)")
    op = rsub.add_parser("open", parents=[common], help="open the BCU's review of a quarter (SPOC)")
    op.add_argument("--quarter", metavar="YYYYQn")
    show = rsub.add_parser("show", parents=[common], help="everyone in a review, with decisions")
    show.add_argument("--quarter", metavar="YYYYQn")
    rec = rsub.add_parser("recommend", parents=[common], help="recommend retain, remove or rescore (officer, SPOC)")
    rec.add_argument("ref")
    rec.add_argument("recommendation", choices=[r.value for r in Recommendation])
    rec.add_argument("--rationale", required=True)
    rec.add_argument("--quarter", metavar="YYYYQn")
    dec = rsub.add_parser("decide", parents=[common], help="agree with or override a recommendation (SPOC)")
    dec.add_argument("ref")
    dec.add_argument("verdict", choices=[v.value for v in Verdict])
    dec.add_argument("--decision", choices=[r.value for r in Recommendation])
    dec.add_argument("--reason", default="")
    dec.add_argument("--quarter", metavar="YYYYQn")
    sign = rsub.add_parser("sign", parents=[common], help="sign the review off (SPOC; your password again)")
    sign.add_argument("--quarter", metavar="YYYYQn")
    sign.add_argument("--accept-reused-rationale", action="store_true",
                      help=f"sign although one rationale was given for {REUSED_RATIONALE_PEOPLE} or more people kept "
                           "(the warning is printed, and the sheet lists them)")
    sign.add_argument("--sheet", type=Path, metavar="OUT.pdf",
                      help="write the signed original here: the sheet signed and certified with your own key; its PDF "
                           "password follows yours on --password-stdin (the vault keeps only its SHA-256)")
    sign.add_argument("--unencrypted", action="store_true", help="with --sheet: no PDF password (needs the right to)")
    exp = rsub.add_parser("export-pdf", parents=[common], help="the signed, encrypted review sheet (SPOC)")
    exp.add_argument("--bcu", required=True)
    exp.add_argument("--quarter", required=True, metavar="YYYYQn")
    exp.add_argument("--out", required=True, type=Path)
    exp.add_argument("--unencrypted", action="store_true", help="no PDF password (needs the right to do so)")

    rep = sub.add_parser("report", parents=[common], help="the disproportionality report, subject access packs")
    psub = rep.add_subparsers(dest="report_command", parser_class=parser_class, required=True)
    ref = psub.add_parser("reference", parents=[common], help="load the reference population CSV (admin)")
    ref.add_argument("csv", type=Path)
    ref.add_argument("--source", default="", help="where the figures come from, printed on the report")
    ref.add_argument("--as-of", type=parse_date, default=None, metavar="YYYY-MM-DD",
                     help="the date the figures refer to (the census day, e.g. 2021-03-21), printed on the report")
    dis = psub.add_parser("disproportionality", parents=[common], help="the matrix against the population")
    dis.add_argument("--bcu")
    dis.add_argument("--quarter", metavar="YYYYQn")
    dis.add_argument("--out", type=Path, help="write the PDF here, small numbers suppressed, signed and encrypted: its "
                                              "password follows yours on --password-stdin (otherwise print the figures)")
    dis.add_argument("--unencrypted", action="store_true", help="with --out: no PDF password (needs the right to)")
    sar = psub.add_parser("subject-access", parents=[common], help="everything held about one person (SPOC)")
    sar.add_argument("ref")
    sar.add_argument("--request", required=True, help="the request's reference")
    sar.add_argument("--reason-category", required=True)
    sar.add_argument("--justification", required=True)
    sar.add_argument("--operation", default=None)
    sar.add_argument("--out", required=True, type=Path)
    sar.add_argument("--unencrypted", action="store_true")
    sar.add_argument("--withhold", action="append", default=[], metavar="SEQ|FIELD:EXEMPTION[:reason]",
                     help="keep a log entry (by its sequence number) or a field (address, postcode, aliases, gangs) "
                          "out of the pack under DPA 2018 s45(4): EXEMPTION is DPA2018-s45(4)(a) to (e), or its "
                          "letter; repeatable")


def _review_id(app: App, ws: Workspace, quarter: str | None) -> int:
    found = app.reviews.find(ws, quarter)
    if found is None:
        raise NotFound(f"Your BCU has no review of {quarter or 'this quarter'}.")
    return found.id


def pdf_password(args: argparse.Namespace, read: ReadPassword) -> str | None:
    """The PDF's password, after the acting user's on --password-stdin; None with --unencrypted."""
    return None if args.unencrypted else read("Password for the PDF: ", confirm=True)


def _exported(out: TextIO, done: Exported) -> None:
    out.write(f"Wrote {done.path} ({done.bytes:,} bytes, {people_text(done.people)}, "
              f"{'AES-256 encrypted' if done.encrypted else 'NOT encrypted'}); access log entry {done.log_seq}.\n")


def run_review(app: App, ws: Workspace, args: argparse.Namespace, password: str, read: ReadPassword,
               out: TextIO) -> int:
    r = app.reviews
    cmd = args.review_command
    if cmd == "list":
        for s in r.list(ws):
            state = f"signed {s.signed_at[:10]} by {s.signed_by}" if s.signed_at else ("OVERDUE" if s.overdue else "open")
            out.write(f"{s.id}\t{s.bcu}\t{s.quarter}\t{state}\t{people_text(s.people)}, {s.recommended} recommended, "
                      f"{s.decided} decided, {s.flagged} flagged\n")
    elif cmd == "overdue":
        rows = r.overdue(ws)
        for o in rows:
            out.write(f"{o.bcu}\t{o.quarter}\t" + (f"review {o.review_id} unsigned" if o.review_id else "never opened")
                      + f"\t{people_text(o.people)}\n")
        out.write(f"({len(rows)} overdue)\n")
    elif cmd == "open":
        out.write(f"Opened review {r.open(ws, args.quarter)}.\n")
    elif cmd == "show":
        for i in r.items(ws, _review_id(app, ws, args.quarter)):
            age = "-" if i.age is None else i.age  # a removed person's age left the vault with them
            out.write(f"{i.ref}\t{i.name}\t{age}\t{i.harm_band} {i.harm_score}\t{','.join(f.value for f in i.flags)}\t"
                      f"{i.recommendation.value if i.recommendation else '-'}\t"
                      f"{i.verdict.value if i.verdict else '-'}\t{i.decision.value if i.decision else '-'}\n")
    elif cmd == "recommend":
        r.recommend(ws, _review_id(app, ws, args.quarter), args.ref, args.recommendation, args.rationale)
        out.write(f"Recorded: {args.recommendation} for {args.ref.upper()}.\n")
    elif cmd == "decide":
        if args.verdict == Verdict.AGREE.value and (args.decision or args.reason):
            # Agreeing takes the officer's recommendation as it is; a different decision is an override.
            raise UsageError("'agree' takes no --decision or --reason: use 'override --decision D --reason T'.")
        r.decide(ws, _review_id(app, ws, args.quarter), args.ref, args.verdict, decision=args.decision,
                 reason=args.reason)
        out.write(f"Recorded: {args.verdict} for {args.ref.upper()}.\n")
    elif cmd == "sign":
        found = r.find(ws, args.quarter)
        if found is None:
            raise NotFound(f"Your BCU has no review of {args.quarter or 'this quarter'}.")
        # A review already signed is refused by sign itself, without a warning that no longer matters.
        reused = r.rationale_warnings(ws, found.id) if found.signed_at is None else ()
        for group in reused:
            out.write(f"Warning: {group.sentence}\n  The rationale: {group.text}\n")
        if reused and not args.accept_reused_rationale:
            # Not the service's refusal (sign-off is never blocked by it): the command asks for the SPOC's
            # word that they read the warning, as the sign-off dialog shows it before the password is typed.
            raise ValidationError(f"Not signed: {sum(len(g.refs) for g in reused)} people kept share "
                                  f"{'a rationale' if len(reused) == 1 else f'{len(reused)} rationales'} (listed above); "
                                  "read them, then sign with --accept-reused-rationale to sign anyway.")
        if args.unencrypted and args.sheet is None:
            raise UsageError("--unencrypted goes with --sheet OUT.pdf.")
        sheet = None if args.sheet is None else SheetDelivery(args.sheet, pdf_password(args, read), args.unencrypted)
        removed = r.sign(ws, found.id, password, sheet=sheet)
        out.write(f"Signed. {removed} {'person was' if removed == 1 else 'people were'} removed.\n")
        original = r.signed_original(ws, found.id) if sheet is not None else None
        if original is not None:
            protection = "NOT encrypted" if args.unencrypted else "AES-256 encrypted"
            out.write(f"Wrote the signed original to {args.sheet} ({protection}), signed and certified with your key; "
                      f"the vault keeps its SHA-256 {original.sha256}.\n")
        else:
            out.write("No signed original was saved (sign with --sheet OUT.pdf to receive it): a later export is a "
                      "copy signed by its exporter.\n")
    else:
        row = r.resolve_quarter(ws, args.bcu, args.quarter, Action.REVIEW_EXPORT)
        _exported(out, app.reports.export_review(ws, row.id, args.out, account_password=password,
                                                 pdf_password=pdf_password(args, read), unencrypted=args.unencrypted))
    return 0


def run_report(app: App, ws: Workspace, args: argparse.Namespace, read: ReadPassword, out: TextIO, *,
               password: str) -> int:
    """`password` is the acting user's, read at sign-in: it unlocks their signing key for a PDF."""
    p = app.reports
    cmd = args.report_command
    if cmd == "reference":
        n = p.load_reference(ws, args.csv, source=args.source, as_of=args.as_of)
        out.write(f"Loaded {n} reference population rows" + (f", figures as of {args.as_of}" if args.as_of else "")
                  + ".\n")
    elif cmd == "disproportionality":
        if args.unencrypted and not args.out:
            raise UsageError("--unencrypted goes with --out FILE.pdf.")
        if args.out:
            done = p.export_disproportionality(ws, args.out, account_password=password,
                                               pdf_password=pdf_password(args, read), unencrypted=args.unencrypted,
                                               bcu=args.bcu, quarter=args.quarter)
            _exported(out, done)
        else:
            report = p.disproportionality(ws, args.bcu, args.quarter)
            out.write(f"{report.bcu} {report.quarter} (reference: {report.reference_source})\n")
            for table in report.current.dimensions:
                out.write(f"{table.label}\n")
                for row in table.rows:
                    out.write(f"  {row.group:<24} {row.matrix_count:>6}  matrix {format_share(row.matrix_share):>7}  "
                              f"population {format_share(row.reference_share):>7}  ratio {format_ratio(row.share_ratio):>6}"
                              f"  RRI {format_ratio(row.rri):>6}{'  *' if row.small_count else ''}\n")
    else:
        why = Justification.make(args.reason_category, args.justification, args.operation)
        withheld = [parse_withholding(typed) for typed in args.withhold]
        done = p.subject_access(ws, args.ref, why, args.out, request_ref=args.request, account_password=password,
                                pdf_password=pdf_password(args, read), unencrypted=args.unencrypted,
                                withheld=withheld)
        _exported(out, done)
    return 0
