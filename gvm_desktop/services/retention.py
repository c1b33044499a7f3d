"""Purging what is past its retention period: archive records and signed quarterly reviews.

Deleted for real (secure_delete zeroes the freed pages) and the space reclaimed (VACUUM).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.settings import RETENTION_YEARS
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.store import access_log, records, reviews


@dataclass(frozen=True)
class Purged:
    archive: int  # archive rows past their purge date
    reviews: int  # signed reviews signed at least the retention period ago
    review_items: int  # their items (the people each one listed)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


class RetentionService:
    def __init__(self, settings: SettingsService | None = None) -> None:
        self.settings = settings or SettingsService()

    def purge_expired(self, ws: Workspace) -> int:
        """Purge what is past retention (see purge); returns the number of archive rows purged."""
        return self.purge(ws).archive

    def purge(self, ws: Workspace) -> Purged:
        """Delete archive rows past their purge date and signed reviews as old as the retention period,
        in one transaction with its log entry, then VACUUM so their pages are gone from the file.

        A signed review names everyone it reviewed, so it is kept no longer than the archive row of a
        person removed the day it was signed (the setting read now, as the admin has it today).
        """
        ws.authorize(Permission.RETENTION_PURGE, Action.PURGE)
        today = ws.env.clock.now().date()
        years = self.settings.value(ws, RETENTION_YEARS.key)
        with ws.write() as conn:
            archive = records.purge_archive(conn, today.isoformat())
            gone, items = reviews.purge_signed(conn, years_before(today, years).isoformat())
            access_log.append(conn, ws.entry(Action.PURGE, detail=(
                f"{archive} archive records past retention; {gone} signed reviews ({items} items) signed "
                f"{years} or more years ago")))
        if archive or gone:
            # secure_delete already zeroed the freed pages; VACUUM gives them back to the file system.
            ws.conn.execute("VACUUM")
            ws.vault.flush_wal()
        return Purged(archive, gone, items)

    def archive_size(self, ws: Workspace) -> int:
        ws.authorize(Permission.RETENTION_PURGE, Action.PURGE)
        return records.archive_count(ws.conn)
