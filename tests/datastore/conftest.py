"""Fixtures for the data store: a fresh store under the test's temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from labgate.datastore.layout import DataStore


@pytest.fixture
def store(tmp_path: Path) -> DataStore:
    return DataStore(tmp_path / "store")
