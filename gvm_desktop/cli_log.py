"""`gvm-desktop log verify` and `log grant`: the access log's tamper evidence from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.core.errors import ExitCode, UsageError
from gvm_desktop.services.audit import parse_head


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,  # type: ignore[type-arg]
                parser_class: type[argparse.ArgumentParser]) -> None:
    log = sub.add_parser("log", parents=[common], help="the access log's tamper evidence (auditor)")
    lsub = log.add_subparsers(dest="log_command", parser_class=parser_class, required=True)
    ver = lsub.add_parser("verify", parents=[common], help="verify the whole log; exit 0 only if intact, 4 if not")
    ver.add_argument("--head", action="append", default=[], metavar="SEQ:HASH",
                     help="a log head printed on a document, to check against this log (repeatable)")
    grant = lsub.add_parser("grant", parents=[common],
                            help="give an auditor the verification key with the recovery code (stdin)")
    grant.add_argument("--auditor", required=True, metavar="NAME")


def run(app: App, args: argparse.Namespace, read: Callable[[str], str], out: TextIO, err: TextIO) -> int:
    """`read` is the CLI's password reader, so stdin keeps the contract's order."""
    if args.log_command == "grant":
        code = read("Recovery code: ")
        app.grant_log_key(code, args.auditor)
        out.write(f"{args.auditor} now holds the log verification key.\n")
        return 0
    actor = getattr(args, "actor", None)
    if not actor:
        raise UsageError("log verify acts as an auditor: give --as NAME.")
    heads = [parse_head(h) for h in args.head]
    result = app.audit.verify_vault(actor, read(f"Password for {actor}: "), heads)
    if result.intact:
        out.write(f"Intact: {result.entries:,} entries; head {result.head_seq}:{result.head_hash} "
                  f"({result.entries / max(result.seconds, 1e-9):,.0f} entries/s).\n")
        return 0
    err.write(f"gvm-desktop: the access log is NOT intact: {result.first_problem}\n")
    for problem in result.problems[1:]:
        out.write(f"  also: {problem}\n")
    return int(ExitCode.INTEGRITY)
