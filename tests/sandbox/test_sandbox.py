"""Real sandboxes prove what a workspace can and cannot do (DATA-8, WS-2, WS-1, AUTH-5)."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labgate.sandbox import process
from tests.sandbox.conftest import SECRET, Sandboxes


def probe(body: str) -> str:
    """Python source that runs `body` (filling dict `r`) and prints `r` as JSON."""
    return "import json, os, socket\nr = {}\n" + textwrap.dedent(body) + "\nprint(json.dumps(r))"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@pytest.mark.requirement("DATA-8")
def test_sees_only_its_granted_datasets_read_only(sandboxes: Sandboxes) -> None:
    code = probe("""
        r["data"] = sorted(os.listdir("/data"))
        r["bef"] = open("/data/bef/part-0.csv").read()
        r["root"] = sorted(os.listdir("/"))
        try:
            open("/data/bef/new.csv", "w")
            r["write_data"] = "ok"
        except OSError as e:
            r["write_data"] = e.errno
        try:
            os.mkdir("/data/extra")
            r["mkdir_data"] = "ok"
        except OSError as e:
            r["mkdir_data"] = e.errno
    """)
    r = run(sandboxes.run(sandboxes.spec("a", code, datasets=("bef",))))
    assert r["data"] == ["bef"]  # "ind" is in project a's data area but not granted
    assert r["bef"].endswith("a-bef\n")
    assert r["write_data"] == 30 and r["mkdir_data"] in (13, 30)  # EROFS / EACCES
    assert "vault" not in r["root"] and "store" not in " ".join(r["root"])


@pytest.mark.requirement("DATA-8")
@pytest.mark.requirement("AUTH-5")
def test_cannot_reach_another_projects_data_or_the_vault(sandboxes: Sandboxes) -> None:
    store = sandboxes.store
    targets = [
        str(store.dataset_dir("b", "bef") / "part-0.csv"),
        str(store.vault / "secret.txt"),
        str(store.projects),
        "/data/../b",
    ]
    code = probe(f"""
        r["opened"] = []
        for path in {targets!r}:
            try:
                open(path).read() if not os.path.isdir(path) else os.listdir(path)
                r["opened"].append(path)
            except OSError:
                pass
        found = []
        for top, dirs, files in os.walk("/", onerror=lambda e: None):
            if top.startswith(("/proc", "/sys", "/usr", "/opt", "/root", "/dev")):
                dirs[:] = []
                continue
            found += [os.path.join(top, f) for f in files]
        r["b_or_vault"] = [f for f in found if "b-bef" in f or "secret" in f]
        r["contents"] = []
        for f in found:
            try:
                text = open(f, errors="replace").read(4096)
                if "b-bef" in text or "b-ind" in text or "vault secret" in text:
                    r["contents"].append(f)
            except OSError:
                pass
    """)
    r = run(sandboxes.run(sandboxes.spec("a", code)))
    assert r["opened"] == []
    assert r["b_or_vault"] == [] and r["contents"] == []


@pytest.mark.requirement("WS-1")
def test_work_is_writable_and_shared_through_the_project_group(sandboxes: Sandboxes) -> None:
    code = probe("""
        with open("/work/result.txt", "w") as f:
            f.write("done")
        st = os.stat("/work/result.txt")
        r["mode"] = oct(st.st_mode & 0o777)
        r["gid"] = st.st_gid
        with open(os.path.expanduser("~/notes.txt"), "w") as f:
            f.write("private")
        r["home"] = os.path.expanduser("~")
        r["tmp"] = open("/tmp/x", "w").write("ok")
    """)
    spec = sandboxes.spec("a", code, uid=200002, gid=300002)
    r = run(sandboxes.run(spec))
    written = sandboxes.store.work_dir("a") / "result.txt"
    assert written.read_text() == "done"
    assert r["gid"] == 300002 and r["mode"] == "0o660"  # umask 007: group, nobody else
    assert r["home"] == "/home/researcher"
    home = Path(spec.mounts[-2].source)
    assert (home / "notes.txt").stat().st_uid == 200002
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    project_dir = sandboxes.store.project_dir("a")
    assert project_dir.stat().st_gid == 300002 and project_dir.stat().st_mode & 0o007 == 0


@pytest.mark.requirement("WS-1")
def test_runs_as_its_own_unprivileged_uid(sandboxes: Sandboxes) -> None:
    code = probe("""
        r["ids"] = [os.getuid(), os.geteuid(), os.getgid(), os.getgroups()]
        status = open("/proc/self/status").read()
        r["caps"] = [l.split()[1] for l in status.splitlines() if l.startswith("CapEff")]
        r["nnp"] = [l.split()[1] for l in status.splitlines() if l.startswith("NoNewPrivs")]
        r["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    """)
    r = run(sandboxes.run(sandboxes.spec("a", code, uid=200003, gid=300003)))
    assert r["ids"] == [200003, 200003, 300003, []]
    assert r["caps"] == ["0000000000000000"] and r["nnp"] == ["1"]
    assert max(r["pids"]) < 10  # its own pid namespace: only bwrap's init and itself


