"""Where labgate finds its database when run from the command line.

The hub reads the same URL from its traitlets config; the CLI reads it from
`--db` or the LABGATE_DB environment variable, at call time (never at import).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_PATH = Path("var") / "labgate.sqlite"


def database_url(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("LABGATE_DB")
    if env:
        return env
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"
