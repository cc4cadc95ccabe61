"""Who may log in, and which institutions may hold what (INST-1..3, AUTH-1, AUTH-4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from labgate.policy.decision import Decision, allow, deny
from labgate.policy.facts import (
    AuthorisationFacts,
    DatasetFacts,
    InstitutionAuthorisationFacts,
    InstitutionFacts,
    PersonFacts,
)
from labgate.vocabulary import InstitutionScheme, Scheme


def authorisation_active(a: AuthorisationFacts, now: dt.datetime) -> bool:
    """Active means valid_from <= now < valid_until, and not ended before now (AUTH-1)."""
    return a.valid_from <= now < a.valid_until and (a.ended_at is None or now < a.ended_at)


def _effective_end(a: AuthorisationFacts) -> dt.datetime:
    return min(a.valid_until, a.ended_at) if a.ended_at else a.valid_until


def institution_scheme_for(project_scheme: str) -> str:
    """The institution authorisation a project of `project_scheme` needs."""
    if project_scheme == Scheme.SUB_PROJECT.value:
        return InstitutionScheme.PROJECT_DATABASE.value
    return project_scheme


def institution_authorised(inst: InstitutionFacts, scheme: str | None, on: dt.date) -> Decision:
    """INST-1: an institution authorisation, not ended, covers `on` (for `scheme`)."""
    for a in inst.authorisations:
        ended = a.ended_at is not None and a.ended_at.date() <= on
        if a.valid_from <= on < a.valid_until and not ended and scheme in (None, a.scheme):
            return allow()
    what = f"the {scheme.replace('_', ' ')} scheme" if scheme else "microdata access"
    return deny(
        "institution-not-authorised",
        f"The institution {inst.code} is not authorised for {what} on {on.isoformat()}. "
        "An admin must record the institution's authorisation first.",
    )


def may_own_project_database(inst: InstitutionFacts) -> Decision:
    """INST-2: an institution owns at most one project database."""
    if inst.project_database_count > 0:
        return deny(
            "project-database-exists",
            f"The institution {inst.code} already owns a project database, and an "
            "institution may own only one. Add a sub-project to it instead.",
        )
    return allow()


def may_receive_dataset(
    inst: InstitutionFacts, dataset: DatasetFacts, home_country: str
) -> Decision:
    """INST-3: a foreign institution gets anonymous data only, unless an admin made an exception."""
    if inst.country.upper() == home_country.upper() or dataset.anonymous or inst.foreign_exception:
        return allow()
    return deny(
        "foreign-institution",
        f"The institution {inst.code} is outside {home_country.upper()} and may receive "
        f"anonymous data only; {dataset.code} is not anonymous. An admin can record an "
        "exception with its justification.",
    )


def may_log_in(person: PersonFacts, inst: InstitutionFacts, now: dt.datetime) -> Decision:
    """AUTH-1 and INST-1: an active personal authorisation at an authorised institution."""
    if not any(authorisation_active(a, now) for a in person.authorisations):
        return deny(
            "no-authorisation",
            "You have no active authorisation for microdata access. "
            "Ask your institution's administrator to authorise you.",
        )
    if not institution_authorised(inst, None, now.date()).allowed:
        return deny(
            "institution-not-authorised",
            "Your institution is not authorised for microdata access at present. "
            "Contact your institution's security officer.",
        )
    return allow()


def may_enrol_second_factor(username: str, enrolled: bool, replace: bool) -> Decision:
    """AUTH-4: registering an app where one is registered replaces it, and the old app's
    codes stop working: only when the admin said so (a form sent twice must not)."""
    if enrolled and not replace:
        return deny(
            "second-factor-already-enrolled",
            f"An authenticator app is already registered for {username}. Registering a new "
            "one replaces it and the old app's codes stop working: confirm the replacement "
            "(for example after a lost phone) to go on.",
        )
    return allow()


def may_remove_second_factor(username: str, enrolled: bool) -> Decision:
    """AUTH-4: only a registered authenticator app can be removed."""
    if not enrolled:
        return deny(
            "second-factor-not-enrolled",
            f"No authenticator app is registered for {username}, so there is nothing to remove.",
        )
    return allow()


def validate_new_authorisation(
    existing: Sequence[AuthorisationFacts],
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    now: dt.datetime,
) -> Decision:
    """A new register entry: a real period, not in the past, overlapping no other entry."""
    if valid_from >= valid_until:
        return deny(
            "inverted-period",
            "The authorisation must end after it starts. Check the --from and --until dates.",
        )
    if valid_until <= now:
        return deny(
            "period-in-past",
            "The authorisation would already have ended. Give an end in the future.",
        )
    for a in existing:
        if valid_from < _effective_end(a) and a.valid_from < valid_until:
            return deny(
                "overlapping-authorisation",
                "The period overlaps an existing authorisation of the same person "
                f"({a.valid_from.date().isoformat()} to {_effective_end(a).date().isoformat()}). "
                "End that one first or choose a period after it.",
            )
    return allow()


def may_end_authorisation(a: AuthorisationFacts, now: dt.datetime) -> Decision:
    if a.ended_at is not None:
        return deny(
            "already-ended",
            f"This authorisation was already ended on {a.ended_at.date().isoformat()}; "
            "the register keeps it as it is.",
        )
    if a.valid_until <= now:
        return deny(
            "already-expired",
            f"This authorisation already ran out on {a.valid_until.date().isoformat()}, so "
            "there is nothing to end.",
        )
    return allow()


def validate_institution_authorisation(
    existing: Sequence[InstitutionAuthorisationFacts], new: InstitutionAuthorisationFacts
) -> Decision:
    """INST-1: a scheme, a real period and a security-policy reference; no overlap per scheme."""
    schemes = [s.value for s in InstitutionScheme]
    if new.scheme not in schemes:
        return deny(
            "invalid-scheme",
            f"There is no scheme '{new.scheme}'. Use one of: {', '.join(schemes)}.",
        )
    if new.valid_from >= new.valid_until:
        return deny(
            "inverted-period", "The authorisation must end after it starts. Check the dates."
        )
    if not new.security_policy_ref.strip():
        return deny(
            "missing-security-policy",
            "An institution is authorised only with a reference to its data-security "
            "policy. Give the policy's reference.",
        )
    for a in existing:
        same = a.scheme == new.scheme and a.ended_at is None
        if same and new.valid_from < a.valid_until and a.valid_from < new.valid_until:
            return deny(
                "overlapping-authorisation",
                f"The institution is already authorised for the {new.scheme.replace('_', ' ')}"
                f" scheme from {a.valid_from.isoformat()} to {a.valid_until.isoformat()}. "
                "Choose a period that does not overlap it.",
            )
    return allow()
