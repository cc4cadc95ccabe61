"""Sandboxes left behind by a hub that died are found and cleaned by the next one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from labgate.sandbox import process
from tests.sandbox.conftest import Sandboxes

#: A stand-in for a hub: starts one sandbox, reports its record, then stays alive.
FAKE_HUB = textwrap.dedent("""
    import asyncio, json, sys, time
    from dataclasses import asdict
    from pathlib import Path
    from labgate.sandbox import process
    from tests.sandbox.conftest import Sandboxes
    from labgate.datastore.layout import DataStore
    box = Sandboxes(DataStore(Path(sys.argv[1])), Path(sys.argv[2]), [])
    spec = box.spec("a", "import time; time.sleep(300)", uid=int(sys.argv[3]))
    sandbox = asyncio.run(box.start(spec))
    print(json.dumps(asdict(sandbox.record)), flush=True)
    time.sleep(300)
""")


def _fake_hub(sandboxes: Sandboxes, uid: int) -> tuple[subprocess.Popen[str], dict]:
    hub = subprocess.Popen(
        [sys.executable, "-c", FAKE_HUB, str(sandboxes.store.root), str(sandboxes.state_dir),
         str(uid)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert hub.stdout is not None
    return hub, json.loads(hub.stdout.readline())


def test_a_sandbox_dies_with_its_hub_and_its_leftovers_are_cleaned(sandboxes: Sandboxes) -> None:
    hub, record = _fake_hub(sandboxes, 200050)
    pids = [record["pid"], *process.descendants(record["pid"])]
    os.kill(hub.pid, signal.SIGKILL)
    hub.wait()
    time.sleep(0.3)
    # bwrap running as root does not reliably keep --die-with-parent for the processes it
    # forks: the sandbox may outlive its hub. The next hub's sweep must end it.
    orphans = process.find_orphans(sandboxes.state_dir)
    assert [o.record.sandbox_id for o in orphans] == ["ws200050"]
    assert asyncio.run(process.clean_orphans(sandboxes.state_dir)) == ["ws200050"]
    assert process.find_orphans(sandboxes.state_dir) == []
    assert not process._running(pids)
    assert not Path(record["runtime"]).exists()
    assert not [c for c in record["cgroups"] if os.path.exists(c)]


def test_a_running_sandbox_of_another_hub_is_killed(sandboxes: Sandboxes) -> None:
    hub, record = _fake_hub(sandboxes, 200051)
    try:
        pids = [record["pid"], *process.descendants(record["pid"])]
        assert asyncio.run(process.clean_orphans(sandboxes.state_dir)) == ["ws200051"]
        assert not process._running(pids)  # the launcher may stay a zombie of its hub
        assert hub.poll() is None  # only the sandbox, not its (stand-in) hub
    finally:
        hub.kill()
        hub.wait()


def test_a_sandbox_of_this_hub_is_not_an_orphan(sandboxes: Sandboxes) -> None:
    async def scenario() -> list[process.Sandbox]:
        sandbox = await sandboxes.start(sandboxes.spec("a", "import time; time.sleep(60)"))
        found = process.find_orphans(sandboxes.state_dir)
        await sandbox.stop()
        return found

    assert asyncio.run(scenario()) == []
