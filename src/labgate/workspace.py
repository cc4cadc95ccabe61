"""What a workspace is, independent of what runs it: a pure `WorkspaceSpec` builder.

The local sandbox (`labgate.sandbox`) and the Kubernetes backend both start from the same
spec, so the rules "granted datasets read-only at /data/<dataset>, the project's /work
writable, a private home, nothing else of the data store" (DATA-8) are written once.

Nothing here touches the file system, the database or JupyterHub: the caller gathers the
facts (the person, the project, the datasets of its effective grants, host paths, the uid
and gid it allocated) and this module only arranges them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from labgate.datastore.layout import DataStore
from labgate.names import validate_code

#: Where things appear inside every workspace. Fixed, so that notebooks are portable
#: between projects and between the local and the Kubernetes backend.
DATA_MOUNT = "/data"
WORK_MOUNT = "/work"
#: A fixed home path: the person's username never becomes a path (usernames come from
#: the directory and may carry any character).
HOME_MOUNT = "/home/researcher"
RUNTIME_MOUNT = "/run/labgate"
SERVER_SOCKET = f"{RUNTIME_MOUNT}/server.sock"
HUB_SOCKET = f"{RUNTIME_MOUNT}/hub.sock"

#: Environment variables a workspace gets besides the hub's own JUPYTERHUB_* ones.
#: Nothing from the hub's environment is inherited: it may hold the database URL or secrets.
BASE_ENV: Mapping[str, str] = MappingProxyType(
    {
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": HOME_MOUNT,
        "TMPDIR": "/tmp",
        "SHELL": "/bin/sh",
        "JUPYTER_RUNTIME_DIR": f"{HOME_MOUNT}/.local/share/jupyter/runtime",
        # No bytecode files beside read-only sources, no pip installs from inside.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_NO_INDEX": "1",
    }
)


@dataclass(frozen=True)
class Mount:
    """A host path made visible at `target` inside the workspace."""

    source: str
    target: str
    writable: bool = False


@dataclass(frozen=True)
class WorkspaceSettings:
    """Operator settings that shape every workspace (from the spawner's traits)."""

    #: The single-user server command, run inside the workspace.
    cmd: tuple[str, ...]
    #: (host path, workspace path) pairs bound read-only: the Python environment, say.
    extra_ro_binds: tuple[tuple[str, str], ...] = ()
    #: Memory limit in bytes; None for no limit.
    mem_limit_bytes: int | None = None
    #: CPU limit in cores (1.5 = one and a half cores); None for no limit.
    cpu_limit: float | None = None
    #: Directories put first on PATH inside the workspace.
    path_prepend: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostPaths:
    """Per-workspace host directories the backend keeps outside the data store."""

    home: str
    runtime: str


@dataclass(frozen=True)
class WorkspaceSpec:
    #: The JupyterHub named server: always the project code (`/user/<name>/<project>`).
    server_name: str
    #: A short id of this workspace on this host, used for state files and cgroups.
    sandbox_id: str
    person: str
    project: str
    uid: int
    gid: int
    #: Granted datasets (read-only), then /work, home and the runtime directory.
    mounts: tuple[Mount, ...]
    #: (host path, workspace path) pairs of system software, read-only.
    ro_binds: tuple[tuple[str, str], ...]
    cmd: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    mem_limit_bytes: int | None = None
    cpu_limit: float | None = None
    #: What the audit log and the process list say this workspace is.
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def datasets(self) -> tuple[str, ...]:
        prefix = DATA_MOUNT + "/"
        return tuple(m.target[len(prefix) :] for m in self.mounts if m.target.startswith(prefix))

    def host_path(self, target: str) -> str:
        """The host directory mounted at `target` (for example RUNTIME_MOUNT)."""
        for m in self.mounts:
            if m.target == target:
                return m.source
        raise KeyError(target)

    def mount_list(self) -> list[dict[str, str]]:
        """The mounts as the audit log records them (LOG-1): what, where, how."""
        return [
            {"source": m.source, "target": m.target, "mode": "rw" if m.writable else "ro"}
            for m in self.mounts
        ]


#: Workspace paths that belong to the workspace itself; no extra bind may cover them.
RESERVED_TARGETS = (DATA_MOUNT, WORK_MOUNT, HOME_MOUNT, RUNTIME_MOUNT, "/tmp", "/proc", "/dev")


def parse_bind(entry: str) -> tuple[str, str]:
    """`/host/path` (same path inside) or `/host/path:/workspace/path`, both absolute.

    A workspace path at or below /data, /work, the home or the runtime directory is refused:
    a bind there would either be hidden by the workspace's own mount or, worse, create
    directories inside the project's writable /work on the host.
    """
    source, _, target = entry.partition(":")
    target = target or source
    for path in (source, target):
        if not path.startswith("/") or "/../" in f"{path}/":
            raise ValueError(f"extra_ro_binds: '{entry}' must use absolute paths without '..'")
    for reserved in RESERVED_TARGETS:
        if target == reserved or target.startswith(reserved + "/") or target == "/":
            raise ValueError(
                f"extra_ro_binds: '{entry}' would be mounted at {target}, inside the "
                f"workspace's own {reserved}; give it another workspace path, for example "
                f"'{source}:/opt/labgate{source}'"
            )
    return source, target


def sandbox_id_for(uid: int) -> str:
    """The uid is already unique per (person, project) on a host: name the workspace by it."""
    return f"ws{uid}"


def data_mounts(store: DataStore, project: str, datasets: Iterable[str]) -> tuple[Mount, ...]:
    """One read-only mount per granted dataset, never the project's whole data directory:
    a dataset whose grant was withdrawn may still lie there until it is deleted."""
    return tuple(
        Mount(str(store.dataset_dir(project, ds)), f"{DATA_MOUNT}/{ds}")
        for ds in sorted(set(datasets))
    )


def workspace_env(person: str, project: str, settings: WorkspaceSettings) -> dict[str, str]:
    path = [*settings.path_prepend, "/usr/local/bin", "/usr/bin", "/bin"]
    return {
        **BASE_ENV,
        "USER": "researcher",
        "LOGNAME": "researcher",
        "PATH": ":".join(dict.fromkeys(path)),
        "LABGATE_PERSON": person,
        "LABGATE_PROJECT": project,
        "LABGATE_DATA_DIR": DATA_MOUNT,
        "LABGATE_WORK_DIR": WORK_MOUNT,
    }


def build_workspace_spec(
    *,
    person: str,
    project: str,
    datasets: Iterable[str],
    store: DataStore,
    host: HostPaths,
    uid: int,
    gid: int,
    settings: WorkspaceSettings,
) -> WorkspaceSpec:
    """The workspace of `person` on `project` with the datasets of its effective grants."""
    validate_code(project, "project")
    mounts = (
        *data_mounts(store, project, datasets),
        Mount(str(store.work_dir(project)), WORK_MOUNT, writable=True),
        Mount(host.home, HOME_MOUNT, writable=True),
        Mount(host.runtime, RUNTIME_MOUNT, writable=True),
    )
    sandbox_id = sandbox_id_for(uid)
    return WorkspaceSpec(
        server_name=project,
        sandbox_id=sandbox_id,
        person=person,
        project=project,
        uid=uid,
        gid=gid,
        mounts=mounts,
        ro_binds=tuple(dict.fromkeys(settings.extra_ro_binds)),
        cmd=settings.cmd,
        env=workspace_env(person, project, settings),
        mem_limit_bytes=settings.mem_limit_bytes,
        cpu_limit=settings.cpu_limit,
        labels={
            "labgate/person": person,
            "labgate/project": project,
            "labgate/sandbox": sandbox_id,
        },
    )
