"""Writing audit events out as CSV or JSON lines, and reading such files back (LOG-3).

Every column is written, the hashes included, so an exported run of events can be checked
against the chain later (`labgate.audit.chain.event_hash`) by anyone holding the file.
CSV cells are written as they are, without the "'" some tools prefix to text starting with
"=": the export is evidence and must read back byte for byte. Open it as text, not in a
spreadsheet that evaluates formulas.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from labgate.audit.events import FIELDS, EventOut
from labgate.audit.log import canonical_detail

CSV_COLUMNS = ("seq", "time", *FIELDS[1:])
_INT_FIELDS = frozenset({"seq", "ts_us"})


def export_csv(events: Iterable[EventOut], fp: TextIO) -> int:
    """Write `events` as CSV with a header row; returns how many were written."""
    writer = csv.writer(fp, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        writer.writerow([event.seq, event.time.isoformat(), *_values(event)[1:]])
        count += 1
    return count


def export_jsonl(events: Iterable[EventOut], fp: TextIO) -> int:
    """Write `events` as one JSON object a line; returns how many were written."""
    count = 0
    for event in events:
        fp.write(json.dumps(event.as_dict(), ensure_ascii=False, sort_keys=True))
        fp.write("\n")
        count += 1
    return count


def read_csv(fp: TextIO) -> list[EventOut]:
    return [_event(row) for row in csv.DictReader(fp)]


def read_jsonl(fp: TextIO) -> list[EventOut]:
    events = []
    for line in fp:
        if line.strip():
            row = json.loads(line)
            row["detail"] = canonical_detail(row["detail"])
            events.append(_event(row))
    return events


def _values(event: EventOut) -> list[Any]:
    return [getattr(event, name) for name in FIELDS]


def _event(row: dict[str, Any]) -> EventOut:
    return EventOut.from_mapping(
        {name: int(row[name]) if name in _INT_FIELDS else row[name] for name in FIELDS}
    )
