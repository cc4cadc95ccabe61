"""LabgateSandboxSpawner: the server re-checks every start through policy (WS-1, AUTH-5),
refuses forged requests like missing projects, audits mounts (LOG-1), runs real sandboxes.

The spawner runs against a minimal stand-in for JupyterHub's user and hub objects; the
real hub end to end is tested in tests/e2e.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.hub.spawner import LabgateSandboxSpawner, WorkspaceRefused
from labgate.model import AuditEvent
from labgate.sandbox import seccomp
from tests.cli.harness import Labgate
from tests.sandbox.conftest import ENV_MOUNT, python_binds

UNIX_SERVER = textwrap.dedent("""
    import http.server, socketserver, sys
    sock = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--ServerApp.sock=")][0]
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
        def address_string(self):
            return "unix"
    socketserver.UnixStreamServer(sock, H).serve_forever()
""")


class FakeUser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.escaped_name = name
        self.url = f"/user/{name}/"


class FakeOrmSpawner:
    def __init__(self, name: str) -> None:
        self.name = name
        self.state: dict[str, Any] = {}
        self.server = None


class FakeHub:
    api_url = "http://127.0.0.1:8081/hub/api"
    public_host = ""
    base_url = "/hub/"


@pytest.fixture
def world(db: Database, frozen_clock: dt.datetime) -> Database:
    lg = Labgate(db.url)
    lg.ok("institution", "create", "au", "--name", "Aarhus University", "--country", "DK")
    lg.ok(
        "institution", "authorise", "au", "--scheme", "researcher", "--from", "2026-01-01",
        "--until", "2028-12-31", "--security-policy", "AU-ISMS-2026",
    )  # fmt: skip
    for user in ("anna", "bo"):
        lg.ok("person", "create", user, "--name", user.title(), "--institution", "au")
        lg.ok("authorisation", "grant", user, "--from", "2026-01-01", "--until", "2027-01-01")
    for code in ("fam", "oth"):
        lg.ok(
            "project", "create", code, "--title", code, "--scheme", "researcher",
            "--owner", "au", "--purpose", "Testing workspaces.", "--legal-basis", "6(1)(e)",
            "--dpia", "DPIA-1", "--starts", "2026-03-01", "--access-ends", "2027-03-01",
            "--deletion-deadline", "2027-06-01",
        )  # fmt: skip
    lg.ok("membership", "add", "fam", "anna", "--role", "researcher")
    lg.ok("membership", "add", "oth", "bo", "--role", "researcher")
    return db


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[tuple[DataStore, Path]]:
    store = DataStore(tmp_path / "store")
    state = Path(tempfile.mkdtemp(prefix="lg", dir="/tmp"))
    try:
        yield store, state
    finally:
        shutil.rmtree(state, ignore_errors=True)


def spawner(world: Database, paths: tuple[DataStore, Path], user: str, name: str,
            options: dict[str, Any] | None = None) -> LabgateSandboxSpawner:  # fmt: skip
    store, state = paths
    return LabgateSandboxSpawner(
        user=FakeUser(user), hub=FakeHub(), orm_spawner=FakeOrmSpawner(name),
        user_options=options or {},
        db_url=world.url, data_root=str(store.root), state_dir=str(state),
        extra_ro_binds=[f"{s}:{t}" for s, t in python_binds()],
        singleuser_cmd=[f"{ENV_MOUNT}/bin/python", "-c", UNIX_SERVER],
        mem_limit="1G", cpu_limit=1.0,
    )  # fmt: skip


def events(db: Database, type_: str) -> list[AuditEvent]:
    with db.read_session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.type == type_)))


def refusal(sp: LabgateSandboxSpawner) -> WorkspaceRefused:
    with pytest.raises(WorkspaceRefused) as caught:
        asyncio.run(sp.start())
    return caught.value


@pytest.mark.requirement("WS-1")
@pytest.mark.requirement("AUTH-5")
@pytest.mark.parametrize(
    ("name", "options", "asked"),
    [
        pytest.param("oth", {}, "oth", id="server-named-for-a-project-of-someone-else"),
        pytest.param("oth", {"project": "oth"}, "oth", id="forged-form"),
        pytest.param("fam", {"project": "oth"}, "oth", id="forged-user-options"),
        pytest.param("nope", {}, "nope", id="no-such-project"),
        pytest.param("Bad/../x", {}, "Bad/../x", id="not-a-code"),
    ],
)
def test_a_project_the_person_may_not_open_is_refused_like_a_missing_one(
    world: Database, paths: tuple[DataStore, Path], name: str, options: dict[str, Any],
    asked: str,
) -> None:  # fmt: skip
    error = refusal(spawner(world, paths, "anna", name, options))
    missing = refusal(spawner(world, paths, "anna", "zzz"))
    assert error.reason == missing.reason == "no-such-project"
    assert error.message == missing.message.replace("'zzz'", f"'{asked}'")
    denied = events(world, "workspace.start.denied")
    assert denied[0].actor == "anna" and denied[0].outcome == "denied"
    assert denied[0].object_id == asked
    assert events(world, "workspace.start") == [] and events(world, "data.mount") == []
    assert not list(paths[1].glob("sandboxes/*.json"))  # nothing was started


@pytest.mark.requirement("WS-1")
def test_the_default_server_is_not_a_workspace(
    world: Database, paths: tuple[DataStore, Path]
) -> None:
    assert refusal(spawner(world, paths, "anna", "", {"project": "fam"})).reason == (
        "no-project-chosen"
    )


@pytest.mark.requirement("WS-1")
def test_an_ended_authorisation_cannot_start(
    world: Database, paths: tuple[DataStore, Path], frozen_clock: dt.datetime
) -> None:
    from labgate import clock

    with clock.frozen(dt.datetime(2027, 1, 2, tzinfo=dt.UTC)):
        error = refusal(spawner(world, paths, "anna", "fam"))
    assert error.reason != "ok"
    assert events(world, "workspace.start.denied")[0].outcome == "denied"


def test_the_form_lists_only_usable_projects(
    world: Database, paths: tuple[DataStore, Path]
) -> None:
    sp = spawner(world, paths, "anna", "fam")
    form = asyncio.run(sp.labgate_options_form())
    assert 'value="fam"' in form and "oth" not in form
    assert sp.options_from_form({"project": ["oth"]}) == {"project": "oth"}


@pytest.mark.requirement("WS-1")
@pytest.mark.requirement("LOG-1")
def test_a_member_starts_and_stops_a_sandbox_and_the_mounts_are_audited(
    world: Database, paths: tuple[DataStore, Path]
) -> None:
    store, _state = paths
    store.ensure_project("fam")
    sp = spawner(world, paths, "anna", "fam", {"project": "fam"})

    async def scenario() -> tuple[str, int | None, int | None, list[dict[str, Any]]]:
        url = await sp.start()
        assert sp._sandbox is not None
        await sp._sandbox.wait_ready(timeout=20)
        running = await sp.poll()
        progress = [e async for e in sp.progress()]
        await sp.stop()
        return url, running, await sp.poll(), progress

    url, running, stopped, progress = asyncio.run(scenario())
    assert url.startswith("http+unix://%2Ftmp%2Flg") and url.endswith("server.sock")
    assert running is None and stopped == 0
    assert [e["progress"] for e in progress] == sorted(e["progress"] for e in progress)
    [mount] = events(world, "data.mount")
    assert mount.object_id == "fam" and mount.actor == "anna"
    assert '"/work"' in mount.detail and '"/home/researcher"' in mount.detail
    assert str(store.vault) not in mount.detail
    confinement = json.loads(mount.detail)["seccomp"]
    assert confinement["sha256"] == seccomp.for_host().sha256
    assert "user namespaces" in confinement["refuses"]
    [start] = events(world, "workspace.start")
    assert '"uid":200000' in start.detail
    assert len(events(world, "workspace.stop")) == 1
    assert sp.get_state()["sandbox_id"] == "ws200000"


def test_a_machine_without_a_seccomp_filter_never_starts_a_workspace(
    world: Database, paths: tuple[DataStore, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one fault faked: this machine is x86_64, so an architecture without a syscall
    # table cannot be produced for real.
    monkeypatch.setattr(seccomp, "host_arch", lambda: "riscv64")
    paths[0].ensure_project("fam")
    with pytest.raises(seccomp.UnsupportedArchitecture) as caught:
        asyncio.run(spawner(world, paths, "anna", "fam", {"project": "fam"}).start())
    assert caught.value.reason == "sandbox-unsupported-architecture"
    assert "administrator" in caught.value.jupyterhub_message
    assert events(world, "data.mount") == [] and events(world, "workspace.start") == []
    assert not list(paths[1].glob("sandboxes/*"))  # no filter file, no record, no sandbox


def test_hub_environment_reaches_the_hub_through_the_socket_and_keeps_the_token_secret(
    world: Database, paths: tuple[DataStore, Path]
) -> None:
    sp = spawner(world, paths, "anna", "fam")
    sp.api_token = "the-token"
    plain, secret = sp.workspace_hub_env()
    assert secret == {"JUPYTERHUB_API_TOKEN": "the-token"}
    assert "the-token" not in str(plain)
    assert plain["JUPYTERHUB_API_URL"] == "http+unix://%2Frun%2Flabgate%2Fhub.sock/hub/api"
    assert plain["JUPYTERHUB_ACTIVITY_URL"].endswith("/hub/api/users/anna/activity")
    assert not [k for k in plain if not k.startswith("JUPYTERHUB_")]


def test_a_renamed_server_would_claim_another_project_and_is_refused(
    world: Database, paths: tuple[DataStore, Path]
) -> None:
    with pytest.raises(WorkspaceRefused):
        asyncio.run(spawner(world, paths, "anna", "fam").rename("fam", "oth"))
