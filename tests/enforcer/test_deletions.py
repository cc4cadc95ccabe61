"""At the deletion deadline the enforcer stops the project's workspaces, then deletes its
data through the data store with one confirmation (PROJ-8, PROJ-9), even when it is
killed with SIGKILL in the middle and started again."""

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

import pytest

from labgate import clock
from labgate.audit.verify import verify
from labgate.datastore.layout import DataStore
from labgate.enforcer.run import Enforcer
from tests.enforcer.hubharness import REPO, Hub
from tests.enforcer.world import DAY, World

#: Large enough that hashing it (sparse: no disk used) takes a good part of a second.
BIG = 512 * 1024**2


def _project_due(world: World, store: DataStore, code: str, user: str, size: int = 0) -> Path:
    world.person(user)
    world.project(code, ends_in_days=1, deletion_after_days=5)
    world.member(code, user)
    store.ensure_project(code)
    (store.work_dir(code) / "analysis.py").write_text("print('results')\n")
    if size:
        with (store.work_dir(code) / "big.bin").open("wb") as f:
            f.truncate(size)
    return store.project_dir(code)


def _deadline(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.date() + 6 * DAY, dt.time(9), dt.UTC)


@pytest.mark.requirement("PROJ-8")
@pytest.mark.requirement("PROJ-9")
@pytest.mark.requirement("LOG-1")
def test_at_the_deadline_the_workspace_stops_first_then_the_data_go_with_one_confirmation(
    world: World, enforcer: Enforcer, store: DataStore, workspaces: Hub, names: Iterator[str],
    now: dt.datetime,
) -> None:  # fmt: skip
    alice = next(names)
    area = _project_due(world, store, "fam", alice)
    workspaces.start(alice, "fam")

    with clock.frozen(_deadline(now) - DAY):
        report = enforcer.run_once()
    assert report.deleted == [] and area.exists()  # access ended, data kept until the deadline
    assert workspaces.wait_stopped(alice, "fam")

    with clock.frozen(_deadline(now)):
        assert enforcer.run_once().deleted == ["fam"]
        assert enforcer.run_once().deleted == []
    assert not area.exists() and not store.trash_dir("fam").exists()
    assert world.confirmations("fam") == 1
    (event,) = world.events("data.delete")
    assert (event.actor, event.actor_kind, event.institution) == (
        "labgate-enforcer", "system", world.inst_code,
    )  # fmt: skip
    assert json.loads(event.detail)["case_reference"] == "J.nr. fam"
    assert len(world.events("enforcer.stop")) == 1


@pytest.mark.requirement("PROJ-9")
def test_a_deletion_killed_after_its_record_is_finished_by_the_next_pass(
    world: World, enforcer: Enforcer, store: DataStore, names: Iterator[str], now: dt.datetime
) -> None:
    _project_due(world, store, "fam", next(names))
    with clock.frozen(_deadline(now)):
        enforcer.run_once()
        # What a kill between the committed confirmation and the removal leaves behind.
        leftover = store.trash_dir("fam") / "projects" / "fam" / "work"
        leftover.mkdir(parents=True)
        (leftover / "analysis.py").write_text("print('results')\n")
        assert enforcer.run_once().deleted == ["fam"]
    assert not store.trash_dir("fam").exists()
    assert world.confirmations("fam") == 1 and len(world.events("data.delete")) == 1


CHILD = """
import datetime as dt, sys
from labgate import clock
from labgate.enforcer.app import main
with clock.frozen(dt.datetime.fromisoformat(sys.argv[1])):
    main(["--once", "--db-url", sys.argv[2], "--data-root", sys.argv[3]])
"""


@pytest.mark.slow
@pytest.mark.requirement("PROJ-9")
@pytest.mark.requirement("LOG-1")
@pytest.mark.parametrize(
    ("kill_when", "delay"),
    [("stop-recorded", 0.0), ("trash-appears", 0.0), ("trash-appears", 0.3)],
)
def test_kill_9_in_the_middle_of_a_deletion_then_a_rerun_completes_it_exactly_once(
    world: World, enforcer: Enforcer, store: DataStore, workspaces: Hub, names: Iterator[str],
    now: dt.datetime, db_url: str, kill_when: str, delay: float,
) -> None:  # fmt: skip
    alice = next(names)
    _project_due(world, store, "fam", alice, size=BIG)
    workspaces.start(alice, "fam")
    at = _deadline(now)

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path]),
        "JUPYTERHUB_API_URL": workspaces.api_url,
        "JUPYTERHUB_API_TOKEN": workspaces.enforcer_token,
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, at.isoformat(), db_url, str(store.root)], env=env
    )

    def reached() -> bool:
        if kill_when == "stop-recorded":  # recorded, the hub perhaps not yet asked
            return bool(world.events("enforcer.stop"))
        return store.trash_dir("fam").exists()  # moved, perhaps not yet hashed

    deadline = time.monotonic() + 60
    while not reached() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the pass finished before it was killed"
    assert world.confirmations("fam") == 0, "the kill came after the record"

    with clock.frozen(at + dt.timedelta(minutes=1)):
        assert enforcer.run_once().deleted == ["fam"]
        assert enforcer.run_once().deleted == []

    assert world.confirmations("fam") == 1
    (deleted,) = world.details("data.delete")
    assert deleted["files"] == 2 and deleted["bytes"] == BIG + len("print('results')\n")
    assert len(world.events("enforcer.stop")) == 1
    assert not workspaces.is_running(alice, "fam")
    assert not store.project_dir("fam").exists() and not store.trash_dir("fam").exists()
    assert verify(world.db).ok
