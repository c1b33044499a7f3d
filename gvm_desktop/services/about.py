"""What Help › About says of the open vault: its id and the access log's head.

Not logged, on purpose. It reads no record and no personal field: the id names the vault, and the
head (the last entry's number and hash) is printed on every PDF the vault makes. Every role may see
it, the partner and the administrator included, so a report of a problem can quote it. And a read
that logged itself would move the head it was asked for: the dialog would show a head that the next
verification no longer ends at.
"""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.audit import Action
from gvm_desktop.services.context import Workspace


@dataclass(frozen=True)
class AboutFacts:
    vault_id: str
    log_head_seq: int
    log_head_hash: str  # hex, all 64 digits: an auditor compares it with a verification's head

    @property
    def head_text(self) -> str:
        """'1234:9f86d081884c7d65', as the PDFs and the verification print it (their first 16 digits)."""
        return f"{self.log_head_seq}:{self.log_head_hash[:16]}"


class AboutService:
    def ca_certificate_pem(self, ws: Workspace) -> str | None:
        """The vault CA's certificate, as PEM, for `gvm-desktop verify-pdf FILE --ca FILE` (and any PDF reader that
        is told to trust it) away from the vault. Public: the certificate only, never the CA's key; not logged,
        as the facts are not. None before the vault has signed anything."""
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        with ws.operation(None, Action.ACCESS_LOG_READ, writes=False) as op:
            ca = op.store.certificates.authority()
        if ca is None:
            return None
        return x509.load_der_x509_certificate(ca.cert_der).public_bytes(Encoding.PEM).decode("ascii")

    def facts(self, ws: Workspace) -> AboutFacts:
        # A read (no transaction, nothing logged); the action only names the operation.
        with ws.operation(None, Action.ACCESS_LOG_READ, writes=False) as op:
            head = op.store.chain.head()
            return AboutFacts(op.vault.vault_id, head.seq, head.hash.hex())
