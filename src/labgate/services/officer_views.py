"""What the security officer's pages and API read and do (issue 5; LOG-2..6, AUTH-2).

Each function takes the institution the request was allowed to read (decided by the
caller from `labgate.policy.officer_access`) and does not decide access itself. Every
reading of the log is itself recorded (LOG-4): searches by `logged_search`, statistics
and reports here, exports as `audit.export`, verifications as `audit.verify`; sign-offs
by `audit.review.sign_off`, their refusals by `audited_write`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit import review as reviews
from labgate.audit.events import EventOut
from labgate.audit.log import EVENTS, Actor, record_as
from labgate.audit.search import logged_search
from labgate.audit.stats import StatRow, transaction_stats
from labgate.audit.verify import verify
from labgate.db import Database
from labgate.model import Institution, Person, Review
from labgate.services import lookup
from labgate.services.audited import audited_write
from labgate.vocabulary import ReviewKind


@dataclass(frozen=True)
class EventFilters:
    """A search of the log as the officer asked for it (already checked for shape)."""

    actor: str | None = None
    types: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    object_kind: str | None = None
    object_id: str | None = None
    outcome: str | None = None
    limit: int = 50
    after_seq: int | None = None


def event_json(e: EventOut) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "time": e.time.isoformat(),
        "actor": e.actor,
        "actor_kind": e.actor_kind,
        "institution": e.institution,
        "type": e.type,
        "object_kind": e.object_kind,
        "object_id": e.object_id,
        "outcome": e.outcome,
        "detail": e.details,
        "hash": e.hash,
    }


def search_events(
    db: Database, actor: Actor, institution: str | None, f: EventFilters
) -> list[EventOut]:
    """The matching events of `institution` (None: all), oldest first; the search is logged."""
    return logged_search(
        db,
        actor,
        scope_institution=institution,
        actor=f.actor,
        type=list(f.types) or None,
        since=f.since,
        until=f.until,
        object_kind=f.object_kind,
        object_id=f.object_id,
        outcome=f.outcome,
        limit=f.limit,
        after_seq=f.after_seq,
    )


def record_export(db: Database, actor: Actor, institution: str | None, count: int) -> None:
    """An export leaves the system: recorded beside the search that found the events."""
    with db.session() as s:
        record_as(
            s, actor, "audit.export", "audit_log", institution or "*",
            detail={"format": "csv", "events": count},
        )  # fmt: skip


def stats(
    db: Database,
    actor: Actor,
    institution: str | None,
    since: dt.datetime,
    until: dt.datetime,
    user: str | None,
) -> list[StatRow]:
    """Transaction counts per user and type over [since, until); the reading is recorded."""
    with db.read_session() as s:
        rows = transaction_stats(s, since=since, until=until, institution=institution, actor=user)
    with db.session() as s:
        record_as(
            s, actor, "audit.stats", "audit_log", institution or "*",
            detail={"since": since.isoformat(), "until": until.isoformat(), "user": user or ""},
        )  # fmt: skip
    return rows


def stat_json(rows: list[StatRow]) -> list[dict[str, Any]]:
    return [{"user": r.actor, "type": r.type, "count": r.count} for r in rows]


def per_user_totals(rows: list[StatRow]) -> list[dict[str, Any]]:
    """Each user's total, most active first, with the share of the largest (for a chart)."""
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.actor] = totals.get(r.actor, 0) + r.count
    top = max(totals.values(), default=0)
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"user": u, "total": n, "share": n / top if top else 0.0} for u, n in ordered]


# --- the quarterly and the ad-hoc control ------------------------------------------------


def review_status(session: Session, institution: str) -> dict[str, Any]:
    decision = reviews.review_status(session, institution, clock.now())
    return {"institution": institution, "overdue": not decision.allowed,
            "message": decision.message}  # fmt: skip


def review_json(session: Session, review: Review) -> dict[str, Any]:
    inst = session.get(Institution, review.institution_id)
    subject = session.get(Person, review.subject_person_id) if review.subject_person_id else None
    return {
        "id": review.id,
        "institution": inst.code if inst else None,
        "kind": review.kind,
        "subject": subject.username if subject else None,
        "period_start": _utc(review.period_start).isoformat(),
        "period_end": _utc(review.period_end).isoformat(),
        "findings": review.findings,
        "report_sha256": review.report_sha256,
        "signed_off_by": review.signed_off_by,
        "signed_off_at": _utc(review.signed_off_at).isoformat(),
    }


