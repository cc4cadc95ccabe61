"""Transaction statistics: per user, which types and how many times, over a period (LOG-4).

Exact and fast over any period: the whole UTC days inside it are read from the daily
rollup (`audit_daily_count`, kept in the same transaction as the events), and only the
partial days at either edge are counted from the events themselves.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from labgate.audit.log import DAILY, EVENTS
from labgate.audit.timestamps import US_PER_DAY, to_us


@dataclass(frozen=True, slots=True)
class StatRow:
    actor: str
    type: str
    count: int


def transaction_stats(
    session: Session,
    *,
    since: dt.datetime,
    until: dt.datetime,
    institution: str | None = None,
    actor: str | None = None,
) -> list[StatRow]:
    """Counts per (actor, type) of events with since <= time < until, sorted by actor
    and type."""
    start, end = to_us(since), to_us(until)
    counts: Counter[tuple[str, str]] = Counter()
    if start >= end:
        return []
    first_day = -(-start // US_PER_DAY)  # the first day that starts inside the period
    end_day = end // US_PER_DAY  # the day in which the period ends (not whole)
    if first_day < end_day:
        _add_days(session, counts, first_day, end_day, institution, actor)
        _add_events(session, counts, start, first_day * US_PER_DAY, institution, actor)
        _add_events(session, counts, end_day * US_PER_DAY, end, institution, actor)
    else:
        _add_events(session, counts, start, end, institution, actor)
    return [StatRow(a, t, n) for (a, t), n in sorted(counts.items())]


def _add_days(
    session: Session,
    counts: Counter[tuple[str, str]],
    first_day: int,
    end_day: int,
    institution: str | None,
    actor: str | None,
) -> None:
    d = DAILY.c
    where: list[ColumnElement[bool]] = [d.day >= first_day, d.day < end_day]
    if institution is not None:
        where.append(d.institution == institution)
    if actor is not None:
        where.append(d.actor == actor)
    query = select(d.actor, d.type, func.sum(d.count)).where(*where).group_by(d.actor, d.type)
    for a, t, n in session.execute(query):
        counts[(a, t)] += int(n)


def _add_events(
    session: Session,
    counts: Counter[tuple[str, str]],
    start: int,
    end: int,
    institution: str | None,
    actor: str | None,
) -> None:
    if start >= end:
        return
    e = EVENTS.c
    where: list[ColumnElement[bool]] = [e.ts_us >= start, e.ts_us < end]
    if institution is not None:
        where.append(e.institution == institution)
    if actor is not None:
        where.append(e.actor == actor)
    query = select(e.actor, e.type, func.count()).where(*where).group_by(e.actor, e.type)
    for a, t, n in session.execute(query):
        counts[(a, t)] += int(n)
