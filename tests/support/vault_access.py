"""The raw vault behind a workspace, for tests that play the attacker or inspect bytes.

Product code has no way to the connection outside the store (services go through
`Workspace.operation()`); a test that tampers with a table, or reads what a service
wrote without logging, takes it here, on purpose and visibly.
"""

from __future__ import annotations

from typing import Any

from gvm_desktop.services.context import Workspace
from gvm_desktop.store.vault import Vault


def vault_of(ws: Workspace) -> Vault:
    return ws._open_vault()


def conn_of(ws: Workspace) -> Any:
    return ws._open_vault().conn
