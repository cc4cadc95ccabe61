"""The host directories a workspace needs, with owners and modes that keep workspaces
apart even if one of them escaped its sandbox:

    <state>/homes/<sandbox id>/    0700 uid:gid    the private home (persistent)
    <state>/run/<sandbox id>/      0700 uid:gid    server.sock and hub.sock (per start)
    <data>/projects/<project>/     0750 root:gid   only the project's workspaces traverse it
    <data>/projects/<project>/work 2770 root:gid   shared, writable by the project's group
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from labgate.workspace import HOME_MOUNT, RUNTIME_MOUNT, WORK_MOUNT, HostPaths, WorkspaceSpec

#: The longest unix socket path the kernel accepts (sun_path holds 108 bytes with NUL).
MAX_SOCKET_PATH = 107
PROJECT_DIR_MODE = 0o750
WORK_DIR_MODE = 0o2770


def host_paths(state_dir: Path, sandbox_id: str) -> HostPaths:
    return HostPaths(
        home=str(Path(state_dir) / "homes" / sandbox_id),
        runtime=str(Path(state_dir) / "run" / sandbox_id),
    )


def check_socket_paths(runtime: str) -> None:
    longest = os.path.join(runtime, "server.sock")
    if len(longest.encode()) > MAX_SOCKET_PATH:
        raise ValueError(
            f"the runtime directory {runtime} is too long for a unix socket path "
            f"({MAX_SOCKET_PATH} bytes at most); choose a shorter state_dir"
        )


def _own(path: Path, uid: int, gid: int, mode: int) -> None:
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def prepare(spec: WorkspaceSpec) -> None:
    """Create and own the workspace's directories (idempotent)."""
    home = Path(spec.host_path(HOME_MOUNT))
    runtime = Path(spec.host_path(RUNTIME_MOUNT))
    work = Path(spec.host_path(WORK_MOUNT))
    check_socket_paths(str(runtime))
    for parent in (home.parent, runtime.parent):
        parent.mkdir(mode=0o711, parents=True, exist_ok=True)
    home.mkdir(mode=0o700, exist_ok=True)
    _own(home, spec.uid, spec.gid, 0o700)
    # A fresh runtime directory on every start: no socket of an earlier run survives.
    remove_runtime(str(runtime))
    runtime.mkdir(mode=0o700)
    _own(runtime, spec.uid, spec.gid, 0o700)
    work.mkdir(mode=WORK_DIR_MODE, parents=True, exist_ok=True)
    _own(work.parent, 0, spec.gid, PROJECT_DIR_MODE)
    _own(work, 0, spec.gid, WORK_DIR_MODE)


def remove_runtime(runtime: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(runtime)
