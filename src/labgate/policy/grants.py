"""What data a project may hold: variables, years, parents and justifications
(DATA-4, DATA-5, PROJ-5, PROJ-8, INST-3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from labgate.policy.decision import Decision, allow, deny, first_denial
from labgate.policy.facts import (
    DatasetFacts,
    GrantFacts,
    GrantRequest,
    InstitutionFacts,
    ProjectFacts,
)
from labgate.policy.identity import may_receive_dataset
from labgate.policy.projects import grants_frozen
from labgate.vocabulary import Scheme

#: DATA-5: the written justification for a particularly identifying variable.
MIN_JUSTIFICATION_CHARS = 20

Holding = tuple[frozenset[int], frozenset[int]]


def effective_grants(grants: Iterable[GrantFacts]) -> tuple[GrantFacts, ...]:
    """The grants in force: not withdrawn."""
    return tuple(g for g in grants if g.withdrawn_at is None)


def holdings(grants: Iterable[GrantFacts]) -> dict[int, Holding]:
    """Per dataset id: the union of variable ids and of years the effective grants give."""
    held: dict[int, tuple[set[int], set[int]]] = {}
    for g in effective_grants(grants):
        variables, years = held.setdefault(g.dataset_id, (set(), set()))
        variables |= g.variable_ids
        years |= g.years
    return {k: (frozenset(v), frozenset(y)) for k, (v, y) in held.items()}


def _names(dataset: DatasetFacts, ids: Iterable[int]) -> str:
    by_id = {v.id: v.name for v in dataset.variables}
    return ", ".join(sorted(by_id.get(i, str(i)) for i in ids))


def _shape(req: GrantRequest, dataset: DatasetFacts) -> Decision:
    """DATA-4: real variables and years of this dataset, and something besides identifiers."""
    known = {v.id: v for v in dataset.variables}
    if not req.variable_ids or not req.years:
        return deny(
            "empty-grant",
            "A grant must name at least one variable and at least one year. Add the "
            "variables and years the project needs.",
        )
    if req.variable_ids - known.keys():
        return deny(
            "unknown-variable",
            f"Some of the requested variables do not belong to the dataset {dataset.code}. "
            "Choose variables from the dataset's own list.",
        )
    if missing := req.years - dataset.years:
        listed = ", ".join(str(y) for y in sorted(missing))
        return deny(
            "unknown-year",
            f"The dataset {dataset.code} has no data for {listed}. It covers "
            f"{', '.join(str(y) for y in sorted(dataset.years))}.",
        )
    if all(known[i].is_identifier for i in req.variable_ids):
        return deny(
            "identifiers-only",
            "A grant of identifiers alone gives no data. Name the variables the project needs.",
        )
    return allow()


def _justified(req: GrantRequest, dataset: DatasetFacts) -> Decision:
    """DATA-5: particularly identifying variables need a written justification."""
    identifying = [v for v in dataset.variables if v.id in req.variable_ids and v.is_identifying]
    text = (req.justification or "").strip()
    if identifying and len("".join(text.split())) < MIN_JUSTIFICATION_CHARS:
        names = _names(dataset, (v.id for v in identifying))
        return deny(
            "justification-required",
            f"Particularly identifying variables ({names}) can be granted only with a "
            f"written justification. Write at least {MIN_JUSTIFICATION_CHARS} characters on "
            "why the project needs them.",
        )
    return allow()


def _within_parent(
    req: GrantRequest, dataset: DatasetFacts, parent_grants: Sequence[GrantFacts] | None
) -> Decision:
    """PROJ-5: a sub-project gets nothing its project database does not hold."""
    variables, years = holdings(parent_grants or ()).get(req.dataset_id, (frozenset(), frozenset()))
    missing_vars = req.variable_ids - variables
    missing_years = req.years - years
    if not missing_vars and not missing_years:
        return allow()
    parts = []
    if missing_vars:
        parts.append(f"the variables {_names(dataset, missing_vars)}")
    if missing_years:
        parts.append(f"the years {', '.join(str(y) for y in sorted(missing_years))}")
    return deny(
        "beyond-parent",
        f"The project database does not hold {' or '.join(parts)} of {dataset.code}, so its "
        "sub-project cannot be granted them. Grant them to the project database first.",
    )


def validate_grant(
    req: GrantRequest,
    project: ProjectFacts,
    dataset: DatasetFacts,
    owner: InstitutionFacts,
    parent_grants: Sequence[GrantFacts] | None,
    now: dt.datetime,
    home_country: str,
) -> Decision:
    if project.deleted_at is not None or grants_frozen(project, now):
        return deny(
            "grants-frozen",
            f"The project {project.code} has reached the end of its access period, so its "
            "grants are frozen and no data can be added.",
        )
    checks = [_shape(req, dataset), _justified(req, dataset)]
    if project.scheme == Scheme.SUB_PROJECT.value:
        checks.append(_within_parent(req, dataset, parent_grants))
    if req.population_id is not None and project.scheme != Scheme.SUB_PROJECT.value:
        checks.append(
            deny(
                "population-outside-sub-project",
                "Only a grant to a sub-project can be limited to a population. Grant the "
                "project the whole dataset, or create a sub-project for the population.",
            )
        )
    checks.append(may_receive_dataset(owner, dataset, home_country))
    return first_denial(*checks)


def may_withdraw_grant(g: GrantFacts, project: ProjectFacts, now: dt.datetime) -> Decision:
    if g.withdrawn_at is not None:
        return deny(
            "already-withdrawn", "This grant has already been withdrawn; nothing more to do."
        )
    if grants_frozen(project, now):
        return deny(
            "grants-frozen",
            f"The project {project.code} has reached the end of its access period, so its "
            "grants are frozen and stay as they were until the data are deleted.",
        )
    return allow()