def list_reviews(session: Session, institution: str) -> list[dict[str, Any]]:
    """The institution's signed-off controls, newest first."""
    inst = lookup.institution(session, institution)
    rows = session.scalars(
        select(Review)
        .where(Review.institution_id == inst.id)
        .order_by(desc(Review.signed_off_at), desc(Review.id))
    ).all()
    return [review_json(session, r) for r in rows]


def review_detail(session: Session, review_id: int) -> dict[str, Any] | None:
    """One signed-off control with its stored report, and whether the report still hashes
    to the digest recorded at the sign-off (None when there is no such control)."""
    review = session.get(Review, review_id)
    if review is None:
        return None
    digest = hashlib.sha256(review.report.encode("utf-8")).hexdigest()
    return {
        **review_json(session, review),
        "report": json.loads(review.report),
        "report_intact": digest == review.report_sha256,
    }


def draft_report(
    db: Database,
    actor: Actor,
    institution: str,
    since: dt.datetime,
    until: dt.datetime,
    subject: str | None = None,
) -> dict[str, Any]:
    """The control's report, not yet signed; reading it is recorded like a search."""
    with db.read_session() as s:
        report = reviews.build_review_report(s, institution, since, until, subject)
    with db.session() as s:
        record_as(
            s, actor, "audit.search", "person" if subject else "audit_log",
            subject or institution,
            detail={"report": "adhoc" if subject else "quarterly", "institution": institution,
                    "since": since.isoformat(), "until": until.isoformat(),
                    "results": len(report.get("events", report["transaction_statistics"]))},
        )  # fmt: skip
    return report


def sign(
    db: Database,
    actor: Actor,
    institution: str,
    since: dt.datetime,
    until: dt.datetime,
    findings: str,
    subject: str | None = None,
) -> dict[str, Any]:
    """Sign the control off (quarterly, or ad-hoc of `subject`); a refusal is recorded."""
    kind = ReviewKind.ADHOC.value if subject else ReviewKind.QUARTERLY.value

    def act(s: Session) -> dict[str, Any]:
        row = reviews.sign_off(s, actor, institution, kind, since, until, findings, subject)
        return review_json(s, row)

    return audited_write(
        db, actor, type="review.adhoc" if subject else "review.signoff",
        object_kind="person" if subject else "institution", object_id=subject or institution,
        action=act,
    )  # fmt: skip


# --- the chain's verification ------------------------------------------------------------


def last_verification(session: Session) -> dict[str, Any] | None:
    """The newest recorded verification of the chain, whoever ran it (LOG-2)."""
    row = session.execute(
        select(EVENTS.c.seq, EVENTS.c.ts_us, EVENTS.c.outcome, EVENTS.c.detail)
        .where(EVENTS.c.type == "audit.verify")
        .order_by(EVENTS.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    detail = json.loads(row.detail)
    event = EventOut(row.seq, row.ts_us, "", "", "", "audit.verify", "", "", row.outcome,
                     row.detail, "", "")  # fmt: skip
    return {
        "seq": row.seq,
        "time": event.time.isoformat(),
        "intact": row.outcome == "ok",
        "events": detail.get("events"),
        "first_broken_seq": detail.get("first_broken_seq"),
        "problem": detail.get("problem"),
    }


def run_verification(db: Database, actor: Actor) -> dict[str, Any]:
    """Verify the whole chain now and record the result (as `labgate audit verify` does)."""
    result = verify(db)
    with db.session() as s:
        record_as(
            s, actor, "audit.verify", "audit_log", "chain",
            outcome="ok" if result.ok else "failed",
            detail={"events": result.events, "first_broken_seq": result.first_broken_seq,
                    "problem": result.problem},
        )  # fmt: skip
    with db.read_session() as s:
        last = last_verification(s)
    if last is None:  # cannot happen: it was just recorded
        raise RuntimeError("the verification just recorded was not found")
    return last


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
