"""The command line: the second front end over the same services as the GUI.

Errors are one line on stderr and an exit code (docs/architecture.md, "Contracts"): 2 usage, 3
authentication or permission, 4 integrity, 1 anything else. No traceback,
and never a secret in the text.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from gvm_desktop import __version__
from gvm_desktop.app import App, build_app, default_demo_vault_dir, progress_line
from gvm_desktop.cli import backup as cli_backup
from gvm_desktop.cli import governance as cli_governance
from gvm_desktop.cli import importing as cli_importing
from gvm_desktop.cli import log as cli_log
from gvm_desktop.cli import matrix as cli_matrix
from gvm_desktop.cli import review as cli_review
from gvm_desktop.cli import verify_pdf as cli_verify_pdf
from gvm_desktop.core.errors import ExitCode, GvmError, UsageError
from gvm_desktop.core.people import BCUS
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import SETTINGS
from gvm_desktop.core.synthetic import DEMO_PEOPLE
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.integrity import storage_problem

# argparse quotes stray arguments: a DSN split by the shell would show its password in the error.
_DSN_PASSWORD = re.compile(r"(password\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|\S+)|(://[^:/@\s]*:)[^@\s]*(@)", re.IGNORECASE)


def _without_passwords(text: str) -> str:
    return _DSN_PASSWORD.sub(lambda m: f"{m.group(1)}***" if m.group(1) else f"{m.group(2)}***{m.group(3)}", text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {_without_passwords(message)} (see --help)")


class Passwords:
    """Reads passwords in the contract's order: from stdin lines, or from the terminal."""

    def __init__(self, from_stdin: bool, stdin: TextIO) -> None:
        self._from_stdin = from_stdin
        self._stdin = stdin

    def read(self, prompt: str, *, confirm: bool = False) -> str:
        if self._from_stdin:
            line = self._stdin.readline()
            if not line:
                raise UsageError(f"--password-stdin: no line for the {prompt.lower().rstrip(': ')}.")
            return line.rstrip("\r\n")
        if not sys.stdin.isatty():
            raise UsageError("No terminal to ask for a password on: use --password-stdin.")
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("Again, to confirm: ") != first:
            raise UsageError("The two passwords differ.")
        return first


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--vault", type=Path, default=argparse.SUPPRESS, help="the vault folder")
    common.add_argument("--as", dest="actor", default=argparse.SUPPRESS, metavar="NAME", help="act as this user")
    common.add_argument("--password-stdin", action="store_true", default=argparse.SUPPRESS,
                        help="read passwords one per line from stdin: the acting user's first, then any new one")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(prog="gvm-desktop", parents=[common],
                     description="Offline, encrypted Gangs Violence Matrix for a BCU. Alone: start the desktop app.")
    parser.add_argument("--version", action="version", version=f"gvm-desktop {__version__}")
    parser.add_argument("--demo", action="store_true", help="start the desktop app on a demo vault of synthetic data")
    # Annotated: typeshed wants parents of the subparser class (_Parser); argparse takes any ArgumentParser.
    sub: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", parser_class=_Parser)

    init = sub.add_parser("init", parents=[common], help="create a vault and its first administrator")
    init.add_argument("--admin", required=True, metavar="NAME")
    init.add_argument("--display-name", default=None)
    init.add_argument("--no-device-binding", action="store_true",
                      help="do not bind the vault to this workstation's credential store")

    demo = sub.add_parser("demo", parents=[common], help="create a demo vault of synthetic people")
    demo.add_argument("--nominals", type=int, default=DEMO_PEOPLE, metavar="N")
    demo.add_argument("--seed", type=int, default=2026)

    user = sub.add_parser("user", parents=[common], help="account administration")
    usub: argparse._SubParsersAction[argparse.ArgumentParser] = user.add_subparsers(
        dest="user_command", parser_class=_Parser, required=True)
    add = usub.add_parser("add", parents=[common], help="add an account (admin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--bcu", default=None, help=f"for officer, spoc, partner: one of {', '.join(BCUS)}")
    add.add_argument("--display-name", default=None)
    usub.add_parser("list", parents=[common], help="list accounts")
    dis = usub.add_parser("disable", parents=[common], help="disable an account and rotate the data key (admin)")
    dis.add_argument("name")
    pw = usub.add_parser("passwd", parents=[common], help="change your password, or (admin) reset another's")
    pw.add_argument("name", nargs="?")

    rec = sub.add_parser("recover", parents=[common],
                         help="set a user's password with the recovery code (stdin: code, then new password)")
    rec.add_argument("--user", required=True, metavar="NAME")
    keys = sub.add_parser("keys", parents=[common], help="compartment keys")
    ksub: argparse._SubParsersAction[argparse.ArgumentParser] = keys.add_subparsers(
        dest="keys_command", parser_class=_Parser, required=True)
    ksub.add_parser("deliver", parents=[common],
                    help="give each account the BCU keys it is entitled to and lacks, with the recovery code "
                         "(stdin: code): a new vault's first SPOCs, officers and auditors")
    sub.add_parser("bind", parents=[common],
                   help="bind an unbound vault to this workstation's credential store with the recovery code "
                        "(stdin: code); each account is bound at its next sign-in here")

    st = sub.add_parser("settings", parents=[common], help="read or change vault settings")
    ssub: argparse._SubParsersAction[argparse.ArgumentParser] = st.add_subparsers(
        dest="settings_command", parser_class=_Parser, required=True)
    ssub.add_parser("list", parents=[common])
    sset = ssub.add_parser("set", parents=[common])
    sset.add_argument("key", choices=sorted(SETTINGS))
    sset.add_argument("value")

    sub.add_parser("rekey", parents=[common],
                   help="rotate the data key now; BCU and preview keys at their holders' next sign-in (admin)")
    sub.add_parser("check", parents=[common],
                   help="check every page of the vault database (admin, auditor); exit 0 if intact, 4 if damaged")

    cli_matrix.add_parsers(sub, common, _Parser)
    cli_log.add_parsers(sub, common, _Parser)
    cli_governance.add_parsers(sub, common, _Parser)
    cli_review.add_parsers(sub, common, _Parser)
    cli_verify_pdf.add_parser(sub, common)
    cli_backup.add_parsers(sub, common)
    cli_importing.add_parser(sub, common)

    server = sub.add_parser("server", parents=[common], help="a team server on PostgreSQL (issue 17)")
    server_sub: argparse._SubParsersAction[argparse.ArgumentParser] = server.add_subparsers(
        dest="server_command", parser_class=_Parser, required=True)
    server_init = server_sub.add_parser(
        "init", parents=[common], help="create the team server's schema and access log on an empty database",
        description="Create the team server's schema, roles and access log on an empty PostgreSQL database, "
                    "connecting as the cluster's superuser. The DSN must say sslmode=verify-full. The password: "
                    "in the DSN, in PGPASSWORD, or on the first line of stdin with --password-stdin (it is never "
                    "printed). NAME is recorded as the server's first administrator; NAME's own login role on the "
                    "server is not created yet: sign-in roles arrive with the next part of issue 17.")
    server_init.add_argument("--dsn", required=True, help="libpq connection string or postgresql:// URI")
    server_init.add_argument("--admin", required=True, metavar="NAME")

    bench = sub.add_parser("bench", parents=[common], help="measure speed against plain baselines")
    bench.add_argument("--nominals", type=int, default=100_000, metavar="N")
    bench.add_argument("--log-entries", type=int, default=0, metavar="M")
    bench.add_argument("--json", type=Path, default=None, metavar="FILE")
    return parser


