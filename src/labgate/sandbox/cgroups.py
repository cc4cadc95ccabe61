"""Memory and CPU limits of a workspace through Linux control groups.

What works where: cgroup v2 (one unified tree with the memory and cpu controllers) on
current systemd hosts; cgroup v1 (one tree per controller) on older hosts and on these
build machines, where /sys/fs/cgroup/{memory,cpu} are writable by root and the unified
tree has no controllers. Both are handled; where neither is writable, the caller falls
back to an address-space rlimit and says so in the log.

Each workspace gets `<parent>/labgate/<sandbox id>` in every controller it needs. The
default parent is the hub's own cgroup, so workspaces stay inside whatever limit the
operator (or systemd, with Delegate=yes) put on the hub: labgate never moves work out
from under a limit it was given.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CFS_PERIOD_US = 100_000


@dataclass(frozen=True)
class CgroupLayout:
    """Where the controllers live: v2 (`unified`) or v1 (one dir per controller)."""

    version: int
    #: controller name -> the directory labgate's workspaces go under.
    parents: dict[str, Path]


def _own_paths(proc_cgroup: str) -> dict[str, str]:
    """controller -> this process's cgroup path; "" is the unified (v2) hierarchy."""
    paths: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def detect(root: Path = CGROUP_ROOT, parent: str | None = None) -> CgroupLayout | None:
    """The writable cgroup layout for memory and cpu, or None when there is none.

    `parent` is a cgroup path (as in /proc/self/cgroup) to put workspaces under; None means
    this process's own cgroup.
    """
    own = _own_paths(Path("/proc/self/cgroup").read_text())
    unified = root / "cgroup.controllers"
    if unified.is_file() and {"memory", "cpu"} <= set(unified.read_text().split()):
        base = root / (parent if parent is not None else own.get("", "/")).lstrip("/")
        return _writable(CgroupLayout(2, {"unified": base / "labgate"}))
    parents = {}
    for name in ("memory", "cpu"):
        if not (root / name / "cgroup.procs").is_file():
            return None
        where = parent if parent is not None else own.get(name, "/")
        parents[name] = root / name / where.lstrip("/") / "labgate"
    return _writable(CgroupLayout(1, parents))


def _writable(layout: CgroupLayout) -> CgroupLayout | None:
    try:
        for path in layout.parents.values():
            path.mkdir(exist_ok=True)
            if layout.version == 2:
                # v2: a child gets a controller only if its parent delegates it.
                (path.parent / "cgroup.subtree_control").write_text("+memory +cpu")
                (path / "cgroup.subtree_control").write_text("+memory +cpu")
    except OSError:
        return None
    return layout


def create(
    layout: CgroupLayout, sandbox_id: str, mem_bytes: int | None, cpus: float | None
) -> list[Path]:
    """Make the workspace's cgroups with its limits; returns their directories."""
    dirs = []
    for name, parent in layout.parents.items():
        path = parent / sandbox_id
        path.mkdir(exist_ok=True)
        dirs.append(path)
        if layout.version == 2:
            if mem_bytes is not None:
                (path / "memory.max").write_text(str(mem_bytes))
                with contextlib.suppress(OSError):  # the limit is RAM, not RAM plus swap
                    (path / "memory.swap.max").write_text("0")
            if cpus is not None:
                (path / "cpu.max").write_text(f"{int(cpus * CFS_PERIOD_US)} {CFS_PERIOD_US}")
        elif name == "memory" and mem_bytes is not None:
            (path / "memory.limit_in_bytes").write_text(str(mem_bytes))
            swap = path / "memory.memsw.limit_in_bytes"
            with contextlib.suppress(OSError):  # without swap accounting, RAM alone
                swap.write_text(str(mem_bytes))
        elif name == "cpu" and cpus is not None:
            (path / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
            (path / "cpu.cfs_quota_us").write_text(str(int(cpus * CFS_PERIOD_US)))
    return dirs


def procs_files(dirs: list[Path]) -> list[str]:
    return [str(d / "cgroup.procs") for d in dirs]


def pids(dirs: list[Path]) -> set[int]:
    found: set[int] = set()
    for d in dirs:
        with contextlib.suppress(OSError):
            found |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
    return found


def remove(dirs: list[Path] | list[str]) -> list[str]:
    """Remove the workspace's cgroups; returns those still busy (left for the next sweep)."""
    busy = []
    for d in dirs:
        try:
            os.rmdir(d)
        except FileNotFoundError:
            pass
        except OSError:
            busy.append(str(d))
    return busy
