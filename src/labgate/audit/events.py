"""An audit event as read back from the log (search results, exports, reports)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labgate.audit.timestamps import from_us

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


@dataclass(frozen=True, slots=True)
class EventOut:
    seq: int
    ts_us: int
    actor: str
    actor_kind: str
    institution: str
    type: str
    object_kind: str
    object_id: str
    outcome: str
    #: Canonical JSON text, exactly as hashed (so an exported event can be re-verified).
    detail: str
    prev_hash: str
    hash: str

    @property
    def time(self) -> dt.datetime:
        return from_us(self.ts_us)

    @property
    def detail_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.detail)
        return data

    @classmethod
    def from_mapping(cls, row: Mapping[Any, Any]) -> EventOut:
        return cls(*(row[name] for name in FIELDS))

    def as_dict(self) -> dict[str, Any]:
        """For people and JSON: the time in ISO 8601 and the detail as an object."""
        out: dict[str, Any] = {"seq": self.seq, "time": self.time.isoformat()}
        for name in FIELDS[1:]:
            out[name] = getattr(self, name)
        out["detail"] = self.detail_data
        return out
