"""Appending events to the hash-chained audit log (LOG-1, LOG-2).

An event is written inside the caller's transaction: it commits with the action it
records, or disappears with it when that action is rolled back. Appends are serialised so
that each event chains to the one before it: PostgreSQL takes a transaction-scoped advisory
lock before reading the tail; on SQLite every write transaction is BEGIN IMMEDIATE (see
labgate.db), so the writer already holds the database's one write lock. Even if a writer
slipped past the lock, `seq` is dense and unique: two events claiming the same predecessor
would also claim the same `seq`, and the second insert fails instead of forking the chain.

The hot path uses Core executemany, not ORM units of work: the log is written by every
request of every user.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.chain import GENESIS, event_hash
from labgate.audit.timestamps import day_of, to_us
from labgate.audit.types import check_type
from labgate.model.audit import AuditDailyCount, AuditEvent
from labgate.vocabulary import ActorKind, Outcome

EVENTS: Final = cast(Table, AuditEvent.__table__)
DAILY: Final = cast(Table, AuditDailyCount.__table__)

#: Key of the PostgreSQL advisory lock that serialises appends ("labgate audit" in hex-ish).
APPEND_LOCK_KEY: Final = 0x6C61_6267_6175_6474

_ACTOR_KINDS: Final = frozenset(k.value for k in ActorKind)
_OUTCOMES: Final = frozenset(o.value for o in Outcome)


@dataclass(frozen=True)
class Actor:
    """Who acts: a person's username, a system client's name, or a system component."""

    name: str
    kind: str  # person | client | system (labgate.vocabulary.ActorKind)
    institution: str  # institution code, "" for none


@dataclass(frozen=True)
class EventIn:
    """One event to append with `record_many`."""

    actor: str
    actor_kind: str
    institution: str
    type: str
    object_kind: str
    object_id: str
    outcome: str = "ok"
    detail: Mapping[str, Any] | None = None
    #: When it happened, for events collected after the fact (say, file accesses reported
    #: by a workspace); None means now. The chain order stays the order of recording.
    at: dt.datetime | None = field(default=None)

    @classmethod
    def by(
        cls,
        actor: Actor,
        type: str,
        object_kind: str,
        object_id: str,
        outcome: str = "ok",
        detail: Mapping[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> EventIn:
        return cls(
            actor.name, actor.kind, actor.institution, type, object_kind, object_id, outcome,
            detail, at,
        )  # fmt: skip


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """Canonical JSON (sorted keys, no spaces, UTF-8 kept): the same detail, the same text."""
    if not detail:
        return "{}"
    return json.dumps(
        detail,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"audit detail values must be JSON data, not {type(value).__name__}")


def record(
    session: Session,
    *,
    actor: str,
    actor_kind: str,
    institution: str,
    type: str,
    object_kind: str,
    object_id: str,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in `session`'s transaction and return it (not attached to it)."""
    event = EventIn(actor, actor_kind, institution, type, object_kind, object_id, outcome, detail)
    row = _append(session.connection(), [event])[0]
    return AuditEvent(**dict(zip(_COLUMNS, row, strict=True)))


