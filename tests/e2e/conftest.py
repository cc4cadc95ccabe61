"""A real hub for end-to-end tests: the demo world, a throwaway slapd, JupyterHub with its
configurable-http-proxy, real sandboxes, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgate.datastore.layout import DataStore
from labgate.demo.directory import ThrowawayDirectory, free_port
from labgate.demo.run import demo_password, directory_entries, hub_environment, prepare

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class Hub:
    url: str
    db_url: str
    store: DataStore
    root: Path
    log: Path

    def password(self, username: str) -> str:
        return demo_password(username)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, DataStore]:
    root = tmp_path_factory.mktemp("e2e") / "demo"
    url, store = prepare(root, persons=300)
    return root, url, store


@pytest.fixture(scope="session")
def directory() -> Iterator[ThrowawayDirectory]:
    d = ThrowawayDirectory(directory_entries())
    d.start()
    try:
        yield d
    finally:
        d.stop()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited at start:\n{log.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise RuntimeError(f"the hub did not answer in time:\n{log.read_text()[-4000:]}")


def start_hub(
    root: Path, url: str, store: DataStore, directory: ThrowawayDirectory, **extra_env: str
) -> tuple[subprocess.Popen[bytes], Hub]:
    if not (REPO / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        raise RuntimeError("configurable-http-proxy is missing: run `make test` (npm ci).")
    port = free_port()
    hub_dir = root / f"hub-{port}"
    hub_dir.mkdir(parents=True)
    env = hub_environment(url, store, directory, root)
    env.update(
        LABGATE_HUB_DIR=str(hub_dir),
        LABGATE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        LABGATE_HUB_PORT=str(free_port()),
        LABGATE_PROXY_API_PORT=str(free_port()),
        PATH=f"{REPO / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        **extra_env,
    )
    log = hub_dir / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(REPO / "jupyterhub_config.py")],
            cwd=hub_dir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    hub = Hub(f"http://127.0.0.1:{port}", url, store, root, log)
    _wait_for(hub.url + "/hub/health", process, log)
    return process, hub


def stop_hub(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def hub(demo_root: tuple[Path, str, DataStore], directory: ThrowawayDirectory) -> Iterator[Hub]:
    root, url, store = demo_root
    process, running = start_hub(root, url, store, directory)
    try:
        yield running
    finally:
        stop_hub(process)


# Package scope: Playwright's sync API keeps an event loop running in the main thread while
# it is open, which would break every later test that calls asyncio.run().
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            "Debian's chromium is missing: run `make test` (apt-get install chromium)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def log_in(page: object, hub: Hub, username: str, password: str | None = None) -> None:
    p = page
    p.goto(hub.url + "/hub/login")  # type: ignore[attr-defined]
    p.fill("input[name=username]", username)  # type: ignore[attr-defined]
    p.fill("input[name=password]", password or hub.password(username))  # type: ignore[attr-defined]
    terms = p.locator("input[name=accept_terms]")  # type: ignore[attr-defined]
    if terms.count():
        terms.check()
    p.click("#login_submit")  # type: ignore[attr-defined]


__all__ = ["Hub", "log_in", "shutil"]
