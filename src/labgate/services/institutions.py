"""Institutions and their authorisations (INST-1, INST-2, INST-3)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.errors import Conflict, InvalidInput
from labgate.model import Institution, InstitutionAuthorisation
from labgate.names import validate_code
from labgate.policy.facts import InstitutionAuthorisationFacts
from labgate.policy.identity import validate_institution_authorisation
from labgate.services import lookup
from labgate.services.facts import institution_facts


def create_institution(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    country: str,
    requires_second_factor: bool = False,
    idle_timeout_seconds: int = 600,
) -> Institution:
    validate_code(code, "institution")
    if not name.strip():
        raise InvalidInput("An institution needs a name.", reason="missing-name")
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput(
            f"'{country}' is not a country code. Use the two-letter ISO 3166 code, for example DK.",
            reason="invalid-country",
        )
    if not 60 <= idle_timeout_seconds <= 3600:
        raise InvalidInput(
            "The idle timeout must be between 60 and 3600 seconds (the rules ask for 600).",
            reason="invalid-idle-timeout",
        )
    if session.scalar(select(Institution.id).where(Institution.code == code)) is not None:
        raise Conflict(
            f"An institution with the code '{code}' already exists.", reason="duplicate-code"
        )
    inst = Institution(
        code=code,
        name=name.strip(),
        country=country.upper(),
        requires_second_factor=requires_second_factor,
        idle_timeout_seconds=idle_timeout_seconds,
        created_at=clock.now(),
    )
    session.add(inst)
    session.flush()
    record_as(
        session,
        actor,
        "institution.create",
        "institution",
        code,
        detail={"name": inst.name, "country": inst.country},
    )
    return inst


def authorise_institution(
    session: Session,
    actor: Actor,
    *,
    code: str,
    scheme: str,
    valid_from: dt.date,
    valid_until: dt.date,
    security_policy_ref: str,
    case_reference: str | None = None,
) -> InstitutionAuthorisation:
    inst = lookup.institution(session, code)
    new = InstitutionAuthorisationFacts(
        scheme=scheme,
        valid_from=valid_from,
        valid_until=valid_until,
        security_policy_ref=security_policy_ref.strip(),
    )
    existing = institution_facts(session, inst).authorisations
    validate_institution_authorisation(existing, new).check(InvalidInput)
    row = InstitutionAuthorisation(
        institution_id=inst.id,
        scheme=scheme,
        valid_from=valid_from,
        valid_until=valid_until,
        security_policy_ref=new.security_policy_ref,
        case_reference=case_reference,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record_as(
        session,
        actor,
        "institution.authorise",
        "institution",
        code,
        detail={
            "scheme": scheme,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "security_policy_ref": new.security_policy_ref,
        },
    )
    return row


def set_foreign_exception(session: Session, actor: Actor, *, code: str, justification: str) -> None:
    """INST-3: an admin records why a foreign institution may receive non-anonymous data."""
    inst = lookup.institution(session, code)
    if len(justification.strip()) < 20:
        raise InvalidInput(
            "An exception for a foreign institution needs a written justification "
            "of at least 20 characters.",
            reason="missing-justification",
        )
    inst.foreign_exception = justification.strip()
    record_as(
        session,
        actor,
        "institution.authorise",
        "institution",
        code,
        detail={"foreign_exception": inst.foreign_exception},
    )
