"""Data minimisation and under-use reports of a project database (PROJ-6, PROJ-7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from labgate.policy.facts import GrantFacts, ProjectFacts
from labgate.policy.grants import effective_grants
from labgate.policy.projects import ProjectState, project_state

#: PROJ-6: a dataset used by fewer sub-projects than this is flagged.
DEFAULT_MIN_USES = 2
#: PROJ-7: a project database with fewer active sub-projects than this is under-used.
DEFAULT_MIN_ACTIVE_SUBPROJECTS = 5


@dataclass(frozen=True)
class MinimisationFlag:
    dataset_id: int
    used_by: int
    message: str


@dataclass(frozen=True)
class UnderUseReport:
    active_subprojects: int
    threshold: int
    under_used: bool
    message: str


def _count(n: int, one: str, many: str) -> str:
    words = {0: "no", 1: "one"}
    return f"{words.get(n, str(n))} {one if n == 1 else many}"


def _flag_message(used_by: int, min_uses: int) -> str:
    users = _count(used_by, "active sub-project uses", "active sub-projects use")
    return (
        f"{users[0].upper()}{users[1:]} this dataset, fewer than {min_uses}. The institution "
        "should order it for the sub-project directly instead of keeping it in the project "
        "database."
    )


def _active(p: ProjectFacts, now: dt.datetime) -> bool:
    return project_state(p, now) in (ProjectState.ACTIVE, ProjectState.NOT_STARTED)


def minimisation_report(
    pdb: ProjectFacts,
    subprojects: Sequence[ProjectFacts],
    grants: Sequence[GrantFacts],
    now: dt.datetime,
    min_uses: int = DEFAULT_MIN_USES,
) -> list[MinimisationFlag]:
    """Datasets the project database holds that too few active sub-projects use."""
    in_force = effective_grants(grants)
    active_ids = {p.id for p in subprojects if p.parent_id == pdb.id and _active(p, now)}
    held = sorted({g.dataset_id for g in in_force if g.project_id == pdb.id})
    flags = []
    for dataset_id in held:
        users = {g.project_id for g in in_force if g.dataset_id == dataset_id} & active_ids
        if len(users) < min_uses:
            flags.append(
                MinimisationFlag(
                    dataset_id=dataset_id,
                    used_by=len(users),
                    message=_flag_message(len(users), min_uses),
                )
            )
    return flags


def under_use_report(
    pdb: ProjectFacts,
    subprojects: Sequence[ProjectFacts],
    now: dt.datetime,
    min_active: int = DEFAULT_MIN_ACTIVE_SUBPROJECTS,
) -> UnderUseReport:
    active = sum(1 for p in subprojects if p.parent_id == pdb.id and _active(p, now))
    under = active < min_active
    counted = _count(active, "active sub-project", "active sub-projects")
    message = (
        f"The project database {pdb.code} has {counted}, fewer than {min_active}; it can be "
        "limited or closed."
        if under
        else f"The project database {pdb.code} has {counted}."
    )
    return UnderUseReport(active, min_active, under, message)
