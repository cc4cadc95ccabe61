"""Per-project random running numbers (DATA-1, DATA-2), as properties."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labgate.datastore.engine import connect
from labgate.datastore.keys import ensure_keys
from labgate.datastore.layout import DataStore

IDS = st.sets(st.from_regex(r"\A[0-9]{10}\Z"), min_size=1, max_size=40)


def _key(store: DataStore, project: str) -> dict[str, int]:
    t = pq.read_table(store.key_file(project, "person")).to_pydict()
    return dict(zip(t["identifier"], t["pseudonym"], strict=True))


def _give(store: DataStore, project: str, ids: set[str]) -> None:
    con = connect(store, memory_limit="64MB", threads=1)
    con.register("batch", pa.table({"identifier": sorted(ids)}))
    ensure_keys(con, store, project, "person", "SELECT identifier FROM batch")
    con.close()


@pytest.mark.requirement("DATA-2")
@settings(max_examples=40, deadline=None)
@given(first=IDS, second=IDS)
def test_a_person_keeps_one_pseudonym_and_numbers_run_from_one(
    first: set[str], second: set[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = DataStore(Path(tmp))
        _give(store, "p", first)
        before = _key(store, "p")
        _give(store, "p", second)  # a second dataset of the same project
        after = _key(store, "p")
        assert {k: after[k] for k in before} == before
        assert set(after) == first | second
        assert sorted(after.values()) == list(range(1, len(after) + 1))


@pytest.mark.requirement("DATA-1")
@pytest.mark.requirement("DATA-2")
@settings(max_examples=20, deadline=None)
@given(ids=st.sets(st.from_regex(r"\A[0-9]{10}\Z"), min_size=25, max_size=60))
def test_two_projects_number_the_same_people_independently(ids: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = DataStore(Path(tmp))
        _give(store, "a", ids)
        _give(store, "b", ids)
        a, b = _key(store, "a"), _key(store, "b")
        # With 25+ people, equal or sorted assignments happen by chance with p < 1/25!.
        assert a != b
        ordered = [a[i] for i in sorted(ids)]
        assert ordered != sorted(ordered)
