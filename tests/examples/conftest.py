"""A materialised project built the way the data-store tests build theirs: labgate's own
synthetic registers, registered in the vault and materialised under the project's pseudonyms."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.db import Database
from tests.datastore import factories as f

PROJECT = "fam"
#: Few enough persons that the protected persons of a year (2 % of them) fall below the
#: notebooks' example threshold of 5, so their suppression is exercised too.
PERSONS = 100
#: What the project is granted; the population register's protection marker comes along.
GRANTS = {
    "bef": ("population", ["pnr", "year", "sex", "kom"]),
    "ind": ("income", ["pnr", "year", "wage", "disposable"]),
}


@dataclass(frozen=True)
class ProjectArea:
    store: DataStore
    project: str
    datasets: tuple[str, ...]

    @property
    def data_dir(self) -> Path:
        return self.store.data_dir(self.project)

    @property
    def work_dir(self) -> Path:
        return self.store.work_dir(self.project)


@pytest.fixture(scope="module")
def project_area(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> ProjectArea:
    """One project with two granted, materialised datasets (built once per module: the
    notebooks only read it, and write to its /work)."""
    root = tmp_path_factory.mktemp("examples")
    shutil.copyfile(sqlite_template, root / "labgate.sqlite")
    db = Database(f"sqlite:///{root / 'labgate.sqlite'}")
    store = DataStore(root / "store")
    try:
        f.project(db, PROJECT, institution_id=f.institution(db))
        for dataset, (kind, variables) in GRANTS.items():
            f.register(db, store, root, kind, dataset, persons=PERSONS)
            materialise_grant(db, store, f.STEWARD, f.grant(db, PROJECT, dataset, variables))
    finally:
        db.dispose()
    return ProjectArea(store, PROJECT, tuple(GRANTS))
