"""The log is append-only, and tampering behind the database's back is found (LOG-2)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from labgate.audit.log import record_as
from labgate.audit.verify import verify
from labgate.db import Database
from tests.audit.factories import ALICE, append, file_accesses, tamper

pytestmark = pytest.mark.requirement("LOG-2")
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
POSTGRESQL_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def flip_first(column: str) -> str:
    """SQL for `column` with its first hex digit changed (always a change, on both backends)."""
    return f"CASE WHEN substr({column}, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr({column}, 2)"


@pytest.fixture
def log(db: Database) -> Database:
    append(db, file_accesses(ALICE, 50))
    return db


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET actor = 'mallory' WHERE seq = 7",
        "DELETE FROM audit_event WHERE seq = 7",
        "DELETE FROM audit_event",
    ],
)
def test_database_refuses_update_and_delete(log: Database, sql: str) -> None:
    with pytest.raises(DBAPIError), log.session() as s:
        s.execute(text(sql))
    assert verify(log).ok


@POSTGRESQL_ONLY
def test_postgresql_refuses_truncate(log: Database) -> None:
    with pytest.raises(DBAPIError), log.session() as s:
        s.execute(text("TRUNCATE audit_event"))


@pytest.mark.parametrize("workers", [1, 3])
def test_edit_behind_the_triggers_is_named_by_seq(log: Database, workers: int) -> None:
    tamper(log, "UPDATE audit_event SET object_id = '/p1/other' WHERE seq = 23")
    result = verify(log, workers=workers)
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 23, "hash mismatch")
    assert result.events == 22


def test_edit_with_recomputed_hash_breaks_the_next_link(log: Database) -> None:
    tamper(log, f"UPDATE audit_event SET hash = {flip_first('hash')} WHERE seq = 30")
    result = verify(log)
    assert (result.first_broken_seq, result.problem) == (30, "hash mismatch")
    tamper(log, f"UPDATE audit_event SET prev_hash = {flip_first('prev_hash')} WHERE seq = 12")
    result = verify(log)
    assert (result.first_broken_seq, result.problem) == (12, "prev_hash does not match")


@pytest.mark.parametrize("workers", [1, 2])
def test_deleted_middle_event_is_a_gap(log: Database, workers: int) -> None:
    tamper(log, "DELETE FROM audit_event WHERE seq = 25")
    result = verify(log, workers=workers)
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 25, "seq gap")
    assert result.events == 24


def test_deleted_first_event_is_a_gap(log: Database) -> None:
    tamper(log, "DELETE FROM audit_event WHERE seq = 1")
    assert verify(log).first_broken_seq == 1


@SQLITE_ONLY  # only SQLite lets a column hold another type
def test_values_changed_to_another_type_are_a_mismatch(log: Database) -> None:
    tamper(log, "UPDATE audit_event SET ts_us = ts_us + 0.5 WHERE seq = 40")
    assert verify(log).first_broken_seq == 40
    tamper(log, "UPDATE audit_event SET actor = CAST('alice' || char(0) || 'x' AS BLOB) "
                "WHERE seq = 3")  # fmt: skip
    assert verify(log).first_broken_seq == 3


@SQLITE_ONLY  # PostgreSQL validates UTF-8
def test_bytes_that_are_not_utf8_are_a_mismatch(log: Database) -> None:
    tamper(log, "UPDATE audit_event SET actor = CAST(x'616c69ff' AS TEXT) WHERE seq = 9000")
    tamper(log, "UPDATE audit_event SET detail = CAST(x'7bff7d' AS TEXT) WHERE seq = 44")
    result = verify(log)
    assert (result.first_broken_seq, result.problem) == (44, "hash mismatch")


def test_appending_after_verification_continues_the_chain(log: Database) -> None:
    with log.session() as s:
        event = record_as(s, ALICE, "audit.verify", "audit_log", "chain")
    assert event.seq == 51
    assert verify(log).events == 51


def test_empty_log_is_intact(db: Database) -> None:
    assert verify(db).ok and verify(db).events == 0


def test_daily_counts_that_disagree_with_the_events_are_reported(log: Database) -> None:
    assert verify(log, check_rollup=True).ok
    with log.session() as s:  # derived data: no trigger guards it
        s.execute(text("UPDATE audit_daily_count SET count = count + 1"))
    result = verify(log, check_rollup=True)
    assert (result.ok, result.first_broken_seq) == (False, None)
    assert result.problem is not None
    assert result.problem.startswith("daily counts do not match")
    assert verify(log).ok  # the chain itself is intact
