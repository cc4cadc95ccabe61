"""The example notebooks run top to bottom on a real materialised project, and what they
print or save holds no real identifier."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import nbformat
import pyarrow.parquet as pq
import pytest
from nbclient import NotebookClient

from tests.datastore.scan import assert_no_raw_identifier, raw_identifiers
from tests.examples.conftest import PERSONS, ProjectArea

NOTEBOOKS = Path(__file__).resolve().parents[2] / "examples" / "notebooks"
NAMES = ("01-explore-your-data.ipynb", "02-save-results-to-work.ipynb")
CELL_TIMEOUT_SECONDS = 120


def _outputs(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook showed, as one text: streams, results, errors."""
    return json.dumps([cell.get("outputs", []) for cell in nb.cells])


def _printed(nb: nbformat.NotebookNode) -> str:
    return "".join(
        out["text"] for cell in nb.cells for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    )  # fmt: skip


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


@pytest.fixture(scope="module")
def executed(
    project_area: ProjectArea, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, nbformat.NotebookNode]:
    """Each notebook run once, in order, as a researcher would: /data and /work pointed at
    the project's folders. Errors are kept in the outputs, so a test can list them all."""
    cwd = tmp_path_factory.mktemp("kernel-cwd")
    done: dict[str, nbformat.NotebookNode] = {}
    with pytest.MonkeyPatch.context() as env:  # the kernel inherits this environment
        env.setenv("LABGATE_DATA_DIR", str(project_area.data_dir))
        env.setenv("LABGATE_WORK_DIR", str(project_area.work_dir))
        for name in NAMES:
            nb = nbformat.read(NOTEBOOKS / name, as_version=4)
            NotebookClient(
                nb, kernel_name="python3", timeout=CELL_TIMEOUT_SECONDS, allow_errors=True,
                resources={"metadata": {"path": str(cwd)}},
            ).execute()  # fmt: skip
            done[name] = nb
    return done


def test_the_example_notebooks_are_committed_without_outputs() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == list(NAMES)
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name


@pytest.mark.parametrize("name", NAMES)
def test_each_example_notebook_runs_top_to_bottom_on_a_materialised_project(
    executed: dict[str, nbformat.NotebookNode], name: str
) -> None:
    assert _errors(executed[name]) == []


def test_the_exploring_notebook_lists_every_granted_dataset_and_joins_two(
    executed: dict[str, nbformat.NotebookNode], project_area: ProjectArea
) -> None:
    text = _outputs(executed[NAMES[0]])
    assert "2 dataset(s)" in text
    for dataset in project_area.datasets:
        assert dataset in text
    assert "protection marker" in text  # bef's `protected` came along without being granted
    assert "Joining bef (l) and ind (r) on pnr and year" in text


def test_counts_below_the_example_threshold_are_printed_as_suppressed(
    executed: dict[str, nbformat.NotebookNode], project_area: ProjectArea
) -> None:
    bef = pq.read_table(project_area.data_dir / "bef" / "part-0.parquet").to_pydict()
    marked = Counter(y for y, p in zip(bef["year"], bef["protected"], strict=True) if p)
    assert marked and all(0 < n < 5 for n in marked.values())  # small, as the world intends
    printed = _printed(executed[NAMES[0]])
    for year, n in marked.items():
        assert re.search(rf"^{year}\s+<5$", printed, re.MULTILINE)
        assert not re.search(rf"^{year}\s+{n}$", printed, re.MULTILINE)
    # The joined table's cells are large enough to be shown.
    assert re.search(r"^2021\s+1\s+\d{2,}\s+[\d,]+$", printed, re.MULTILINE)


def test_the_saving_notebook_writes_a_suppressed_table_to_work(
    executed: dict[str, nbformat.NotebookNode], project_area: ProjectArea
) -> None:
    written = project_area.work_dir / "results" / "persons-per-year-bef.csv"
    lines = written.read_text().splitlines()
    assert lines[0] == "year,persons,suppressed"
    assert [line.split(",")[0] for line in lines[1:]] == ["2019", "2020", "2021"]
    assert str(written) in _outputs(executed[NAMES[1]])


@pytest.mark.requirement("DATA-1")
def test_no_raw_identifier_reaches_a_notebook_output_or_a_file_it_saves(
    executed: dict[str, nbformat.NotebookNode], project_area: ProjectArea
) -> None:
    store = project_area.store
    raw_ids: set[str] = set()
    for dataset in project_area.datasets:
        for part in sorted(store.register_dir(dataset).glob("part-*.parquet")):
            raw_ids |= raw_identifiers(part)
    assert len(raw_ids) >= PERSONS
    for name, nb in executed.items():
        text = _outputs(nb)
        assert name != NAMES[0] or "pnr" in text  # sample rows were printed, pseudonyms and all
        leaked = sorted(i for i in raw_ids if i in text)
        assert not leaked, f"{name} shows raw identifiers {leaked[:3]}"
    # /work now holds what the notebooks saved: nothing under the project may hold one.
    assert (project_area.work_dir / "results").is_dir()
    assert assert_no_raw_identifier(store, raw_ids) >= 5
