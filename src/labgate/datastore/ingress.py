"""Bring a project's own data in (DATA-6): keyed with the project's pseudonyms like any
register.

The file with real identifiers is copied into the vault as a dataset owned by the project
(`Dataset.owner_project_id`), granted to that project through the ordinary grant service
(so policy sees it like any grant), and materialised; the project area only ever receives
the pseudonymised copy. A file that is already inside the data store is refused: if it
sits in a project area, real identifiers have been exposed there and that needs a person
to look at it, not a silent import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from labgate.audit.log import Actor
from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import Materialised, materialise_grant
from labgate.datastore.registry import register_dataset
from labgate.db import Database
from labgate.errors import InvalidInput
from labgate.services import lookup
from labgate.services.datasets import VariableSpec
from labgate.services.grants import create_grant

OWN_DATA_SOURCE = "own"
OWN_DATA_JUSTIFICATION = "The project's own data, brought in through labgate (DATA-6)."


def import_own_data(
    db: Database,
    store: DataStore,
    actor: Actor,
    *,
    project_code: str,
    code: str,
    path: Path,
    variables: Sequence[VariableSpec],
    unit: str = "person",
    title: str = "",
    identifier_kinds: Mapping[str, str] | None = None,
    years: Sequence[int] = (),
    seed: int | None = None,
) -> Materialised:
    """Import `path` as dataset `code` of project `project_code` and materialise it there."""
    source = Path(path).absolute()
    if source.is_relative_to(store.root):
        raise InvalidInput(
            "The file to import lies inside the data store. Import files from outside it "
            "(for example an upload directory); a file with real identifiers must never be "
            "placed in a project area.",
            reason="import-from-data-store",
        )
    with db.read_session() as session:
        project = lookup.project(session, project_code)
        project_id = project.id
    dataset = register_dataset(
        db, store, actor, code=code, path=source, variables=variables, unit=unit,
        title=title or f"Own data of {project_code}", source=OWN_DATA_SOURCE,
        identifier_kinds=identifier_kinds, years=years, owner_project_id=project_id,
        audit_type="data.import",
    )  # fmt: skip
    with db.session() as session:
        grant = create_grant(
            session, actor, project_code=project_code, dataset_code=code,
            variables=[v.name for v in variables], years=[y.year for y in dataset.years],
            justification=OWN_DATA_JUSTIFICATION,
        )  # fmt: skip
        grant_id = grant.id
    return materialise_grant(db, store, actor, grant_id, seed=seed)
