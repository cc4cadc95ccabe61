"""Deleting a project's data with a confirmation of content hashes (PROJ-8, PROJ-9)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from labgate import clock
from labgate.datastore import deletion
from labgate.datastore.deletion import confirmation_json, delete_project_data
from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.datastore.populations import create_population
from labgate.db import Database
from labgate.errors import Conflict
from labgate.model import DeletionConfirmation, Project
from tests.datastore import factories as f


def _project_with_data(db: Database, store: DataStore, tmp_path: Path) -> dict[str, str]:
    """Return root-relative path -> SHA-256 of every file the deletion must cover."""
    inst = f.institution(db)
    f.project(db, "fam", institution_id=inst)
    f.register(db, store, tmp_path, "population", "bef")
    materialise_grant(db, store, f.STEWARD, f.grant(db, "fam", "bef", ["pnr", "year", "kom"]))
    create_population(db, store, f.STEWARD, project_code="fam", name="all", dataset_code="bef")
    (store.work_dir("fam") / "analysis.py").write_text("print('hello')\n")
    with db.session() as s:
        project = s.scalar(select(Project).where(Project.code == "fam"))
        assert project is not None
        project.expired_at = clock.now()
    roots = [store.project_dir("fam"), store.key_dir("fam"), store.population_dir("fam")]
    return {
        p.relative_to(store.root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for root in roots
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.mark.requirement("PROJ-8")
@pytest.mark.requirement("PROJ-9")
def test_deletion_removes_everything_and_the_confirmation_hashes_match_the_files(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    before = _project_with_data(db, store, tmp_path)
    done = delete_project_data(db, store, f.STEWARD, project_code="fam", case_reference="J.nr. 7")

    listed = {e["path"]: e["sha256"] for e in json.loads(done.manifest)}
    assert listed == before
    assert "vault/keys/fam/person.parquet" in listed
    assert "projects/fam/work/analysis.py" in listed
    assert done.file_count == len(before) and done.total_bytes > 0
    assert not store.project_dir("fam").exists() and not store.key_dir("fam").exists()
    assert not store.population_dir("fam").exists() and not store.trash_dir("fam").exists()
    assert store.register_dir("bef").exists()  # a register is not the project's to delete
    printed = json.loads(confirmation_json(done, "fam"))
    assert printed["case_reference"] == "J.nr. 7" and printed["deleted_by"] == "steward"
    with db.read_session() as s:
        project = s.scalar(select(Project).where(Project.code == "fam"))
        assert project is not None and project.deleted_at is not None


@pytest.mark.requirement("PROJ-9")
def test_a_rerun_after_a_crash_keeps_every_file_in_the_confirmation(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    before = _project_with_data(db, store, tmp_path)
    # The first run was killed after moving the project area but before the key tables.
    store.key_dir("fam").rename(tmp_path / "keys-held-back")
    deletion._move_to_trash(store, store.trash_dir("fam"), "fam", [])
    (tmp_path / "keys-held-back").rename(store.key_dir("fam"))
    assert not store.project_dir("fam").exists() and store.key_dir("fam").exists()
    done = delete_project_data(db, store, f.STEWARD, project_code="fam", case_reference="")
    assert {e["path"] for e in json.loads(done.manifest)} == set(before)
    again = delete_project_data(db, store, f.STEWARD, project_code="fam", case_reference="")
    assert again.id == done.id
    with db.read_session() as s:
        assert len(list(s.scalars(select(DeletionConfirmation)))) == 1


def test_an_active_project_cannot_lose_its_data(
    db: Database, store: DataStore, tmp_path: Path
) -> None:
    inst = f.institution(db)
    f.project(db, "live", institution_id=inst)
    store.ensure_project("live")
    with pytest.raises(Conflict) as refused:
        delete_project_data(db, store, f.STEWARD, project_code="live", case_reference="x")
    assert refused.value.reason == "project-still-active"
    assert store.project_dir("live").exists()
