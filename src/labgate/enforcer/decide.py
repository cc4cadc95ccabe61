"""The enforcer's decisions: pure functions of facts, a running server and `now`.

May this workspace keep running? It may only if its person could start it now
(`policy.workspaces.may_start_workspace`: authorisation, membership, project state) and
no grant of its project was withdrawn after it started: a workspace keeps the mounts it
started with, so a withdrawal reaches it only by stopping it (WS-4, PROJ-8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from labgate.policy.decision import Decision, allow, deny
from labgate.policy.facts import GrantFacts, InstitutionFacts, PersonFacts, ProjectFacts
from labgate.policy.workspaces import may_start_workspace, no_such_project


@dataclass(frozen=True)
class WorkspaceFacts:
    """What policy needs about one (person, project) pair, gathered from the database."""

    person: PersonFacts
    institution: InstitutionFacts
    project: ProjectFacts
    grants: tuple[GrantFacts, ...]
    #: The code of the project's owning institution: the audit events' institution.
    owner_institution_code: str


def withdrawn_since(grants: Sequence[GrantFacts], started: dt.datetime) -> list[GrantFacts]:
    """Grants withdrawn at or after `started`: at the same instant the mounts may already
    include the withdrawn data, so a tie counts as after (fail closed)."""
    return [g for g in grants if g.withdrawn_at is not None and g.withdrawn_at >= started]


def may_keep_running(
    ws: WorkspaceFacts | None, server_name: str, started: dt.datetime | None, now: dt.datetime
) -> Decision:
    """Allowed: leave the workspace alone. Denied: stop it, for the decision's reason.

    `ws` is None when the hub user is no labgate person or the server name is no project
    code; such a workspace is not one labgate could have started, so it stops (fail closed).
    `started` is None only for a server whose start has not begun; it is started with the
    grants of that moment, so no earlier withdrawal concerns it.
    """
    if ws is None:
        return no_such_project(server_name)
    decision = may_start_workspace(ws.person, ws.institution, ws.project, now)
    if not decision.allowed:
        return decision
    if started is not None and (gone := withdrawn_since(ws.grants, started)):
        ids = ", ".join(str(g.id) for g in gone)
        return deny(
            "grant-withdrawn",
            f"Data granted to {ws.project.code} was withdrawn (grant {ids}) while this "
            "workspace was running, so it was stopped. Start it again to work with the data "
            "the project still holds.",
        )
    return allow()
