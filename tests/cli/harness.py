"""Run the real `labgate` CLI in-process against a test database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import select

from labgate.cli.main import cli
from labgate.db import Database
from labgate.model import AuditEvent, Base

#: Tables the audit log itself writes to; everything else must be unchanged by a refusal.
AUDIT_TABLES = {"audit_event", "audit_daily_count"}


@dataclass
class Labgate:
    db_url: str
    actor: str | None = None

    def run(self, *args: str, actor: str | None = None) -> Result:
        base = ["--db", self.db_url]
        who = actor or self.actor
        if who:
            base += ["--actor", who]
        return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)

    def ok(self, *args: str, actor: str | None = None) -> Any:
        result = self.run("--json", *args, actor=actor)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every non-audit table: the database's state for 'unchanged' checks."""
        db = Database(self.db_url)
        try:
            with db.read_session() as s:
                return {
                    name: sorted(map(tuple, s.execute(select(table)).all()), key=repr)
                    for name, table in Base.metadata.tables.items()
                    if name not in AUDIT_TABLES
                }
        finally:
            db.dispose()

    def last_event(self) -> AuditEvent:
        db = Database(self.db_url)
        try:
            with db.read_session() as s:
                event = s.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
                assert event is not None
                return event
        finally:
            db.dispose()
