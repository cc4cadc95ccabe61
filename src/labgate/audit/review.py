"""The quarterly control and the ad-hoc control of one user (LOG-5, LOG-6).

`build_review_report` gathers what the security officer must look at: the authorisation
register of the institution's people and clients active in the period (each with its full
history of starts and ends), transaction statistics per user, failed logins and refused
actions; for an ad-hoc control, the same for the one user plus every event of theirs in the
period. `sign_off` stores the report with its SHA-256 and records the sign-off in the log,
so the signed text can never change unnoticed. The report also holds the log's tail (last
seq and hash) at the time: a copy of the chain's head outside the chain, against which a
later truncation would show.

Who may build or sign a review (the institution's security officer, AUTH-2) is decided by
the caller; "overdue" is decided by `labgate.policy.control`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Final

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.events import EventOut
from labgate.audit.log import EVENTS, Actor, record_as
from labgate.audit.search import search
from labgate.audit.stats import transaction_stats
from labgate.errors import InvalidInput, NotFound
from labgate.model import Authorisation, Institution, Person, Review, SystemClient
from labgate.policy.control import review_overdue
from labgate.policy.decision import Decision
from labgate.services import lookup
from labgate.vocabulary import ReviewKind

REPORT_VERSION: Final = 1
_PAGE: Final = 10_000


def build_review_report(
    session: Session,
    institution_code: str,
    period_start: dt.datetime,
    period_end: dt.datetime,
    subject_username: str | None = None,
) -> dict[str, Any]:
    """The control of `institution_code` over [period_start, period_end), as JSON data.

    With `subject_username`, an ad-hoc control (LOG-6): only that person's authorisations,
    statistics and failed logins, and the full list of their events.
    """
    if period_end <= period_start:
        raise InvalidInput(
            "The reviewed period ends before it starts: give an end after its start.",
            reason="inverted-period",
        )
    inst = lookup.institution(session, institution_code)
    subject = _subject(session, inst, subject_username)
    stats = transaction_stats(
        session, since=period_start, until=period_end, institution=inst.code,
        actor=subject_username,
    )  # fmt: skip
    failed = _all_events(
        session, type="login.failed", institution=inst.code, actor=subject_username,
        since=period_start, until=period_end,
    )  # fmt: skip
    denied = _all_events(
        session, outcome="denied", institution=inst.code, actor=subject_username,
        since=period_start, until=period_end,
    )  # fmt: skip
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "kind": ReviewKind.ADHOC.value if subject else ReviewKind.QUARTERLY.value,
        "institution": {"code": inst.code, "name": inst.name},
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "subject": subject_username,
        "generated_at": clock.now().isoformat(),
        "authorisations": _authorisations(session, inst, subject, period_start, period_end),
        "transaction_statistics": [
            {"user": r.actor, "type": r.type, "count": r.count} for r in stats
        ],
        "failed_logins": [_event_json(e) for e in failed],
        "denied": [_event_json(e) for e in denied],
        "log_tail": _log_tail(session),
    }
    if subject is not None:
        events = _all_events(session, actor=subject.username, since=period_start, until=period_end)
        report["events"] = [_event_json(e) for e in events]
    return report


def report_text(report: dict[str, Any]) -> str:
    """The canonical JSON text of a report: what is stored and hashed."""
    return json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
    """Build the report, store it signed off by `actor`, and record the sign-off."""
    review_kind = _review_kind(kind, subject_username)
    report = build_review_report(
        session, institution_code, period_start, period_end, subject_username
    )
    text = report_text(report)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    inst = lookup.institution(session, institution_code)
    subject = lookup.person(session, subject_username) if subject_username else None
    review = Review(
        institution_id=inst.id,
        kind=review_kind.value,
        subject_person_id=subject.id if subject else None,
        period_start=period_start,
        period_end=period_end,
        report=text,
        report_sha256=digest,
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
        subject_username or inst.code,
        detail={
            "review": review.id,
            "institution": inst.code,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "report_sha256": digest,
        },
    )
    return review


def _review_kind(kind: str, subject_username: str | None) -> ReviewKind:
    try:
        review_kind = ReviewKind(kind)
    except ValueError:
        raise InvalidInput(
            f"'{kind}' is not a kind of control. Choose quarterly or adhoc.",
            reason="invalid-review-kind",
        ) from None
    if (review_kind is ReviewKind.ADHOC) != (subject_username is not None):
        raise InvalidInput(
            "An ad-hoc control reviews one named user; a quarterly control reviews everyone. "
            "Name the user for an ad-hoc control, and only then.",
            reason="review-subject",
        )
    return review_kind


def review_status(session: Session, institution_code: str, now: dt.datetime) -> Decision:
    """Whether the institution's quarterly control is up to date (denied: overdue).

    Counted from the last quarterly sign-off, or before any from the day the institution
    was registered. Ad-hoc controls do not replace the quarterly one.
    """
    inst = lookup.institution(session, institution_code)
    last = session.scalar(
        select(func.max(Review.signed_off_at)).where(
            Review.institution_id == inst.id, Review.kind == ReviewKind.QUARTERLY.value
        )
    )
    if last is not None and last.tzinfo is None:
        # func.max bypasses the column type on SQLite, which stores naive UTC.
        last = last.replace(tzinfo=dt.UTC)
    return review_overdue(last, inst.created_at, now)


def _subject(session: Session, inst: Institution, username: str | None) -> Person | None:
    if username is None:
        return None
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None or person.institution_id != inst.id:
        # The same answer for "no such person" and "not yours": existence is not revealed.
        raise NotFound(
            f"There is no user '{username}' at {inst.code}. Check the username.",
            reason="no-such-person",
        )
    return person


def _authorisations(
    session: Session,
    inst: Institution,
    subject: Person | None,
    start: dt.datetime,
    end: dt.datetime,
) -> list[dict[str, Any]]:
    """Each person and client of `inst` with an authorisation overlapping the period, with
    their whole register history (AUTH-1: entries are ended, never deleted)."""
    people, clients = _active_subjects(session, inst, subject, start, end)
    rows = session.scalars(
        select(Authorisation)
        .where(or_(Authorisation.person_id.in_(people), Authorisation.client_id.in_(clients)))
        .order_by(Authorisation.valid_from, Authorisation.id)
    ).all()
    names = _names(session, people, clients)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        kind, name = names[
            ("person", row.person_id) if row.person_id else ("client", row.client_id)
        ]
        entry = out.setdefault((kind, name), {"subject": name, "kind": kind, "history": []})
        entry["history"].append(_history_entry(row))
    return [out[k] for k in sorted(out, key=lambda k: (k[1], k[0]))]


def _active_subjects(
    session: Session,
    inst: Institution,
    subject: Person | None,
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[set[int], set[int]]:
    """Ids of the people and of the clients with an authorisation active in the period."""
    overlaps = (
        (Authorisation.valid_from < end)
        & (Authorisation.valid_until > start)
        & (Authorisation.ended_at.is_(None) | (Authorisation.ended_at > start))
    )
    subjects: ColumnElement[bool]
    if subject is not None:
        subjects = Authorisation.person_id == subject.id
    else:
        subjects = or_(
            Authorisation.person_id.in_(select(Person.id).where(Person.institution_id == inst.id)),
            Authorisation.client_id.in_(
                select(SystemClient.id).where(SystemClient.institution_id == inst.id)
            ),
        )
    active = session.execute(
        select(Authorisation.person_id, Authorisation.client_id).where(subjects, overlaps)
    ).all()
    return {p for p, _ in active if p is not None}, {c for _, c in active if c is not None}


def _history_entry(row: Authorisation) -> dict[str, Any]:
    return {
        "id": row.id,
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat(),
        "granted_by": row.granted_by,
        "case_reference": row.case_reference,
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "ended_by": row.ended_by,
        "end_reason": row.end_reason,
    }


def _names(
    session: Session, people: set[int], clients: set[int]
) -> dict[tuple[str, int | None], tuple[str, str]]:
    names: dict[tuple[str, int | None], tuple[str, str]] = {}
    for pid, username in session.execute(
        select(Person.id, Person.username).where(Person.id.in_(people))
    ):
        names[("person", pid)] = ("person", username)
    for cid, name in session.execute(
        select(SystemClient.id, SystemClient.name).where(SystemClient.id.in_(clients))
    ):
        names[("client", cid)] = ("client", name)
    return names


def _all_events(session: Session, **filters: Any) -> list[EventOut]:
    """Every matching event, page by page (a report must not stop at a search limit)."""
    events: list[EventOut] = []
    after: int | None = None
    while page := search(session, limit=_PAGE, after_seq=after, **filters):
        events.extend(page)
        after = page[-1].seq
    return events


def _event_json(e: EventOut) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "time": e.time.isoformat(),
        "actor": e.actor,
        "type": e.type,
        "object": f"{e.object_kind}:{e.object_id}",
        "outcome": e.outcome,
        "detail": e.details,
    }


def _log_tail(session: Session) -> dict[str, Any]:
    tail = session.execute(
        select(EVENTS.c.seq, EVENTS.c.hash).order_by(EVENTS.c.seq.desc()).limit(1)
    ).first()
    return {"seq": tail[0], "hash": tail[1]} if tail else {"seq": 0, "hash": None}
