"""Long operations of the service (materialising a grant): run in a thread, followed by polling.

A request that would take longer than a person waits for a page (minutes for a large
register) starts a job instead and answers at once with the job's id; the page then polls
`GET api/jobs/{id}` and draws a progress bar from the steps done out of the total.

Jobs live in the service's memory only: they are a view of work in progress, not a record.
What a job changes is recorded by the service it calls (the audit log, the grant's
`materialised_at`), and every job is idempotent, so a job lost with a restart of the
service is simply started again. Only the person who started a job may read it
(`labgate.policy.steward_access.may_follow_job`); anyone else reads "not found".
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final

from tornado import web

from labgate import clock
from labgate.errors import LabgateError, NotFound
from labgate.policy.staff import not_found
from labgate.policy.steward_access import may_follow_job
from labgate.web.base import ApiHandler

QUEUED: Final = "queued"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"

#: Job ids are random (not guessable, not counting how many jobs others started).
JOB_ID: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Finished jobs are forgotten after this long; the page has long read their outcome.
KEEP_FINISHED: Final = dt.timedelta(hours=6)
#: At most this many jobs are remembered; the oldest finished ones go first.
MAX_JOBS: Final = 1000

log = logging.getLogger("labgate.web.jobs")


@dataclass(frozen=True)
class Job:
    """One long operation as its owner sees it (an immutable snapshot)."""

    id: str
    owner: str
    kind: str  # e.g. "materialise"
    title: str  # what the job does, in words
    state: str = QUEUED
    steps_done: int = 0
    steps_total: int = 1
    message: str = "Waiting for a free worker."
    #: What the job produced (e.g. the number of rows), once done.
    result: dict[str, Any] = field(default_factory=dict)
    #: The stable reason of a refusal or failure, once failed.
    reason: str = ""
    created_at: dt.datetime = field(default_factory=clock.now)
    finished_at: dt.datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Progress:
    """What a running job's function uses to report how far it got."""

    def __init__(self, runner: JobRunner, job_id: str) -> None:
        self._runner = runner
        self._job_id = job_id

    def step(self, message: str, *, done: int | None = None) -> None:
        """Say what the job does now; `done` is the number of steps finished so far."""
        changes: dict[str, Any] = {"message": message}
        if done is not None:
            changes["steps_done"] = done
        self._runner._update(self._job_id, **changes)


#: A job's work: it reports through Progress and returns its result (JSON data).
Work = Callable[[Progress], dict[str, Any]]


class JobRunner:
    """Runs jobs on a few worker threads and remembers their state for a while."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="labgate-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def start(self, owner: str, kind: str, title: str, steps_total: int, work: Work) -> Job:
        """Queue `work` for `owner` and return the job at once."""
        job = Job(
            id=secrets.token_urlsafe(18),
            owner=owner,
            kind=kind,
            title=title,
            steps_total=max(1, steps_total),
        )
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        self._pool.submit(self._run, job.id, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job_id: str, work: Work) -> None:
        self._update(job_id, state=RUNNING, message="Started.")
        try:
            result = work(Progress(self, job_id))
        except LabgateError as error:
            # A refusal (the grant was withdrawn meanwhile, the project deleted): its sentence.
            self._finish(job_id, FAILED, str(error), reason=error.reason)
        except Exception:  # a job must end in a state the page can show
            log.exception("job %s failed", job_id)
            self._finish(
                job_id,
                FAILED,
                "The operation failed on the server; it was logged. Start it again, and if "
                "it fails again, tell labgate's administrator.",
                reason="server-error",
            )
        else:
            self._finish(job_id, DONE, "Done.", result=result)

    def _finish(
        self,
        job_id: str,
        state: str,
        message: str,
        *,
        reason: str = "",
        result: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            self._jobs[job_id] = replace(
                job,
                state=state,
                message=message,
                reason=reason,
                result=result or {},
                steps_done=job.steps_total if state == DONE else job.steps_done,
                finished_at=clock.now(),
            )

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and not job.finished:
                steps = changes.get("steps_done", job.steps_done)
                changes["steps_done"] = min(max(0, steps), job.steps_total)
                self._jobs[job_id] = replace(job, **changes)

    def _forget_old(self) -> None:
        """Drop finished jobs past KEEP_FINISHED, and the oldest finished beyond MAX_JOBS."""
        now = clock.now()
        for job_id, job in list(self._jobs.items()):
            if job.finished_at is not None and now - job.finished_at > KEEP_FINISHED:
                del self._jobs[job_id]
        finished = sorted(
            (j for j in self._jobs.values() if j.finished), key=lambda j: j.created_at
        )
        for job in finished[: max(0, len(self._jobs) - MAX_JOBS + 1)]:
            del self._jobs[job.id]


#: The service's one runner (one service process per hub).
RUNNER: Final = JobRunner()


class JobApi(ApiHandler):
    """`GET api/jobs/{id}`: the state of one of my jobs."""

    def get(self, job_id: str) -> None:
        staff = self.staff
        job = RUNNER.get(job_id) if JOB_ID.match(job_id) else None
        if job is None:
            raise NotFound(not_found("job").message, reason="not-found")
        may_follow_job(staff, job.owner).check(NotFound)
        self.write_json(job.to_json())


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [(r"api/jobs/([^/]+)", JobApi)]
