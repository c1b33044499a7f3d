"""The unit of work: what a service holds while it works, instead of a connection.

A `VaultUnit` is one transaction (or one consistent read) on an open vault, with one
repository per group of tables as its attributes. Services reach storage only through
it; the connection stays inside the store. `store/protocols.py` lists the same surface
as typing Protocols, for a second backend to implement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from gvm_desktop.store import database, protocols
from gvm_desktop.store.access_log import AccessLogRepository
from gvm_desktop.store.accounts import AccountsRepository
from gvm_desktop.store.agreements import AgreementsRepository
from gvm_desktop.store.audit_forms import AuditFormsRepository
from gvm_desktop.store.certificates import CertificatesRepository
from gvm_desktop.store.disclosures import DisclosuresRepository
from gvm_desktop.store.governance import GovernanceRepository
from gvm_desktop.store.integrity import IntegrityRepository
from gvm_desktop.store.log_chain import LogChainRepository
from gvm_desktop.store.meta import MetaRepository
from gvm_desktop.store.monthly_audit import MonthlyAuditRepository
from gvm_desktop.store.nominals import NominalsRepository
from gvm_desktop.store.person_index import PersonIndexRepository
from gvm_desktop.store.previews import PreviewsRepository
from gvm_desktop.store.records import RecordsRepository
from gvm_desktop.store.reference_population import ReferencePopulationRepository
from gvm_desktop.store.reviews import ReviewsRepository
from gvm_desktop.store.status_tags import StatusTagsRepository

if TYPE_CHECKING:
    from gvm_desktop.store.database import Connection
    from gvm_desktop.store.vault import Vault


class VaultUnit:
    """The vault's tables through one connection, for the length of one transaction or read."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @cached_property
    def log(self) -> AccessLogRepository:
        return AccessLogRepository(self._conn)

    @cached_property
    def chain(self) -> LogChainRepository:
        return LogChainRepository(self._conn)

    @cached_property
    def accounts(self) -> AccountsRepository:
        return AccountsRepository(self._conn)

    @cached_property
    def governance(self) -> GovernanceRepository:
        return GovernanceRepository(self._conn)

    @cached_property
    def audit_forms(self) -> AuditFormsRepository:
        return AuditFormsRepository(self._conn)

    @cached_property
    def agreements(self) -> AgreementsRepository:
        return AgreementsRepository(self._conn)

    @cached_property
    def integrity(self) -> IntegrityRepository:
        return IntegrityRepository(self._conn)

    @cached_property
    def nominals(self) -> NominalsRepository:
        return NominalsRepository(self._conn)

    @cached_property
    def person_index(self) -> PersonIndexRepository:
        return PersonIndexRepository(self._conn)

    @cached_property
    def previews(self) -> PreviewsRepository:
        return PreviewsRepository(self._conn)

    @cached_property
    def status_tags(self) -> StatusTagsRepository:
        return StatusTagsRepository(self._conn)

    @cached_property
    def records(self) -> RecordsRepository:
        return RecordsRepository(self._conn)

    @cached_property
    def reviews(self) -> ReviewsRepository:
        return ReviewsRepository(self._conn)

    @cached_property
    def disclosures(self) -> DisclosuresRepository:
        return DisclosuresRepository(self._conn)

    @cached_property
    def reference(self) -> ReferencePopulationRepository:
        return ReferencePopulationRepository(self._conn)

    @cached_property
    def certificates(self) -> CertificatesRepository:
        return CertificatesRepository(self._conn)

    @cached_property
    def meta(self) -> MetaRepository:
        return MetaRepository(self._conn)

    @cached_property
    def monthly_audit(self) -> MonthlyAuditRepository:
        return MonthlyAuditRepository(self._conn)

    def compact(self) -> None:
        """Give freed pages back to the file system (outside any transaction)."""
        self._conn.execute("VACUUM")


@contextmanager
def transaction(vault: Vault) -> Iterator[VaultUnit]:
    """BEGIN IMMEDIATE ... COMMIT on the vault (ROLLBACK on any error), then the log head is copied out."""
    with database.transaction(vault.conn) as conn:
        yield VaultUnit(conn)
    vault.write_checkpoint()


@contextmanager
def snapshot(vault: Vault) -> Iterator[VaultUnit]:
    """A read transaction (BEGIN DEFERRED ... COMMIT): every statement sees the same committed state."""
    with database.transaction(vault.conn, immediate=False) as conn:
        yield VaultUnit(conn)


def reading(vault: Vault) -> VaultUnit:
    """Reads outside a transaction: each statement sees the vault as last committed."""
    return VaultUnit(vault.conn)


def _conforms(unit: VaultUnit) -> protocols.Unit:
    return unit  # the type checker holds VaultUnit to the protocol list here
