"""Projects and their terms: what a project must state, how long it runs, how it is
renewed or extended (PROJ-1..3, INST-1).

The project's life (`project_state`, `grants_frozen`) lives in `lifecycle` and its
memberships (PROJ-4) in `memberships`; both are re-exported here, so enforcement points
import every project decision from this one module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from labgate.policy.calendar import add_years as add_years
from labgate.policy.decision import Decision, allow, deny, first_denial
from labgate.policy.facts import InstitutionFacts, ProjectFacts
from labgate.policy.identity import institution_authorised, institution_scheme_for
from labgate.policy.lifecycle import AUTHORITY_TERM as AUTHORITY_TERM
from labgate.policy.lifecycle import AUTHORITY_TERM_YEARS as AUTHORITY_TERM_YEARS
from labgate.policy.lifecycle import PROJECT_DATABASE_TERM as PROJECT_DATABASE_TERM
from labgate.policy.lifecycle import PROJECT_DATABASE_TERM_YEARS as PROJECT_DATABASE_TERM_YEARS
from labgate.policy.lifecycle import ProjectState as ProjectState
from labgate.policy.lifecycle import access_ended as access_ended
from labgate.policy.lifecycle import default_access_end as default_access_end
from labgate.policy.lifecycle import grants_frozen as grants_frozen
from labgate.policy.lifecycle import project_state as project_state
from labgate.policy.memberships import MAX_MANAGERS as MAX_MANAGERS
from labgate.policy.memberships import may_end_membership as may_end_membership
from labgate.policy.memberships import validate_membership as validate_membership
from labgate.vocabulary import Scheme


def _deleted_denial(p: ProjectFacts) -> Decision:
    return deny(
        "deleted",
        f"The project {p.code} has been deleted, so its term can no longer change. "
        "Create a new project instead.",
    )


def _statement(p: ProjectFacts) -> Decision:
    """PROJ-1: purpose, legal basis, DPIA or reason, and periods in order."""
    schemes = [s.value for s in Scheme]
    if p.scheme not in schemes:
        return deny(
            "invalid-scheme", f"There is no scheme '{p.scheme}'. Use one of: {', '.join(schemes)}."
        )
    if not p.purpose.strip():
        return deny(
            "missing-purpose",
            "A project must state its purpose. Describe what the data will be used for.",
        )
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
            "The deletion deadline cannot come before the end of access. Choose a deadline "
            "on or after the end of access.",
        )
    return allow()


def _family(p: ProjectFacts, parent: ProjectFacts | None) -> Decision:
    """PROJ-3: a sub-project sits under a project database of the same institution."""
    if p.scheme != Scheme.SUB_PROJECT.value:
        if parent is not None or p.parent_id is not None:
            return deny(
                "parent-not-allowed",
                "Only a sub-project has a parent project. Leave out the parent, or create "
                "the project as a sub-project.",
            )
        return allow()
    if parent is None or parent.scheme != Scheme.PROJECT_DATABASE.value:
        return deny(
            "needs-project-database",
            "A sub-project must belong to a project database: name it with --parent.",
        )
    if parent.owner_institution_id != p.owner_institution_id:
        return deny(
            "different-institution",
            "A sub-project must be owned by the institution that owns its project database. "
            "Create it under that institution.",
        )
    if p.access_ends_on > parent.access_ends_on:
        return deny(
            "beyond-parent",
            f"A sub-project's access cannot outlast its project database, which ends on "
            f"{parent.access_ends_on.isoformat()}. Choose an end of access on or before it.",
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


def _grants_reviewed(
    p: ProjectFacts, current_ids: Collection[int], keep: Collection[int], remove: Collection[int]
) -> Decision:
    """PROJ-2: a renewal decides on every current grant exactly once, keep or remove."""
    current, kept, removed = set(current_ids), set(keep), set(remove)
    if both := kept & removed:
        return deny(
            "kept-and-removed",
            f"A grant cannot be both kept and removed; decide on grant "
            f"{', '.join(str(i) for i in sorted(both))} once.",
        )
    if unknown := (kept | removed) - current:
        return deny(
            "unknown-grant",
            f"Grant {min(unknown)} is not a current grant of {p.code}. Name only the "
            "project's current grants.",
        )
    if missing := current - kept - removed:
        listed = ", ".join(str(i) for i in sorted(missing))
        return deny(
            "unreviewed-grant",
            f"Every current grant must be kept or removed at renewal; decide on grant {listed}.",
        )
    return allow()


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
        return deny(
            "not-authority",
            "Only authority-scheme projects are renewed year by year. A project database "
            "is extended instead; other projects keep the term they were given.",
        )
    if p.deleted_at is not None:
        return _deleted_denial(p)
    if not new_access_end > p.access_ends_on:
        return deny(
            "not-later",
            f"The renewed term must end after the current end of access "
            f"({p.access_ends_on.isoformat()}).",
        )
    limit = add_years(max(p.access_ends_on, today), AUTHORITY_TERM_YEARS)
    if new_access_end > limit:
        return deny(
            "term-too-long",
            f"A renewal adds at most one year, so the new end of access can be "
            f"{limit.isoformat()} at the latest.",
        )
    return _grants_reviewed(p, current_grant_ids, keep, remove)


def validate_extension(p: ProjectFacts, new_access_end: dt.date, today: dt.date) -> Decision:
    """PROJ-3: a project database is extended explicitly, by up to two years at a time."""
    if p.scheme != Scheme.PROJECT_DATABASE.value:
        return deny(
            "not-project-database",
            "Only a project database is extended this way. An authority project is renewed "
            "instead.",
        )
    if p.deleted_at is not None:
        return _deleted_denial(p)
    if not new_access_end > p.access_ends_on:
        return deny(
            "not-later",
            f"The extension must end after the current end of access "
            f"({p.access_ends_on.isoformat()}).",
        )
    if new_access_end > add_years(p.access_ends_on, PROJECT_DATABASE_TERM_YEARS):
        return deny(
            "term-too-long",
            "A project database is extended by at most two years at a time. Choose an end "
            "no later than two years after the current one.",
        )
    return allow()


def may_expire(p: ProjectFacts, now: dt.datetime) -> Decision:
    if p.deleted_at is not None or access_ended(p, now):
        return deny(
            "already-ended",
            f"The access period of {p.code} has already ended; there is nothing to expire.",
        )
    return allow()
