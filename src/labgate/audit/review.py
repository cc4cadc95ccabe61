"""The quarterly control and the ad-hoc control of one user (LOG-5, LOG-6).

A review report lists, for one institution and period, the authorisations of its people
and clients that were active at any time in the period (each with its whole start and end
history), how many transactions of each type each user made, the failed logins and the
refused actions. An ad-hoc control adds every event of one user in the period. Signing
off stores the report text with its SHA-256, so what was signed cannot change later, and
records the sign-off in the log. Whether the caller may sign off (a security officer of
that institution) is decided by the caller, as for every other action.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.events import EventOut
from labgate.audit.log import Actor, record_as
from labgate.audit.search import search
from labgate.audit.stats import transaction_stats
from labgate.errors import InvalidInput, NotFound
from labgate.model.control import Review
from labgate.model.identity import Authorisation, Institution, Person, SystemClient
from labgate.policy.control import review_overdue
from labgate.policy.decision import Decision
from labgate.vocabulary import ReviewKind

_PAGE = 10_000


def build_review_report(
    session: Session,
    institution_code: str,
    since: dt.datetime,
    until: dt.datetime,
    *,
    subject_username: str | None = None,
) -> dict[str, Any]:
    """The review of `institution_code` for since <= time < until (JSON-ready)."""
    institution = _institution(session, institution_code)
    _check_period(since, until)
    report: dict[str, Any] = {
        "kind": ReviewKind.ADHOC.value if subject_username else ReviewKind.QUARTERLY.value,
        "institution": {"code": institution.code, "name": institution.name},
        "period": {"start": since.isoformat(), "end": until.isoformat()},
        "generated_at": clock.now().isoformat(),
        "authorisations": _authorisations(session, institution, since, until),
        "transactions": [
            {"user": r.actor, "type": r.type, "count": r.count}
            for r in transaction_stats(
                session, since=since, until=until, institution=institution.code
            )
        ],
        "failed_logins": _events(
            session, type="login.failed", institution=institution.code, since=since, until=until
        ),
        "denied": _events(
            session, outcome="denied", institution=institution.code, since=since, until=until
        ),
    }
    if subject_username is not None:
        person = _person(session, institution, subject_username)
        report["subject"] = {"username": person.username, "full_name": person.full_name}
        report["events"] = _events(session, actor=person.username, since=since, until=until)
    return report


def sign_off(
    session: Session,
    actor: Actor,
    institution_code: str,
    kind: str,
    period_start: dt.datetime,
    period_end: dt.datetime,
    findings: str,
    subject_username: str | None = None,
) -> Review:
    """Build the report, store it signed off by `actor`, and log the sign-off."""
    if kind not in (ReviewKind.QUARTERLY, ReviewKind.ADHOC):
        raise InvalidInput("A review is quarterly or ad hoc.", reason="review-kind")
    if (kind == ReviewKind.ADHOC) != (subject_username is not None):
        raise InvalidInput(
            "An ad-hoc control names the one user it reviews; a quarterly control names none.",
            reason="review-subject",
        )
    institution = _institution(session, institution_code)
    report = build_review_report(
        session, institution_code, period_start, period_end, subject_username=subject_username
    )
    text = json.dumps(report, ensure_ascii=False, sort_keys=True, indent=2)
    subject = _person(session, institution, subject_username) if subject_username else None
    review = Review(
        institution_id=institution.id,
        kind=kind,
        subject_person_id=subject.id if subject else None,
        period_start=period_start,
        period_end=period_end,
        report=text,
        report_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        findings=findings,
        signed_off_by=actor.name,
        signed_off_at=clock.now(),
    )
    session.add(review)
    session.flush()
    record_as(
        session,
        actor,
        "review.adhoc" if subject else "review.signoff",
        "person" if subject else "institution",
        subject.username if subject else institution.code,
        detail={
            "review": review.id,
            "institution": institution.code,
            "period_start": period_start,
            "period_end": period_end,
            "report_sha256": review.report_sha256,
        },
    )
    return review


def review_status(session: Session, institution_code: str, now: dt.datetime) -> Decision:
    """Whether the institution's quarterly control is up to date (allowed) or overdue."""
    institution = _institution(session, institution_code)
    last = session.scalar(
        select(func.max(Review.signed_off_at)).where(
            Review.institution_id == institution.id, Review.kind == ReviewKind.QUARTERLY.value
        )
    )
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)  # func.max loses the column type on SQLite
    return review_overdue(last, institution.created_at, now)


def _institution(session: Session, code: str) -> Institution:
    institution = session.scalar(select(Institution).where(Institution.code == code))
    if institution is None:
        raise NotFound(f"There is no institution {code!r}.", reason="institution-not-found")
    return institution


def _person(session: Session, institution: Institution, username: str) -> Person:
    person = session.scalar(
        select(Person).where(Person.username == username, Person.institution_id == institution.id)
    )
    if person is None:
        raise NotFound(
            f"There is no user {username!r} at this institution.", reason="person-not-found"
        )
    return person


def _check_period(since: dt.datetime, until: dt.datetime) -> None:
    if since >= until:
        raise InvalidInput("The period must start before it ends.", reason="period")


def _authorisations(
    session: Session, institution: Institution, since: dt.datetime, until: dt.datetime
) -> list[dict[str, Any]]:
    """Subjects with an authorisation active at some time in the period, each with the
    full history of their authorisations (not only the active ones)."""
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.institution_id == institution.id))
    }
    clients = {
        c.id: c
        for c in session.scalars(
            select(SystemClient).where(SystemClient.institution_id == institution.id)
        )
    }
    rows = session.scalars(
        select(Authorisation)
        .where(
            or_(
                Authorisation.person_id.in_(list(people)),
                Authorisation.client_id.in_(list(clients)),
            )
        )
        .order_by(Authorisation.valid_from, Authorisation.id)
    ).all()
    history: dict[tuple[str, int], list[Authorisation]] = {}
    for a in rows:
        if a.person_id is not None:
            history.setdefault(("person", a.person_id), []).append(a)
        elif a.client_id is not None:
            history.setdefault(("client", a.client_id), []).append(a)
    out = []
    for (kind, subject_id), auths in history.items():
        if not any(_active_during(a, since, until) for a in auths):
            continue
        if kind == "person":
            person = people[subject_id]
            who = {"subject": person.username, "full_name": person.full_name}
        else:
            who = {"subject": clients[subject_id].name, "full_name": ""}
        out.append({**who, "subject_kind": kind, "history": [_authorisation(a) for a in auths]})
    return sorted(out, key=lambda s: (s["subject_kind"], s["subject"]))


def _active_during(a: Authorisation, since: dt.datetime, until: dt.datetime) -> bool:
    end = a.valid_until if a.ended_at is None else min(a.valid_until, a.ended_at)
    return a.valid_from < until and end > since


def _authorisation(a: Authorisation) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "id": a.id,
        "valid_from": iso(a.valid_from),
        "valid_until": iso(a.valid_until),
        "granted_by": a.granted_by,
        "case_reference": a.case_reference,
        "created_at": iso(a.created_at),
        "ended_at": iso(a.ended_at),
        "ended_by": a.ended_by,
        "end_reason": a.end_reason,
    }


def _events(session: Session, **filters: Any) -> list[dict[str, Any]]:
    """Every matching event, oldest first (paged through `search`)."""
    found: list[EventOut] = []
    before: int | None = None
    while True:
        page = search(session, limit=_PAGE, before_seq=before, **filters)
        found.extend(page)
        if len(page) < _PAGE:
            break
        before = page[-1].seq
    return [e.as_dict() for e in reversed(found)]
