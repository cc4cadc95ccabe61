"""`make demo` puts the example notebooks where a researcher finds them: /work/examples."""

from __future__ import annotations

import stat
from pathlib import Path

from labgate.demo.run import prepare

NOTEBOOKS = Path(__file__).resolve().parents[2] / "examples" / "notebooks"
DEMO_PROJECTS = ["diabetes", "health-pdb", "heart", "labour-pdb", "mobility", "reform"]


def test_the_demo_world_has_the_example_notebooks_in_every_projects_work_area(
    tmp_path: Path,
) -> None:
    _, store = prepare(tmp_path / "demo", persons=50, examples=NOTEBOOKS)

    sources = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert len(sources) >= 2
    assert sorted(p.name for p in store.projects.iterdir()) == DEMO_PROJECTS
    for project in DEMO_PROJECTS:
        examples = store.work_dir(project) / "examples"
        assert sorted(p.name for p in examples.iterdir()) == [s.name for s in sources]
        for source in sources:
            copy = examples / source.name
            assert copy.read_bytes() == source.read_bytes()
            assert stat.S_IMODE(copy.stat().st_mode) == 0o444  # /work is shared: no edits
