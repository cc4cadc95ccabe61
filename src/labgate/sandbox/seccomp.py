"""The seccomp filter of a workspace: a classic-BPF program that bwrap loads (`--seccomp FD`).

Why: the workload runs as an unprivileged host uid with every capability dropped, so
mounting, loading modules or entering other namespaces already fail. But the host lets
unprivileged users create *user namespaces*, and inside one of its own a process holds
every capability over the new namespaces it makes: the kernel code behind mount, netfilter,
fsconfig and friends becomes reachable again. That is where most container and sandbox
escapes start (CVE-2022-0185, CVE-2023-32233, CVE-2024-1086, ...). Flatpak and Docker close
it with a seccomp filter; so does labgate. The filter

* kills the process if a system call arrives through another ABI than the host's own
  (32-bit x86 or x32 on x86_64, 32-bit ARM on aarch64): their syscall numbers differ, and
  a filter for one table must not be read against another (fail closed);
* answers EPERM to `clone` and `unshare` when their flags ask for CLONE_NEWUSER. Other
  namespace flags are left to the kernel: without CAP_SYS_ADMIN it refuses them anyway,
  and the only way to gain that capability is a new user namespace, which is what is
  refused here. A plain fork, a thread, a `subprocess` are clone calls without the flag;
* answers ENOSYS to `clone3`, whose flags are in memory a seccomp filter cannot read;
  glibc then falls back to `clone`, which is checked (what Flatpak and Docker do);
* answers EPERM to a short list of calls a JupyterLab workload never makes and that are
  common exploit primitives (`DENIED`, each with its reason);
* allows everything else. `ptrace` stays allowed (a debugger inside one's own workspace;
  the pid namespace and the uid keep it there), and so does `personality`.

The program is hand-assembled (no libseccomp binding needed) by `build`, a pure function of
the architecture's name; an architecture without a syscall table here is refused with
`UnsupportedArchitecture`, so a workspace never runs without the filter.
"""

from __future__ import annotations

import hashlib
import platform
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from labgate.errors import LabgateError

# -- classic BPF and seccomp constants (linux/filter.h, linux/bpf_common.h, linux/seccomp.h)

BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS: A = 32-bit word of seccomp_data at k
BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K: A == k ? jt : jf
BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K: A >= k ? jt : jf (unsigned)
BPF_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K: A & k ? jt : jf
BPF_RET_K = 0x06  # BPF_RET | BPF_K: return k
#: The kernel refuses longer programs (BPF_MAXINSNS).
BPF_MAXINSNS = 4096

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000  # low 16 bits: the errno the call returns
SECCOMP_RET_ALLOW = 0x7FFF0000
EPERM = 1
ENOSYS = 38

# struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
OFFSET_NR = 0
OFFSET_ARCH = 4
#: The low 32 bits of args[0] on a little-endian machine (both architectures here are).
OFFSET_ARG0_LOW = 16

CLONE_NEWUSER = 0x10000000
#: x86_64 syscalls with this bit set are the x32 ABI's (asm/unistd.h __X32_SYSCALL_BIT).
X32_SYSCALL_BIT = 0x40000000

