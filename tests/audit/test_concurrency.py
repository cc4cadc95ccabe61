"""Concurrent writers never fork or break the chain, and lose nothing (LOG-2)."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from labgate.audit.log import Actor, record_as
from labgate.audit.verify import verify
from labgate.db import Database
from labgate.model.audit import AuditEvent

pytestmark = pytest.mark.requirement("LOG-2")

WRITERS = 4
EVENTS_EACH = 200


def _append_events(url: str, name: str) -> None:
    """One writer: its own Database, one transaction per event (the most interleaving)."""
    db = Database(url)
    actor = Actor(name=name, kind="system", institution="")
    try:
        for i in range(EVENTS_EACH):
            with db.session() as s:
                record_as(s, actor, "file.access", "file", f"{name}/{i}")
    finally:
        db.dispose()


def _assert_complete_chain(db: Database) -> None:
    result = verify(db)
    assert (result.ok, result.events) == (True, WRITERS * EVENTS_EACH)
    with db.read_session() as s:
        rows = s.execute(select(AuditEvent.actor, AuditEvent.object_id)).all()
    per_writer = Counter(actor for actor, _ in rows)
    assert per_writer == {f"w{n}": EVENTS_EACH for n in range(WRITERS)}
    assert len({object_id for _, object_id in rows}) == WRITERS * EVENTS_EACH


def test_threads_appending_at_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            _append_events(db_url, name)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f"w{n}",)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = Database(db_url)
    try:
        _assert_complete_chain(db)
    finally:
        db.dispose()


@pytest.mark.slow
def test_processes_appending_at_once(db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_events, args=(db_url, f"w{n}")) for n in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    db = Database(db_url)
    try:
        _assert_complete_chain(db)
    finally:
        db.dispose()
