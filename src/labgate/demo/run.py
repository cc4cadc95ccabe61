"""`make demo`: a throwaway directory, the demo world, and the hub at http://127.0.0.1:8000.

Everything lives under var/demo and is made anew at each start. Ctrl-C stops the hub, its
workspaces and the directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.demo.directory import DirectoryEntry, ThrowawayDirectory
from labgate.demo.examples import place_examples
from labgate.demo.world import PEOPLE, build
from labgate.migrate import upgrade

DEMO_PASSWORD_SUFFIX = "-demo"


def demo_password(username: str) -> str:
    return username + DEMO_PASSWORD_SUFFIX


def prepare(
    root: Path, *, persons: int = 2000, examples: Path | None = None
) -> tuple[str, DataStore]:
    """A fresh database and data store under `root`, holding the demo world; with
    `examples`, the example notebooks in it are copied into every project's work area."""
    if root.exists():
        shutil.rmtree(root)
    (root / "build").mkdir(parents=True)
    url = f"sqlite:///{root / 'labgate.sqlite'}"
    upgrade(url)
    db = Database(url)
    store = DataStore(root / "data")
    try:
        world = build(db, store, root / "build", persons=persons)
    finally:
        db.dispose()
    shutil.rmtree(root / "build")
    if examples is not None:
        place_examples(store, world.projects, examples)
    return url, store


def directory_entries() -> list[DirectoryEntry]:
    return [DirectoryEntry(p.username, p.full_name, demo_password(p.username)) for p in PEOPLE]


def hub_environment(
    url: str, store: DataStore, directory: ThrowawayDirectory, root: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "LABGATE_DB": url,
        "LABGATE_DATA_ROOT": str(store.root),
        "LABGATE_STATE_DIR": str(root / "state"),
        "LABGATE_LDAP_ADDRESS": "127.0.0.1",
        "LABGATE_LDAP_PORT": str(directory.port),
        "LABGATE_LDAP_BIND_DN_TEMPLATE": directory.bind_dn_template,
        "LABGATE_HUB_DIR": str(root / "hub"),
    }


def main() -> int:
    # Ctrl-C, and SIGTERM from a supervisor, stop everything the demo started. Both are set
    # before any child starts: a shell that runs the demo in the background leaves SIGINT
    # ignored, and the hub's services would inherit that and outlive it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    repo = Path.cwd()
    root = repo / "var" / "demo"
    print("labgate demo: building the demo world (synthetic registers, pseudonymised)...")
    url, store = prepare(root, examples=repo / "examples" / "notebooks")
    directory = ThrowawayDirectory(directory_entries())
    directory.start()
    (root / "hub").mkdir(exist_ok=True)
    print(f"labgate demo: directory on ldap://127.0.0.1:{directory.port}")
    env = hub_environment(url, store, directory, root)
    env["PATH"] = f"{repo / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env['PATH']}"
    hub = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(repo / "jupyterhub_config.py")],
        cwd=root / "hub", env=env, start_new_session=True,
    )  # fmt: skip
    print("\nlabgate demo: the hub starts at http://127.0.0.1:8000 — log in as:")
    for p in PEOPLE:
        print(f"  {p.username:<10} password {demo_password(p.username):<16} {p.description}")
    print("Press Ctrl-C to stop.\n")
    try:
        return hub.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if hub.poll() is None:
            os.killpg(hub.pid, signal.SIGTERM)
            try:
                hub.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
        directory.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
