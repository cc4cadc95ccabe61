"""Path names are validated; synthetic registers are realistic and deterministic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from labgate.datastore.layout import DataStore
from labgate.datastore.synthetic import cohort, write_register
from labgate.errors import InvalidInput


@pytest.mark.parametrize("name", ["..", "a/b", "../x", "Fam", "", "x" * 41, "a b", "a\x00"])
def test_names_that_could_escape_their_directory_are_refused(tmp_path: Path, name: str) -> None:
    store = DataStore(tmp_path)
    for build in (store.project_dir, store.key_dir, store.register_dir):
        with pytest.raises(InvalidInput) as refused:
            build(name)
        assert refused.value.reason == "invalid-code"
    with pytest.raises(InvalidInput):
        store.population_file("fam", name)


def test_person_numbers_are_distinct_with_real_dates_and_sex_in_the_last_digit() -> None:
    people = cohort(50_000, seed=5)
    numbers = people.pnr.to_pylist()
    assert len(set(numbers)) == len(numbers) and all(len(n) == 10 for n in numbers)
    for number, birth, sex in list(
        zip(numbers, people.birth.tolist(), people.sex.tolist(), strict=True)
    )[:2000]:
        assert dt.datetime.strptime(number[:6], "%d%m%y").date().replace(year=birth.year) == birth
        assert sex == (1 if int(number[-1]) % 2 else 2)


def test_the_same_seed_gives_the_same_register(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_register(
            "income", tmp_path / f"{name}.parquet", persons=500, years=[2020, 2021], seed=9
        )
    write_register("income", tmp_path / "c.parquet", persons=500, years=[2020, 2021], seed=10)
    a, b, c = (pq.read_table(tmp_path / f"{n}.parquet") for n in "abc")
    assert a.equals(b) and not a.equals(c)
    wide = write_register(
        "wide", tmp_path / "w.parquet", persons=12_345, years=[2020, 2021], seed=1
    )
    assert wide == 12_345 == pq.read_metadata(tmp_path / "w.parquet").num_rows
    assert pq.read_schema(tmp_path / "w.parquet").names[:3] == ["pnr", "year", "v01"]
    assert len(pq.read_schema(tmp_path / "w.parquet")) == 20
