"""What every CLI command receives: the database, who is acting, and output format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from labgate.audit.log import Actor
from labgate.db import Database


@dataclass
class CliContext:
    db: Database
    #: Who the audit log names for every write this invocation makes.
    actor: Actor
    #: Print machine-readable JSON instead of text.
    json: bool
    #: Root of the data store (vault and project areas).
    data_root: Path


pass_ctx = click.make_pass_decorator(CliContext)
