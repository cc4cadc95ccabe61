from sqlalchemy import inspect

from labgate.db import Database


def test_migrations_build_every_table_from_empty(db: Database) -> None:
    names = set(inspect(db.engine).get_table_names())
    assert {"audit_event", "authorisation", "project", "grant"} <= names