#: The calls answered EPERM, and why a workspace may do without them.
DENIED: Mapping[str, str] = MappingProxyType(
    {
        "keyctl": "kernel keyrings: a frequent source of kernel bugs, unused by Python",
        "add_key": "kernel keyrings",
        "request_key": "kernel keyrings",
        "userfaultfd": "lets an exploit pause the kernel mid-copy to win a race",
        "perf_event_open": "a large attack surface and a side channel on the host",
        "bpf": "eBPF programs: verifier bugs are a classic privilege escalation",
        "kexec_load": "replaces the running kernel (needs CAP_SYS_BOOT; defence in depth)",
        "kexec_file_load": "as kexec_load",
        "init_module": "loads kernel code (needs CAP_SYS_MODULE; defence in depth)",
        "finit_module": "as init_module",
        "delete_module": "as init_module",
        "mount": "the sandbox's mounts are fixed by bwrap; nothing inside mounts",
        "umount2": "could uncover what a mount hides",
        "pivot_root": "as mount",
        "open_tree": "the new mount API (Linux 5.2+): the same powers as mount",
        "move_mount": "the new mount API",
        "fsopen": "the new mount API; fsconfig was CVE-2022-0185",
        "fsconfig": "the new mount API",
        "fsmount": "the new mount API",
        "fspick": "the new mount API",
        "mount_setattr": "the new mount API",
        "setns": "joins another namespace, the other half of unshare",
        "open_by_handle_at": "opens files by handle past the mount tree (the 'shocker' escape)",
        "syslog": "reads the kernel log, which leaks kernel addresses",
        "io_uring_setup": "io_uring: the source of many recent kernel exploits; Python and "
        "JupyterLab use ordinary I/O (Docker's default profile and ChromeOS refuse it too)",
        "io_uring_enter": "as io_uring_setup",
        "io_uring_register": "as io_uring_setup",
    }
)

#: The numbers of the syscalls the filter names, as (x86_64, aarch64), copied from the
#: headers on a Debian 12 machine (Linux 6.1 uapi): x86_64 from
#: /usr/include/x86_64-linux-gnu/asm/unistd_64.h, aarch64 from the generic table that arm64
#: uses, /usr/include/asm-generic/unistd.h. The new mount API (428-442) is numbered alike on
#: every architecture, as are io_uring (425-427).
SYSCALL_NUMBERS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "clone": (56, 220),
        "clone3": (435, 435),
        "unshare": (272, 97),
        "keyctl": (250, 219),
        "add_key": (248, 217),
        "request_key": (249, 218),
        "userfaultfd": (323, 282),
        "perf_event_open": (298, 241),
        "bpf": (321, 280),
        "kexec_load": (246, 104),
        "kexec_file_load": (320, 294),
        "init_module": (175, 105),
        "finit_module": (313, 273),
        "delete_module": (176, 106),
        "mount": (165, 40),
        "umount2": (166, 39),
        "pivot_root": (155, 41),
        "open_tree": (428, 428),
        "move_mount": (429, 429),
        "fsopen": (430, 430),
        "fsconfig": (431, 431),
        "fsmount": (432, 432),
        "fspick": (433, 433),
        "mount_setattr": (442, 442),
        "setns": (308, 268),
        "open_by_handle_at": (304, 265),
        "syslog": (103, 116),
        "io_uring_setup": (425, 425),
        "io_uring_enter": (426, 426),
        "io_uring_register": (427, 427),
    }
)
#: The architectures with a filter, as `platform.machine()` names them, and their column.
ARCHES = ("x86_64", "aarch64")
SYSCALLS: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {arch: {name: nrs[i] for name, nrs in SYSCALL_NUMBERS.items()} for i, arch in enumerate(ARCHES)}
)

#: seccomp_data.arch of each ABI (linux/audit.h): machine | 64-bit | little-endian.
AUDIT_ARCH: Mapping[str, int] = MappingProxyType({"x86_64": 0xC000003E, "aarch64": 0xC00000B7})


class UnsupportedArchitecture(LabgateError):
    """No filter for this machine: workspaces cannot start (never without the filter)."""

    status = 503

    @property
    def jupyterhub_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class Insn:
    """One instruction before assembly; jumps name a label further down (cBPF jumps only
    forward), None meaning the next instruction."""

    code: int
    k: int = 0
    jt: str | None = None
    jf: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class SeccompProgram:
    """An assembled filter: `code` is the struct sock_filter array bwrap reads."""

    arch: str
    code: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.code).hexdigest()

    @property
    def file_name(self) -> str:
        return f"seccomp-{self.arch}-{self.sha256[:16]}.bpf"

    def audit_detail(self) -> dict[str, object]:
        """What the data.mount audit event records: which filter the workspace ran under."""
        return {
            "arch": self.arch,
            "sha256": self.sha256,
            "refuses": ["user namespaces", "clone3", *DENIED],
        }


