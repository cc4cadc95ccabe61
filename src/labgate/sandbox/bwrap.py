"""The bubblewrap command line of a workspace: a pure function of its `WorkspaceSpec`.

How the sandbox is built, and why:

* bwrap runs as root, without a user namespace, and the workload drops to the workspace's
  own uid/gid *on the host* through `setpriv` as the first thing inside. Running bwrap
  itself as the workspace uid (with a user namespace) cannot mount sources that uid cannot
  reach, such as the data store under a 0750 project directory or an interpreter below
  /root; and inside a user namespace the "own uid" would only be a mapping. Here an escape
  from the sandbox lands on an unprivileged host uid that no other workspace shares.
* bwrap keeps only CAP_SETUID and CAP_SETGID for `setpriv`; switching to a non-zero uid
  clears them too, `--inh-caps=-all` empties the inheritable set and `--no-new-privs`
  makes setuid binaries inert (every bind is also mounted nosuid,nodev by bwrap).
* New pid, net, ipc, uts and cgroup namespaces: only loopback inside, so no address can
  be reached (WS-2); the hub is reached through a socket in the runtime directory. Other
  workspaces' processes are not even visible (their /proc/*/environ cannot be opened).
* The root file system is an empty tmpfs made read-only at the end; /usr and a few files of
  /etc are read-only binds (Debian's merged /usr: /bin, /lib, /sbin are symlinks); /tmp
  and /dev/shm are private tmpfs.
* No user namespace for the workload either: a seccomp filter (`labgate.sandbox.seccomp`,
  `--seccomp FD`) refuses `clone`/`unshare` with CLONE_NEWUSER, `clone3`, and a short list
  of exploit primitives (keyrings, bpf, userfaultfd, perf events, mounts, setns, ...).
  Without it, an unprivileged process could still make a user namespace of its own and
  hold every capability inside it, which reopens the kernel code that dropping capabilities
  closed. A call through a foreign ABI (32-bit, x32) kills the process; a machine without
  a filter (not x86_64 or aarch64) starts no workspace at all. bwrap applies the filter to
  everything it starts, `setpriv` included (which needs none of the refused calls). The
  launcher opens the filter file on that descriptor as it execs bwrap; bwrap reads and
  closes it, so the workload never holds it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import PurePosixPath

from labgate.workspace import WORK_MOUNT, WorkspaceSpec

#: Files of /etc programs need; anything else of the host's /etc stays out.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/localtime",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/fonts",
)
MERGED_USR_LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"))
LIB64 = ("usr/lib64", "/lib64")
TMPFS_DIRS = ("/tmp", "/dev/shm")


def _system_args(lib64: bool) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for target, link in (*MERGED_USR_LINKS, *((LIB64,) if lib64 else ())):
        args += ["--symlink", target, link]
    for path in ETC_FILES:
        args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for path in TMPFS_DIRS:
        args += ["--perms", "1777", "--tmpfs", path]
    return args


def _parent_dirs(spec: WorkspaceSpec) -> list[str]:
    """Create every parent of a mount point 0755 first: bwrap running as root would make
    them 0700, and the workspace uid could not reach what is mounted below them."""
    targets = [t for _, t in spec.ro_binds] + [m.target for m in spec.mounts] + [*ETC_FILES]
    parents = {str(p) for t in targets for p in PurePosixPath(t).parents if str(p) != "/"}
    args: list[str] = []
    for path in sorted(parents, key=lambda p: (p.count("/"), p)):
        args += ["--perms", "0755", "--dir", path]
    return args


def _mount_args(spec: WorkspaceSpec) -> list[str]:
    args: list[str] = []
    for source, target in spec.ro_binds:
        args += ["--ro-bind", source, target]
    for m in spec.mounts:
        args += ["--bind" if m.writable else "--ro-bind", m.source, m.target]
    return args


def _namespace_args() -> list[str]:
    return [
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--hostname", "workspace",
        "--new-session", "--die-with-parent",
        "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
    ]  # fmt: skip


def drop_privileges_argv(uid: int, gid: int, setpriv: str = "/usr/bin/setpriv") -> list[str]:
    """Become uid:gid on the host with no supplementary groups and no way back."""
    return [
        setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
        "--inh-caps=-all", "--no-new-privs", "--",
    ]  # fmt: skip


def bwrap_argv(
    spec: WorkspaceSpec, *, seccomp_fd: int, bwrap: str = "bwrap", lib64: bool = True
) -> list[str]:
    """The bwrap command that runs `spec.cmd` in the workspace sandbox, under the seccomp
    filter bwrap reads from the open descriptor `seccomp_fd` (see `launcher_argv`)."""
    return [
        bwrap,
        *_parent_dirs(spec),
        *_system_args(lib64),
        *_mount_args(spec),
        *_namespace_args(),
        "--seccomp", str(seccomp_fd),
        "--remount-ro", "/",
        "--chdir", WORK_MOUNT,
        "--",
        *drop_privileges_argv(spec.uid, spec.gid),
        *spec.cmd,
    ]  # fmt: skip


def launcher_argv(
    inner: Sequence[str],
    *,
    marker: str,
    seccomp_fd: int,
    seccomp_file: str,
    cgroup_procs: Sequence[str] = (),
    rlimit_as_bytes: int | None = None,
) -> list[str]:
    """Wrap `inner` (the bwrap command) in a root shell that enters the workspace's cgroups
    and sets its umask, then execs it: the process joins its cgroups before it can fork,
    which a write of its pid from the hub after the start could not guarantee.

    `marker` becomes the shell's $0, naming the workspace in `ps` until the exec.
    umask 007: files written to the shared /work stay readable and writable by the
    project's group (the other members' workspaces) and by nobody else.
    The exec opens `seccomp_file` on descriptor `seccomp_fd` for bwrap's `--seccomp`; if it
    cannot be opened, the shell exits before bwrap runs (never a sandbox without it).
    """
    if not 3 <= seccomp_fd <= 9:  # 0-2 are stdio; POSIX sh redirects only single digits
        raise ValueError(f"seccomp_fd must be between 3 and 9, not {seccomp_fd}")
    steps = ["umask 007"]
    steps += [f"echo $$ > {shlex.quote(path)}" for path in cgroup_procs]
    if rlimit_as_bytes is not None:
        # Fallback when no cgroup controller is writable: a per-process address-space limit.
        steps.append(f"ulimit -v {max(1, rlimit_as_bytes // 1024)}")
    steps.append(f'exec "$@" {seccomp_fd}< {shlex.quote(seccomp_file)}')
    return ["/bin/sh", "-c", " && ".join(steps), marker, *inner]
