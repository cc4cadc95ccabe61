"""Real bubblewrap sandboxes against a throwaway data store (no mocks).

The state directory lives directly under /tmp: unix socket paths are limited to 107 bytes,
and pytest's own temporary paths can be longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgate.datastore.layout import DataStore, make_read_only
from labgate.sandbox import cgroups, process
from labgate.sandbox.hostdirs import host_paths
from labgate.workspace import WorkspaceSettings, WorkspaceSpec, build_workspace_spec

ENV_MOUNT = "/opt/labgate/env"
PYTHON = f"{ENV_MOUNT}/bin/python"
SECRET = "s3cret-token-of-a"


def python_binds() -> tuple[tuple[str, str], ...]:
    binds = [(sys.prefix, ENV_MOUNT)]
    if sys.base_prefix != sys.prefix:
        binds.append((sys.base_prefix, sys.base_prefix))
    return tuple(binds)


@pytest.fixture(scope="session", autouse=True)
def _tools() -> None:
    for tool in ("bwrap", "setpriv"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt-get install -y bubblewrap util-linux")


@pytest.fixture(scope="session", autouse=True)
def _cgroup_parents() -> Iterator[None]:
    yield
    layout = cgroups.detect()
    if layout is not None:
        cgroups.remove([str(p) for p in layout.parents.values()])


@pytest.fixture
def store(tmp_path: Path) -> DataStore:
    s = DataStore(tmp_path / "store")
    s.ensure_vault()
    (s.vault / "secret.txt").write_text("vault secret")
    for project in ("a", "b"):
        s.ensure_project(project)
        for dataset in ("bef", "ind"):
            d = s.dataset_dir(project, dataset)
            d.mkdir(parents=True)
            (d / "part-0.csv").write_text(f"pnr,value\n1,{project}-{dataset}\n")
            make_read_only(d)
    return s


@pytest.fixture
def state_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lg", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Sandboxes:
    store: DataStore
    state_dir: Path
    started: list[process.Sandbox]

    def spec(
        self, project: str, code: str, *, uid: int = 200001, gid: int = 300001,
        datasets: tuple[str, ...] = ("bef",), mem: int | None = 2 << 30,
    ) -> WorkspaceSpec:  # fmt: skip
        settings = WorkspaceSettings(
            cmd=(PYTHON, "-c", code),
            extra_ro_binds=python_binds(),
            mem_limit_bytes=mem,
            cpu_limit=1.0,
        )
        sandbox_id = f"ws{uid}"
        return build_workspace_spec(
            person="anna", project=project, datasets=datasets, store=self.store,
            host=host_paths(self.state_dir, sandbox_id), uid=uid, gid=gid, settings=settings,
        )  # fmt: skip

    async def start(
        self, spec: WorkspaceSpec, hub: tuple[str, int] | None = None, secret: str = SECRET
    ) -> process.Sandbox:
        sandbox = await process.start_sandbox(
            spec, state_dir=self.state_dir, secret_env={"JUPYTERHUB_API_TOKEN": secret},
            limits=process.detect_limits(), hub_address=hub,
        )  # fmt: skip
        self.started.append(sandbox)
        return sandbox

    async def run(self, spec: WorkspaceSpec, hub: tuple[str, int] | None = None) -> dict:
        """Run a probe to its end; it prints one JSON object as its last line."""
        sandbox = await self.start(spec, hub, secret="token-of-the-probe")
        for _ in range(600):
            if sandbox.poll() is not None:
                break
            await asyncio.sleep(0.05)
        output = Path(sandbox.record.log_file).read_text()
        await sandbox.stop()
        lines = [line for line in output.splitlines() if line.startswith("{")]
        assert lines, f"the probe printed no result:\n{output}"
        return json.loads(lines[-1])


@pytest.fixture
def sandboxes(store: DataStore, state_dir: Path) -> Iterator[Sandboxes]:
    box = Sandboxes(store, state_dir, [])
    try:
        yield box
    finally:
        for sandbox in box.started:
            with contextlib.suppress(Exception):
                asyncio.run(sandbox.stop(timeout=0.5))
