"""`gvm-desktop log verify` and `log grant`: the access log's tamper evidence from the command line.

A PDF (the audit pack, an audit form) is signed with the auditor's own key and encrypted:
on --password-stdin the auditor's password comes first, then the PDF's, unless --unencrypted.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.cli.matrix import parse_date
from gvm_desktop.cli.review import ReadPassword, pdf_password
from gvm_desktop.core.errors import ExitCode, UsageError, ValidationError
from gvm_desktop.core.labels import counted
from gvm_desktop.core.log_filter import FLAG_LABELS, LogFilter
from gvm_desktop.services.audit import parse_head
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.log_export import check_signed_export


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser,
                parser_class: type[argparse.ArgumentParser]) -> None:
    log = sub.add_parser("log", parents=[common], help="the access log's tamper evidence (auditor)")
    lsub = log.add_subparsers(dest="log_command", parser_class=parser_class, required=True)
    ver = lsub.add_parser("verify", parents=[common], help="verify the whole log; exit 0 only if intact, 4 if not")
    ver.add_argument("--head", action="append", default=[], metavar="SEQ:HASH",
                     help="a log head printed on a document, to check against this log (repeatable)")
    grant = lsub.add_parser("grant", parents=[common],
                            help="give an auditor the verification key with the recovery code (stdin)")
    grant.add_argument("--auditor", required=True, metavar="NAME")
    chk = lsub.add_parser("verify-export", parents=[common], help="check a signed CSV export and its .sig file")
    chk.add_argument("file", type=Path)

    search = lsub.add_parser("search", parents=[common], help="filtered entries, newest first (auditor)")
    _filter_args(search)
    search.add_argument("--limit", type=int, default=100)
    flags = lsub.add_parser("flags", parents=[common], help="patterns worth a look in a date range (auditor)")
    flags.add_argument("--since", required=True, type=parse_date)
    flags.add_argument("--until", required=True, type=parse_date)
    export = lsub.add_parser("export", parents=[common], help="a signed CSV or a PDF audit pack of a selection")
    _filter_args(export)
    dest = export.add_mutually_exclusive_group(required=True)
    dest.add_argument("--csv", type=Path, metavar="FILE")
    dest.add_argument("--pdf", type=Path, metavar="FILE",
                      help="a PDF audit pack, signed with your key and encrypted: its password follows yours")
    export.add_argument("--unencrypted", action="store_true", help="with --pdf: no PDF password (needs the right to)")
    form = lsub.add_parser("form", parents=[common], help="audit forms: issue one for an entry, record its answer")
    fsub = form.add_subparsers(dest="form_command", parser_class=parser_class, required=True)
    issue = fsub.add_parser("issue", parents=[common])
    issue.add_argument("seq", type=int)
    issue.add_argument("--out", required=True, type=Path,
                       help="the form's PDF, signed with your key and encrypted: its password follows yours")
    issue.add_argument("--unencrypted", action="store_true", help="no PDF password (needs the right to)")
    answer = fsub.add_parser("answer", parents=[common])
    answer.add_argument("form_id", type=int)
    answer.add_argument("--text", required=True)
    fsub.add_parser("list", parents=[common])


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", default=None)
    p.add_argument("--record", default=None, metavar="REF")
    p.add_argument("--action", action="append", default=[])
    p.add_argument("--outcome", default=None, choices=["allowed", "refused", "failed"])
    p.add_argument("--since", default=None, type=parse_date)
    p.add_argument("--until", default=None, type=parse_date)
    p.add_argument("--reason", default=None, metavar="CATEGORY")


def _filter(args: argparse.Namespace) -> LogFilter:
    return LogFilter(username=args.user, record_ref=args.record, actions=tuple(args.action), outcome=args.outcome,
                     since=args.since, until=args.until, reason_category=args.reason)


def run_session(app: App, ws: Workspace, args: argparse.Namespace, out: TextIO, *, password: str,
                read: ReadPassword) -> int:
    """The log commands that work inside a signed-in auditor's session; `password` is theirs, read at sign-in."""
    cmd = args.log_command
    if cmd == "search":
        page = app.log.search(ws, _filter(args), limit=args.limit)
        for item in page.entries:
            e = item.entry
            out.write(f"{item.seq}\t{e.at_utc}\t{e.username or '-'}\t{e.role or '-'}\t{e.action.value}\t"
                      f"{e.record_ref or '-'}\t{e.outcome.value}\t{e.reason_category or '-'}\t{e.detail or ''}\n")
        out.write(f"({len(page.entries)} shown{'; more before ' + str(page.next_before) if page.next_before else ''})\n")
    elif cmd == "flags":
        flags = app.log.flags(ws, args.since, args.until)
        for f in flags:
            out.write(f"{f.seq}\t{FLAG_LABELS[f.kind]}\t{f.username or '-'}\t{f.record_ref or '-'}\t{f.detail}\n")
        out.write(f"({len(flags)} flags)\n")
    elif cmd == "export":
        if args.unencrypted and not args.pdf:
            raise UsageError("--unencrypted goes with --pdf FILE.")
        if args.csv:
            r = app.exports.export_csv(ws, _filter(args), args.csv)
            out.write(f"Wrote {counted(r.entries, 'entry', 'entries')} to {r.csv_path} "
                      f"and its signature to {r.signature_path.name} "
                      f"(key {r.key_fingerprint}, log head {r.log_head}).\n")
        else:
            n = app.forms.export_pack(ws, _filter(args), args.pdf, account_password=password,
                                      pdf_password=pdf_password(args, read), unencrypted=args.unencrypted)
            out.write(f"Wrote an audit pack of {counted(n, 'entry', 'entries')} to {args.pdf} ({_protection(args)}).\n")
    elif cmd == "form":
        if args.form_command == "issue":
            form = app.forms.issue(ws, args.seq, args.out, account_password=password,
                                   pdf_password=pdf_password(args, read), unencrypted=args.unencrypted)
            out.write(f"Issued audit form #{form.id} to {form.subject} about entry {form.log_seq}: {args.out} "
                      f"({_protection(args)})\n")
        elif args.form_command == "answer":
            form = app.forms.record_answer(ws, args.form_id, args.text)
            out.write(f"Recorded the answer to form #{form.id}.\n")
        else:
            for form in app.forms.list(ws):
                state = f"answered {form.answered_at}" if form.answer else "awaiting an answer"
                out.write(f"#{form.id}\tentry {form.log_seq}\t{form.subject}\tissued {form.issued_at} by {form.issued_by}"
                          f"\t{state}\n")
    return 0


