"""A project's own data, keyed with the project's pseudonyms (DATA-6)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from labgate.datastore.ingress import import_own_data
from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.db import Database
from labgate.errors import InvalidInput
from labgate.model import Dataset
from labgate.services.datasets import VariableSpec
from tests.datastore import factories as f
from tests.datastore.scan import assert_no_raw_identifier

SURVEY = [
    VariableSpec("pnr", "string", is_identifier=True),
    VariableSpec("year", "int", is_year=True),
    VariableSpec("answer", "int"),
]


@pytest.mark.requirement("DATA-6")
def test_own_data_get_the_same_pseudonyms_as_the_registers(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    inst = f.institution(db)
    f.project(db, "fam", institution_id=inst)
    raw = f.register(db, store, tmp_path, "population", "bef")
    materialise_grant(db, store, f.STEWARD, f.grant(db, "fam", "bef", ["pnr", "year", "kom"]))
    bef = pq.read_table(raw).to_pydict()
    people = list(dict.fromkeys(bef["pnr"]))[:5]
    survey = tmp_path / "upload" / "survey.csv"
    survey.parent.mkdir()
    survey.write_text(
        "pnr,year,answer\n" + "".join(f"{p},2020,{i}\n" for i, p in enumerate(people))
    )

    done = import_own_data(
        db, store, f.STEWARD, project_code="fam", code="fam-survey", path=survey, variables=SURVEY
    )
    assert done.rows == 5
    mine = pq.read_table(store.dataset_dir("fam", "fam-survey")).to_pydict()
    key = pq.read_table(store.key_file("fam", "person")).to_pydict()
    of = dict(zip(key["identifier"], key["pseudonym"], strict=True))
    assert mine["pnr"] == [of[p] for p in people] or sorted(mine["pnr"]) == sorted(
        of[p] for p in people
    )
    assert set(mine["pnr"]) <= set(
        pq.read_table(store.dataset_dir("fam", "bef")).column("pnr").to_pylist()
    )
    assert_no_raw_identifier(store, bef["pnr"])
    with db.read_session() as s:
        ds = s.scalar(select(Dataset).where(Dataset.code == "fam-survey"))
        assert ds is not None and ds.owner_project_id is not None and ds.source == "own"


@pytest.mark.requirement("DATA-6")
def test_a_file_inside_the_data_store_is_refused(db: Database, store: DataStore) -> None:
    inst = f.institution(db)
    f.project(db, "fam", institution_id=inst)
    inside = store.ensure_project("fam") / "work" / "survey.csv"
    inside.write_text("pnr,year,answer\n0101801234,2020,1\n")
    with pytest.raises(InvalidInput) as refused:
        import_own_data(
            db, store, f.STEWARD, project_code="fam", code="s", path=inside, variables=SURVEY
        )
    assert refused.value.reason == "import-from-data-store"
