"""The seccomp filter's bytes, run through a small classic-BPF interpreter written here.

The interpreter knows only the five instructions a seccomp filter of this shape needs and
fails on any other, so every verdict below is what the kernel would answer to the same
`struct seccomp_data`. The expected verdicts are literals from linux/seccomp.h, not the
module's constants. The syscall table is checked against the kernel headers on this machine.
"""

from __future__ import annotations

import os
import re
import stat
import struct
from pathlib import Path

import pytest

from labgate.sandbox import process, seccomp

ALLOW = 0x7FFF0000
KILL_PROCESS = 0x80000000
EPERM = 0x00050000 | 1
ENOSYS = 0x00050000 | 38
AUDIT_X86_64, AUDIT_I386, AUDIT_AARCH64, AUDIT_ARM = 0xC000003E, 0x40000003, 0xC00000B7, 0x40000028
NATIVE = {"x86_64": AUDIT_X86_64, "aarch64": AUDIT_AARCH64}
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET = 0x10000000, 0x00020000, 0x40000000
#: What glibc's pthread_create and fork pass to clone.
THREAD_FLAGS, FORK_FLAGS = 0x003D0F00, 0x01200011

HEADERS = {
    "x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    "aarch64": Path("/usr/include/asm-generic/unistd.h"),
}


def decode(code: bytes) -> list[tuple[int, int, int, int]]:
    assert len(code) % 8 == 0
    return [struct.unpack_from("<HBBI", code, i) for i in range(0, len(code), 8)]


def verdict(code: bytes, *, arch: int, nr: int, arg0: int = 0) -> int:
    """Run the filter on one seccomp_data {nr, arch, instruction_pointer, args[6]}."""
    data = struct.pack("<IIQ6Q", nr, arch, 0x401000, arg0, 0, 0, 0, 0, 0)
    prog = decode(code)
    pc, acc = 0, 0
    for _ in range(len(prog)):  # jumps go forward only: at most one pass
        op, jt, jf, k = prog[pc]
        if op == 0x20:  # ld [k]
            acc = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif op in (0x15, 0x35, 0x45):  # jeq / jge / jset #k
            hit = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[op]
            pc += 1 + (jt if hit else jf)
        elif op == 0x06:  # ret #k
            return k
        else:
            raise AssertionError(f"instruction {pc}: unexpected opcode {op:#x}")
    raise AssertionError("ran off the end of the program")


def test_the_program_has_a_known_length_and_checks_the_architecture_first() -> None:
    for arch, count in (("x86_64", 41), ("aarch64", 40)):
        prog = decode(seccomp.build(arch).code)
        assert len(prog) == count
        assert prog[0] == (0x20, 0, 0, 4)  # ld seccomp_data.arch
        assert prog[1][0] == 0x15 and prog[1][3] == NATIVE[arch] and prog[1][1] == 0
        assert prog[-1] == (0x06, 0, 0, KILL_PROCESS)


@pytest.mark.parametrize(
    ("arch", "foreign"),
    [("x86_64", AUDIT_I386), ("x86_64", AUDIT_AARCH64), ("aarch64", AUDIT_ARM),
     ("aarch64", AUDIT_X86_64)],
)  # fmt: skip
def test_a_foreign_abi_is_killed_whatever_it_calls(arch: str, foreign: int) -> None:
    code = seccomp.build(arch).code
    for nr in (0, 1, 39, 56, 63, 272, 435):
        assert verdict(code, arch=foreign, nr=nr) == KILL_PROCESS


def test_the_x32_abi_is_killed_on_x86_64() -> None:
    code = seccomp.build("x86_64").code
    for nr in (0x40000000, 0x40000000 + 56, 0x40000000 + 272, 0xFFFFFFFF):
        assert verdict(code, arch=AUDIT_X86_64, nr=nr) == KILL_PROCESS


