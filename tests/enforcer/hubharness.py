"""A real JupyterHub subprocess for the enforcer tests, driven through its REST API."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgate.demo.directory import free_port

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: The enforcer's role in production (jupyterhub_config.py); a test checks they agree.
ENFORCER_SCOPES = ["list:users", "read:servers", "delete:servers", "read:users:activity"]


@dataclass
class Hub:
    url: str
    admin_token: str
    enforcer_token: str
    process: subprocess.Popen[bytes]
    log: Path
    started: list[tuple[str, str]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return self.url + "/hub/api"

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.api_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.admin_token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def server(self, user: str, name: str) -> dict[str, Any] | None:
        try:
            model = self.api("GET", f"/users/{user}")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise
        servers: dict[str, Any] = model.get("servers") or {}
        return servers.get(name)

    def is_running(self, user: str, name: str) -> bool:
        server = self.server(user, name)
        return server is not None and bool(server.get("ready") or server.get("pending"))

    def start(self, user: str, name: str) -> dict[str, Any]:
        """Create the user if need be, start their named server and wait until it is ready."""
        try:
            self.api("POST", f"/users/{user}")
        except urllib.error.HTTPError as e:
            if e.code != 409:  # exists already
                raise
        self.api("POST", f"/users/{user}/servers/{urllib.parse.quote(name)}", body={})
        self.started.append((user, name))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            server = self.server(user, name)
            if server and server.get("ready"):
                return server
            time.sleep(0.1)
        raise RuntimeError(f"{user}/{name} did not become ready:\n{self.log_tail()}")

    def wait_stopped(self, user: str, name: str, seconds: float = 30) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.is_running(user, name):
                return True
            time.sleep(0.2)
        return False

    def stop_everything(self) -> None:
        for user, name in self.started:
            with contextlib.suppress(urllib.error.HTTPError):
                self.api("DELETE", f"/users/{user}/servers/{urllib.parse.quote(name)}")
        for user, name in self.started:
            self.wait_stopped(user, name)
        self.started.clear()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_hub(root: Path, **extra_env: str) -> Hub:
    proxy = REPO / "node_modules" / ".bin"
    if not (proxy / "configurable-http-proxy").exists():
        raise RuntimeError("configurable-http-proxy is missing: run `make test` (npm ci).")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    admin, enforcer = secrets.token_hex(16), secrets.token_hex(16)
    env = {
        **os.environ,
        "PATH": f"{proxy}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path]),
        "TEST_HUB_PORT": str(port),
        "TEST_HUB_API_PORT": str(free_port()),
        "TEST_PROXY_API_PORT": str(free_port()),
        "TEST_ADMIN_TOKEN": admin,
        "TEST_ENFORCER_TOKEN": enforcer,
        "TEST_ENFORCER_SCOPES": json.dumps(ENFORCER_SCOPES),
        "TEST_WORKSPACE_SCRIPT": str(HERE / "tiny_server.py"),
        **extra_env,
    }
    log = root / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(HERE / "hub_config.py")],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    hub = Hub(f"http://127.0.0.1:{port}", admin, enforcer, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited at start:\n{hub.log_tail()}")
        try:
            urllib.request.urlopen(hub.url + "/hub/health", timeout=2).close()
            return hub
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    stop_hub(hub)
    raise RuntimeError(f"the hub did not answer in time:\n{hub.log_tail()}")


def stop_hub(hub: Hub) -> None:
    if hub.process.poll() is None:
        os.killpg(hub.process.pid, signal.SIGTERM)
        try:
            hub.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()
