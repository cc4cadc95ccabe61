"""The read side's view of an audit event: a plain value, detached from any session."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from labgate.audit.timestamps import from_us

#: Column order of audit_event as read, written to CSV and JSON Lines.
FIELDS = (
    "seq",
    "ts_us",
    "actor",
    "actor_kind",
    "institution",
    "type",
    "object_kind",
    "object_id",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class EventOut:
    """One event as found by a search. `detail` stays the canonical JSON text that was
    hashed, so an exported event can still be checked against its hash."""

    seq: int
    ts_us: int
    actor: str
    actor_kind: str
    institution: str
    type: str
    object_kind: str
    object_id: str
    outcome: str
    detail: str
    prev_hash: str
    hash: str

    @property
    def time(self) -> dt.datetime:
        """When it happened (UTC)."""
        return from_us(self.ts_us)

    @property
    def details(self) -> dict[str, Any]:
        """`detail` parsed."""
        value: dict[str, Any] = json.loads(self.detail)
        return value