def record_as(
    session: Session,
    actor: Actor,
    type: str,
    object_kind: str,
    object_id: str,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """`record` for an `Actor`."""
    return record(
        session,
        actor=actor.name,
        actor_kind=actor.kind,
        institution=actor.institution,
        type=type,
        object_kind=object_kind,
        object_id=object_id,
        outcome=outcome,
        detail=detail,
    )


def record_many(session: Session, events: Sequence[EventIn]) -> int:
    """Append `events` in order, in `session`'s transaction; returns how many."""
    if not events:
        return 0
    return len(_append(session.connection(), events))


def _append(conn: Connection, events: Sequence[EventIn]) -> list[tuple[Any, ...]]:
    # Validate and encode everything before taking the lock: the lock is held until the
    # caller commits, so the time spent under it should be the inserts and nothing else.
    prepared = [_prepare(e) for e in events]
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
    tail = conn.execute(
        select(EVENTS.c.seq, EVENTS.c.hash).order_by(EVENTS.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (tail[0], tail[1]) if tail is not None else (0, GENESIS)
    # The time is read under the lock, so times follow the chain order (given a sane clock).
    now_us = to_us(clock.now())
    rows: list[tuple[Any, ...]] = []
    counts: Counter[tuple[int, str, str, str]] = Counter()
    for actor, kind, inst, type_, okind, oid, outcome, detail, at_us in prepared:
        seq += 1
        ts_us = now_us if at_us is None else at_us
        digest = event_hash(prev, seq, ts_us, actor, kind, inst, type_, okind, oid, outcome, detail)
        rows.append(
            (seq, ts_us, actor, kind, inst, type_, okind, oid, outcome, detail, prev, digest)
        )
        counts[(day_of(ts_us), actor, type_, inst)] += 1
        prev = digest
    # Plain DBAPI executemany of tuples: SQLAlchemy's per-row parameter processing would
    # cost as much as the hashing, and these columns need no conversion.
    conn.exec_driver_sql(_insert_sql(conn.dialect.paramstyle), rows)
    _add_daily_counts(conn, counts)
    return rows


#: audit_event's columns in the order `_append` builds its rows.
_COLUMNS: Final = (
    "seq", "ts_us", "actor", "actor_kind", "institution", "type", "object_kind", "object_id",
    "outcome", "detail", "prev_hash", "hash",
)  # fmt: skip


def _insert_sql(paramstyle: str) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"  # sqlite3; psycopg
    return (
        f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_COLUMNS))})"
    )


#: The string fields of an event in `_prepare`'s order, with their column widths: checked
#: here so that SQLite refuses what PostgreSQL would.
_FIELD_WIDTHS: Final = (
    ("actor", 160),
    ("actor_kind", 16),
    ("institution", 64),
    ("type", 64),
    ("object_kind", 32),
    ("object_id", 300),
    ("outcome", 16),
)
_OBJECT_ID_WIDTH: Final = 300


def _prepare(event: EventIn) -> tuple[Any, ...]:
    """The event's fields as stored (widths checked, detail canonical) and its time."""
    check_type(event.type)
    if event.actor_kind not in _ACTOR_KINDS:
        raise ValueError(f"unknown actor kind {event.actor_kind!r}")
    if event.outcome not in _OUTCOMES:
        raise ValueError(f"unknown audit outcome {event.outcome!r}")
    detail = event.detail
    object_id = event.object_id
    if isinstance(object_id, str) and len(object_id) > _OBJECT_ID_WIDTH:
        # A long path must not make the action fail: keep it whole in the detail.
        detail = {**(detail or {}), "full_object_id": object_id}
        object_id = object_id[: _OBJECT_ID_WIDTH - 1] + "…"
    fields = (
        event.actor, event.actor_kind, event.institution, event.type, event.object_kind,
        object_id, event.outcome,
    )  # fmt: skip
    for (name, width), value in zip(_FIELD_WIDTHS, fields, strict=True):
        if not isinstance(value, str):
            raise TypeError(f"audit field {name} must be a string, not {type(value).__name__}")
        if len(value) > width:
            raise ValueError(f"audit field {name} is longer than {width} characters")
        if "\x00" in value:
            # PostgreSQL text cannot hold NUL; refuse it on SQLite too, so both agree.
            raise ValueError(f"audit field {name} contains a NUL character")
    at_us = None if event.at is None else to_us(event.at)
    return (*fields, canonical_detail(detail), at_us)


def _add_daily_counts(conn: Connection, counts: Counter[tuple[int, str, str, str]]) -> None:
    """Add this batch's counts to the daily rollup (LOG-4), one upsert per distinct key."""
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = make(DAILY)
    stmt = stmt.on_conflict_do_update(
        index_elements=[DAILY.c.day, DAILY.c.actor, DAILY.c.type, DAILY.c.institution],
        set_={"count": DAILY.c.count + stmt.excluded["count"]},
    )
    conn.execute(
        stmt,
        [
            {"day": day, "actor": actor, "type": type_, "institution": inst, "count": n}
            for (day, actor, type_, inst), n in counts.items()
        ],
    )
