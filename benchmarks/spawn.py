"""Workspace start benchmark: bubblewrap sandbox vs an unsandboxed single-user server.

    .venv/bin/python benchmarks/spawn.py            # 20 starts of each
    .venv/bin/python benchmarks/spawn.py --runs 3   # a smoke run

Each run is timed from "start" to the server answering HTTP on its unix socket (what
JupyterHub waits for after `Spawner.start()` returns), with the same `jupyterhub-singleuser`
command and environment in both:

- sandbox: `labgate.sandbox.process.start_sandbox` (host dirs, cgroups, hub bridge,
  launcher, bwrap, setpriv) with a spec from `labgate.workspace`;
- baseline: the server started directly as a child process, as JupyterHub's
  SimpleLocalProcessSpawner does, no isolation.

Also timed: the policy check (`may_start_workspace` on facts) and its share of a start;
and whether the sandboxed server reached the (stand-in) hub API through the bridged
socket (singleuser checks the hub's version at start).

Goals (issue 4): sandbox p99 <= 3 s and <= 1.2x the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from labgate.datastore.layout import DataStore
from labgate.policy.facts import (
    AuthorisationFacts,
    InstitutionAuthorisationFacts,
    InstitutionFacts,
    MembershipFacts,
    PersonFacts,
    ProjectFacts,
)
from labgate.policy.workspaces import may_start_workspace
from labgate.sandbox import cgroups, process
from labgate.sandbox.hostdirs import host_paths
from labgate.workspace import (
    HUB_SOCKET,
    SERVER_SOCKET,
    WorkspaceSettings,
    build_workspace_spec,
)

ENV_MOUNT = "/opt/labgate/env"
PREFIX = "/user/bench/p/"


def hub_env(api_url: str) -> dict[str, str]:
    return {
        "JUPYTERHUB_API_URL": api_url,
        "JUPYTERHUB_ACTIVITY_URL": f"{api_url}/users/bench/activity",
        "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-bench-p",
        "JUPYTERHUB_USER": "bench",
        "JUPYTERHUB_SERVER_NAME": "p",
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_SERVICE_PREFIX": PREFIX,
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:8888{PREFIX}",  # see hub/spawner.py,
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{PREFIX}oauth_callback",
        "JUPYTERHUB_HOST": "",
    }


class FakeHub:
    """Answers the hub API's version check; counts requests."""

    def __init__(self) -> None:
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        self.requests += 1
        body = b'{"version": "6.1.1"}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-JupyterHub-Version: 6.1.1"
            b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()


async def wait_http(sock: str, proc_alive: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await process.http_answers(sock, f"{PREFIX}api"):
        if time.monotonic() > deadline:
            raise TimeoutError(sock)
        await asyncio.sleep(0.02)


async def sandbox_run(store: DataStore, state: Path, i: int, hub_port: int) -> float:
    uid = 260000 + i
    binds = [(sys.prefix, ENV_MOUNT)]
    if sys.base_prefix != sys.prefix:
        binds.append((sys.base_prefix, sys.base_prefix))
    settings = WorkspaceSettings(
        cmd=(
            f"{ENV_MOUNT}/bin/python", "-m", "jupyterhub.singleuser",
            f"--ServerApp.sock={SERVER_SOCKET}", "--ServerApp.root_dir=/",
        ),
        extra_ro_binds=tuple(binds), mem_limit_bytes=2 << 30, cpu_limit=1.0,
        path_prepend=(f"{ENV_MOUNT}/bin",),
    )  # fmt: skip
    t0 = time.perf_counter()
    spec = build_workspace_spec(
        person="bench", project="p", datasets=["bef"], store=store,
        host=host_paths(state, f"ws{uid}"), uid=uid, gid=360000, settings=settings,
    )  # fmt: skip
    api = "http+unix://" + quote(HUB_SOCKET, safe="") + "/hub/api"
    spec = spec.__class__(**{**spec.__dict__, "env": {**spec.env, **hub_env(api)}})
    sandbox = await process.start_sandbox(
        spec, state_dir=state, secret_env={"JUPYTERHUB_API_TOKEN": "t" * 32},
        limits=process.detect_limits(), hub_address=("127.0.0.1", hub_port),
    )  # fmt: skip
    await sandbox.wait_ready(60, f"{PREFIX}api")
    elapsed = time.perf_counter() - t0
    await sandbox.stop(timeout=2)
    return elapsed


async def baseline_run(tmp: Path, i: int, hub_port: int) -> float:
    sock = tmp / f"b{i}.sock"
    env = {
        "PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": str(tmp), "LANG": "C.UTF-8",
        **hub_env(f"http://127.0.0.1:{hub_port}/hub/api"), "JUPYTERHUB_API_TOKEN": "t" * 32,
    }  # fmt: skip
    log = open(tmp / f"b{i}.log", "wb")  # noqa: SIM115 (closed below)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub.singleuser", f"--ServerApp.sock={sock}",
         f"--ServerApp.root_dir={tmp}", "--allow-root"],
        env=env, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    await wait_http(str(sock), proc)
    elapsed = time.perf_counter() - t0
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # a loaded machine; not part of the timing
        proc.kill()
        proc.wait()
    log.close()
    return elapsed


