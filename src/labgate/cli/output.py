"""Print results as a table for people or as JSON for scripts (`--json`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import click


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def emit(as_json: bool, data: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
    if as_json:
        click.echo(json.dumps(data, default=_default, indent=2, sort_keys=True))
        return
    rows = [data] if isinstance(data, Mapping) else list(data)
    if not rows:
        click.echo("(none)")
        return
    columns = list(rows[0].keys())
    cells = [[_text(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_text(v) for v in value)
    return _default(value) if not isinstance(value, str) else value
