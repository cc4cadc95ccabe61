"""Run, watch and stop workspace sandboxes: the thin async wrapper around bubblewrap.

Every running sandbox has a record in `<state>/sandboxes/<id>.json` (pid, its start time
in clock ticks, cgroups, runtime directory), written before `start` returns and removed
when it is stopped. The pid alone is not proof of identity (pids are reused), so a pid
counts as the sandbox only while its start time matches the record and its command line
names the sandbox's runtime directory.

Sandboxes die with the hub (`--die-with-parent`), and so does their hub bridge; a record
whose process is gone, or whose process is not a child of this hub, is an orphan: found
and cleaned by `clean_orphans` when the hub starts (or by `poll` of its spawner).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labgate.sandbox import cgroups, hostdirs, seccomp
from labgate.sandbox.bridge import HubBridge
from labgate.sandbox.bwrap import bwrap_argv, launcher_argv
from labgate.workspace import RUNTIME_MOUNT, WorkspaceSpec

log = logging.getLogger(__name__)

#: How long `stop` waits after SIGTERM before SIGKILL, in seconds.
DEFAULT_STOP_TIMEOUT_SECONDS = 5.0
#: The descriptor on which the launcher hands bwrap the seccomp filter.
SECCOMP_FD = 3


@dataclass(frozen=True)
class Limits:
    """How limits are applied on this host: a cgroup layout, or None for an rlimit."""

    layout: cgroups.CgroupLayout | None


@dataclass(frozen=True)
class SandboxRecord:
    sandbox_id: str
    pid: int
    start_ticks: int
    uid: int
    gid: int
    runtime: str
    cgroups: list[str] = field(default_factory=list)
    log_file: str = ""

    @property
    def server_socket(self) -> str:
        return os.path.join(self.runtime, "server.sock")

    @property
    def hub_socket(self) -> str:
        return os.path.join(self.runtime, "hub.sock")


def records_dir(state_dir: Path) -> Path:
    return Path(state_dir) / "sandboxes"


def record_path(state_dir: Path, sandbox_id: str) -> Path:
    return records_dir(state_dir) / f"{sandbox_id}.json"


def read_record(state_dir: Path, sandbox_id: str) -> SandboxRecord | None:
    try:
        data = json.loads(record_path(state_dir, sandbox_id).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return SandboxRecord(**data)


def seccomp_file(state_dir: Path, program: seccomp.SeccompProgram) -> Path:
    """The filter as a root-owned 0600 file in the 0700 records directory, written once
    (its name carries its hash) and rewritten only if its content is not the program's."""
    path = records_dir(state_dir) / program.file_name
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if path.read_bytes() == program.code:
            return path
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, program.code)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def _write_record(state_dir: Path, record: SandboxRecord) -> None:
    path = record_path(state_dir, record.sandbox_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=1), encoding="utf-8")
    os.replace(tmp, path)


# -- /proc ---------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; fields follow the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def parent_pid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_alive(record: SandboxRecord) -> bool:
    """True while the record's process runs (same pid, same start time, same sandbox)."""
    fields = _stat_fields(record.pid)
    if fields is None or fields[0] == "Z":
        return False
    return int(fields[19]) == record.start_ticks and record.runtime in _cmdline(record.pid)


def marked_pids(record: SandboxRecord) -> list[int]:
    """Processes whose command line names the sandbox's runtime directory: bwrap's own.

    bwrap running as root does not keep `--die-with-parent` for its inner process (pid 1 of
    the sandbox's pid namespace): if the hub dies, that process and the workload survive
    it, reparented to init. The runtime directory in its command line finds it again.
    """
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and record.runtime + " " in _cmdline(int(entry)) + " ":
            found.append(int(entry))
    return found


