"""One enforcement pass, and the loop that repeats it.

A pass reads the time once, then: stops what may not keep running (first, so a slow
deletion never holds up WS-4's one minute), deletes what is due, records notices. Each
step, and each item in it, stands alone: a failure is logged and the next pass retries,
since every step is a replay-safe function of the database, the hub and the time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from labgate import clock
from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.enforcer.deletions import DueDeletion, delete_when_stopped, due_deletions
from labgate.enforcer.hubapi import HubClient, RunningServer
from labgate.enforcer.notices import record_notices
from labgate.enforcer.stops import StopOrder, plan_stops, stop_all
from labgate.policy.notices import DEFAULT_WARNING_DAYS

log = logging.getLogger("labgate.enforcer")


@dataclass(frozen=True)
class Settings:
    warning_days: int = DEFAULT_WARNING_DAYS
    stop_wait_seconds: float = 30.0


@dataclass
class PassReport:
    at: dt.datetime
    stopped: list[StopOrder] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    notices: int = 0
    failures: int = 0


class Enforcer:
    def __init__(self, db: Database, store: DataStore, hub: HubClient, settings: Settings) -> None:
        self.db = db
        self.store = store
        self.hub = hub
        self.settings = settings
        self._deleting: set[str] = set()
        self._lock = threading.Lock()

    def run_once(self, deleter: ThreadPoolExecutor | None = None) -> PassReport:
        """One pass. With `deleter`, deletions run on it and this returns without waiting
        for them; without, they run here, in turn."""
        report = PassReport(at=clock.now())
        running: list[RunningServer] = []
        try:
            running = self.hub.running_servers()
            orders = plan_stops(self.db, running, report.at)
            report.stopped = stop_all(self.db, self.hub, orders)
            report.failures += len(orders) - len(report.stopped)
        except Exception:
            log.exception("the stop pass failed; it is retried at the next pass")
            report.failures += 1
        try:
            for due in due_deletions(self.db, self.store, report.at):
                if deleter is None:
                    if self._delete(due, running):
                        report.deleted.append(due.code)
                    else:
                        report.failures += 1
                elif self._claim(due.code):
                    future: Future[bool] = deleter.submit(self._delete, due, running)
                    future.add_done_callback(partial(self._release, due.code))
        except Exception:
            log.exception("the deletion pass failed; it is retried at the next pass")
            report.failures += 1
        try:
            report.notices = record_notices(self.db, report.at, self.settings.warning_days)
        except Exception:
            log.exception("recording notices failed; it is retried at the next pass")
            report.failures += 1
        return report

    def _claim(self, code: str) -> bool:
        with self._lock:
            if code in self._deleting:
                return False
            self._deleting.add(code)
            return True

    def _release(self, code: str, _done: Future[bool] | None = None) -> None:
        with self._lock:
            self._deleting.discard(code)

    def _delete(self, due: DueDeletion, running: list[RunningServer]) -> bool:
        try:
            done = delete_when_stopped(
                self.db, self.store, self.hub, due, running, self.settings.stop_wait_seconds
            )
        except Exception:
            log.exception("deleting the data of %s failed; it is retried", due.code)
            return False
        return done is not None
