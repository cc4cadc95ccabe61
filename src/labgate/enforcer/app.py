"""`python -m labgate.enforcer`: the enforcer as a JupyterHub-managed service.

Settings are traits of `LabgateEnforcer`, from the command line
(`--LabgateEnforcer.interval_seconds=30`, or the short `--interval-seconds=30`) or a
config file; the database, data root and hub connection default to the environment the
hub gives a managed service (`LABGATE_DB`, `LABGATE_DATA_ROOT`, `JUPYTERHUB_API_URL`,
`JUPYTERHUB_API_TOKEN`), read when the application starts, never at import.

Killed at any moment (the hub restarts a managed service that exits), it resumes: every
pass works out what is left to do from the database, the hub and the time alone.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from traitlets import Bool, Float, Integer, Unicode, default, validate
from traitlets.config import Application

from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.enforcer.hubapi import HubClient
from labgate.enforcer.run import Enforcer, Settings
from labgate.policy.notices import DEFAULT_WARNING_DAYS


class LabgateEnforcer(Application):
    name = "labgate-enforcer"
    description = (
        "Stops workspaces whose access ended or whose data was withdrawn, deletes project "
        "data at the deletion deadline, and records end-of-access warnings and overdue "
        "quarterly controls."
    )

    aliases = {
        "interval-seconds": "LabgateEnforcer.interval_seconds",
        "warning-days": "LabgateEnforcer.warning_days",
        "stop-wait-seconds": "LabgateEnforcer.stop_wait_seconds",
        "db-url": "LabgateEnforcer.db_url",
        "data-root": "LabgateEnforcer.data_root",
        "log-level": "Application.log_level",
    }
    flags = {"once": ({"LabgateEnforcer": {"once": True}}, "Run one pass, then exit.")}

    interval_seconds = Float(
        30.0,
        help="""Seconds between two passes (default 30). A workspace whose access ended is
        stopped at most this long, plus one pass, after the event, so keep it at or below
        30 to meet WS-4's one minute. Example: --interval-seconds=15""",
    ).tag(config=True)

    warning_days = Integer(
        DEFAULT_WARNING_DAYS,
        help="""Days before a project's end of access (the first day without access) that
        its owners and managers are warned, once per project and end date (default 30).
        Example: --warning-days=14""",
    ).tag(config=True)

    stop_wait_seconds = Float(
        30.0,
        help="""How long a deletion waits for the project's workspaces to stop before it
        gives up until the next pass (default 30). Example: --stop-wait-seconds=60""",
    ).tag(config=True)

    request_timeout_seconds = Float(
        20.0, help="Timeout of one request to the hub's REST API, in seconds (default 20)."
    ).tag(config=True)

    once = Bool(False, help="Run one pass and exit (a manual catch-up or a cron job).").tag(
        config=True
    )

    db_url = Unicode(
        help="""labgate's database, as an SQLAlchemy URL (default: $LABGATE_DB).
        Example: sqlite:////var/lib/labgate/labgate.sqlite"""
    ).tag(config=True)

    data_root = Unicode(
        help="""The data store's root directory (default: $LABGATE_DATA_ROOT), the one the
        spawner mounts project data from. Example: /srv/labgate/data"""
    ).tag(config=True)

    hub_api_url = Unicode(
        help="The hub's REST API (default: $JUPYTERHUB_API_URL, set by the hub)."
    ).tag(config=True)

    api_token = Unicode(
        help="""The service's API token (default: $JUPYTERHUB_API_TOKEN, set by the hub).
        Its role needs list:users, read:servers, delete:servers, read:users:activity."""
    ).tag(config=True)

    @default("db_url")
    def _db_url_default(self) -> str:
        return os.environ.get("LABGATE_DB", "")

    @default("data_root")
    def _data_root_default(self) -> str:
        return os.environ.get("LABGATE_DATA_ROOT", "")

    @default("hub_api_url")
    def _hub_api_url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "")

    @default("api_token")
    def _api_token_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @validate("interval_seconds", "stop_wait_seconds", "request_timeout_seconds")
    def _positive(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if value <= 0:
            name = proposal["trait"].name
            raise ValueError(f"LabgateEnforcer.{name} must be a positive number of seconds")
        return value

    @validate("warning_days")
    def _not_negative(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value < 0:
            raise ValueError("LabgateEnforcer.warning_days must be 0 or more days, e.g. 30")
        return value

    def _missing(self) -> list[str]:
        needed = {
            "db_url (or LABGATE_DB)": self.db_url,
            "data_root (or LABGATE_DATA_ROOT)": self.data_root,
            "hub_api_url (or JUPYTERHUB_API_URL)": self.hub_api_url,
            "api_token (or JUPYTERHUB_API_TOKEN)": self.api_token,
        }
        return [name for name, value in needed.items() if not value]

    def build(self) -> Enforcer:
        return Enforcer(
            Database(self.db_url),
            DataStore(Path(self.data_root)),
            HubClient(self.hub_api_url, self.api_token, self.request_timeout_seconds),
            Settings(self.warning_days, self.stop_wait_seconds),
        )

    def start(self) -> None:
        if missing := self._missing():
            self.log.critical("labgate-enforcer is not configured: set %s", ", ".join(missing))
            self.exit(2)
        # The modules log to "labgate.enforcer"; send it where the application logs.
        logger = logging.getLogger("labgate")
        logger.handlers = list(self.log.handlers)
        logger.setLevel(self.log.level)
        logger.propagate = False
        enforcer = self.build()
        if self.once:
            report = enforcer.run_once()
            self.exit(1 if report.failures else 0)
        self.log.info("labgate-enforcer: a pass every %s seconds", self.interval_seconds)
        # One worker: deletions run one at a time, beside the passes, so that hashing a
        # large project never delays a stop.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="deletion") as deleter:
            while True:
                began = time.monotonic()
                report = enforcer.run_once(deleter)
                if report.stopped or report.notices or report.failures:
                    self.log.info(
                        "pass: %d stopped, %d notices, %d failures",
                        len(report.stopped), report.notices, report.failures,
                    )  # fmt: skip
                time.sleep(max(0.0, self.interval_seconds - (time.monotonic() - began)))


def main(argv: list[str] | None = None) -> None:
    LabgateEnforcer.launch_instance(argv)
