"""Writing found events out as CSV or JSON Lines, and reading them back (LOG-3).

Both formats keep every column, hashes included, so an export can be checked on its own:
each event's hash can be recomputed, and consecutive events link by `prev_hash`.

CSV is opened in spreadsheets, and parts of an event come from users (a file name in
`file.access`, say): a cell starting with "=", "+", "-", "@", a tab or a carriage return
would run as a formula. Such a value is written with a leading "'" (OWASP's advice), and
so is a value that itself starts with "'", so that reading strips exactly one and the
round trip stays exact.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from labgate.audit.events import FIELDS, EventOut
from labgate.audit.log import canonical_detail

#: CSV header: the stored columns, with the time in ISO 8601 beside `ts_us` for people.
CSV_COLUMNS = ("seq", "time", *FIELDS[1:])
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def export_csv(events: Iterable[EventOut], fp: IO[str]) -> int:
    """Write `events` as CSV with a header row; returns how many were written."""
    writer = csv.writer(fp, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for e in events:
        writer.writerow(
            [e.seq, e.time.isoformat(), e.ts_us]
            + [_defuse(getattr(e, name)) for name in FIELDS[2:]]
        )
        n += 1
    return n


def read_csv(fp: IO[str]) -> list[EventOut]:
    """Events from a file written by `export_csv`."""
    return [
        EventOut(int(row["seq"]), int(row["ts_us"]), *(_restore(row[n]) for n in FIELDS[2:]))
        for row in csv.DictReader(fp)
    ]


def export_jsonl(events: Iterable[EventOut], fp: IO[str]) -> int:
    """Write one JSON object per event and line, `detail` as an object; returns how many."""
    n = 0
    for e in events:
        record: dict[str, Any] = {name: getattr(e, name) for name in FIELDS}
        record["time"] = e.time.isoformat()
        record["detail"] = e.details
        fp.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        fp.write("\n")
        n += 1
    return n


def read_jsonl(fp: IO[str]) -> list[EventOut]:
    """Events from a file written by `export_jsonl`."""
    events = []
    for line in fp:
        if not line.strip():
            continue
        record = json.loads(line)
        # `detail` was stored canonical, so canonicalising the object gives the same text.
        record["detail"] = canonical_detail(record["detail"])
        events.append(EventOut(**{name: record[name] for name in FIELDS}))
    return events


def _defuse(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _restore(value: str) -> str:
    return value[1:] if value.startswith("'") else value
