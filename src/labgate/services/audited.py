"""Run an administrative write so that both its success and its refusal are logged.

The write and its audit event commit together. When the write is refused, its
transaction is rolled back (nothing changes) and the refusal is recorded in a
transaction of its own, so that a denied attempt is never lost from the log (LOG-1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from labgate.audit.log import Actor, record_as
from labgate.db import Database
from labgate.errors import LabgateError

T = TypeVar("T")


def audited_write(
    db: Database,
    actor: Actor,
    *,
    type: str,
    object_kind: str,
    object_id: str,
    action: Callable[[Session], T],
) -> T:
    try:
        with db.session() as session:
            return action(session)
    except LabgateError as error:
        with db.session() as session:
            record_as(
                session,
                actor,
                type,
                object_kind,
                object_id,
                outcome="denied",
                detail={"reason": error.reason},
            )
        raise
