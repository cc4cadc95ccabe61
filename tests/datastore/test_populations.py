"""Populations of a project database and sub-project extracts (PROJ-5, DATA-2)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.datastore.populations import create_population
from labgate.db import Database
from labgate.errors import InvalidInput
from tests.datastore import factories as f
from tests.datastore.scan import assert_no_raw_identifier, raw_identifiers


def _key(store: DataStore, project: str) -> dict[str, int]:
    t = pq.read_table(store.key_file(project, "person")).to_pydict()
    return dict(zip(t["identifier"], t["pseudonym"], strict=True))


@pytest.mark.requirement("PROJ-5")
@pytest.mark.requirement("DATA-2")
def test_a_sub_project_gets_the_population_with_its_own_pseudonyms(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    inst = f.institution(db)
    f.project(db, "pdb", institution_id=inst, scheme="project_database")
    f.project(db, "sub1", institution_id=inst, scheme="sub_project", parent="pdb")
    raw = f.register(db, store, tmp_path, "population", "bef")
    f.register(db, store, tmp_path, "income", "ind")
    materialise_grant(db, store, f.STEWARD, f.grant(db, "pdb", "bef", ["pnr", "year", "kom"]))
    materialise_grant(db, store, f.STEWARD, f.grant(db, "pdb", "ind", ["pnr", "year", "wage"]))

    pop = create_population(
        db, store, f.STEWARD, project_code="pdb", name="copenhagen", dataset_code="bef",
        conditions=["kom in 101,147", "year >= 2020"],
    )  # fmt: skip
    members = set(pq.read_table(store.population_file("pdb", "copenhagen")).column(0).to_pylist())
    assert pop.size == len(members) > 0
    assert "kom in 101,147" in pop.definition

    gid = f.grant(db, "sub1", "ind", ["pnr", "year", "wage"], population_id=pop.id)
    done = materialise_grant(db, store, f.STEWARD, gid)

    main_key, sub_key = _key(store, "pdb"), _key(store, "sub1")
    main_of_raw = main_key
    raw_of_sub = {v: k for k, v in sub_key.items()}
    sub_rows = pq.read_table(store.dataset_dir("sub1", "ind")).to_pydict()
    assert done.rows == len(sub_rows["pnr"]) > 0
    # Every row belongs to a population member (through the raw number, inside the vault) ...
    assert {main_of_raw[raw_of_sub[p]] for p in sub_rows["pnr"]} == members
    # ... and the sub-project's numbers are its own: 1..N, not the main project's.
    assert set(sub_rows["pnr"]) == set(range(1, len(members) + 1))
    assert any(main_key[r] != s for r, s in sub_key.items())
    assert_no_raw_identifier(store, raw_identifiers(raw))


def test_conditions_are_values_never_sql(db: Database, store: DataStore, tmp_path: Path) -> None:
    inst = f.institution(db)
    f.project(db, "pdb", institution_id=inst, scheme="project_database")
    f.register(db, store, tmp_path, "population", "bef")
    materialise_grant(db, store, f.STEWARD, f.grant(db, "pdb", "bef", ["pnr", "year", "kom"]))
    for bad, reason in (
        ("kom = 101 OR 1=1", "invalid-condition-value"),
        ("read_parquet('x') = 1", "invalid-condition"),
        ("postcode = 8000", "unknown-column"),
    ):
        with pytest.raises(InvalidInput) as refused:
            create_population(
                db, store, f.STEWARD, project_code="pdb", name="x", dataset_code="bef",
                conditions=[bad],
            )  # fmt: skip
        assert refused.value.reason == reason
    with pytest.raises(InvalidInput) as refused:
        create_population(db, store, f.STEWARD, project_code="pdb", name="y", pseudonyms=[10**9])
    assert refused.value.reason == "unknown-pseudonym"
    listed = create_population(
        db, store, f.STEWARD, project_code="pdb", name="z", pseudonyms=[1, 2]
    )
    assert listed.size == 2
