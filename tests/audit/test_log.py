"""Appending events: inside the caller's transaction, chained, counted per day (LOG-1)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from labgate import clock
from labgate.audit.chain import GENESIS, event_hash
from labgate.audit.log import EventIn, record, record_as, record_many
from labgate.audit.verify import verify
from labgate.db import Database
from labgate.model.audit import AuditDailyCount, AuditEvent
from tests.audit.factories import ALICE, BOB, SYSTEM, append, file_accesses

pytestmark = pytest.mark.requirement("LOG-1")


def test_record_returns_the_chained_event(db: Database, frozen_clock: dt.datetime) -> None:
    with db.session() as s:
        first = record(
            s, actor="alice", actor_kind="person", institution="au", type="login",
            object_kind="session", object_id="alice", detail={"ip": "10.0.0.1", "a": [1, 2]},
        )  # fmt: skip
        second = record_as(s, SYSTEM, "workspace.stop", "workspace", "alice/p1")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert first.ts_us == int(frozen_clock.timestamp()) * 1_000_000
    assert first.detail == '{"a":[1,2],"ip":"10.0.0.1"}'
    assert first.hash == event_hash(
        GENESIS, 1, first.ts_us, "alice", "person", "au", "login", "session", "alice", "ok",
        first.detail,
    )  # fmt: skip
    with db.read_session() as s:
        stored = s.get(AuditEvent, 1)
        assert stored is not None and stored.hash == first.hash


def test_event_rolls_back_with_the_action_it_records(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        record_as(s, ALICE, "login", "session", "alice")
        raise RuntimeError("the action failed")
    with db.session() as s:
        again = record_as(s, ALICE, "login", "session", "alice")
    assert again.seq == 1
    assert verify(db).ok


def test_chain_is_intact_after_many_appends(db: Database) -> None:
    for batch in range(5):
        append(db, file_accesses(ALICE, 200, start=batch * 200))
    for _ in range(20):
        with db.session() as s:
            record_as(s, BOB, "login", "session", "bob")
    result = verify(db)
    assert (result.ok, result.events, result.first_broken_seq) == (True, 1020, None)


def test_daily_counts_follow_the_events(db: Database) -> None:
    day1 = dt.datetime(2026, 3, 2, 23, 59, tzinfo=dt.UTC)
    with clock.frozen(day1):
        append(db, file_accesses(ALICE, 3) + file_accesses(BOB, 2))
    with clock.frozen(day1 + dt.timedelta(minutes=2)):
        append(db, file_accesses(ALICE, 4))
        append(db, [EventIn.by(ALICE, "file.access", "file", "x", at=day1)])
    with db.read_session() as s:
        rows = s.execute(
            select(AuditDailyCount.day, AuditDailyCount.actor, AuditDailyCount.count).order_by(
                AuditDailyCount.day, AuditDailyCount.actor
            )
        ).all()
        total = s.scalar(select(func.count()).select_from(AuditEvent))
    d = (day1.date() - dt.date(1970, 1, 1)).days
    assert [tuple(r) for r in rows] == [(d, "alice", 4), (d, "bob", 2), (d + 1, "alice", 4)]
    assert total == 10


def test_record_many_appends_in_order_and_counts(db: Database) -> None:
    with db.session() as s:
        assert record_many(s, []) == 0
        assert record_many(s, file_accesses(ALICE, 7)) == 7
    with db.read_session() as s:
        ids = s.scalars(select(AuditEvent.object_id).order_by(AuditEvent.seq)).all()
    assert ids == [f"/p1/f{i}" for i in range(7)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"actor_kind": "robot"}, "actor kind"),
        ({"outcome": "maybe"}, "outcome"),
        ({"actor": "x" * 161}, "longer than 160"),
        ({"object_kind": "a\x00b"}, "NUL"),
        ({"actor": "alice\x00person"}, "NUL"),
        ({"object_id": "/p1/\x00"}, "NUL"),
        ({"institution": "\x00"}, "NUL"),
    ],
)
def test_malformed_events_are_refused_on_both_backends(
    db: Database, change: dict[str, str], message: str
) -> None:
    fields = {
        "actor": "alice", "actor_kind": "person", "institution": "au", "type": "login",
        "object_kind": "session", "object_id": "alice", **change,
    }  # fmt: skip
    with pytest.raises(ValueError, match=message), db.session() as s:
        record(s, **fields)


def test_a_long_object_id_is_shortened_and_kept_whole_in_the_detail(db: Database) -> None:
    path = "/data/" + "d" * 400
    with db.session() as s:
        event = record_as(s, ALICE, "file.access", "file", path)
    assert len(event.object_id) == 300 and event.object_id.endswith("…")
    assert '"full_object_id":"' + path + '"' in event.detail
    assert verify(db).ok


def test_detail_must_be_json_data(db: Database) -> None:
    with pytest.raises(TypeError), db.session() as s:
        record_as(s, ALICE, "login", "session", "alice", detail={"x": object()})
