"""Purging archive records once their retention period is over: deleted for real, space reclaimed."""

from __future__ import annotations

from gvm_desktop.core.audit import Action
from gvm_desktop.core.policy import Permission
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, records


class RetentionService:
    def purge_expired(self, ws: Workspace) -> int:
        """Delete archive rows past their purge date, then VACUUM so their pages are gone from the file."""
        ws.authorize(Permission.RETENTION_PURGE, Action.PURGE)
        today = ws.env.clock.now().date().isoformat()
        with ws.write() as conn:
            purged = records.purge_archive(conn, today)
            access_log.append(conn, ws.entry(Action.PURGE, detail=f"{purged} archive records past retention"))
        if purged:
            # secure_delete already zeroed the freed pages; VACUUM gives them back to the file system.
            ws.conn.execute("VACUUM")
        return purged

    def archive_size(self, ws: Workspace) -> int:
        ws.authorize(Permission.RETENTION_PURGE, Action.PURGE)
        return records.archive_count(ws.conn)
