"""The database side of a login, after the directory has accepted the password.

The directory says who someone is; labgate says whether they may come in and with what:
an active authorisation at an authorised institution (AUTH-1, INST-1, via
`policy.identity.may_log_in`), the current terms of use accepted (AUTH-3), a valid one-time
code where their institution requires a second factor (AUTH-4), and as hub groups only the
projects they may use now (AUTH-5, via `policy.workspaces.usable_projects`).

Every login and every refusal is audited (LOG-1). A successful login commits together with
its audit event (and the terms acceptance it may carry); a refusal rolls everything back and
is then recorded in a transaction of its own, so that no refused attempt is lost.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.audit.log import record
from labgate.db import Database
from labgate.errors import Denied
from labgate.model import (
    Membership,
    Person,
    Project,
    RoleAssignment,
    TermsAcceptance,
    TermsVersion,
)
from labgate.model.audit import AuditEvent
from labgate.policy.decision import Decision
from labgate.policy.facts import InstitutionFacts, MembershipFacts, PersonFacts, ProjectFacts
from labgate.policy.identity import may_log_in
from labgate.policy.workspaces import active_membership, usable_projects
from labgate.services.facts import institution_facts, person_facts, project_facts
from labgate.services.people import USERNAME_PATTERN
from labgate.vocabulary import ActorKind, MemberRole, Outcome, StaffRole

#: The hub role each labgate role becomes. Only names here: the hub's role definitions
#: (their scopes) are loaded elsewhere.
STAFF_HUB_ROLES: Final = {
    StaffRole.ADMIN.value: "labgate-admin",
    StaffRole.DATA_STEWARD.value: "labgate-data-steward",
    StaffRole.SECURITY_OFFICER.value: "labgate-security-officer",
}
MEMBER_HUB_ROLES: Final = {
    MemberRole.RESEARCHER.value: "labgate-researcher",
    MemberRole.PDB_MANAGER.value: "labgate-pdb-manager",
}

#: The audit actor for a login attempt whose username breaks labgate's username rule: such
#: a string is attacker-controlled and names nobody, so it is kept only (cleaned) in detail.
ANONYMOUS: Final = "anonymous"
#: A TOTP time step, in seconds (RFC 6238's default, and what authenticator apps use).
TOTP_STEP_SECONDS: Final = 30


@dataclass(frozen=True)
class LoginAttempt:
    """What the login form carried besides the password (already checked by the directory)."""

    username: str
    accept_terms: bool = False
    one_time_code: str = ""


@dataclass(frozen=True)
class Access:
    """What a person gets now: their hub groups (project codes) and hub role names."""

    username: str
    institution: str
    groups: tuple[str, ...]
    roles: tuple[str, ...]
    terms_version: str


@dataclass(frozen=True)
class TermsInfo:
    version: str
    text: str


def normalise_username(raw: str) -> str:
    """Directory usernames are case-insensitive; labgate keeps them lowercase, unpadded."""
    return raw.strip().lower()


def is_valid_username(username: str) -> bool:
    return bool(USERNAME_PATTERN.match(username))


def current_terms(session: Session, now: dt.datetime) -> TermsVersion | None:
    """The newest published version of the terms of use (AUTH-3)."""
    return session.scalar(
        select(TermsVersion)
        .where(TermsVersion.published_at <= now)
        .order_by(TermsVersion.published_at.desc(), TermsVersion.id.desc())
        .limit(1)
    )


def terms_to_show(db: Database, now: dt.datetime) -> TermsInfo | None:
    with db.read_session() as session:
        terms = current_terms(session, now)
        return TermsInfo(terms.version, terms.text) if terms else None


def log_in(
    db: Database, attempt: LoginAttempt, now: dt.datetime, *, totp_window: int = 1
) -> Access:
    """Admit `attempt.username` (whose password the directory accepted) or raise Denied.

    `totp_window` is how many 30-second steps before and after now a one-time code may be
    from, to allow for clock drift between the server and the person's authenticator app.
    """
    try:
        with db.session() as session:
            return _admit(session, attempt, now, totp_window)
    except Denied as refusal:
        record_failure(db, attempt.username, refusal.reason)
        raise


def record_failure(
    db: Database,
    username: str,
    reason: str,
    *,
    outcome: str = Outcome.DENIED.value,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Audit a refused login (LOG-1); never with the password. `username` is as normalised."""
    valid = is_valid_username(username)
    full: dict[str, Any] = {"reason": reason, **(detail or {})}
    if not valid:
        full["attempted"] = _printable(username)
    actor = username if valid else ANONYMOUS
    with db.session() as session:
        # The person's institution, so their security officer sees the failed login in the
        # quarterly control; "" when labgate does not know the username.
        institution = _institution_code(session, username) if valid else ""
        record(
            session, actor=actor, actor_kind=ActorKind.PERSON.value, institution=institution,
            type="login.failed", object_kind="person", object_id=actor, outcome=outcome,
            detail=full,
        )  # fmt: skip


