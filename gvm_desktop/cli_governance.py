"""`gvm-desktop governance ...`: training records, BCU grants, inactive accounts, the monthly audit."""

from __future__ import annotations

import argparse
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.cli_matrix import parse_date
from gvm_desktop.services.context import Workspace


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,  # type: ignore[type-arg]
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
    mon.add_argument("--bcu", required=True)
    mon.add_argument("--month", required=True, metavar="YYYY-MM")


def run(app: App, ws: Workspace, args: argparse.Namespace, out: TextIO) -> int:
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
    else:
        report = g.monthly_audit(ws, args.bcu, args.month)
        out.write(f"System audit of BCU {report.bcu}, {report.month}: {sum(report.by_action.values())} entries, "
                  f"{report.records_opened} distinct records opened, {report.refusals} refusals\n")
        for action, n in sorted(report.by_action.items()):
            out.write(f"  {action:<28} {n}\n")
        for user, actions in sorted(report.by_user.items()):
            out.write(f"  {user}: " + ", ".join(f"{a} {n}" for a, n in sorted(actions.items())) + "\n")
    return 0
