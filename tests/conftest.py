"""Shared fixtures: a manual clock, an in-memory keyring and cheap Argon2id, all explicit."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gvm_desktop.app import App, build_app
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.services.context import Workspace
from gvm_desktop.store.slot import TEST_KDF
from tests.support.memory_keyring import MemoryKeyring

ADMIN = "alice.admin"
ADMIN_PW = "copper-kettle-orbit-91"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def make_app(tmp_path: Path, clock: ManualClock, memory_keyring: MemoryKeyring) -> Callable[..., App]:
    def factory(folder: Path | None = None, **overrides: object) -> App:
        kwargs: dict[str, object] = {
            "clock": clock, "keyring_backend": memory_keyring, "kdf": TEST_KDF, "workstation": "ws-test-01",
            "tz": "UTC",  # messages that show local time read the same on every machine
        }
        kwargs.update(overrides)
        return build_app(folder or tmp_path / "vault", **kwargs)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return make_app()


@pytest.fixture
def admin_ws(app: App) -> Workspace:
    """A fresh vault with its first administrator signed in."""
    return app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW).workspace


DEMO_PEOPLE = 60


def build_demo_template(tmp_path_factory: pytest.TempPathFactory, name: str, people: int) -> Path:
    """A demo vault built once per test run (ManualClock's start, seed 2026), to be copied per test."""
    folder = tmp_path_factory.mktemp(name) / "vault"
    app = build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                    workstation="ws-test-01", tz="UTC")
    app.auth.sign_out(app.create_demo(people).workspace)
    return folder


def copy_demo(template: Path, target: Path, make_app: Callable[..., App]) -> App:
    shutil.copytree(template, target)
    return make_app(target)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_template(tmp_path_factory, "demo-template", DEMO_PEOPLE)


@pytest.fixture
def demo_app(make_app: Callable[..., App], _demo_template: Path, tmp_path: Path) -> App:
    """A demo vault (one account per role, DEMO_PEOPLE synthetic people), fresh for this test."""
    return copy_demo(_demo_template, tmp_path / "demo-vault", make_app)