def refresh(db: Database, username: str, now: dt.datetime) -> Access | None:
    """Re-check a logged-in person: their access now, or None if they must log in again.

    A person whose authorisation ended, or who has not accepted terms published since they
    logged in, loses their session (recorded as a logout with the reason).
    """
    with db.read_session() as session:
        person = _person(session, username)
        decision = _login_decision(session, person, username, now)
        terms = current_terms(session, now)
        if decision.allowed and person is not None and terms is not None:
            if _has_accepted(session, person, terms):
                return _access(session, person, terms, now)
            reason = "terms-changed"
        else:
            reason = decision.reason if not decision.allowed else "no-terms-published"
    with db.session() as session:
        # The hub refreshes on every request until the person logs in again: one logout
        # event for the ended session, not one per request.
        if not _already_logged_out(session, username):
            record(
                session, actor=username, actor_kind=ActorKind.PERSON.value,
                institution=_institution_code(session, username), type="logout",
                object_kind="person", object_id=username,
                detail={"reason": reason, "by": "refresh"},
            )  # fmt: skip
    return None


def _already_logged_out(session: Session, username: str) -> bool:
    last = session.scalar(
        select(AuditEvent.type)
        .where(AuditEvent.actor == username, AuditEvent.type.in_(("login", "logout")))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    return last == "logout"


# -- the steps of a login ------------------------------------------------------------------


def _admit(session: Session, attempt: LoginAttempt, now: dt.datetime, window: int) -> Access:
    # FOR UPDATE serialises two logins of one person on PostgreSQL (SQLite's write
    # transactions are serial anyway), so one one-time code cannot be used twice at once.
    person = session.scalar(
        select(Person).where(Person.username == attempt.username).with_for_update()
    )
    decision = _login_decision(session, person, attempt.username, now)
    if not decision.allowed or person is None:
        decision.check()
        raise AssertionError("unreachable: an unknown person is always refused")
    inst = institution_facts(session, person.institution)
    step = _check_second_factor(session, person, inst, attempt.one_time_code, now, window)
    terms = _check_terms(session, person, attempt.accept_terms, now)
    access = _access(session, person, terms, now)
    detail: dict[str, Any] = {
        "terms_version": terms.version,
        "second_factor": step is not None,
        "projects": list(access.groups),
    }
    if step is not None:
        # Kept so that the same code cannot be used again (see _last_totp_step).
        detail["totp_step"] = step
    _record_person(session, person, "login", detail)
    return access


def _login_decision(
    session: Session, person: Person | None, username: str, now: dt.datetime
) -> Decision:
    if person is None:
        # Someone the directory knows but labgate does not has, by definition, nothing in
        # the authorisation register: the policy refuses them as it refuses anyone without
        # an active authorisation, with the same sentence.
        nobody = may_log_in(
            PersonFacts(id=0, username=username, institution_id=0),
            InstitutionFacts(id=0, code="", country=""),
            now,
        )
        return Decision(False, "unknown-person", nobody.message)
    return may_log_in(
        person_facts(session, person), institution_facts(session, person.institution), now
    )


def _check_second_factor(
    session: Session,
    person: Person,
    inst: InstitutionFacts,
    code: str,
    now: dt.datetime,
    window: int,
) -> int | None:
    """AUTH-4: the TOTP step of a valid, unused code, or None where none is required."""
    if not inst.requires_second_factor:
        return None
    if not person.totp_secret:
        raise Denied(
            "Your institution requires a one-time code, but no authenticator app is "
            "registered for you. Ask your institution's administrator to register one.",
            reason="second-factor-not-enrolled",
        )
    code = code.strip().replace(" ", "")
    if not code:
        raise Denied(
            "Your institution requires a one-time code. Enter the code your authenticator "
            "app shows now, and sign in again.",
            reason="second-factor-required",
        )
    step = _matching_step(person.totp_secret, code, now, window)
    if step is None:
        raise Denied(
            "The one-time code is not correct, or it has expired. Enter the code your "
            "authenticator app shows now.",
            reason="second-factor-invalid",
        )
    last = _last_totp_step(session, person.username)
    if last is not None and step <= last:
        raise Denied(
            "That one-time code has already been used. Wait for your authenticator app to "
            "show the next code, and sign in with it.",
            reason="second-factor-reused",
        )
    return step


def _matching_step(secret: str, code: str, now: dt.datetime, window: int) -> int | None:
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    here = totp.timecode(now)
    for offset in range(-window, window + 1):
        expected = totp.generate_otp(here + offset)
        # Constant-time comparison: the code is a secret until it is used.
        if hmac.compare_digest(expected.encode(), code.encode()):
            return here + offset
    return None


def _last_totp_step(session: Session, username: str) -> int | None:
    """The TOTP step of this person's last successful login, from the audit log.

    The log is the durable record of every login (and tamper-evident), so a code cannot be
    replayed even across a restart of the hub.
    """
    detail = session.scalar(
        select(AuditEvent.detail)
        .where(
            AuditEvent.actor == username,
            AuditEvent.type == "login",
            AuditEvent.outcome == Outcome.OK.value,
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    if detail is None:
        return None
    step = json.loads(detail).get("totp_step")
    return int(step) if isinstance(step, int) else None


def _check_terms(session: Session, person: Person, accept: bool, now: dt.datetime) -> TermsVersion:
    """AUTH-3: the current terms, accepted before (or by ticking the box in this login)."""
    terms = current_terms(session, now)
    if terms is None:
        raise Denied(
            "Nobody can sign in yet, because no terms of use have been published. "
            "Contact the administrator of this service.",
            reason="no-terms-published",
            log_message="No TermsVersion is published: publish the terms of use first.",
        )
    if _has_accepted(session, person, terms):
        return terms
    if not accept:
        raise Denied(
            f"Please read and accept the terms of use (version {terms.version}) to continue.",
            reason="terms-not-accepted",
        )
    session.add(TermsAcceptance(person_id=person.id, terms_version_id=terms.id, accepted_at=now))
    session.flush()
    _record_person(session, person, "terms.accept", {"terms_version": terms.version})
    return terms


def _has_accepted(session: Session, person: Person, terms: TermsVersion) -> bool:
    found = session.scalar(
        select(TermsAcceptance.id).where(
            TermsAcceptance.person_id == person.id,
            TermsAcceptance.terms_version_id == terms.id,
        )
    )
    return found is not None


def _access(session: Session, person: Person, terms: TermsVersion, now: dt.datetime) -> Access:
    pfacts = person_facts(session, person)
    inst = institution_facts(session, person.institution)
    usable = usable_projects(pfacts, inst, _member_projects(session, person), now)
    roles = {MEMBER_HUB_ROLES[m.role] for p in usable if (m := _membership(pfacts, p, now))}
    roles |= {STAFF_HUB_ROLES[r] for r in _staff_roles(session, person) if r in STAFF_HUB_ROLES}
    return Access(
        username=person.username,
        institution=inst.code,
        groups=tuple(p.code for p in usable),
        roles=tuple(sorted(roles)),
        terms_version=terms.version,
    )


def _membership(
    person: PersonFacts, project: ProjectFacts, now: dt.datetime
) -> MembershipFacts | None:
    m = active_membership(person, project, now.date())
    return m if m is not None and m.role in MEMBER_HUB_ROLES else None


def _member_projects(session: Session, person: Person) -> list[ProjectFacts]:
    """Projects the person has ever been a member of: the policy picks the usable ones."""
    rows = session.scalars(
        select(Project)
        .where(
            Project.id.in_(select(Membership.project_id).where(Membership.person_id == person.id))
        )
        .order_by(Project.code)
    )
    return [project_facts(session, p) for p in rows]


def _staff_roles(session: Session, person: Person) -> list[str]:
    rows = session.scalars(
        select(RoleAssignment.role).where(
            RoleAssignment.person_id == person.id, RoleAssignment.ended_at.is_(None)
        )
    )
    return list(rows)


def _record_person(session: Session, person: Person, type: str, detail: dict[str, Any]) -> None:
    record(
        session, actor=person.username, actor_kind=ActorKind.PERSON.value,
        institution=person.institution.code, type=type, object_kind="person",
        object_id=person.username, detail=detail,
    )  # fmt: skip


def _person(session: Session, username: str) -> Person | None:
    return session.scalar(select(Person).where(Person.username == username))


def _institution_code(session: Session, username: str) -> str:
    person = _person(session, username)
    return person.institution.code if person is not None else ""


def _printable(value: str, limit: int = 64) -> str:
    """An attacker's string made safe to store and show: printable, and short."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in value)
    return cleaned[:limit] + ("…" if len(cleaned) > limit else "")
