"""The service's job runner: a long operation's state, progress and outcome (issue 5)."""

from __future__ import annotations

import threading
import time
from typing import Any

from labgate.errors import Conflict
from labgate.web.jobs import DONE, FAILED, Job, JobRunner, Progress


def wait(runner: JobRunner, job_id: str) -> Job:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job = runner.get(job_id)
        assert job is not None
        if job.finished:
            return job
        time.sleep(0.01)
    raise AssertionError("the job did not finish")


def test_a_job_reports_its_steps_and_ends_done_with_its_result() -> None:
    runner = JobRunner(workers=1)
    release = threading.Event()
    seen: list[Job] = []

    def work(progress: Progress) -> dict[str, Any]:
        progress.step("Halfway.", done=1)
        release.wait(5)
        return {"rows": 42}

    job = runner.start("steward", "test", "A test job", 2, work)
    assert job.owner == "steward" and len(job.id) >= 16
    deadline = time.monotonic() + 5
    while (now := runner.get(job.id)) is not None and now.message != "Halfway.":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    seen.append(runner.get(job.id))  # type: ignore[arg-type]
    release.set()
    done = wait(runner, job.id)
    assert (seen[0].state, seen[0].steps_done, seen[0].steps_total) == ("running", 1, 2)
    assert (done.state, done.steps_done, done.result) == (DONE, 2, {"rows": 42})
    assert done.finished_at is not None
    assert done.to_json()["result"] == {"rows": 42}


def test_a_refusal_ends_the_job_failed_with_its_sentence() -> None:
    runner = JobRunner(workers=1)

    def work(progress: Progress) -> dict[str, Any]:
        raise Conflict("Grant 7 is no longer in force.", reason="grant-withdrawn")

    done = wait(runner, runner.start("steward", "test", "t", 2, work).id)
    assert (done.state, done.message, done.reason) == (
        FAILED,
        "Grant 7 is no longer in force.",
        "grant-withdrawn",
    )
    assert done.steps_done == 0


def test_a_crash_ends_the_job_failed_without_the_server_s_detail() -> None:
    runner = JobRunner(workers=1)

    def work(progress: Progress) -> dict[str, Any]:
        raise RuntimeError("/vault/secret/path exploded")

    done = wait(runner, runner.start("steward", "test", "t", 1, work).id)
    assert done.state == FAILED and done.reason == "server-error"
    assert "secret" not in done.message and done.message.endswith(".")


def test_progress_stays_within_the_steps_and_jobs_are_told_apart() -> None:
    runner = JobRunner(workers=2)
    during: list[int] = []

    def work(progress: Progress) -> dict[str, Any]:
        progress.step("Too far.", done=99)
        during.append(next(j for j in runner._jobs.values() if j.message == "Too far.").steps_done)
        return {}

    first = runner.start("a", "test", "t", 3, work)
    second = runner.start("b", "test", "t", 3, work)
    assert first.id != second.id
    assert wait(runner, first.id).steps_done == 3
    wait(runner, second.id)
    assert during == [3, 3]
    assert runner.get("no-such-job") is None