def host_arch() -> str:
    return platform.machine()


def instructions(arch: str) -> list[Insn]:
    """The filter for `arch`, unassembled (see the module docstring for the why)."""
    if arch not in SYSCALLS:
        raise UnsupportedArchitecture(
            "Workspaces cannot start on this server. Please tell its administrator.",
            reason="sandbox-unsupported-architecture",
            log_message=f"labgate has no seccomp filter for the {arch!r} architecture "
            f"(only {', '.join(SYSCALLS)}); workspaces never run without one",
        )
    nr = SYSCALLS[arch]
    prog = [
        # A foreign ABI (i386 or x32 on x86_64, arm on aarch64) numbers its syscalls
        # differently: kill the process rather than judge its calls by the wrong table.
        Insn(BPF_LD_W_ABS, OFFSET_ARCH),
        Insn(BPF_JEQ_K, AUDIT_ARCH[arch], jf="kill"),
        Insn(BPF_LD_W_ABS, OFFSET_NR),
    ]
    if arch == "x86_64":
        # x32 shares AUDIT_ARCH_X86_64 and sets bit 30 of the number instead.
        prog.append(Insn(BPF_JGE_K, X32_SYSCALL_BIT, jt="kill"))
    prog += [
        # clone3's flags are in a struct in memory, out of seccomp's reach: ENOSYS makes
        # glibc fall back to clone, whose flags are a register and are checked below.
        Insn(BPF_JEQ_K, nr["clone3"], jt="enosys"),
        Insn(BPF_JEQ_K, nr["clone"], jt="flags"),
        Insn(BPF_JEQ_K, nr["unshare"], jt="flags"),
        *(Insn(BPF_JEQ_K, nr[name], jt="eperm") for name in DENIED),
        Insn(BPF_RET_K, SECCOMP_RET_ALLOW),
        # clone and unshare: flags are args[0] for both (clone's CLONE_BACKWARDS variants
        # on x86_64 and arm64 keep flags first); the kernel reads only their low 32 bits.
        Insn(BPF_LD_W_ABS, OFFSET_ARG0_LOW, label="flags"),
        Insn(BPF_JSET_K, CLONE_NEWUSER, jt="eperm"),
        Insn(BPF_RET_K, SECCOMP_RET_ALLOW),
        Insn(BPF_RET_K, SECCOMP_RET_ERRNO | EPERM, label="eperm"),
        Insn(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS, label="enosys"),
        Insn(BPF_RET_K, SECCOMP_RET_KILL_PROCESS, label="kill"),
    ]
    return prog


def assemble(prog: list[Insn]) -> bytes:
    """struct sock_filter[] in native (little-endian) order: u16 code, u8 jt, u8 jf, u32 k."""
    where = {insn.label: i for i, insn in enumerate(prog) if insn.label}
    if len(where) != len([insn for insn in prog if insn.label]):
        raise ValueError("a label is used twice")
    if len(prog) > BPF_MAXINSNS:
        raise ValueError(f"{len(prog)} instructions, more than the kernel's {BPF_MAXINSNS}")

    def offset(i: int, label: str | None) -> int:
        if label is None:
            return 0
        skip = where[label] - i - 1
        if not 0 <= skip <= 255:
            raise ValueError(f"instruction {i}: cannot jump to {label!r} ({skip})")
        return skip

    return b"".join(
        struct.pack("<HBBI", insn.code, offset(i, insn.jt), offset(i, insn.jf), insn.k)
        for i, insn in enumerate(prog)
    )


def build(arch: str) -> SeccompProgram:
    """The assembled filter for `arch` (a `platform.machine()` name)."""
    return SeccompProgram(arch, assemble(instructions(arch)))


def for_host() -> SeccompProgram:
    """The filter for this machine; `UnsupportedArchitecture` where there is none."""
    return build(host_arch())