def _protection(args: argparse.Namespace) -> str:
    return ("signed with your key, NOT encrypted" if args.unencrypted
            else "signed with your key, AES-256 encrypted")


def run(app: App, args: argparse.Namespace, read: Callable[[str], str], out: TextIO, err: TextIO) -> int:
    """`read` is the CLI's password reader, so stdin keeps the contract's order."""
    if args.log_command == "verify-export":
        ok, why = check_signed_export(args.file)
        if ok:
            out.write(f"Valid: {why}.\n")
            return 0
        err.write(f"gvm-desktop: the export does NOT verify: {why}\n")
        return int(ExitCode.INTEGRITY)
    if args.log_command == "grant":
        code = read("Recovery code: ")
        if app.grant_log_key(code, args.auditor):
            out.write(f"The log verification key was sealed to {args.auditor}; they pin it at their next sign-in.\n")
        else:
            out.write(f"{args.auditor} already holds a pinned log verification key; nothing was changed.\n")
        return 0
    actor = getattr(args, "actor", None)
    if not actor:
        raise UsageError("log verify acts as an auditor: give --as NAME.")
    try:
        heads = [parse_head(h) for h in args.head]
    except ValidationError as exc:  # a malformed argument is a usage error (exit 2), like a malformed date
        raise UsageError(exc.message) from None
    result = app.audit.verify_vault(actor, read(f"Password for {actor}: "), heads)
    if result.intact:
        out.write(f"Intact: {result.entries:,} entries; head {result.head_seq}:{result.head_hash} "
                  f"({result.entries / max(result.seconds, 1e-9):,.0f} entries/s).\n")
        out.write(f"Verification key {result.key_fingerprint}"
                  + (" (pinned now, at its first use: compare this fingerprint with another auditor's or the "
                     "recovery holder's)" if result.first_use else " (your pinned key)") + ".\n")
        out.write("Nothing was written to the database; your key slot now pins this head, and the verification "
                  "enters the access log at your next sign-in.\n")
        return 0
    err.write(f"gvm-desktop: the access log is NOT intact: {result.first_problem}\n")
    for problem in result.problems[1:]:
        out.write(f"  also: {problem}\n")
    return int(ExitCode.INTEGRITY)
