"""`gvm-desktop verify-pdf FILE`: may this PDF be relied on as a document signed in this vault?

Exit 0 only when its signature is cryptographically valid, covers the whole file (no update appended after
it), certifies the document with no changes permitted, chains to the vault's CA and names its signer; exit 4
with one line saying which failed otherwise (reports/pdf_signing.py verify_pdf makes the checks).

The CA certificate comes from `--ca FILE` (PEM or DER: no vault needed), or from the vault given with
`--vault DIR --as NAME`: the vault keeps its CA inside its encrypted database, so reading it there takes a
sign-in. Passwords on --password-stdin in the contract's order: the account's first (with --as), then the
PDF's, read only when the PDF is encrypted.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gvm_desktop.core.errors import ExitCode, GvmError, UsageError

ReadPassword = Callable[..., str]
ENCRYPTED = "encrypted: give the PDF password on --password-stdin"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    verify = sub.add_parser("verify-pdf", parents=[common],
                            help="check a signed PDF: valid, whole file, certified, from the vault's CA; exit 0 or 4")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--ca", type=Path, default=None, metavar="FILE",
                        help="the vault's CA certificate (PEM or DER); without it, --vault and --as read it")


def ca_from_file(path: Path) -> bytes:
    """The certificate in `path` as DER, whether the file holds PEM or DER."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read --ca {path}: {exc.strerror or type(exc).__name__}.") from None
    try:
        cert = (x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----BEGIN")
                else x509.load_der_x509_certificate(data))
    except ValueError:
        raise UsageError(f"--ca {path} is not a certificate (PEM or DER).") from None
    return cert.public_bytes(Encoding.DER)


def run(args: argparse.Namespace, ca_der: Callable[[], bytes], read: ReadPassword, from_stdin: bool, out: TextIO,
        err: TextIO) -> int:
    """Check args.file against the CA `ca_der()` gives (asked for only once the file is read)."""
    from gvm_desktop.reports import pdf_signing  # pyHanko: only when a PDF is checked

    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror or type(exc).__name__}.") from None
    ca = ca_der()
    try:
        try:
            verdict = pdf_signing.verify_pdf(data, ca_cert_der=ca, password=None)
        except pdf_signing.PdfPasswordError:
            if not from_stdin:
                return _fails(err, path, ENCRYPTED)
            verdict = pdf_signing.verify_pdf(data, ca_cert_der=ca, password=read("Password for the PDF: "))
    except pdf_signing.PdfPasswordError:
        return _fails(err, path, "encrypted: the PDF password given is wrong")
    except (pdf_signing.PdfNotSigned, pdf_signing.PdfUnreadable) as exc:
        return _fails(err, path, exc.message.rstrip("."))
    if not verdict.ok:
        return _fails(err, path, verdict.reason)
    when = f"{verdict.signed_at:%Y-%m-%d %H:%M:%S %Z}".strip() if verdict.signed_at else "at an unstated time"
    out.write(f"{path}: valid. Signed by {verdict.signer} on {when}; certified, no changes permitted; the signature "
              "covers the whole file; the certificate chains to the vault's CA.\n")
    return 0


def _fails(err: TextIO, path: Path, reason: str) -> int:
    err.write(f"gvm-desktop: {path}: NOT VALID: {reason}\n")
    return int(ExitCode.INTEGRITY)


def vault_ca(read_ca: Callable[[], bytes | None]) -> bytes:
    """The CA read from the vault, or a clear error for a vault that has never issued one."""
    der = read_ca()
    if der is None:
        raise GvmError("This vault has no certificate authority yet: it has signed nothing.")
    return der
