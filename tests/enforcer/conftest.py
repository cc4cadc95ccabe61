"""Fixtures: one real JupyterHub per session, a fresh labgate database per test (SQLite
and PostgreSQL), and the enforcer wired to both. Only labgate's clock is ever faked."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from labgate import clock
from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.enforcer.hubapi import HubClient
from labgate.enforcer.run import Enforcer, Settings
from tests.enforcer.hubharness import Hub, start_hub, stop_hub
from tests.enforcer.world import World, build

_names = itertools.count(1)


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    running = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield running
    finally:
        stop_hub(running)


@pytest.fixture
def workspaces(hub: Hub) -> Iterator[Hub]:
    """The hub, with every server a test starts stopped again after it."""
    try:
        yield hub
    finally:
        hub.stop_everything()


@pytest.fixture
def names() -> Iterator[str]:
    """Usernames unique across the session: the hub outlives each test's database."""
    return (f"p{next(_names)}x{i}" for i in itertools.count())


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    """labgate's clock, frozen at the real time the test starts (the hub's clock is real)."""
    at = dt.datetime.now(dt.UTC)
    with clock.frozen(at):
        yield at


@pytest.fixture
def store(tmp_path: Path) -> DataStore:
    return DataStore(tmp_path / "store")


@pytest.fixture
def world(db: Database, now: dt.datetime) -> World:
    return build(db)


@pytest.fixture
def enforcer(db: Database, store: DataStore, workspaces: Hub) -> Enforcer:
    client = HubClient(workspaces.api_url, workspaces.enforcer_token)
    return Enforcer(db, store, client, Settings(warning_days=30, stop_wait_seconds=20))
