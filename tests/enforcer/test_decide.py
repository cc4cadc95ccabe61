"""May a running workspace keep running? Policy's start rules, plus grants withdrawn since
it started (WS-4, PROJ-8). Pure: literal facts, no hub, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from labgate.enforcer.decide import WorkspaceFacts, may_keep_running
from tests.policy import factories as f

STARTED = f.NOW - dt.timedelta(hours=2)


def _ws(**project: Any) -> WorkspaceFacts:
    return WorkspaceFacts(
        person=f.person(10),
        institution=f.institution(),
        project=f.project(100, memberships=(f.membership(10, 100),), **project),
        grants=(f.grant(1), f.grant(2)),
        owner_institution_code="au",
    )


def _withdrawn(ws: WorkspaceFacts, at: dt.datetime) -> WorkspaceFacts:
    return replace(ws, grants=(ws.grants[0], replace(ws.grants[1], withdrawn_at=at)))


@pytest.mark.requirement("WS-4")
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("running", "ok"),
        ("expired", "access-ended"),
        ("past-end", "access-ended"),
        ("withdrawn-after-start", "grant-withdrawn"),
        ("withdrawn-at-start", "grant-withdrawn"),
        ("withdrawn-before-start", "ok"),
        ("unknown", "no-such-project"),
    ],
)
def test_a_workspace_keeps_running_only_while_policy_would_start_it_with_the_same_grants(
    case: str, reason: str
) -> None:
    ws: WorkspaceFacts | None = {
        "running": _ws(),
        "expired": _ws(expired_at=f.NOW - dt.timedelta(minutes=1)),
        "past-end": _ws(access_ends_on=f.TODAY),
        "withdrawn-after-start": _withdrawn(_ws(), STARTED + dt.timedelta(seconds=1)),
        "withdrawn-at-start": _withdrawn(_ws(), STARTED),
        "withdrawn-before-start": _withdrawn(_ws(), STARTED - dt.timedelta(seconds=1)),
        "unknown": None,
    }[case]
    assert may_keep_running(ws, "p100", STARTED, f.NOW).reason == reason


@pytest.mark.requirement("WS-4")
def test_an_ended_authorisation_or_membership_stops_the_workspace() -> None:
    ws = _ws()
    no_auth = replace(ws, person=f.person(10, authorised=False))
    ended = replace(
        ws, project=replace(ws.project, memberships=(f.membership(10, 100, ended_at=f.NOW),))
    )
    assert may_keep_running(no_auth, "p100", STARTED, f.NOW).reason == "no-authorisation"
    assert may_keep_running(ended, "p100", STARTED, f.NOW).reason == "no-such-project"


def test_a_server_not_yet_started_is_not_stopped_for_an_old_withdrawal() -> None:
    ws = _withdrawn(_ws(), STARTED)
    assert may_keep_running(ws, "p100", None, f.NOW).allowed
