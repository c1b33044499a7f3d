"""`gvm-desktop governance ...`: training records, BCU grants, inactive accounts, the monthly audit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.cli.matrix import parse_date
from gvm_desktop.cli.review import ReadPassword, pdf_password
from gvm_desktop.core.errors import UsageError
from gvm_desktop.core.labels import counted
from gvm_desktop.core.record_use import LONDON, MonthlyAudit, UseCounts, bcu_text
from gvm_desktop.services.context import Workspace


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser,
                parser_class: type[argparse.ArgumentParser]) -> None:
    gov = sub.add_parser("governance", parents=[common], help="training, BCU access grants, inactive accounts, audits")
    gsub = gov.add_subparsers(dest="governance_command", parser_class=parser_class, required=True)
    tr = gsub.add_parser("training", parents=[common], help="record completed training (admin, SPOC)")
    tr.add_argument("user")
    tr.add_argument("--completed", required=True, type=parse_date)
    tr.add_argument("--expires", required=True, type=parse_date)
    for name, text in (("grant", "open the BCU's matrix to an officer (SPOC)"), ("revoke", "close it again (SPOC)")):
        p = gsub.add_parser(name, parents=[common], help=text)
        p.add_argument("user")
    ina = gsub.add_parser("inactive", parents=[common], help="accounts unused for six months")
    ina.add_argument("--disable", nargs="+", default=[], metavar="USER", help="disable these, confirmed by naming them")
    mon = gsub.add_parser("monthly", parents=[common], help="the monthly system audit of a BCU (auditor, SPOC)")
    scope = mon.add_mutually_exclusive_group(required=True)
    scope.add_argument("--bcu", help=f"a BCU's code, or {LONDON} for the London-wide roll-up of every BCU (auditor)")
    scope.add_argument("--london", action="store_const", const=LONDON, dest="bcu", help=f"the same as --bcu {LONDON}")
    mon.add_argument("--month", required=True, metavar="YYYY-MM")
    mon.add_argument("--csv", type=Path, metavar="FILE", help="write it as a CSV signed with the log's key (auditor)")
    mon.add_argument("--pdf", type=Path, metavar="FILE",
                     help="write it as a PDF, signed with your key and encrypted: its password follows yours on "
                          "--password-stdin (it names officers and what each did)")
    mon.add_argument("--unencrypted", action="store_true", help="with --pdf: no PDF password (needs the right to)")


def run(app: App, ws: Workspace, args: argparse.Namespace, out: TextIO, *, password: str, read: ReadPassword) -> int:
    """`password` is the acting user's, read at sign-in: it unlocks their signing key for a PDF."""
    g = app.governance
    cmd = args.governance_command
    if cmd == "training":
        g.record_training(ws, args.user, completed_on=args.completed, expires_on=args.expires)
        out.write(f"Recorded training for {args.user}: {args.completed} to {args.expires}.\n")
    elif cmd == "grant":
        g.grant(ws, args.user)
        out.write(f"{args.user} may now use the matrix of your BCU.\n")
    elif cmd == "revoke":
        g.revoke(ws, args.user)
        out.write(f"{args.user} no longer has access to the matrix.\n")
    elif cmd == "inactive":
        if args.disable:
            for name in g.disable_inactive(ws, args.disable):
                out.write(f"Disabled {name}; the data key was rotated.\n")
        else:
            rows = g.inactive(ws)
            for item in rows:
                a = item.account
                out.write(f"{a.username}\t{a.role.value}\t{a.bcu or '-'}\tlast used {item.last_used}\n")
            out.write(f"({len(rows)} accounts unused for six months)\n")
    elif args.unencrypted and not args.pdf:
        raise UsageError("--unencrypted goes with --pdf FILE.")
    elif args.csv or args.pdf:
        if args.csv:
            result = g.export_monthly_csv(ws, args.bcu, args.month, args.csv)
            out.write(f"Wrote {result.csv_path} ({counted(result.entries, 'row', 'rows')})"
                      f" and its signature {result.signature_path.name} "
                      f"(key {result.key_fingerprint}, log head {result.log_head}); check it with "
                      f"'gvm-desktop log verify-export {result.csv_path}'.\n")
        if args.pdf:
            report = g.export_monthly_pdf(ws, args.bcu, args.month, args.pdf, account_password=password,
                                          pdf_password=pdf_password(args, read), unencrypted=args.unencrypted)
            protection = "NOT encrypted" if args.unencrypted else "AES-256 encrypted"
            out.write(f"Wrote {args.pdf}: the system audit of {_scope(report)}, {report.month}. Signed with your key, "
                      f"{protection}.\n")
    else:
        write_monthly(g.monthly_audit(ws, args.bcu, args.month), out)
    return 0


def _scope(report: MonthlyAudit) -> str:
    return "London (every BCU in the vault)" if report.london else f"BCU {report.bcu}"


def _counts(c: UseCounts) -> str:
    return f"{c.viewed:>8} {c.downloaded:>10} {c.edited:>8}"


def write_monthly(report: MonthlyAudit, out: TextIO) -> None:
    """The audit as text: per BCU, per user and BCU, then the scope's own log entries by action."""
    t = report.total
    entries = sum(report.by_action.values())
    out.write(f"System audit of {_scope(report)}, {report.month}: {t.users} users viewed {t.counts.viewed}, downloaded "
              f"{t.counts.downloaded} and edited {t.counts.edited} records; {report.records_opened} distinct records "
              f"opened\n")
    out.write(f"  {'BCU':<20} {'users':>6} {'viewed':>8} {'downloaded':>10} {'edited':>8}\n")
    for b in (*report.by_bcu, *((t,) if report.london else ())):
        out.write(f"  {bcu_text(b.bcu):<20} {b.users:>6} {_counts(b.counts)}\n")
    out.write(f"  {'user':<24} {'role':<8} {'BCU':<10} {'viewed':>8} {'downloaded':>10} {'edited':>8}\n")
    for u in report.by_user:
        out.write(f"  {u.username:<24} {u.role or '-':<8} {bcu_text(u.bcu):<10} {_counts(u.counts)}\n")
    whose = "every account" if report.london else "the BCU's own accounts"
    out.write(f"  Log entries by {whose}: {entries}, {report.refusals} refusals\n")
    for action, n in sorted(report.by_action.items()):
        out.write(f"    {action:<28} {n}\n")
