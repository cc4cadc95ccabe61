"""Fixtures for the hub tests: a real slapd (plain and with StartTLS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hub import slapd as slapd_helper


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[slapd_helper.Slapd]:
    server = slapd_helper.start(tmp_path_factory.mktemp("ldap"))
    try:
        yield server
    finally:
        server.directory.stop()


@pytest.fixture(scope="session")
def slapd_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[slapd_helper.Slapd]:
    server = slapd_helper.start(tmp_path_factory.mktemp("ldaps"), tls=True)
    try:
        yield server
    finally:
        server.directory.stop()