def all_pids(record: SandboxRecord) -> list[int]:
    """Every process of the sandbox, by parentage, by marker and by cgroup."""
    roots = {record.pid, *marked_pids(record)} if is_alive(record) else set(marked_pids(record))
    pids = set(roots)
    for root in roots:
        pids.update(descendants(root))
    pids.update(cgroups.pids([Path(p) for p in record.cgroups]))
    return sorted(pids)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (host pids; root sees into the sandbox's pid namespace)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (ppid := parent_pid(int(entry))) is not None:
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


# -- the sandbox -----------------------------------------------------------------------------


class Sandbox:
    """A started sandbox: its record, and its process and bridge if this hub started it."""

    def __init__(
        self,
        state_dir: Path,
        record: SandboxRecord,
        popen: subprocess.Popen[bytes] | None = None,
        bridge: HubBridge | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.record = record
        self.popen = popen
        self.bridge = bridge

    @property
    def url(self) -> str:
        """The server's address for JupyterHub and the proxy: http+unix with the socket
        path percent-encoded into the host part."""
        from urllib.parse import quote

        return "http+unix://" + quote(self.record.server_socket, safe="")

    def poll(self) -> int | None:
        """None while running, else an exit status (0 if unknown, the process is gone)."""
        if self.popen is not None:
            return self.popen.poll()
        return None if is_alive(self.record) else 0

    async def wait_ready(self, timeout: float, path: str = "/") -> None:
        """Wait until the server answers HTTP on its socket (any status counts)."""
        deadline = time.monotonic() + timeout
        while True:
            if (status := self.poll()) is not None:
                raise RuntimeError(
                    f"sandbox {self.record.sandbox_id} exited with status {status} before "
                    f"its server answered; see {self.record.log_file}"
                )
            if await http_answers(self.record.server_socket, path):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"sandbox {self.record.sandbox_id} did not answer within {timeout} s"
                )
            await asyncio.sleep(0.05)

    async def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM the workload, SIGKILL what is left after `timeout`, clean up."""
        if self.poll() is None:
            # The workload first (it runs as the workspace uid), so the server can shut down
            # its kernels; the root-owned bwrap monitor exits once its command has exited.
            inner = [p for p in all_pids(self.record) if _owner(p) == self.record.uid]
            _signal(inner, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        # Whatever is left, including a sandbox whose launcher is already gone.
        for _ in range(250):
            left = [p for p in all_pids(self.record) if _running([p])]
            if not left:
                break
            _kill_all(self.record, left)
            await asyncio.sleep(0.02)
            self.poll()  # reap our own child, so it does not linger as a zombie
        await self._cleanup()

    async def _cleanup(self) -> None:
        for _ in range(50):  # reap our own child: no zombie left behind
            if self.popen is None or self.popen.poll() is not None:
                break
            await asyncio.sleep(0.02)
        if self.bridge is not None:
            await self.bridge.close()
            self.bridge = None
        # The bwrap monitor exits after its pid namespace is empty, but a cgroup can be
        # reported busy for a moment after the last process left it.
        for _ in range(50):
            if not cgroups.pids([Path(p) for p in self.record.cgroups]):
                break
            await asyncio.sleep(0.02)
        if busy := cgroups.remove(self.record.cgroups):
            # Keep the record: the next sweep for orphans tries again.
            log.warning("sandbox %s: cgroups still busy: %s", self.record.sandbox_id, busy)
            return
        hostdirs.remove_runtime(self.record.runtime)
        with contextlib.suppress(FileNotFoundError):
            record_path(self.state_dir, self.record.sandbox_id).unlink()


def _running(pids: list[int]) -> bool:
    return any((f := _stat_fields(p)) is not None and f[0] != "Z" for p in pids)


def _kill_all(record: SandboxRecord, pids: list[int]) -> None:
    if is_alive(record):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(record.pid, signal.SIGKILL)  # the launcher is its own process group
    _signal(pids, signal.SIGKILL)


async def http_answers(socket_path: str, path: str = "/") -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(socket_path), 1)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 5)
        return line.startswith(b"HTTP/")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


def detect_limits(cgroup_parent: str | None = None) -> Limits:
    return Limits(cgroups.detect(parent=cgroup_parent))


async def start_sandbox(
    spec: WorkspaceSpec,
    *,
    state_dir: Path,
    secret_env: Mapping[str, str],
    limits: Limits,
    bwrap: str = "bwrap",
    hub_address: tuple[str, int] | None = None,
    seccomp_program: seccomp.SeccompProgram | None = None,
) -> Sandbox:
    """Start the workspace of `spec`; returns once its process runs (not yet ready).

    `secret_env` (the hub token, say) reaches the server through the environment the
    sandbox inherits: never a command line, never a file (GHSA-cg54-gpgr-4rm6).
    `seccomp_program` is the filter the workload runs under (default: this machine's;
    `seccomp.UnsupportedArchitecture` where labgate has none, before anything is set up).
    """
    state_dir = Path(state_dir)
    program = seccomp.for_host() if seccomp_program is None else seccomp_program
    filter_file = seccomp_file(state_dir, program)
    hostdirs.prepare(spec)
    runtime = spec.host_path(RUNTIME_MOUNT)
    bridge = None
    if hub_address is not None:
        bridge = HubBridge(Path(runtime) / "hub.sock", *hub_address, spec.uid, spec.gid)
        await bridge.start()
    dirs: list[Path] = []
    if limits.layout is not None:
        dirs = cgroups.create(limits.layout, spec.sandbox_id, spec.mem_limit_bytes, spec.cpu_limit)
    argv = launcher_argv(
        bwrap_argv(spec, seccomp_fd=SECCOMP_FD, bwrap=bwrap, lib64=os.path.exists("/usr/lib64")),
        marker=f"labgate-sandbox:{spec.sandbox_id}",
        seccomp_fd=SECCOMP_FD,
        seccomp_file=str(filter_file),
        cgroup_procs=cgroups.procs_files(dirs),
        rlimit_as_bytes=spec.mem_limit_bytes if limits.layout is None else None,
    )
    log_file = records_dir(state_dir) / f"{spec.sandbox_id}.log"
    log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        popen = _launch(argv, {**spec.env, **secret_env}, log_file)
    except BaseException:
        if bridge is not None:
            await bridge.close()
        cgroups.remove(dirs)
        raise
    record = SandboxRecord(
        sandbox_id=spec.sandbox_id,
        pid=popen.pid,
        start_ticks=start_ticks(popen.pid) or 0,
        uid=spec.uid,
        gid=spec.gid,
        runtime=runtime,
        cgroups=[str(d) for d in dirs],
        log_file=str(log_file),
    )
    _write_record(state_dir, record)
    return Sandbox(state_dir, record, popen, bridge)


def _launch(argv: list[str], env: Mapping[str, str], log_file: Path) -> subprocess.Popen[bytes]:
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            argv,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=fd,
            start_new_session=True,  # its own process group: stop() can kill the whole group
            close_fds=True,
        )
    finally:
        os.close(fd)


def attach(state_dir: Path, sandbox_id: str) -> Sandbox | None:
    """The sandbox of a record left by an earlier hub, or None if there is no record."""
    record = read_record(state_dir, sandbox_id)
    return None if record is None else Sandbox(state_dir, record)


def find_orphans(state_dir: Path, live: set[str] | frozenset[str] = frozenset()) -> list[Sandbox]:
    """Records not in `live` whose process is gone or was not started by this process."""
    orphans = []
    for path in sorted(records_dir(state_dir).glob("*.json")):
        sandbox_id = path.stem
        if sandbox_id in live:
            continue
        found = attach(state_dir, sandbox_id)
        if found is None:
            continue
        mine = is_alive(found.record) and parent_pid(found.record.pid) == os.getpid()
        if not mine:
            orphans.append(found)
    return orphans


async def clean_orphans(
    state_dir: Path, live: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """Kill and clean every orphaned sandbox; returns their ids."""
    cleaned = []
    for orphan in find_orphans(state_dir, live):
        log.warning("cleaning orphaned sandbox %s (pid %s)", orphan.record.sandbox_id,
                    orphan.record.pid)  # fmt: skip
        await orphan.stop(timeout=1.0)
        cleaned.append(orphan.record.sandbox_id)
    return cleaned
