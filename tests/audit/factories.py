"""Helpers for audit tests: appending events and reaching under the triggers."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from sqlalchemy import create_engine, text

from labgate.audit.log import Actor, EventIn, record_many
from labgate.db import Database

ALICE = Actor(name="alice", kind="person", institution="au")
BOB = Actor(name="bob", kind="person", institution="ku")
OFFICER = Actor(name="olga", kind="person", institution="au")
SYSTEM = Actor(name="enforcer", kind="system", institution="")


def append(db: Database, events: Sequence[EventIn]) -> None:
    with db.session() as s:
        record_many(s, events)


def file_accesses(actor: Actor, n: int, *, start: int = 0) -> list[EventIn]:
    return [EventIn.by(actor, "file.access", "file", f"/p1/f{start + i}") for i in range(n)]


def tamper(db: Database, sql: str) -> None:
    """Run `sql` on audit_event behind the append-only triggers' back, as an attacker with
    direct database access would."""
    if db.dialect == "sqlite":
        path = db.engine.url.database
        assert path
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            triggers = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_event'"
            ).fetchall()
            assert triggers, "the migration should have made audit_event append-only"
            for name, _ in triggers:
                conn.execute(f"DROP TRIGGER {name}")
            conn.execute(sql)
            for _, create in triggers:
                conn.execute(create)
        finally:
            conn.close()
    else:
        engine = create_engine(db.url)
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            conn.execute(text(sql))
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        engine.dispose()