def _sign_in(app: App, args: argparse.Namespace, pw: Passwords) -> tuple[Workspace, str]:
    """Sign in as --as; the password is returned for the commands that use it again (`user passwd` checks it,
    signed exports unwrap the signing key with it). It is never stored or logged."""
    actor = getattr(args, "actor", None)
    if not actor:
        raise UsageError("This command acts as a user: give --as NAME.")
    password = pw.read(f"Password for {actor}: ")
    return app.auth.sign_in(actor, password), password


def _cmd_init(app: App, args: argparse.Namespace, pw: Passwords, out: TextIO) -> int:
    password = pw.read(f"New password for {args.admin}: ", confirm=True)
    created = app.init_vault(args.admin, args.display_name or args.admin, password, bind=not args.no_device_binding)
    app.auth.sign_out(created.workspace)
    out.write(f"Created a vault at {app.vault_dir}\n")
    if created.notice:
        out.write(created.notice + "\n")
    else:
        out.write("The vault is bound to this workstation's credential store.\n" if created.bound else
                  "The vault is not bound to this workstation.\n")
    out.write(f"Recovery code (shown once; write it down and keep it in a safe): {created.recovery_code}\n")
    out.write(f"Access-log verification key fingerprint: {created.log_key_fingerprint} (keep it with the recovery "
              "code: every auditor's 'log verify' must print the same)\n")
    return 0


