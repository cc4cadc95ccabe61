"""Searching the audit log, newest first, and logging each search (LOG-3).

Results are ordered by time, newest first (ties by seq). That order matches every index
on audit_event, which are all (filter columns..., ts_us) and, on SQLite, end with the
rowid (seq) too: a filtered search walks one index backwards and stops at `limit` rows
instead of sorting everything in the time span. Pages follow with `before_seq`, the seq
of the last event of the previous page (keyset paging: no OFFSET to rescan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from labgate.audit.events import FIELDS, EventOut
from labgate.audit.export import export_csv, export_jsonl
from labgate.audit.log import EVENTS, Actor, record_as
from labgate.audit.timestamps import to_us
from labgate.db import Database

__all__ = ["EventOut", "export_csv", "export_jsonl", "logged_search", "search"]

DEFAULT_LIMIT = 1000


def search(
    session: Session,
    *,
    actor: str | None = None,
    type: str | Sequence[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    object_kind: str | None = None,
    object_id: str | None = None,
    institution: str | None = None,
    outcome: str | None = None,
    limit: int = DEFAULT_LIMIT,
    before_seq: int | None = None,
) -> list[EventOut]:
    """Events matching every given filter, newest first; `since` inclusive, `until`
    exclusive. An empty list of types matches nothing."""
    c = EVENTS.c
    query = select(*(c[name] for name in FIELDS))
    if actor is not None:
        query = query.where(c.actor == actor)
    if type is not None:
        types = [type] if isinstance(type, str) else list(type)
        if not types:
            return []
        query = query.where(c.type == types[0] if len(types) == 1 else c.type.in_(types))
    if since is not None:
        query = query.where(c.ts_us >= to_us(since))
    if until is not None:
        query = query.where(c.ts_us < to_us(until))
    if object_kind is not None:
        query = query.where(c.object_kind == object_kind)
    if object_id is not None:
        query = query.where(c.object_id == object_id)
    if institution is not None:
        query = query.where(c.institution == institution)
    if outcome is not None:
        query = query.where(c.outcome == outcome)
    if before_seq is not None:
        last_ts = select(c.ts_us).where(c.seq == before_seq).scalar_subquery()
        # `ts_us <= last_ts` alone can use the index; the OR then drops the ties already seen.
        query = query.where(
            c.ts_us <= last_ts, or_(c.ts_us < last_ts, and_(c.ts_us == last_ts, c.seq < before_seq))
        )
    query = query.order_by(c.ts_us.desc(), c.seq.desc()).limit(limit)
    return [EventOut.from_mapping(row) for row in session.execute(query).mappings()]


def logged_search(
    db: Database, actor: Actor, *, scope_institution: str | None, **filters: Any
) -> list[EventOut]:
    """`search` on behalf of `actor`, then record that search (with its filters).

    `scope_institution` limits the results to that institution's events whatever the
    filters say: a person sees only their own institution's log (AUTH-2), and asking for
    another institution's events gives none rather than an error that would confirm them.
    """
    asked = filters.get("institution")
    empty_scope = scope_institution is not None and asked not in (None, scope_institution)
    if scope_institution is not None:
        filters["institution"] = scope_institution
    if empty_scope:
        events: list[EventOut] = []
    else:
        with db.read_session() as session:
            events = search(session, **filters)
    detail = {k: v for k, v in filters.items() if v is not None}
    if asked is not None:
        detail["institution"] = asked
    detail["results"] = len(events)
    if scope_institution is not None:
        detail["scope"] = scope_institution
    with db.session() as session:
        object_id = scope_institution or "*"
        record_as(session, actor, "audit.search", "audit_log", object_id, detail=detail)
    return events
