"""Searching the audit log, and the logged search that people use (LOG-3, AUTH-2).

Results come oldest first: by time, and events of the same microsecond in chain (`seq`)
order. That is chain order for everything `record` appends (it reads the clock under the
append lock); only events reported after the fact (`EventIn.at`) sort by when they
happened. Time order is also what the indexes deliver: on SQLite every index ends in the
rowid, `seq`, so (actor, ts_us) is really (actor, ts_us, seq) and a page needs no sort.
Paging is by keyset: pass the last `seq` of one page as `after_seq` to get the next; new
events appended meanwhile never shift a page, as an OFFSET would.

Time spans are half-open: `since` <= time < `until`, so consecutive spans never count an
event twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from labgate.audit.events import FIELDS, EventOut
from labgate.audit.export import export_csv, export_jsonl
from labgate.audit.log import EVENTS, Actor, record_as
from labgate.audit.timestamps import to_us
from labgate.audit.types import is_known
from labgate.db import Database
from labgate.errors import Denied, InvalidInput

__all__ = ["EventOut", "export_csv", "export_jsonl", "logged_search", "search"]

MAX_LIMIT: Final = 1_000_000
_COLUMNS: Final = [EVENTS.c[name] for name in FIELDS]


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
    limit: int = 1000,
    after_seq: int | None = None,
) -> list[EventOut]:
    """Events matching every filter given (None: no filter), oldest first, at most `limit`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"A search returns between 1 and {MAX_LIMIT} events at a time; "
            "page with after_seq for more.",
            reason="bad-limit",
        )
    equal = {
        name: value
        for name, value in (
            ("actor", actor),
            ("object_kind", object_kind),
            ("object_id", object_id),
            ("institution", institution),
            ("outcome", outcome),
        )
        if value is not None
    }
    types = _types(type)
    hide = _less_selective(equal, types) if session.get_bind().dialect.name == "sqlite" else ()
    column = {
        name: EVENTS.c[name].concat("") if name in hide else EVENTS.c[name]
        for name in (*equal, "type")
    }
    where: list[ColumnElement[bool]] = [column[name] == value for name, value in equal.items()]
    if types is not None:
        where.append(column["type"].in_(types) if len(types) > 1 else column["type"] == types[0])
    if since is not None:
        where.append(EVENTS.c.ts_us >= to_us(since))
    if until is not None:
        where.append(EVENTS.c.ts_us < to_us(until))
    if after_seq is not None:
        after_ts = session.scalar(select(EVENTS.c.ts_us).where(EVENTS.c.seq == after_seq))
        if after_ts is None:
            raise InvalidInput(
                "The page to continue after does not exist: start the search again.",
                reason="bad-page",
            )
        where.append(EVENTS.c.ts_us >= after_ts)
        where.append(or_(EVENTS.c.ts_us > after_ts, EVENTS.c.seq > after_seq))
    query = select(*_COLUMNS).where(*where).order_by(EVENTS.c.ts_us, EVENTS.c.seq).limit(limit)
    return [EventOut(*row) for row in session.execute(query)]


#: The indexed filters, most selective first: an object, a user, a type, an institution.
_INDEX_PREFERENCE: Final = (("object_kind", "object_id"), ("actor",), ("type",), ("institution",))


def _less_selective(equal: dict[str, str], types: list[str] | None) -> frozenset[str]:
    """The filtered columns whose index SQLite should not use.

    SQLite has no statistics unless ANALYZE has run, so given a user and a type it may well
    walk the type's index through a week of everyone's file accesses rather than the user's
    few hundred events. `column || ''` is the same value but hides the column's index, so
    the planner takes the index of the most selective filter given. (PostgreSQL keeps
    statistics and chooses well by itself.)
    """
    given = set(equal) | ({"type"} if types is not None else set())
    for columns in _INDEX_PREFERENCE:
        if columns[0] in given:
            return frozenset(given - set(columns))
    return frozenset()


def _types(type_: str | Sequence[str] | None) -> list[str] | None:
    if type_ is None:
        return None
    types = [type_] if isinstance(type_, str) else list(type_)
    unknown = [t for t in types if not is_known(t)]
    if not types or unknown:
        # A misspelt type would silently find nothing; say so instead.
        raise InvalidInput(
            f"Unknown transaction type {', '.join(unknown) or '(none given)'}. "
            "Choose the types to search from the audit log's list of transaction types.",
            reason="unknown-type",
        )
    return types


def logged_search(
    db: Database,
    searcher: Actor,
    /,
    *,
    scope_institution: str | None,
    **filters: Any,
) -> list[EventOut]:
    """Search as `searcher` and record that search (`audit.search`, LOG-1).

    `scope_institution` is the one institution `searcher` may see (a security officer's own,
    AUTH-2), or None for all (an admin). The caller decides it from the actor's roles. A
    search outside the scope is refused, and the refusal is recorded too.
    """
    asked = filters.get("institution")
    if scope_institution is not None:
        if asked is not None and asked != scope_institution:
            _record_search(db, searcher, filters, outcome="denied", results=0)
            raise Denied("You can search only your own institution's log.", reason="out-of-scope")
        filters["institution"] = scope_institution
    with db.read_session() as session:
        events = search(session, **filters)
    # After the read: a search that failed (bad filter) was not run and is not logged.
    _record_search(db, searcher, filters, outcome="ok", results=len(events))
    return events


def _record_search(
    db: Database, actor: Actor, filters: dict[str, Any], *, outcome: str, results: int
) -> None:
    detail = {k: _jsonable(v) for k, v in filters.items() if v is not None}
    detail["results"] = results
    with db.session() as session:
        record_as(
            session,
            actor,
            "audit.search",
            "audit_log",
            filters.get("institution") or "*",
            outcome=outcome,
            detail=detail,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