@pytest.mark.requirement("WS-2")
def test_has_no_network(sandboxes: Sandboxes) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    code = probe(f"""
        r["attempts"] = {{}}
        for host in ["127.0.0.1", "10.0.0.1", "8.8.8.8", "1.1.1.1"]:
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect((host, {port}))
                r["attempts"][host] = "connected"
            except OSError as e:
                r["attempts"][host] = e.errno
        try:
            socket.getaddrinfo("example.org", 80)
            r["dns"] = "resolved"
        except OSError as e:
            r["dns"] = "failed"
        r["ifaces"] = sorted(n for _, n in socket.if_nameindex())
    """)
    try:
        r = run(sandboxes.run(sandboxes.spec("a", code)))
    finally:
        listener.close()
    assert "connected" not in r["attempts"].values(), r
    assert r["dns"] == "failed" and r["ifaces"] == ["lo"]


@pytest.mark.requirement("WS-1")
def test_cannot_read_another_workspaces_environment(sandboxes: Sandboxes) -> None:
    async def scenario() -> dict:
        victim = await sandboxes.start(
            sandboxes.spec("b", "import time; time.sleep(60)", uid=200010, gid=300010),
            secret=SECRET,
        )
        await asyncio.sleep(0.3)
        pids = [victim.record.pid, *process.descendants(victim.record.pid)]
        code = probe(f"""
            r["leaks"], r["readable"] = [], []
            for pid in [p for p in os.listdir("/proc") if p.isdigit()] + {pids!r}:
                try:
                    env = open(f"/proc/{{pid}}/environ", "rb").read()
                    r["readable"].append(pid)
                    if b"{SECRET}" in env:
                        r["leaks"].append(pid)
                except OSError:
                    pass
        """)
        result = await sandboxes.run(sandboxes.spec("a", code, uid=200011, gid=300011))
        result["cmdline_has_secret"] = any(
            SECRET.encode() in Path(f"/proc/{p}/cmdline").read_bytes() for p in pids
        )
        await victim.stop()
        return result

    r = run(scenario())
    assert r["leaks"] == []
    assert not r["cmdline_has_secret"]


@pytest.mark.requirement("WS-2")
def test_reaches_the_hub_only_through_the_bridged_socket(sandboxes: Sandboxes) -> None:
    async def scenario() -> dict:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await reader.readuntil(b"\r\n\r\n")
            body = b"hub says hello to " + request.split(b" ")[1]
            writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            writer.close()

        hub = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = hub.sockets[0].getsockname()[1]
        code = probe("""
            import http.client
            class Unix(http.client.HTTPConnection):
                def connect(self):
                    self.sock = socket.socket(socket.AF_UNIX)
                    self.sock.connect("/run/labgate/hub.sock")
            c = Unix("hub")
            c.request("GET", "/hub/api/")
            resp = c.getresponse()
            r["status"], r["body"] = resp.status, resp.read().decode()
            st = os.stat("/run/labgate/hub.sock")
            r["sock"] = [st.st_uid, oct(st.st_mode & 0o777)]
        """)
        try:
            return await sandboxes.run(
                sandboxes.spec("a", code, uid=200020), hub=("127.0.0.1", port)
            )
        finally:
            hub.close()

    r = run(scenario())
    assert r["status"] == 200 and r["body"] == "hub says hello to /hub/api/"
    assert r["sock"] == [200020, "0o600"]


