"""Registering datasets: checked against the declaration, nothing written on refusal."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from labgate.datastore.layout import DataStore
from labgate.datastore.registry import register_dataset
from labgate.datastore.vaultfiles import read_manifest
from labgate.db import Database
from labgate.errors import InvalidInput
from labgate.model import Dataset
from labgate.services.datasets import VariableSpec
from tests.datastore import factories as f

JOBS = [
    VariableSpec("pnr", "string", is_identifier=True),
    VariableSpec("cvr", "string", is_identifier=True),
    VariableSpec("year", "int", is_year=True),
    VariableSpec("hours", "float"),
]


def test_a_register_lands_in_the_vault_with_the_years_found_in_it(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    raw = tmp_path / "jobs.csv"
    raw.write_text(
        "pnr,cvr,year,hours\n0101801234,12345678,2019,37.5\n0202802345,12345678,2021,20\n"
    )
    ds = register_dataset(
        db, store, f.STEWARD, code="jobs", path=raw, variables=JOBS,
        identifier_kinds={"cvr": "business"},
    )  # fmt: skip
    assert [y.year for y in ds.years] == [2019, 2021]
    copy = pq.read_table(store.register_dir("jobs") / "part-0.parquet")
    assert copy.column("pnr").to_pylist() == ["0101801234", "0202802345"]  # zeros kept
    assert copy.schema.field("hours").type == pa.float64()
    assert read_manifest(store, "jobs").identifier_kinds == {"pnr": "person", "cvr": "business"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("pnr,cvr,year,hours\n0101801234,1,2019,many\n", "wrong-column-type"),
        ("pnr,cvr,year\n0101801234,1,2019\n", "missing-column"),
        ("pnr,cvr,year,hours,name\n0101801234,1,2019,1,Ann\n", "undeclared-column"),
        ("pnr,cvr,year,hours\n,1,2019,1\n", "empty-identifier"),
    ],
)
def test_a_file_that_does_not_match_its_declaration_is_refused_and_nothing_is_written(
    db: Database, store: DataStore, tmp_path: Path, content: str, reason: str
) -> None:
    raw = tmp_path / "jobs.csv"
    raw.write_text(content)
    with pytest.raises(InvalidInput) as refused:
        register_dataset(db, store, f.STEWARD, code="jobs", path=raw, variables=JOBS)
    assert refused.value.reason == reason
    assert not store.register_dir("jobs").exists()
    assert not list((store.vault / "staging").glob("register+*"))
    with db.read_session() as s:
        assert s.scalar(select(Dataset)) is None


def test_a_parquet_column_of_the_wrong_type_is_named_in_the_refusal(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    raw = tmp_path / "jobs.parquet"
    pq.write_table(pa.table({"pnr": ["1"], "cvr": ["2"], "year": [2020], "hours": ["x"]}), raw)
    with pytest.raises(InvalidInput) as refused:
        register_dataset(db, store, f.STEWARD, code="jobs", path=raw, variables=JOBS)
    assert refused.value.reason == "wrong-column-type"
    assert "'hours'" in refused.value.message and "float" in refused.value.message
