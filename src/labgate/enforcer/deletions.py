"""Delete a project's data at its deletion deadline (PROJ-8, PROJ-9).

The workspaces of a project due for deletion are already stopped by the stop pass
(policy refuses them, the project's access having ended); a deletion waits until the hub
reports them gone, so no workspace writes into a tree being deleted. The deletion itself
is the data store's: crash-safe, idempotent, recording one DeletionConfirmation with its
`data.delete` event in one transaction. A project whose confirmation is committed but
whose trash is still on disk (killed after the record) is handed to it again to finish.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from labgate.datastore.deletion import delete_project_data
from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.enforcer.gather import enforcer_actor, institution_code
from labgate.enforcer.hubapi import HubClient, RunningServer
from labgate.model import DeletionConfirmation, Project
from labgate.policy.projects import ProjectState, project_state
from labgate.services.facts import project_facts

log = logging.getLogger("labgate.enforcer")


@dataclass(frozen=True)
class DueDeletion:
    code: str
    institution: str
    case_reference: str


def due_deletions(db: Database, store: DataStore, now: dt.datetime) -> list[DueDeletion]:
    """Projects at or past their deletion deadline, and deletions left half-finished."""
    due = []
    with db.read_session() as session:
        # The date filter only narrows the scan; `project_state` decides.
        rows = session.scalars(
            select(Project)
            .where(or_(Project.deletion_deadline <= now.date(), Project.deleted_at.is_not(None)))
            .order_by(Project.code)
        )
        for project in rows:
            state = project_state(project_facts(session, project), now)
            unfinished = state is ProjectState.DELETED and store.trash_dir(project.code).exists()
            if state is ProjectState.DUE_FOR_DELETION or unfinished:
                due.append(
                    DueDeletion(
                        project.code,
                        institution_code(session, project.owner_institution_id),
                        project.case_reference or "",
                    )
                )
    return due


def delete_when_stopped(
    db: Database,
    store: DataStore,
    hub: HubClient,
    due: DueDeletion,
    running: Sequence[RunningServer],
    stop_wait_seconds: float,
) -> DeletionConfirmation | None:
    """Delete once the project's workspaces are gone; None if they are not yet."""
    servers = [s for s in running if s.name == due.code]
    if servers and not hub.wait_stopped(servers, stop_wait_seconds):
        log.warning("%s is due for deletion but a workspace is still stopping", due.code)
        return None
    done = delete_project_data(
        db, store, enforcer_actor(due.institution), project_code=due.code,
        case_reference=due.case_reference,
    )  # fmt: skip
    log.info("deleted the data of %s (confirmation %s)", due.code, done.id)
    return done
