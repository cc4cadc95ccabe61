"""Transaction statistics are exact for any period, partial days included (LOG-4)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from labgate.audit.log import Actor, EventIn, record_many
from labgate.audit.search import search
from labgate.audit.stats import StatRow, transaction_stats
from labgate.db import Database
from labgate.errors import InvalidInput

pytestmark = pytest.mark.requirement("LOG-4")

START = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
DAYS = 6
PEOPLE = [
    Actor("alice", "person", "au"),
    Actor("bob", "person", "ku"),
    Actor("carol", "person", "au"),
    Actor("svc", "client", "au"),
]
TYPES = ["login", "file.access", "workspace.start", "logout"]


@pytest.fixture
def log(db: Database) -> Database:
    """600 events at random times over six days, some exactly at midnight, recorded in
    batches out of time order (events collected after the fact carry their own time)."""
    rng = random.Random(4)
    events = []
    for _ in range(600):
        at = START + dt.timedelta(microseconds=rng.randrange(DAYS * 86_400_000_000))
        if rng.random() < 0.05:
            at = START + dt.timedelta(days=rng.randrange(DAYS + 1))  # exactly midnight
        events.append(EventIn.by(rng.choice(PEOPLE), rng.choice(TYPES), "session", "x", at=at))
    for i in range(0, len(events), 50):
        with db.session() as s:
            record_many(s, events[i : i + 50])
    return db


def brute_force(
    db: Database,
    since: dt.datetime,
    until: dt.datetime,
    institution: str | None = None,
    actor: str | None = None,
) -> list[StatRow]:
    with db.read_session() as s:
        events = search(
            s, since=since, until=until, institution=institution, actor=actor, limit=10_000
        )
    counts = Counter((e.actor, e.type) for e in events)
    return [StatRow(a, t, n) for (a, t), n in sorted(counts.items())]


def periods() -> list[tuple[dt.datetime, dt.datetime]]:
    day = dt.timedelta(days=1)
    hour = dt.timedelta(hours=1)
    us = dt.timedelta(microseconds=1)
    fixed = [
        (START, START + DAYS * day),  # whole days only
        (START - day, START + 10 * day),  # wider than the log
        (START + 5 * hour, START + 4 * day + 7 * hour),  # partial at both edges
        (START + day, START + 3 * day + hour),  # whole start, partial end
        (START + 2 * hour, START + 3 * day),  # partial start, whole end
        (START + day + hour, START + day + 20 * hour),  # inside one day
        (START + 2 * day - us, START + 2 * day + us),  # across one midnight
        (START + 3 * day, START + 3 * day),  # empty
        (START + day + us, START + 2 * day),  # a whole day but for one microsecond
    ]
    rng = random.Random(9)
    span = DAYS * 86_400_000_000
    for _ in range(15):
        a, b = sorted(rng.randrange(-1000, span + 1000) for _ in range(2))
        fixed.append((START + a * us, START + b * us))
    return fixed


def test_counts_equal_brute_force_over_many_periods(log: Database) -> None:
    with log.read_session() as s:
        for since, until in periods():
            assert transaction_stats(s, since=since, until=until) == brute_force(
                log, since, until
            ), (since, until)


def test_filters_by_institution_and_user(log: Database) -> None:
    since = START + dt.timedelta(hours=13)
    until = START + dt.timedelta(days=4, hours=2)
    with log.read_session() as s:
        by_inst = transaction_stats(s, since=since, until=until, institution="au")
        by_user = transaction_stats(s, since=since, until=until, actor="bob")
        both = transaction_stats(s, since=since, until=until, institution="ku", actor="alice")
    assert by_inst == brute_force(log, since, until, institution="au")
    assert {r.actor for r in by_inst} == {"alice", "carol", "svc"}
    assert by_user == brute_force(log, since, until, actor="bob")
    assert both == []


def test_rows_say_which_types_each_user_used_how_often(db: Database) -> None:
    at = START + dt.timedelta(hours=10)
    alice, bob = PEOPLE[0], PEOPLE[1]
    with db.session() as s:
        record_many(
            s,
            [EventIn.by(alice, "login", "session", "a", at=at)] * 2
            + [EventIn.by(alice, "file.access", "file", "f", at=at)] * 3
            + [EventIn.by(bob, "login", "session", "b", at=at)],
        )
    with db.read_session() as s:
        rows = transaction_stats(s, since=START, until=START + dt.timedelta(days=1))
    assert rows == [
        StatRow("alice", "file.access", 3),
        StatRow("alice", "login", 2),
        StatRow("bob", "login", 1),
    ]


def test_an_inverted_period_is_refused(db: Database) -> None:
    with db.read_session() as s, pytest.raises(InvalidInput):
        transaction_stats(s, since=START, until=START - dt.timedelta(seconds=1))
