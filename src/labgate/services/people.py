"""People, staff roles, second factors and the authorisation register (AUTH-1, 2, 4)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.errors import Conflict, InvalidInput
from labgate.model import Authorisation, Person, RoleAssignment
from labgate.model.enums import StaffRole
from labgate.policy.identity import (
    may_end_authorisation,
    may_enrol_second_factor,
    may_remove_second_factor,
    validate_new_authorisation,
)
from labgate.services import lookup
from labgate.services.facts import authorisation_facts, person_facts

# Directory usernames: what JupyterHub will use in URLs and what becomes a unix user name
# inside a workspace. LDAP filter syntax never gets this far.
USERNAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")


def validate_username(username: str) -> str:
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            f"'{username}' cannot be a username. Use up to 64 lowercase letters, digits, "
            "dots, hyphens and underscores, starting with a letter or underscore.",
            reason="invalid-username",
        )
    return username


def create_person(
    session: Session,
    actor: Actor,
    *,
    username: str,
    full_name: str,
    institution_code: str,
    email: str | None = None,
) -> Person:
    validate_username(username)
    inst = lookup.institution(session, institution_code)
    if not full_name.strip():
        raise InvalidInput("A person needs a full name.", reason="missing-name")
    if session.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise Conflict(f"The username '{username}' is already taken.", reason="duplicate-username")
    person = Person(
        username=username,
        full_name=full_name.strip(),
        email=email,
        institution_id=inst.id,
        created_at=clock.now(),
    )
    session.add(person)
    session.flush()
    record_as(
        session,
        actor,
        "person.create",
        "person",
        username,
        detail={"institution": inst.code},
    )
    return person


@dataclass(frozen=True)
class SecondFactorEnrolment:
    """A freshly registered authenticator app: shown to the admin once, never logged."""

    username: str
    #: The base32 TOTP secret the person types into their authenticator app.
    secret: str
    #: The same secret as an otpauth:// URI, for a QR code the app can scan.
    provisioning_uri: str
    #: Whether this enrolment replaced an earlier authenticator app (a lost phone).
    replaced: bool
    #: Whether the person's institution requires the second factor at login.
    required: bool


def validate_issuer(issuer: str) -> str:
    """The name an authenticator app shows next to the codes, as the otpauth URI allows it."""
    issuer = issuer.strip()
    if not issuer or ":" in issuer:
        raise InvalidInput(
            "The issuer is the name an authenticator app shows next to the codes: give a "
            "short name without colons, for example 'Statistics Denmark'.",
            reason="invalid-issuer",
        )
    return issuer


def enrol_second_factor(
    session: Session, actor: Actor, username: str, *, issuer: str, replace: bool = True
) -> SecondFactorEnrolment:
    """Register a new authenticator app for `username` (AUTH-4), replacing any earlier one
    unless `replace` is False (then an earlier one is a refusal: the admin's form asks).

    The secret is returned once, for the admin to hand over; the audit log records only
    that an enrolment happened and whether it replaced one, never the secret or its URI.
    """
    issuer = validate_issuer(issuer)
    person = lookup.person(session, username)
    replaced = person.totp_secret is not None
    may_enrol_second_factor(username, replaced, replace).check(Conflict)
    secret = pyotp.random_base32()
    person.totp_secret = secret
    session.flush()
    required = person.institution.requires_second_factor
    record_as(
        session,
        actor,
        "person.second-factor-enrol",
        "person",
        username,
        detail={"replaced": replaced, "institution_requires": required},
    )
    # The login checks codes in 30-second steps with 6 digits: pyotp's defaults, which an
    # otpauth URI without period and digits parameters tells the app to use too.
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)
    return SecondFactorEnrolment(username, secret, uri, replaced, required)


def remove_second_factor(session: Session, actor: Actor, username: str) -> bool:
    """Remove `username`'s authenticator app (AUTH-4). Returns whether their institution
    requires a second factor, in which case they cannot log in until they enrol again."""
    person = lookup.person(session, username)
    may_remove_second_factor(username, person.totp_secret is not None).check(Conflict)
    person.totp_secret = None
    session.flush()
    required = person.institution.requires_second_factor
    record_as(
        session,
        actor,
        "person.second-factor-remove",
        "person",
        username,
        detail={"institution_requires": required},
    )
    return required


def assign_role(
    session: Session, actor: Actor, *, username: str, role: str, institution_code: str | None
) -> RoleAssignment:
    person = lookup.person(session, username)
    try:
        staff_role = StaffRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise InvalidInput(
            f"'{role}' is not a staff role. Choose one of: {choices}.", reason="invalid-role"
        ) from None
    inst_id = lookup.institution(session, institution_code).id if institution_code else None
    if staff_role is StaffRole.SECURITY_OFFICER and inst_id is None:
        raise InvalidInput(
            "A security officer belongs to one institution: name it with --institution.",
            reason="missing-institution",
        )
    exists = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == staff_role.value,
            RoleAssignment.institution_id == inst_id
            if inst_id
            else RoleAssignment.institution_id.is_(None),
            RoleAssignment.ended_at.is_(None),
        )
    )
    if exists is not None:
        raise Conflict(f"{username} already has the role {role} there.", reason="duplicate-role")
    row = RoleAssignment(
        person_id=person.id, role=staff_role.value, institution_id=inst_id, created_at=clock.now()
    )
    session.add(row)
    session.flush()
    record_as(
        session,
        actor,
        "role.assign",
        "person",
        username,
        detail={"role": staff_role.value, "institution": institution_code or ""},
    )
    return row


def grant_authorisation(
    session: Session,
    actor: Actor,
    *,
    username: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    case_reference: str | None = None,
) -> Authorisation:
    person = lookup.person(session, username)
    facts = person_facts(session, person)
    validate_new_authorisation(facts.authorisations, valid_from, valid_until, clock.now()).check(
        InvalidInput
    )
    row = Authorisation(
        person_id=person.id,
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by=actor.name,
        case_reference=case_reference,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record_as(
        session,
        actor,
        "authorisation.grant",
        "person",
        username,
        detail={
            "authorisation": row.id,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
    )
    return row


def end_authorisation(
    session: Session, actor: Actor, *, authorisation_id: int, reason: str
) -> Authorisation:
    row = lookup.authorisation(session, authorisation_id)
    if not reason.strip():
        raise InvalidInput(
            "Say why the authorisation ends (for example: left the institution).",
            reason="missing-reason",
        )
    now = clock.now()
    may_end_authorisation(authorisation_facts(row), now).check(Conflict)
    row.ended_at = now
    row.ended_by = actor.name
    row.end_reason = reason.strip()
    session.flush()
    subject = lookup.person_by_id(session, row.person_id) if row.person_id else None
    record_as(
        session,
        actor,
        "authorisation.end",
        "person",
        subject.username if subject else "",
        detail={"authorisation": row.id, "reason": row.end_reason},
    )
    return row