def policy_facts() -> tuple[PersonFacts, InstitutionFacts, ProjectFacts, dt.datetime]:
    now = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    person = PersonFacts(
        1, "bench", 1,
        (AuthorisationFacts(1, dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                            dt.datetime(2027, 1, 1, tzinfo=dt.UTC)),),
    )  # fmt: skip
    inst = InstitutionFacts(
        1, "au", "DK",
        (InstitutionAuthorisationFacts("researcher", dt.date(2026, 1, 1), dt.date(2028, 1, 1),
                                       "ISMS"),),
    )  # fmt: skip
    project = ProjectFacts(
        1, "p", "researcher", 1, dt.date(2026, 1, 1), dt.date(2027, 1, 1),
        dt.date(2027, 6, 1), now,
        memberships=(MembershipFacts(1, 1, 1, "researcher", dt.date(2026, 1, 1),
                                     dt.date(2027, 1, 1)),),
    )  # fmt: skip
    return person, inst, project, now


def time_policy(n: int = 2000) -> float:
    person, inst, project, now = policy_facts()
    assert may_start_workspace(person, inst, project, now).allowed
    t0 = time.perf_counter()
    for _ in range(n):
        may_start_workspace(person, inst, project, now)
    return (time.perf_counter() - t0) / n


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(runs: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lgb", dir="/tmp"))
    store = DataStore(tmp / "store")
    store.ensure_project("p")
    (store.dataset_dir("p", "bef")).mkdir()
    (store.dataset_dir("p", "bef") / "part-0.csv").write_text("pnr,x\n1,2\n")
    fake = FakeHub()
    hub = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = hub.sockets[0].getsockname()[1]
    sandboxed, baseline = [], []
    bridged = 0
    try:
        for i in range(runs):  # interleaved, so both see the same machine state
            before = fake.requests
            sandboxed.append(await sandbox_run(store, tmp / "st", i, port))
            bridged += fake.requests - before
            baseline.append(await baseline_run(tmp, i, port))
            print(f"run {i + 1}: sandbox {sandboxed[-1]:.3f} s, baseline {baseline[-1]:.3f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
        policy = time_policy()
    finally:
        hub.close()
        layout = cgroups.detect()
        if layout is not None:
            cgroups.remove([str(p) for p in layout.parents.values()])
        shutil.rmtree(tmp, ignore_errors=True) if os.environ.get("KEEP") is None else None
    rows = [("sandbox (bwrap)", sandboxed), ("baseline (no sandbox)", baseline)]
    print(f"{'start to HTTP answer, n=' + str(runs):<32}{'p50 s':>9}{'p99 s':>9}{'mean s':>9}")
    for name, values in rows:
        print(f"{name:<32}{pct(values, .5):>9.3f}{pct(values, .99):>9.3f}"
              f"{statistics.mean(values):>9.3f}")  # fmt: skip
    ratio = pct(sandboxed, 0.99) / pct(baseline, 0.99)
    print(f"{'sandbox / baseline (p99)':<32}{ratio:>9.2f}x")
    print(f"{'policy check (may_start_workspace)':<32}{policy * 1e6:>8.1f}us"
          f"   {100 * policy / pct(sandboxed, .5):.4f}% of a sandbox start (p50)")  # fmt: skip
    print(f"hub API requests through the bridged socket: {bridged} from {runs} sandboxed servers")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    asyncio.run(main(parser.parse_args().runs))
    os._exit(0)
