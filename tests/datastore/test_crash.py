"""kill -9 during materialisation: nothing partial is visible, and a rerun completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.datastore.synthetic import write_register
from labgate.db import Database
from tests.datastore import factories as f

CHILD = """
import sys
from pathlib import Path
from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.db import Database
from tests.datastore.factories import STEWARD
materialise_grant(Database(sys.argv[1]), DataStore(Path(sys.argv[2])), STEWARD, int(sys.argv[3]),
                  memory_limit="256MB", threads=1)
"""
WIDE = [
    f.VariableSpec("pnr", "string", is_identifier=True),
    f.VariableSpec("year", "int", is_year=True),
]


@pytest.mark.slow
@pytest.mark.requirement("DATA-8")
@pytest.mark.parametrize("delay", [0.0, 0.5])
def test_kill_9_mid_way_leaves_nothing_visible_and_a_rerun_completes(
    db: Database, db_url: str, store: DataStore, tmp_path: Path, delay: float
) -> None:
    inst = f.institution(db)
    f.project(db, "fam", institution_id=inst)
    raw = tmp_path / "wide.parquet"
    write_register("wide", raw, persons=1_500_000, years=f.YEARS, seed=3)
    variables = WIDE + [
        f.VariableSpec(f"v{i:02d}", "float" if i % 3 == 1 else "int") for i in range(1, 19)
    ]
    f.register_file(db, store, raw, "wide", variables)
    gid = f.grant(db, "fam", "wide", [v.name for v in variables])

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), *sys.path])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(store.root), str(gid)], env=env
    )
    staging = store.vault / "staging"
    deadline = time.monotonic() + 60
    while not list(staging.glob("materialise+fam+wide.*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the run finished before it was killed"

    assert not store.dataset_dir("fam", "wide").exists(), "a partial dataset is visible"
    done = materialise_grant(db, store, f.STEWARD, gid)
    assert done.written and done.rows == 1_500_000
    assert (
        pq.read_metadata(store.dataset_dir("fam", "wide") / "part-0.parquet").num_rows == done.rows
    )
    assert not list(staging.glob("materialise+fam+wide.*"))
