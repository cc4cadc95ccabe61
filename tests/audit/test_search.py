"""Searching the log by user, type, time span and object, scoped, and logged (LOG-3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from labgate import clock
from labgate.audit.events import EventOut
from labgate.audit.log import EventIn, record_many
from labgate.audit.search import logged_search, search
from labgate.db import Database
from labgate.errors import Denied, InvalidInput
from tests.audit.factories import ALICE, BOB, OFFICER, SYSTEM

pytestmark = pytest.mark.requirement("LOG-3")

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def log(db: Database) -> Iterator[Database]:
    """seq 1-10: a small morning of two institutions, one event a minute from T0."""
    events = [
        EventIn.by(ALICE, "login", "session", "alice"),  # 1 @ T0
        EventIn.by(ALICE, "workspace.start", "workspace", "alice/p1"),  # 2 @ T0+1
        EventIn.by(ALICE, "file.access", "file", "/p1/a.parquet"),  # 3
        EventIn.by(BOB, "login.failed", "session", "bob", outcome="failed"),  # 4
        EventIn.by(BOB, "login", "session", "bob"),  # 5
        EventIn.by(BOB, "workspace.start.denied", "workspace", "bob/p2", outcome="denied"),  # 6
        EventIn.by(ALICE, "file.access", "file", "/p1/b.parquet"),  # 7
        EventIn.by(SYSTEM, "enforcer.stop", "workspace", "alice/p1"),  # 8
        EventIn.by(ALICE, "file.access", "file", "/p1/a.parquet"),  # 9
        EventIn.by(ALICE, "logout", "session", "alice"),  # 10 @ T0+9
    ]
    for i, event in enumerate(events):
        with clock.frozen(T0 + i * MIN), db.session() as s:
            record_many(s, [event])
    yield db


def seqs(events: list[EventOut]) -> list[int]:
    return [e.seq for e in events]


def find(db: Database, **filters: object) -> list[int]:
    with db.read_session() as s:
        return seqs(search(s, **filters))  # type: ignore[arg-type]


def test_all_events_in_chain_order(log: Database) -> None:
    assert find(log) == list(range(1, 11))
    assert find(log, limit=3) == [1, 2, 3]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor": "alice"}, [1, 2, 3, 7, 9, 10]),
        ({"actor": "nobody"}, []),
        ({"type": "file.access"}, [3, 7, 9]),
        ({"type": ["login", "login.failed"]}, [1, 4, 5]),
        ({"object_kind": "workspace"}, [2, 6, 8]),
        ({"object_kind": "file", "object_id": "/p1/a.parquet"}, [3, 9]),
        ({"object_id": "alice/p1"}, [2, 8]),
        ({"institution": "ku"}, [4, 5, 6]),
        ({"institution": ""}, [8]),
        ({"outcome": "denied"}, [6]),
        ({"outcome": "failed"}, [4]),
        ({"actor": "alice", "type": "file.access", "object_id": "/p1/a.parquet"}, [3, 9]),
        ({"institution": "au", "type": ["logout", "login"]}, [1, 10]),
    ],
)
def test_each_filter_and_combinations(
    log: Database, filters: dict[str, object], expected: list[int]
) -> None:
    assert find(log, **filters) == expected


def test_time_span_includes_since_and_excludes_until(log: Database) -> None:
    assert find(log, since=T0 + 2 * MIN, until=T0 + 5 * MIN) == [3, 4, 5]
    assert find(log, since=T0 + 2 * MIN + dt.timedelta(microseconds=1)) == list(range(4, 11))
    assert find(log, until=T0) == []
    assert find(log, until=T0 + dt.timedelta(microseconds=1)) == [1]
    assert find(log, actor="alice", since=T0 + 3 * MIN, until=T0 + 9 * MIN) == [7, 9]


@pytest.mark.parametrize("types", [[], "data.peek", ["login", "logn"]])
def test_unknown_or_no_types_are_refused_not_silently_empty(
    log: Database, types: str | list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        find(log, type=types)
    assert caught.value.reason == "unknown-type"


def test_keyset_pages_cover_everything_once_even_with_equal_times(db: Database) -> None:
    with clock.frozen(T0), db.session() as s:  # 25 events with the very same time
        record_many(s, [EventIn.by(ALICE, "file.access", "file", f"/f{i}") for i in range(25)])
    with clock.frozen(T0 + MIN), db.session() as s:
        record_many(s, [EventIn.by(ALICE, "file.access", "file", f"/g{i}") for i in range(5)])
    pages: list[list[int]] = []
    after = None
    while page := find(db, limit=7, after_seq=after, actor="alice"):
        pages.append(page)
        after = page[-1]
    flat = [seq for page in pages for seq in page]
    assert flat == list(range(1, 31))
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]


def test_event_out_has_time_and_detail(log: Database) -> None:
    with log.read_session() as s:
        [event] = search(s, outcome="failed")
    assert event.time == T0 + 3 * MIN
    assert event.details == {}


def test_scoped_search_sees_only_its_institution(log: Database) -> None:
    au = [1, 2, 3, 7, 9, 10]
    assert seqs(logged_search(log, OFFICER, scope_institution="au")) == au
    # The first search was logged as an event of the officer's institution: seq 11.
    assert seqs(logged_search(log, OFFICER, scope_institution="au", institution="au")) == [
        *au, 11,
    ]  # fmt: skip
    assert logged_search(log, OFFICER, scope_institution="au", actor="bob") == []
    assert seqs(logged_search(log, SYSTEM, scope_institution=None, institution="ku")) == [4, 5, 6]


def test_scoped_search_of_another_institution_is_refused_and_logged(log: Database) -> None:
    with pytest.raises(Denied) as caught:
        logged_search(log, OFFICER, scope_institution="au", institution="ku")
    assert caught.value.reason == "out-of-scope"
    with log.read_session() as s:
        [event] = search(s, type="audit.search")
    assert (event.outcome, event.details["institution"], event.details["results"]) == (
        "denied", "ku", 0,
    )  # fmt: skip


def test_a_search_is_itself_logged_with_its_filters(log: Database) -> None:
    with clock.frozen(T0 + 30 * MIN):
        found = logged_search(
            log, OFFICER, scope_institution="au", actor="alice", type=["file.access"],
            since=T0, until=T0 + 20 * MIN, limit=2,
        )  # fmt: skip
    assert seqs(found) == [3, 7]
    with log.read_session() as s:
        [event] = search(s, type="audit.search")
    assert (event.seq, event.actor, event.institution) == (11, "olga", "au")
    assert (event.object_kind, event.object_id) == ("audit_log", "au")
    assert event.details == {
        "actor": "alice",
        "institution": "au",
        "limit": 2,
        "results": 2,
        "since": "2026-03-02T09:00:00+00:00",
        "type": ["file.access"],
        "until": "2026-03-02T09:20:00+00:00",
    }
