"""Projects and their terms: what a project must state, how long it runs, who is in it
(PROJ-1..4, PROJ-8)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection

from labgate.policy.calendar import add_years
from labgate.policy.decision import Decision, allow, deny, first_denial
from labgate.policy.facts import InstitutionFacts, MembershipFacts, PersonFacts, ProjectFacts
from labgate.policy.identity import institution_authorised, institution_scheme_for
from labgate.vocabulary import MemberRole, Scheme

#: The authority scheme runs one year at a time (PROJ-2).
AUTHORITY_TERM_YEARS = 1
#: A project database ends two years after creation unless extended (PROJ-3).
PROJECT_DATABASE_TERM_YEARS = 2
#: PROJ-4: a project database has one to three managers.
MAX_MANAGERS = 3


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


def _frozen_denial(p: ProjectFacts) -> Decision:
    return deny(
        "project-ended",
        f"The project {p.code} has reached the end of its access period, so it can no "
        "longer be changed.",
    )


def _statement(p: ProjectFacts) -> Decision:
    """PROJ-1: purpose, legal basis, DPIA or reason, and periods in order."""
    schemes = [s.value for s in Scheme]
    if p.scheme not in schemes:
        return deny(
            "invalid-scheme", f"'{p.scheme}' is not a scheme. Use one of: {', '.join(schemes)}."
        )
    if not p.purpose.strip():
        return deny("missing-purpose", "State the project's purpose.")
    if not p.legal_basis_art6.strip():
        return deny(
            "missing-legal-basis",
            "State the project's legal basis under GDPR article 6, for example 6(1)(e).",
        )
    if bool(p.dpia_reference) == bool(p.dpia_not_needed_reason):
        return deny(
            "dpia",
            "Give either a DPIA reference or the reason no DPIA is needed, and not both.",
        )
    if not p.starts_on < p.access_ends_on:
        return deny(
            "inverted-period",
            "The end of access must come after the start. Check --starts and --access-ends.",
        )
    if p.deletion_deadline < p.access_ends_on:
        return deny(
            "deletion-before-end",
            "The deletion deadline cannot come before the end of access.",
        )
    return allow()


def _family(p: ProjectFacts, parent: ProjectFacts | None) -> Decision:
    """PROJ-3: a sub-project sits under a project database of the same institution."""
    if p.scheme != Scheme.SUB_PROJECT.value:
        if parent is not None:
            return deny("parent-not-allowed", "Only a sub-project has a parent project.")
        return allow()
    if parent is None or parent.scheme != Scheme.PROJECT_DATABASE.value:
        return deny(
            "needs-project-database",
            "A sub-project must belong to a project database: name it with --parent.",
        )
    if parent.owner_institution_id != p.owner_institution_id:
        return deny(
            "different-institution",
            "A sub-project must be owned by the institution that owns its project database.",
        )
    if p.access_ends_on > parent.access_ends_on:
        return deny(
            "beyond-parent",
            f"A sub-project's access cannot outlast its project database, which ends on "
            f"{parent.access_ends_on.isoformat()}.",
        )
    return allow()


def _term(p: ProjectFacts) -> Decision:
    if p.scheme == Scheme.AUTHORITY.value and p.access_ends_on > add_years(p.starts_on, 1):
        return deny(
            "term-too-long",
            "An authority project runs one year at a time; renew it when the year ends.",
        )
    limit = add_years(p.created_at.date(), PROJECT_DATABASE_TERM_YEARS)
    if p.scheme == Scheme.PROJECT_DATABASE.value and p.access_ends_on > limit:
        return deny(
            "term-too-long",
            f"A project database ends two years after creation ({limit.isoformat()}) "
            "unless it is extended by an explicit act.",
        )
    return allow()


def validate_project(
    p: ProjectFacts, parent: ProjectFacts | None, owner: InstitutionFacts, today: dt.date
) -> Decision:
    """PROJ-1..3 and INST-1 for a new project."""
    return first_denial(
        _statement(p),
        _family(p, parent),
        _term(p),
        institution_authorised(owner, institution_scheme_for(p.scheme), p.starts_on),
    )


def validate_renewal(
    p: ProjectFacts,
    new_access_end: dt.date,
    current_grant_ids: Collection[int],
    keep: Collection[int],
    remove: Collection[int],
    today: dt.date,
) -> Decision:
    """PROJ-2: renewal is for authority projects, one more year, each grant reviewed."""
    if p.scheme != Scheme.AUTHORITY.value:
        return deny("not-authority", "Only authority-scheme projects are renewed year by year.")
    if p.deleted_at is not None:
        return deny("deleted", f"The project {p.code} has been deleted.")
    if not new_access_end > p.access_ends_on:
        return deny("not-later", "The renewed term must end after the current one.")
    if new_access_end > add_years(max(p.access_ends_on, today), AUTHORITY_TERM_YEARS):
        return deny("term-too-long", "A renewal adds at most one year.")
    current, kept, removed = set(current_grant_ids), set(keep), set(remove)
    if kept & removed:
        return deny("kept-and-removed", "A grant cannot be both kept and removed.")
    if unknown := (kept | removed) - current:
        return deny(
            "unknown-grant",
            f"Grant {min(unknown)} is not a current grant of {p.code}.",
        )
    if missing := current - kept - removed:
        listed = ", ".join(str(i) for i in sorted(missing))
        return deny(
            "unreviewed-grant",
            f"Every current grant must be kept or removed at renewal; decide on grant {listed}.",
        )
    return allow()


def validate_extension(p: ProjectFacts, new_access_end: dt.date, today: dt.date) -> Decision:
    """PROJ-3: a project database is extended explicitly, by up to two years at a time."""
    if p.scheme != Scheme.PROJECT_DATABASE.value:
        return deny("not-project-database", "Only a project database is extended this way.")
    if p.deleted_at is not None:
        return deny("deleted", f"The project {p.code} has been deleted.")
    if not new_access_end > p.access_ends_on:
        return deny("not-later", "The extension must end after the current end of access.")
    if new_access_end > add_years(p.access_ends_on, PROJECT_DATABASE_TERM_YEARS):
        return deny(
            "term-too-long", "A project database is extended by at most two years at a time."
        )
    return allow()


def may_expire(p: ProjectFacts, now: dt.datetime) -> Decision:
    if p.deleted_at is not None or access_ended(p, now):
        return deny("already-ended", f"The project {p.code} has already ended.")
    return allow()


def _active_or_future(m: MembershipFacts, today: dt.date) -> bool:
    return m.ended_at is None and m.valid_until > today


def validate_membership(
    p: ProjectFacts,
    person: PersonFacts,
    person_inst: InstitutionFacts,
    role: str,
    valid_from: dt.date,
    valid_until: dt.date,
    today: dt.date,
) -> Decision:
    """PROJ-4: managers only on project databases, at most three; no research there."""
    roles = [r.value for r in MemberRole]
    if role not in roles:
        return deny(
            "invalid-role", f"'{role}' is not a project role. Use one of: {', '.join(roles)}."
        )
    if project_state(p, dt.datetime.combine(today, dt.time(), dt.UTC)) not in (
        ProjectState.ACTIVE,
        ProjectState.NOT_STARTED,
    ):
        return _frozen_denial(p)
    is_pdb = p.scheme == Scheme.PROJECT_DATABASE.value
    if role == MemberRole.PDB_MANAGER.value and not is_pdb:
        return deny(
            "manager-outside-project-database",
            "Project-database managers belong to a project database, not to this project.",
        )
    if role == MemberRole.RESEARCHER.value and is_pdb:
        return deny(
            "research-in-project-database",
            "Nobody does research in a project database itself. Add the researcher to a "
            "sub-project instead.",
        )
    if not valid_from < valid_until:
        return deny("inverted-period", "The membership must end after it starts.")
    if valid_from < p.starts_on or valid_until > p.access_ends_on:
        return deny(
            "outside-project-period",
            f"The membership must lie within the project's access period "
            f"({p.starts_on.isoformat()} to {p.access_ends_on.isoformat()}).",
        )
    for m in p.memberships:
        mine = m.person_id == person.id and m.ended_at is None
        if mine and valid_from < m.valid_until and m.valid_from < valid_until:
            return deny(
                "already-member",
                f"{person.username} is already a member of {p.code} in that period.",
            )
    if not institution_authorised(person_inst, None, max(valid_from, today)).allowed:
        return deny(
            "institution-not-authorised",
            f"{person.username}'s institution is not authorised for microdata access, so "
            f"{person.username} cannot join a project.",
        )
    managers = [
        m
        for m in p.memberships
        if m.role == MemberRole.PDB_MANAGER.value and _active_or_future(m, today)
    ]
    if role == MemberRole.PDB_MANAGER.value and len(managers) >= MAX_MANAGERS:
        return deny(
            "too-many-managers",
            f"A project database has at most {MAX_MANAGERS} managers, and {p.code} already "
            "has three. End one manager's membership first.",
        )
    return allow()


def may_end_membership(p: ProjectFacts, m: MembershipFacts, now: dt.datetime) -> Decision:
    if m.ended_at is not None or m.valid_until <= now.date():
        return deny("already-ended", f"Membership {m.id} has already ended.")
    return allow()