def test_memory_limit_is_enforced(sandboxes: Sandboxes) -> None:
    code = probe("""
        blocks = []
        try:
            for _ in range(64):
                blocks.append(bytearray(16 << 20))
            r["allocated_mb"] = 16 * len(blocks)
        except MemoryError:
            r["allocated_mb"] = "memory-error"
    """)
    spec = sandboxes.spec("a", code, mem=256 << 20)

    async def scenario() -> tuple[int | None, str]:
        sandbox = await sandboxes.start(spec)
        for _ in range(400):
            if sandbox.poll() is not None:
                break
            await asyncio.sleep(0.05)
        status = sandbox.poll()
        out = Path(sandbox.record.log_file).read_text()
        await sandbox.stop()
        return status, out

    _status, out = run(scenario())
    # Killed by the cgroup's OOM killer, or a MemoryError under the rlimit fallback:
    # either way it never holds 1 GiB.
    assert '"allocated_mb": 1024' not in out, out


def test_stop_ends_every_process_and_cleans_up(sandboxes: Sandboxes) -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"

    async def scenario() -> tuple[list[int], process.Sandbox]:
        sandbox = await sandboxes.start(sandboxes.spec("a", code, uid=200030))
        await asyncio.sleep(0.5)
        pids = [sandbox.record.pid, *process.descendants(sandbox.record.pid)]
        await sandbox.stop(timeout=2)
        return pids, sandbox

    pids, sandbox = run(scenario())
    assert len(pids) >= 4  # launcher/bwrap, bwrap's init, python, sleep
    assert not process._running(pids)
    assert not Path(sandbox.record.runtime).exists()
    assert process.read_record(sandboxes.state_dir, sandbox.record.sandbox_id) is None
    assert not [c for c in sandbox.record.cgroups if os.path.exists(c)]


def test_ready_when_the_server_answers_on_its_socket(sandboxes: Sandboxes) -> None:
    code = textwrap.dedent("""
        import http.server, socketserver, os
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers(); self.wfile.write(b"hi")
            def address_string(self):
                return "unix"
        class S(socketserver.UnixStreamServer):
            pass
        S("/run/labgate/server.sock", H).serve_forever()
    """)

    async def scenario() -> str:
        sandbox = await sandboxes.start(sandboxes.spec("a", code, uid=200040))
        await sandbox.wait_ready(timeout=20)
        url = sandbox.url
        await sandbox.stop()
        return url

    url = run(scenario())
    assert url.startswith("http+unix://%2Ftmp%2F") and url.endswith("server.sock")


