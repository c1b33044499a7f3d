"""The workstation's device secret, kept in the OS credential store through keyring."""

from __future__ import annotations

import secrets

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

SERVICE = "gvm-desktop"


class DeviceSecrets:
    """Get or create the per-vault device secret; work unbound where no store exists."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend

    def _store(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    def available(self) -> bool:
        store = self._store()
        if isinstance(store, fail.Keyring):
            return False
        try:
            return float(store.priority) > 0
        except (TypeError, ValueError, keyring.errors.KeyringError):
            return False

    def why_unavailable(self) -> str:
        return (
            "No OS credential store was found on this workstation, so the vault is not bound to it "
            "(the password and the recovery code alone open it)."
        )

    def get(self, vault_id: str) -> bytes | None:
        try:
            value = self._store().get_password(SERVICE, f"device-secret:{vault_id}")
        except keyring.errors.KeyringError:
            return None
        return bytes.fromhex(value) if value else None

    def create(self, vault_id: str) -> bytes:
        secret = secrets.token_bytes(32)
        self._store().set_password(SERVICE, f"device-secret:{vault_id}", secret.hex())
        return secret

    def get_or_create(self, vault_id: str) -> bytes:
        return self.get(vault_id) or self.create(vault_id)
