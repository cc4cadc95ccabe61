"""The example notebooks in every demo project's work area, so that a researcher finds them
at /work/examples in the workspace.

They come from `examples/notebooks/` in the source tree, which the demo runs from. The
copies are read-only: /work is shared by all members of a project, so one member's edits
would otherwise change the example for everyone. A researcher saves a changed copy
elsewhere in /work.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from labgate.datastore.layout import READ_ONLY_FILE_MODE, DataStore

#: The folder under a project's work area (/work in the workspace) that holds the copies.
EXAMPLES_DIR = "examples"


def place_examples(store: DataStore, projects: Iterable[str], source: Path) -> list[Path]:
    """Copy every notebook in `source` into each project's `work/examples/`; return the copies."""
    notebooks = sorted(Path(source).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no example notebooks (*.ipynb) in {source}")
    placed: list[Path] = []
    for project in projects:
        store.ensure_project(project)
        target = store.work_dir(project) / EXAMPLES_DIR
        target.mkdir(exist_ok=True)
        for notebook in notebooks:
            copy = target / notebook.name
            copy.unlink(missing_ok=True)  # a rerun replaces a read-only copy
            shutil.copyfile(notebook, copy)
            os.chmod(copy, READ_ONLY_FILE_MODE)
            placed.append(copy)
    return placed
