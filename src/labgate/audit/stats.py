"""Transaction statistics: per user, which transaction types and how many times (LOG-4).

Exact for any period, and fast over years: the whole UTC days inside the period are
summed from the daily rollup (`audit_daily_count`, kept in the same transaction as the
events), and only the partial first and last days are counted from the events themselves
through the time index. Periods are half-open, `since` <= time < `until`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from labgate.audit.log import DAILY, EVENTS
from labgate.audit.timestamps import US_PER_DAY, to_us
from labgate.errors import InvalidInput


@dataclass(frozen=True, order=True)
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
    """Counts per (actor, type) of events in the period, sorted by actor and type."""
    start, end = to_us(since), to_us(until)
    if end < start:
        raise InvalidInput(
            "The period ends before it starts: give an end after its start.",
            reason="inverted-period",
        )
    first_day = -(-start // US_PER_DAY)  # the first day that starts inside the period
    end_day = end // US_PER_DAY  # the day the period ends in (exclusive as a whole day)
    counts: Counter[tuple[str, str]] = Counter()
    if first_day < end_day:
        _add(counts, session, _rollup(first_day, end_day, institution, actor))
        raw_spans = [(start, first_day * US_PER_DAY), (end_day * US_PER_DAY, end)]
    else:
        raw_spans = [(start, end)]
    for low, high in raw_spans:
        if low < high:
            _add(counts, session, _events(low, high, institution, actor))
    return [StatRow(a, t, n) for (a, t), n in sorted(counts.items()) if n]


def _add(counts: Counter[tuple[str, str]], session: Session, query: Select[Any]) -> None:
    for actor, type_, n in session.execute(query):
        counts[(actor, type_)] += int(n)


def _rollup(
    first_day: int, end_day: int, institution: str | None, actor: str | None
) -> Select[Any]:
    where: list[ColumnElement[bool]] = [DAILY.c.day >= first_day, DAILY.c.day < end_day]
    if institution is not None:
        where.append(DAILY.c.institution == institution)
    if actor is not None:
        where.append(DAILY.c.actor == actor)
    return (
        select(DAILY.c.actor, DAILY.c.type, func.sum(DAILY.c.count))
        .where(*where)
        .group_by(DAILY.c.actor, DAILY.c.type)
    )


def _events(low: int, high: int, institution: str | None, actor: str | None) -> Select[Any]:
    where: list[ColumnElement[bool]] = [EVENTS.c.ts_us >= low, EVENTS.c.ts_us < high]
    if institution is not None:
        where.append(EVENTS.c.institution == institution)
    if actor is not None:
        where.append(EVENTS.c.actor == actor)
    return (
        select(EVENTS.c.actor, EVENTS.c.type, func.count())
        .where(*where)
        .group_by(EVENTS.c.actor, EVENTS.c.type)
    )
