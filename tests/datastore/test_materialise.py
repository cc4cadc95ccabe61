"""Materialising grants: minimised, pseudonymised, markers kept, idempotent (DATA-1..4, 7, 8)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from labgate import clock
from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.db import Database
from labgate.errors import Conflict
from labgate.model import Grant
from tests.datastore import factories as f
from tests.datastore.scan import assert_no_raw_identifier, raw_identifiers


def _world(db: Database, store: DataStore, tmp_path: Path) -> dict[str, Path]:
    inst = f.institution(db)
    f.project(db, "fam", institution_id=inst)
    f.project(db, "other", institution_id=inst)
    return {
        "bef": f.register(db, store, tmp_path, "population", "bef"),
        "ind": f.register(db, store, tmp_path, "income", "ind"),
    }


def _read(store: DataStore, project: str, dataset: str) -> dict[str, list[object]]:
    return pq.read_table(store.dataset_dir(project, dataset) / "part-0.parquet").to_pydict()


@pytest.mark.requirement("DATA-4")
@pytest.mark.requirement("DATA-7")
def test_only_granted_variables_and_years_arrive_and_protection_markers_travel_along(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    raws = _world(db, store, tmp_path)
    gid = f.grant(db, "fam", "bef", ["pnr", "year", "kom"], years=[2020])
    done = materialise_grant(db, store, f.STEWARD, gid, seed=1)

    data = _read(store, "fam", "bef")
    assert list(data) == ["pnr", "year", "kom", "protected"]
    assert set(data["year"]) == {2020}
    expected = pq.read_table(raws["bef"]).filter(pc.equal(pc.field("year"), 2020)).num_rows
    assert done.rows == len(data["pnr"]) == expected
    assert any(data["protected"])
    info = json.loads((store.dataset_dir("fam", "bef") / "_grant.json").read_text())
    assert info["protection_markers"] == ["protected"] and info["pseudonymised"] == ["pnr"]
    assert info["year_column"] == "year" and info["years"] == [2020]


@pytest.mark.requirement("DATA-1")
@pytest.mark.requirement("DATA-3")
@pytest.mark.requirement("DATA-8")
def test_no_raw_identifier_or_key_table_anywhere_in_the_project_area(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    raws = _world(db, store, tmp_path)
    for ds in ("bef", "ind"):
        gid = f.grant(db, "fam", ds, ["pnr", "year"] + (["postcode"] if ds == "bef" else ["wage"]))
        materialise_grant(db, store, f.STEWARD, gid)

    scanned = assert_no_raw_identifier(
        store, raw_identifiers(raws["bef"]) | raw_identifiers(raws["ind"])
    )
    assert scanned >= 4
    assert not [p for p in store.projects.rglob("*") if "key" in p.name]
    assert store.key_file("fam", "person").is_file()
    assert stat.S_IMODE(store.vault.stat().st_mode) == 0o700
    data_file = store.dataset_dir("fam", "bef") / "part-0.parquet"
    assert stat.S_IMODE(data_file.stat().st_mode) == 0o444
    assert stat.S_IMODE(store.dataset_dir("fam", "bef").stat().st_mode) == 0o555


@pytest.mark.requirement("DATA-2")
def test_one_person_has_one_pseudonym_across_datasets_and_another_in_another_project(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    _world(db, store, tmp_path)
    for project in ("fam", "other"):
        for ds, var in (("bef", "kom"), ("ind", "wage")):
            materialise_grant(db, store, f.STEWARD, f.grant(db, project, ds, ["pnr", "year", var]))

    def by_person(project: str, ds: str, column: str) -> dict[tuple[object, object], object]:
        d = _read(store, project, ds)
        return {(p, y): v for p, y, v in zip(d["pnr"], d["year"], d[column], strict=True)}

    # Joined on the raw numbers inside the vault, and on the pseudonyms in the project: the
    # same pairs of values must come out, so every person kept one number across datasets.
    bef_raw = pq.read_table(store.register_dir("bef") / "part-0.parquet").to_pydict()
    ind_raw = pq.read_table(store.register_dir("ind") / "part-0.parquet").to_pydict()
    raw_kom = dict(
        zip(zip(bef_raw["pnr"], bef_raw["year"], strict=True), bef_raw["kom"], strict=True)
    )
    raw_wage = dict(
        zip(zip(ind_raw["pnr"], ind_raw["year"], strict=True), ind_raw["wage"], strict=True)
    )
    raw_join = {k: (raw_kom[k], raw_wage[k]) for k in raw_kom}
    for project in ("fam", "other"):
        kom = by_person(project, "bef", "kom")
        wage = by_person(project, "ind", "wage")
        assert kom.keys() == wage.keys()
        assert sorted((kom[k], wage[k]) for k in kom) == sorted(raw_join.values())
    fam = _read(store, "fam", "bef")["pnr"]
    other = _read(store, "other", "bef")["pnr"]
    assert all(isinstance(p, int) for p in fam)
    assert fam != other  # independent permutations
    n = len(set(fam))
    assert set(fam) == set(range(1, n + 1)) == set(other)  # running numbers 1..N


def test_a_rerun_is_a_no_op_and_a_withdrawn_grant_is_refused(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    _world(db, store, tmp_path)
    gid = f.grant(db, "fam", "bef", ["pnr", "year", "kom"])
    first = materialise_grant(db, store, f.STEWARD, gid)
    before = (store.dataset_dir("fam", "bef") / "part-0.parquet").read_bytes()
    again = materialise_grant(db, store, f.STEWARD, gid)
    assert first.written and not again.written and again.rows == first.rows
    assert (store.dataset_dir("fam", "bef") / "part-0.parquet").read_bytes() == before
    with db.session() as s:
        grant = s.get(Grant, gid)
        assert grant is not None and grant.materialised_at is not None
        grant.withdrawn_at = clock.now()
    with pytest.raises(Conflict) as refused:
        materialise_grant(db, store, f.STEWARD, gid)
    assert refused.value.reason == "grant-not-in-force"


def test_a_new_grant_for_the_same_dataset_replaces_the_old_extract(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    _world(db, store, tmp_path)
    materialise_grant(db, store, f.STEWARD, f.grant(db, "fam", "bef", ["pnr", "year", "kom"]))
    pnr_before = set(_read(store, "fam", "bef")["pnr"])
    materialise_grant(
        db, store, f.STEWARD, f.grant(db, "fam", "bef", ["pnr", "year", "sex"], [2021])
    )
    data = _read(store, "fam", "bef")
    assert list(data) == ["pnr", "year", "sex", "protected"] and set(data["year"]) == {2021}
    assert set(data["pnr"]) <= pnr_before  # the project's key was reused, not redrawn
    with db.read_session() as s:
        assert all(g.materialised_at for g in s.scalars(select(Grant)))