#: Probes of the calls the seccomp filter refuses, through ctypes (Python 3.11 has no
#: os.unshare). Each records an errno, or "ok"; a clone that succeeds exits its child.
KERNEL_PROBES = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    if ret == 0 and nr == CLONE:
        os._exit(0)  # the child of a clone that was let through
    if ret > 0 and nr == CLONE:
        os.waitpid(ret, 0)
    return "ok" if ret >= 0 else ctypes.get_errno()
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
r["clone_user"] = call(CLONE, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)
r["unshare_user"] = call(UNSHARE, CLONE_NEWUSER)  # last: the process is in it afterwards
r["clone3"] = call(CLONE3, 0, 0)
r["keyctl"] = call(KEYCTL, 0, -3, 0)  # KEYCTL_GET_KEYRING_ID of the session keyring
"""
SYSCALL_NRS = {
    "x86_64": "UNSHARE, CLONE, CLONE3, KEYCTL, BPF = 272, 56, 435, 250, 321\n",
    "aarch64": "UNSHARE, CLONE, CLONE3, KEYCTL, BPF = 97, 220, 435, 219, 280\n",
}


def kernel_probe(extra: str = "") -> str:
    return probe(SYSCALL_NRS[platform.machine()] + KERNEL_PROBES + textwrap.dedent(extra))


def test_the_host_lets_an_unprivileged_uid_make_a_user_namespace() -> None:
    """The control for the test below: outside the sandbox an unprivileged uid, without the
    filter, succeeds, so the refusal inside is the filter's doing (and that test can fail)."""
    out = subprocess.run(
        ["setpriv", "--reuid=200060", "--regid=300060", "--clear-groups", "--no-new-privs",
         sys.executable, "-c", kernel_probe()], cwd="/",
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    r = json.loads(out.splitlines()[-1])
    assert r["unshare_user"] == "ok" and r["clone_user"] == "ok", r
    assert r["clone3"] != 38 and r["keyctl"] == "ok", r  # clone3(NULL, 0): EINVAL, not ENOSYS
    unshare = subprocess.run(
        ["setpriv", "--reuid=200060", "--regid=300060", "--clear-groups", "unshare", "-U",
         "true"], capture_output=True, text=True,
    )  # fmt: skip
    assert unshare.returncode == 0, unshare.stderr


def test_cannot_make_a_user_namespace_or_reach_kernel_exploit_primitives(
    sandboxes: Sandboxes,
) -> None:
    code = kernel_probe("""
        import subprocess
        u = subprocess.run(["unshare", "-U", "true"], capture_output=True, text=True)
        r["unshare_cmd"] = [u.returncode, u.stderr]
        r["bpf"] = call(BPF, 5, 0, 0)  # BPF_PROG_LOAD
        status = open("/proc/self/status").read()
        r["seccomp"] = [l.split()[1] for l in status.splitlines() if l.startswith("Seccomp")]
    """)
    r = run(sandboxes.run(sandboxes.spec("a", code, uid=200061)))
    assert r["unshare_user"] == 1 and r["clone_user"] == 1  # EPERM
    assert r["clone3"] == 38  # ENOSYS: glibc falls back to clone
    assert r["keyctl"] == 1 and r["bpf"] == 1
    assert r["unshare_cmd"][0] != 0 and "Operation not permitted" in r["unshare_cmd"][1]
    assert r["seccomp"] == ["2", "1"]  # filter mode, one filter


def test_ordinary_work_runs_under_the_seccomp_filter(sandboxes: Sandboxes) -> None:
    code = probe("""
        import concurrent.futures, ctypes, subprocess, threading
        r["csv"] = open("/data/bef/part-0.csv").read()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            r["threads"] = sum(pool.map(lambda n: n * n, range(10)))
        with concurrent.futures.ProcessPoolExecutor(2) as pool:
            r["processes"] = sum(pool.map(abs, range(-5, 0)))
        r["sh"] = subprocess.run(["/bin/sh", "-c", "echo hi | tr a-z A-Z"],
                                 capture_output=True, text=True).stdout
        ps = subprocess.run(["ps", "-eo", "user,comm"], capture_output=True, text=True)
        r["ps"] = [ps.returncode, "python" in ps.stdout]
        pid = os.fork()
        if pid == 0:
            libc = ctypes.CDLL(None, use_errno=True)
            os._exit(0 if libc.ptrace(0, 0, 0, 0) == 0 else 1)  # PTRACE_TRACEME
        r["ptrace"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        r["fds"] = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                    if os.path.exists(f"/proc/self/fd/{fd}")]
        r["ids"] = [os.getuid(), os.getgid()]
    """)
    r = run(sandboxes.run(sandboxes.spec("a", code, uid=200062, gid=300062)))
    assert r["csv"].endswith("a-bef\n") and r["threads"] == 285 and r["processes"] == 15
    assert r["sh"] == "HI\n" and r["ps"] == [0, True] and r["ptrace"] == 0
    assert r["ids"] == [200062, 300062]  # setpriv dropped to the uid under the filter
    assert not [f for f in r["fds"] if "seccomp" in f], r["fds"]  # bwrap closed it
