"""Exactly-once audit events, keyed in their detail.

The audit log is the enforcer's only memory: an event that carries `{"key": ...}` in its
detail is never written twice for the same (type, object, key). The check and the write
happen in one write transaction that holds the log's append lock (BEGIN IMMEDIATE on
SQLite, the advisory lock on PostgreSQL), so two enforcers, or a restarted one racing a
dying one, cannot both find the key missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from labgate.audit.log import APPEND_LOCK_KEY, Actor, record_as
from labgate.model import AuditEvent


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # The same transaction-scoped lock `record` takes: held from here to commit.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})


def recorded_keys(session: Session, type_: str, object_kind: str, object_id: str) -> set[str]:
    """The keys already recorded for this type and object."""
    details = session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.type == type_,
            AuditEvent.object_kind == object_kind,
            AuditEvent.object_id == object_id,
        )
    )
    return {str(json.loads(d).get("key", "")) for d in details}


def record_once(
    session: Session,
    actor: Actor,
    type_: str,
    object_kind: str,
    object_id: str,
    key: str,
    detail: Mapping[str, Any],
) -> bool:
    """Record the event unless one with `key` exists; True if it was recorded now.

    Call it in a write transaction (`Database.session()`): the event commits with it.
    """
    _lock(session)
    if key in recorded_keys(session, type_, object_kind, object_id):
        return False
    record_as(session, actor, type_, object_kind, object_id, detail={**detail, "key": key})
    return True
