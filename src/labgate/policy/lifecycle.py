"""A project's terms and where it stands in its life (PROJ-2, PROJ-3, PROJ-8).

States follow the calendar: access runs [starts_on, access_ends_on) unless the project is
expired earlier; from the deletion deadline on, its data are due for deletion.
"""

from __future__ import annotations

import datetime as dt
import enum

from labgate.policy.calendar import add_years
from labgate.policy.facts import ProjectFacts
from labgate.vocabulary import Scheme

#: The authority scheme runs one year at a time (PROJ-2).
AUTHORITY_TERM_YEARS = 1
#: A project database ends two years after creation unless extended (PROJ-3).
PROJECT_DATABASE_TERM_YEARS = 2
#: The same terms under the names the enforcement points were promised.
AUTHORITY_TERM = AUTHORITY_TERM_YEARS
PROJECT_DATABASE_TERM = PROJECT_DATABASE_TERM_YEARS


class ProjectState(enum.StrEnum):
    NOT_STARTED = "not_started"
    ACTIVE = "active"
    ACCESS_ENDED = "access_ended"
    DUE_FOR_DELETION = "due_for_deletion"
    DELETED = "deleted"


def default_access_end(scheme: str, starts_on: dt.date) -> dt.date | None:
    """The standard end of access for a scheme, or None where the project must state one."""
    if scheme == Scheme.AUTHORITY.value:
        return add_years(starts_on, AUTHORITY_TERM_YEARS)
    if scheme == Scheme.PROJECT_DATABASE.value:
        return add_years(starts_on, PROJECT_DATABASE_TERM_YEARS)
    return None


def access_ended(p: ProjectFacts, now: dt.datetime) -> bool:
    return now.date() >= p.access_ends_on or (p.expired_at is not None and p.expired_at <= now)


def project_state(p: ProjectFacts, now: dt.datetime) -> ProjectState:
    """PROJ-8's decision part: where a project stands in its life."""
    if p.deleted_at is not None:
        return ProjectState.DELETED
    if now.date() >= p.deletion_deadline:
        return ProjectState.DUE_FOR_DELETION
    if access_ended(p, now):
        return ProjectState.ACCESS_ENDED
    if now.date() < p.starts_on:
        return ProjectState.NOT_STARTED
    return ProjectState.ACTIVE


def grants_frozen(p: ProjectFacts, now: dt.datetime) -> bool:
    """PROJ-8: once access has ended, a project's grants can no longer change."""
    return project_state(p, now) not in (ProjectState.ACTIVE, ProjectState.NOT_STARTED)
