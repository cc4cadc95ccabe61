"""The enforcer as production runs it: a hub-managed service, configured by the hub, with
the role jupyterhub_config.py gives it (WS-4)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
import pytest
from traitlets.config import Config

from labgate.datastore.layout import DataStore
from labgate.services import projects
from tests.enforcer.hubharness import ENFORCER_SCOPES, REPO, start_hub, stop_hub
from tests.enforcer.world import ADMIN, World


def _enforcer_processes(hub_pid: int) -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process(hub_pid).children(recursive=True)
        if "labgate.enforcer" in " ".join(p.cmdline())
    ]


@pytest.mark.slow
@pytest.mark.requirement("WS-4")
def test_the_hub_managed_enforcer_stops_an_expired_workspace_within_a_minute_even_after_kill_9(
    world: World, store: DataStore, db_url: str, names: Iterator[str], tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "labgate.enforcer", "--interval-seconds=2"]
    hub = start_hub(
        tmp_path / "managed",
        TEST_ENFORCER_COMMAND=json.dumps(command),
        LABGATE_DB=db_url,
        LABGATE_DATA_ROOT=str(store.root),
    )
    try:
        alice = next(names)
        world.person(alice)
        for code in ("fam", "inc"):
            world.project(code)
            world.member(code, alice)
            hub.start(alice, code)

        with world.db.session() as s:
            projects.expire_project(s, ADMIN, code="fam", reason="Study finished early.")
        began = time.monotonic()
        assert hub.wait_stopped(alice, "fam", seconds=60), hub.log_tail()
        assert time.monotonic() - began < 60
        assert hub.is_running(alice, "inc")

        # Killed, the hub starts it again, and it carries on.
        (first,) = _enforcer_processes(hub.process.pid)
        os.kill(first.pid, signal.SIGKILL)
        with world.db.session() as s:
            projects.expire_project(s, ADMIN, code="inc", reason="Study finished early.")
        assert hub.wait_stopped(alice, "inc", seconds=90), hub.log_tail()
        assert [p.pid for p in _enforcer_processes(hub.process.pid)] != [first.pid]
        assert sorted(str(d["project"]) for d in world.details("enforcer.stop")) == ["fam", "inc"]
    finally:
        hub.stop_everything()
        stop_hub(hub)


def _load_production_config(tmp_path: Path) -> Any:
    config = Config()
    env = {
        "LABGATE_DB": "sqlite:////srv/labgate.sqlite",
        "LABGATE_DATA_ROOT": "/srv/data",
        "LABGATE_LDAP_BIND_DN_TEMPLATE": "uid={username},ou=people,dc=example,dc=org",
    }
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        code = (REPO / "jupyterhub_config.py").read_text()
        exec(compile(code, "jupyterhub_config.py", "exec"), {"get_config": lambda: config})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return config


def test_jupyterhub_config_runs_the_enforcer_with_only_the_scopes_it_needs(
    tmp_path: Path,
) -> None:
    config = _load_production_config(tmp_path)
    (service,) = [s for s in config.JupyterHub.services if s["name"] == "labgate-enforcer"]
    (role,) = [r for r in config.JupyterHub.load_roles if "labgate-enforcer" in r["services"]]
    assert service["command"][1:3] == ["-m", "labgate.enforcer"]
    assert service["environment"] == {
        "LABGATE_DB": "sqlite:////srv/labgate.sqlite",
        "LABGATE_DATA_ROOT": "/srv/data",
    }
    assert sorted(role["scopes"]) == sorted(ENFORCER_SCOPES)
    interval = next(a for a in service["command"] if a.startswith("--interval-seconds="))
    assert float(interval.split("=")[1]) <= 30  # a pass every 30 s: stops land within 60 s


def test_the_service_refuses_to_start_unconfigured_and_names_the_settings(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABGATE_", "JUPYTERHUB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "labgate.enforcer", "--once"],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "LABGATE_DB" in done.stderr and "JUPYTERHUB_API_TOKEN" in done.stderr


def test_a_bad_interval_is_refused_naming_the_setting() -> None:
    from labgate.enforcer.app import LabgateEnforcer

    with pytest.raises(Exception, match="interval_seconds"):
        LabgateEnforcer(interval_seconds=0)
    assert dt.timedelta(seconds=LabgateEnforcer().interval_seconds) <= dt.timedelta(seconds=30)
