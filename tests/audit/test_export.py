"""Exported events read back exactly and still verify against the chain (LOG-3)."""

from __future__ import annotations

import io

import pytest

from labgate.audit.chain import event_hash
from labgate.audit.events import EventOut
from labgate.audit.export import export_csv, export_jsonl, read_csv, read_jsonl
from labgate.audit.log import EventIn, record_many
from labgate.audit.search import search
from labgate.db import Database
from tests.audit.factories import ALICE

pytestmark = pytest.mark.requirement("LOG-3")

AWKWARD = [
    'a "quoted", comma-separated name',
    "line one\nline two\r\nthree",
    "=cmd|' /C calc'!A0",
    "æøå 😀 \t tab",
    "",
]


@pytest.fixture
def events(db: Database) -> list[EventOut]:
    with db.session() as s:
        record_many(
            s,
            [
                EventIn.by(ALICE, "file.access", "file", text or "-", detail={"note": text, "n": i})
                for i, text in enumerate(AWKWARD)
            ],
        )
    with db.read_session() as s:
        return search(s)


def _hashes_hold(events: list[EventOut]) -> bool:
    return all(
        e.hash
        == event_hash(
            e.prev_hash,
            e.seq,
            e.ts_us,
            e.actor,
            e.actor_kind,
            e.institution,
            e.type,
            e.object_kind,
            e.object_id,
            e.outcome,
            e.detail,
        )
        for e in events
    )


def test_csv_round_trip(events: list[EventOut]) -> None:
    buffer = io.StringIO()
    assert export_csv(events, buffer) == len(AWKWARD)
    header = buffer.getvalue().splitlines()[0]
    assert header.startswith("seq,time,ts_us,actor,")
    buffer.seek(0)
    back = read_csv(buffer)
    assert back == events
    assert _hashes_hold(back)


def test_jsonl_round_trip(events: list[EventOut]) -> None:
    buffer = io.StringIO()
    assert export_jsonl(events, buffer) == len(AWKWARD)
    assert len(buffer.getvalue().splitlines()) == len(AWKWARD)
    buffer.seek(0)
    back = read_jsonl(buffer)
    assert back == events
    assert _hashes_hold(back)