def _cmd_server_init(args: argparse.Namespace, pw: Passwords, out: TextIO) -> int:
    from gvm_desktop.services.server_setup import create_server  # psycopg is loaded only for the server

    password = pw.read("Password of the cluster's superuser: ") if getattr(args, "password_stdin", False) else None
    created = create_server(args.dsn, args.admin, password=password)
    out.write(f"Created a team server (id {created.server_id}, schema {created.schema_version}); the access log's "
              f"first entry records its creation by {created.first_admin}.\n")
    out.write(f"Access-log key k[0] (shown once, stored nowhere, the server included; write it down and keep it in a "
              f"safe: auditors verify the server's log with it): {created.log_key}\n")
    out.write(f"Access-log verification key fingerprint: {created.log_key_fingerprint} (keep it with the key: every "
              "auditor's verification must print the same)\n")
    out.write(f"Not done yet: {created.first_admin} has no login role on the server. Sign-in roles (and the "
              "services on the server) arrive with the next part of issue 17; until then only the cluster's "
              "superuser connects.\n")
    return 0


def _cmd_demo(app: App, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    created = app.create_demo(args.nominals, seed=args.seed, progress=progress_line(err, "Creating a DEMO vault"))
    app.auth.sign_out(created.workspace)
    from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS

    out.write(f"Created a DEMO vault of {args.nominals} synthetic people at {app.vault_dir}\n")
    for acct in DEMO_ACCOUNTS:
        out.write(f"  {acct.username:<14} {acct.role.value:<8} password: {acct.password}\n")
    return 0


def _cmd_user(app: App, args: argparse.Namespace, pw: Passwords, out: TextIO) -> int:
    ws, actor_password = _sign_in(app, args, pw)
    try:
        if args.user_command == "list":
            for a in app.accounts.list(ws):
                out.write(f"{a.username}\t{a.role.value}\t{a.bcu or '-'}\t{a.status}\t"
                          f"last sign-in {a.last_signin_at or 'never'}\t{a.display_name}\n")
        elif args.user_command == "add":
            new_pw = pw.read(f"New password for {args.name}: ", confirm=True)
            acct = app.accounts.add(ws, username=args.name, display_name=args.display_name or args.name,
                                    role=Role(args.role), bcu=args.bcu, password=new_pw)
            out.write(f"Added {acct.username} ({acct.role.value}{' in ' + acct.bcu if acct.bcu else ''}).\n")
        elif args.user_command == "disable":
            acct = app.accounts.disable(ws, args.name)
            out.write(f"Disabled {acct.username}; the data key was rotated.\n")
        elif args.user_command == "passwd":
            if args.name and args.name.strip().lower() != ws.session.username:
                new_pw = pw.read(f"New password for {args.name}: ", confirm=True)
                app.accounts.reset_password(ws, args.name, new_pw)
                out.write(f"Reset the password of {args.name}.\n")
            else:
                new_pw = pw.read("New password: ", confirm=True)
                app.accounts.change_own_password(ws, actor_password, new_pw)
                out.write("Your password was changed.\n")
        return 0
    finally:
        app.auth.sign_out(ws)


def _cmd_rekey(app: App, args: argparse.Namespace, pw: Passwords, out: TextIO) -> int:
    ws, _password = _sign_in(app, args, pw)
    try:
        done = app.accounts.rekey(ws)
    finally:
        app.auth.sign_out(ws)
    out.write(f"Rotated now: {', '.join(done.rotated)}.\n")
    out.write(f"Due at their holders' next sign-in: {', '.join(done.due)}.\n" if done.due
              else "Nothing else is due.\n")
    return 0


def _cmd_recover(app: App, args: argparse.Namespace, pw: Passwords, out: TextIO) -> int:
    code = pw.read("Recovery code: ")
    new_pw = pw.read(f"New password for {args.user}: ", confirm=True)
    app.recover(code, args.user, new_pw)
    out.write(f"{args.user} has a new password on this workstation.\n")
    if app.env.machine_policy.device_binding_required and not app.bound_here():
        # Recovering does not bind: binding is its own act, with its own entry in the log.
        out.write(f"This workstation's policy requires bound vaults and this one is not bound here: bind it with "
                  f"'gvm-desktop bind' (the same recovery code) before {args.user} can sign in.\n")
    return 0


def _cmd_keys_deliver(app: App, pw: Passwords, out: TextIO) -> int:
    delivered = app.deliver_keys(pw.read("Recovery code: "))
    if not delivered:
        out.write("Every active account already holds the keys it is entitled to; nothing was changed.\n")
        return 0
    for name, users in sorted(delivered.items()):
        out.write(f"{name}: sealed to {len(users)} account{'s' if len(users) != 1 else ''}\n")
    out.write("Each account holds them from its next sign-in.\n")
    return 0


def _cmd_bind(app: App, pw: Passwords, out: TextIO) -> int:
    if not app.binding_needed():  # said before any code is asked for
        out.write("This vault is already bound to this workstation: nothing was changed.\n")
        return 0
    done = app.bind(pw.read("Recovery code: "))
    out.write(f"The vault at {app.vault_dir} is now bound to this workstation's credential store.\n")
    out.write(f"Each account is bound at its next sign-in here ({done.at_next_sign_in} still to sign in); until then "
              "its password alone opens the vault. The recovery code stays unbound: it opens the vault on any "
              "workstation, so keep it in a safe.\n")
    if done.bound_elsewhere:
        out.write(f"{done.bound_elsewhere} account(s) were bound to the workstation the vault was bound to before: "
                  "give them new passwords here with 'gvm-desktop recover --user NAME'.\n")
    return 0


def _cmd_settings(app: App, args: argparse.Namespace, pw: Passwords, out: TextIO) -> int:
    ws, _password = _sign_in(app, args, pw)
    try:
        if args.settings_command == "set":
            value = app.settings.change(ws, args.key, args.value)
            out.write(f"{args.key} = {value}\n")
        else:
            for key, setting in sorted(SETTINGS.items()):
                out.write(f"{key} = {app.settings.value(ws, key)}\t({setting.description})\n")
        return 0
    finally:
        app.auth.sign_out(ws)


def _cmd_check(app: App, args: argparse.Namespace, pw: Passwords, out: TextIO, err: TextIO) -> int:
    actor = getattr(args, "actor", None)
    if not actor:
        raise UsageError("check acts as an administrator or auditor: give --as NAME.")
    result = app.integrity.check_as(actor, pw.read(f"Password for {actor}: "))
    report = result.report
    if report.intact:
        out.write(f"Intact: {report.pages:,} pages checked ({report.seconds:.2f} s).\n")
        return 0
    note = "" if result.logged else (
        " The damage stopped the sign-in, so this check is not in the access log." if not result.signed_in
        else " The damage reaches the access log, so this check is not in it.")
    err.write(f"gvm-desktop: The vault database is damaged: {report.summary()} ({report.pages:,} pages checked). "
              f"Restore it from a backup.{note}\n")
    return int(ExitCode.INTEGRITY)


def _cmd_verify_pdf(app_factory: Callable[[Path | None], App], args: argparse.Namespace, pw: Passwords, out: TextIO,
                    err: TextIO) -> int:
    """With --ca, no vault is opened at all; otherwise the CA is read from the vault, signed in as --as."""
    from_stdin = bool(getattr(args, "password_stdin", False))
    if args.ca is not None:
        ca = cli_verify_pdf.ca_from_file(args.ca)
        return cli_verify_pdf.run(args, lambda: ca, pw.read, from_stdin, out, err)
    if getattr(args, "vault", None) is None or not getattr(args, "actor", None):
        raise UsageError("Give the vault's CA certificate with --ca FILE, or the vault with --vault DIR --as NAME "
                         "(its CA is kept inside the encrypted vault).")
    app = app_factory(args.vault)
    ws, _password = _sign_in(app, args, pw)
    try:
        return cli_verify_pdf.run(args, lambda: cli_verify_pdf.vault_ca(lambda: app.reviews.ca_certificate(ws)),
                                  pw.read, from_stdin, out, err)
    finally:
        app.auth.sign_out(ws)


def _start_gui(app: App, *, demo: bool) -> int:
    from gvm_desktop.gui.shell.main import run_gui  # Qt is loaded only when a window is wanted

    return run_gui(app, demo=demo)


def main(
    argv: Sequence[str] | None = None,
    *,
    app_factory: Callable[[Path | None], App] = build_app,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        vault = getattr(args, "vault", None)
        pw = Passwords(bool(getattr(args, "password_stdin", False)), stdin)
        if args.command is None:
            if args.demo:
                # A missing demo vault is built by the GUI, behind a progress dialog with a percentage.
                return _start_gui(app_factory(vault or default_demo_vault_dir()), demo=True)
            return _start_gui(app_factory(vault), demo=False)
        if args.command == "verify-pdf":  # with --ca, no vault is opened (nor made)
            return _cmd_verify_pdf(app_factory, args, pw, out, err)
        if args.command == "server":  # a PostgreSQL database, not a vault: none is opened (nor made)
            return _cmd_server_init(args, pw, out)
        app = app_factory(vault)
        if args.command == "init":
            return _cmd_init(app, args, pw, out)
        if args.command == "demo":
            return _cmd_demo(app, args, out, err)
        if args.command == "recover":
            return _cmd_recover(app, args, pw, out)
        if args.command == "bind":
            return _cmd_bind(app, pw, out)
        if args.command == "keys":
            return _cmd_keys_deliver(app, pw, out)
        if args.command == "bench":
            from gvm_desktop.bench.run import run_bench

            return run_bench(app, nominals=args.nominals, log_entries=args.log_entries, json_path=args.json, out=out)
        if args.command == "user":
            return _cmd_user(app, args, pw, out)
        if args.command == "settings":
            return _cmd_settings(app, args, pw, out)
        if args.command == "rekey":
            return _cmd_rekey(app, args, pw, out)
        if args.command == "check":
            return _cmd_check(app, args, pw, out, err)
        if args.command == "restore":
            return cli_backup.run_restore(app, args, pw.read, out)
        if args.command == "backup":
            ws, _password = _sign_in(app, args, pw)
            try:
                return cli_backup.run_backup(app, ws, args, out)
            finally:
                app.auth.sign_out(ws)
        if args.command == "log" and args.log_command in ("verify", "grant", "verify-export"):
            return cli_log.run(app, args, pw.read, out, err)
        if args.command in ("log", "governance"):
            ws, password = _sign_in(app, args, pw)
            try:
                if args.command == "log":
                    return cli_log.run_session(app, ws, args, out, password=password, read=pw.read)
                return cli_governance.run(app, ws, args, out, password=password, read=pw.read)
            finally:
                app.auth.sign_out(ws)
        if args.command in ("review", "report"):
            ws, password = _sign_in(app, args, pw)
            try:
                if args.command == "review":
                    return cli_review.run_review(app, ws, args, password, pw.read, out)
                return cli_review.run_report(app, ws, args, pw.read, out, password=password)
            finally:
                app.auth.sign_out(ws)
        if args.command == "import":
            mapping = cli_importing.read_mapping(args.mapping)  # a wrong mapping is said before a password is asked
            cli_importing.check_report_path(args.report)  # and a report that would overwrite a file
            ws, _password = _sign_in(app, args, pw)
            try:
                return cli_importing.run(app, ws, args, mapping, out)
            finally:
                app.auth.sign_out(ws)
        if args.command in ("matrix", "record", "status-check", "retention", "dsa"):
            ws, _password = _sign_in(app, args, pw)
            try:
                return cli_matrix.run(app, ws, args, out)
            finally:
                app.auth.sign_out(ws)
        raise UsageError(f"Unknown command {args.command!r}.")
    except GvmError as exc:
        err.write(f"gvm-desktop: {exc.message}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        err.write("gvm-desktop: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): nothing is wrong with the command, and nothing more can be said on
        # stdout. Point it at devnull so the interpreter's own flush at exit does not complain either.
        if out is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a process ended by SIGPIPE
    except OSError as exc:
        # File-system trouble: name the file and the reason, nothing else.
        err.write(f"gvm-desktop: {exc.strerror or 'I/O error'}{': ' + str(exc.filename) if exc.filename else ''}\n")
        return int(ExitCode.OTHER)
    except MemoryError:
        # The vault's own connections word SQLCipher's out-of-memory as damage; this one is the machine's.
        err.write("gvm-desktop: out of memory; the command stopped.\n")
        return int(ExitCode.OTHER)
    except Exception as exc:
        # A SQLite error that no service typed (a damaged page met outside the vault's connections):
        # one line and its exit code, as for every other error. Anything else is a bug: let it show.
        problem = storage_problem(exc)
        if problem is None:
            raise
        err.write(f"gvm-desktop: {problem.message}\n")
        return int(problem.exit_code)