# (arch, syscall number from the header, args[0], verdict)
CASES = [
    ("x86_64", 272, CLONE_NEWUSER, EPERM),  # unshare(CLONE_NEWUSER)
    ("x86_64", 272, CLONE_NEWUSER | CLONE_NEWNS, EPERM),
    ("x86_64", 272, (1 << 32) | CLONE_NEWUSER, EPERM),  # high bits do not hide the flag
    ("x86_64", 272, CLONE_NEWNS | CLONE_NEWNET, ALLOW),  # the kernel refuses it: no caps
    ("x86_64", 56, FORK_FLAGS | CLONE_NEWUSER, EPERM),  # clone
    ("x86_64", 56, THREAD_FLAGS, ALLOW),
    ("x86_64", 56, FORK_FLAGS, ALLOW),
    ("x86_64", 435, 0, ENOSYS),  # clone3: glibc falls back to clone
    ("x86_64", 250, 0, EPERM),  # keyctl
    ("x86_64", 321, 0, EPERM),  # bpf
    ("x86_64", 323, 0, EPERM),  # userfaultfd
    ("x86_64", 165, 0, EPERM),  # mount
    ("x86_64", 308, 0, EPERM),  # setns
    ("x86_64", 431, 0, EPERM),  # fsconfig
    ("x86_64", 425, 0, EPERM),  # io_uring_setup
    ("x86_64", 101, 0, ALLOW),  # ptrace: debuggers in one's own workspace
    ("x86_64", 135, 0, ALLOW),  # personality
    ("x86_64", 117, 0, ALLOW),  # setresuid: setpriv runs under the filter
    ("x86_64", 0, 0, ALLOW),  # read
    ("x86_64", 57, 0, ALLOW),  # fork
    ("x86_64", 58, 0, ALLOW),  # vfork
    ("x86_64", 59, 0, ALLOW),  # execve
    ("aarch64", 97, CLONE_NEWUSER, EPERM),  # unshare
    ("aarch64", 220, FORK_FLAGS | CLONE_NEWUSER, EPERM),  # clone
    ("aarch64", 220, THREAD_FLAGS, ALLOW),
    ("aarch64", 435, 0, ENOSYS),
    ("aarch64", 219, 0, EPERM),  # keyctl
    ("aarch64", 280, 0, EPERM),  # bpf
    ("aarch64", 40, 0, EPERM),  # mount
    ("aarch64", 117, 0, ALLOW),  # ptrace
    ("aarch64", 63, 0, ALLOW),  # read
    ("aarch64", 147, 0, ALLOW),  # setresuid
]


@pytest.mark.parametrize(("arch", "nr", "arg0", "expected"), CASES)
def test_each_rule_gives_its_verdict(arch: str, nr: int, arg0: int, expected: int) -> None:
    assert verdict(seccomp.build(arch).code, arch=NATIVE[arch], nr=nr, arg0=arg0) == expected


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_every_denied_call_answers_eperm_and_nothing_between_them(arch: str) -> None:
    code = seccomp.build(arch).code
    denied = {seccomp.SYSCALLS[arch][name] for name in seccomp.DENIED}
    special = {seccomp.SYSCALLS[arch][n] for n in ("clone", "clone3", "unshare")}
    for nr in range(600):
        got = verdict(code, arch=NATIVE[arch], nr=nr, arg0=CLONE_NEWUSER)
        if nr in denied:
            assert got == EPERM, nr
        elif nr not in special:
            assert got == ALLOW, nr


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_syscall_numbers_match_the_kernel_headers(arch: str) -> None:
    header = HEADERS[arch]
    assert header.exists(), f"{header} is missing: apt-get install -y linux-libc-dev"
    text = header.read_text()
    for name, number in seccomp.SYSCALLS[arch].items():
        # asm-generic spells some as __NR3264_<name> (e.g. fstatat); none of ours, but accept.
        found = re.search(rf"^#define __NR(?:3264)?_{name}\s+(\d+)\s*$", text, re.M)
        assert found is not None, f"{name} not in {header}"
        assert int(found.group(1)) == number, name


@pytest.mark.parametrize("arch", ["riscv64", "i686", "armv7l", "ppc64le", ""])
def test_an_architecture_without_a_table_is_refused(arch: str) -> None:
    with pytest.raises(seccomp.UnsupportedArchitecture) as caught:
        seccomp.build(arch)
    assert caught.value.reason == "sandbox-unsupported-architecture"
    assert "seccomp filter" in caught.value.log_message
    assert caught.value.jupyterhub_message == caught.value.message


def test_the_assembler_refuses_a_backward_jump_and_a_reused_label() -> None:
    with pytest.raises(ValueError, match="jump"):
        seccomp.assemble([seccomp.Insn(0x06, label="a"), seccomp.Insn(0x15, jt="a")])
    with pytest.raises(ValueError, match="twice"):
        seccomp.assemble([seccomp.Insn(0x06, label="a"), seccomp.Insn(0x06, label="a")])


def test_the_filter_file_is_written_once_root_only_and_repaired(tmp_path: Path) -> None:
    program = seccomp.build("x86_64")
    path = process.seccomp_file(tmp_path, program)
    st = path.stat()
    assert path.read_bytes() == program.code and path.name == program.file_name
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.getuid()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert process.seccomp_file(tmp_path, program).stat().st_ino == st.st_ino  # not rewritten
    path.write_bytes(b"\0" * 8)
    assert process.seccomp_file(tmp_path, program).read_bytes() == program.code
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
