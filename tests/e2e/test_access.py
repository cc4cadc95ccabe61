"""Every door a person should not pass, tried through the real hub (AUTH-1, AUTH-4, AUTH-5,
WS-1, WS-3, LOG-1)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from labgate import clock
from labgate.audit.log import Actor
from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.demo.directory import ThrowawayDirectory, free_port
from labgate.model import AuditEvent, Authorisation, Person
from labgate.services.people import end_authorisation
from tests.e2e.conftest import Hub, log_in, start_hub, stop_hub
from tests.e2e.workspace import start_workspace

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slapd]


def events(hub: Hub, type_: str, object_id: str | None = None) -> list[AuditEvent]:
    db = Database(hub.db_url)
    try:
        with db.read_session() as s:
            query = select(AuditEvent).where(AuditEvent.type == type_)
            if object_id is not None:
                query = query.where(AuditEvent.object_id == object_id)
            return list(s.scalars(query))
    finally:
        db.dispose()


def login_error(page: Any) -> str:
    page.locator(".login_error, .alert-danger").first.wait_for(timeout=30_000)
    return str(page.locator(".login_error, .alert-danger").first.inner_text())


@pytest.mark.requirement("AUTH-1")
def test_a_person_whose_authorisation_ended_cannot_log_in(hub: Hub, page: Any) -> None:
    db = Database(hub.db_url)
    try:
        with db.session() as s:
            ola = s.scalar(select(Person).where(Person.username == "ola"))
            assert ola is not None
            entry = s.scalar(select(Authorisation).where(Authorisation.person_id == ola.id))
            assert entry is not None
            end_authorisation(
                s, Actor("e2e-admin", "system", ""), authorisation_id=entry.id,
                reason="Left the ministry.",
            )  # fmt: skip
    finally:
        db.dispose()
    log_in(page, hub, "ola")
    assert "no active authorisation" in login_error(page)
    assert "/hub/login" in page.url
    failed = events(hub, "login.failed")
    assert any(e.actor == "ola" and "no-authorisation" in e.detail for e in failed)


@pytest.mark.requirement("LOG-1")
@pytest.mark.parametrize("username", ["*)(uid=*", "a,b", "o'brien", "rita)(|(uid=*"])
def test_usernames_with_directory_syntax_are_refused_safely(
    hub: Hub, page: Any, username: str
) -> None:
    log_in(page, hub, username, password="anything")
    page.locator("input[name=username]").wait_for()
    assert "/hub/login" in page.url
    assert not any(c["name"].startswith("jupyterhub-session") for c in page.context.cookies())


def api(page: Any, hub: Hub, method: str, path: str, body: Any = None, token: str = "") -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    else:
        xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_xsrf")
        headers["X-XSRFToken"] = xsrf
    return page.request.fetch(
        f"{hub.url}/hub/api{path}", method=method, headers=headers,
        data=json.dumps(body) if body is not None else None,
    )  # fmt: skip


@pytest.mark.requirement("AUTH-5")
@pytest.mark.requirement("WS-1")
def test_a_non_member_cannot_start_another_project_by_any_route(hub: Hub, page: Any) -> None:
    log_in(page, hub, "rita")
    page.goto(f"{hub.url}/hub/spawn")
    page.locator("input[name=project]").first.wait_for()
    # Through the form's URL for a project she is not in.
    page.goto(f"{hub.url}/hub/spawn/rita/heart")
    if page.locator("form button[type=submit], form input[type=submit]").count():
        page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state()
    assert "There is no project 'heart' that you can open." in page.content()
    # Through the REST API with her own token, and with a forged option.
    made = api(page, hub, "POST", "/users/rita/tokens", {"note": "e2e", "expires_in": 600})
    assert made.ok, made.text()
    token = made.json()["token"]
    api(page, hub, "POST", "/users/rita/servers/heart", {"project": "heart"}, token=token)
    api(page, hub, "POST", "/users/rita/servers/mobility", {"project": "heart"}, token=token)
    time.sleep(2)
    servers = api(page, hub, "GET", "/users/rita", token=token).json()["servers"]
    assert "heart" not in servers
    assert servers.get("mobility", {}).get("ready") is not True
    denied = events(hub, "workspace.start.denied")
    assert {e.object_id for e in denied if e.actor == "rita"} >= {"heart"}


@pytest.fixture(scope="module")
def demo(demo_root: tuple[Path, str, DataStore]) -> tuple[Path, str, DataStore]:
    return demo_root


@pytest.fixture
def dead_directory_hub(
    demo: tuple[Path, str, DataStore], directory: ThrowawayDirectory
) -> Iterator[Hub]:
    root, url, store = demo
    process, running = start_hub(root, url, store, directory, LABGATE_LDAP_PORT=str(free_port()))
    try:
        yield running
    finally:
        stop_hub(process)


@pytest.mark.requirement("AUTH-4")
def test_login_fails_closed_with_a_clear_message_when_the_directory_is_down(
    dead_directory_hub: Hub, page: Any
) -> None:
    log_in(page, dead_directory_hub, "rita")
    message = login_error(page)
    assert "directory" in message.lower()
    assert message.rstrip().endswith(".")
    assert "/hub/login" in page.url
    failed = events(dead_directory_hub, "login.failed")
    assert any("directory-unreachable" in e.detail for e in failed)


@pytest.fixture
def short_idle_hub(
    demo: tuple[Path, str, DataStore], directory: ThrowawayDirectory
) -> Iterator[Hub]:
    root, url, store = demo
    process, running = start_hub(root, url, store, directory, LABGATE_IDLE_SECONDS="10")
    try:
        yield running
    finally:
        stop_hub(process)


@pytest.mark.requirement("WS-3")
def test_an_idle_workspace_is_stopped(short_idle_hub: Hub, page: Any) -> None:
    log_in(page, short_idle_hub, "manager1")
    start_workspace(page, short_idle_hub.url, "manager1", "health-pdb")
    page.goto("about:blank")  # leave it: no more activity
    started = clock.now()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stops = [
            e for e in events(short_idle_hub, "workspace.stop", "health-pdb")
            if e.actor == "manager1" and e.ts_us / 1e6 >= started.timestamp() - 1
        ]  # fmt: skip
        if stops:
            return
        time.sleep(2)
    pytest.fail("the idle workspace was not stopped within two minutes")
