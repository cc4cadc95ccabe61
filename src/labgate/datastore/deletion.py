"""Delete a project's data with a confirmation (PROJ-8 data part, PROJ-9).

Three steps, each safe to repeat after a kill -9:

1. move: the project area, the project's key tables, its populations and its own datasets
   are renamed into `vault/trash/<project>/` (same file system, so each move is atomic and
   the data disappears from the project area at once; a rerun moves what is left);
2. record: every file in the trash is hashed (SHA-256) and the confirmation (relative
   path, bytes and hash of each file, totals, who, when, the case reference) is committed
   with the audit event and `Project.deleted_at`, in one transaction;
3. remove: the trash is removed.

Nothing is removed before the confirmation is committed, so the confirmation always lists
every file; a rerun after step 2 only finishes step 3 and returns the same confirmation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.datastore.layout import DataStore, fsync_dir, remove_tree
from labgate.datastore.vaultfiles import sha256_file
from labgate.db import Database
from labgate.errors import Conflict
from labgate.model import Dataset, DeletionConfirmation, Project
from labgate.services import lookup
from labgate.services.facts import project_facts


def delete_project_data(
    db: Database, store: DataStore, actor: Actor, *, project_code: str, case_reference: str
) -> DeletionConfirmation:
    """Delete every file of the project and return its deletion confirmation."""
    with db.read_session() as session:
        project = lookup.project(session, project_code)
        own = list(
            session.scalars(select(Dataset.code).where(Dataset.owner_project_id == project.id))
        )
        done = _confirmation(session, project)
        if done is None:
            _check_may_delete(session, project)
    trash = store.trash_dir(project_code)
    if done is not None:
        remove_tree(trash)  # a run killed after its record: only the removal was left
        return done
    with store.project_lock(project_code):
        _move_to_trash(store, trash, project_code, own)
        entries = _manifest(trash)
        with db.session() as session:
            project = lookup.project(session, project_code)
            now = clock.now()
            confirmation = DeletionConfirmation(
                project_id=project.id,
                deleted_at=now,
                deleted_by=actor.name,
                case_reference=case_reference.strip() or None,
                manifest=json.dumps(entries, sort_keys=True),
                total_bytes=sum(int(e["bytes"]) for e in entries),
                file_count=len(entries),
            )
            session.add(confirmation)
            project.deleted_at = now
            session.flush()
            record_as(
                session, actor, "data.delete", "project", project_code,
                detail={
                    "confirmation": confirmation.id,
                    "files": confirmation.file_count,
                    "bytes": confirmation.total_bytes,
                    "case_reference": confirmation.case_reference or "",
                },
            )  # fmt: skip
        remove_tree(trash)
    return confirmation


def confirmation_json(confirmation: DeletionConfirmation, project_code: str | None = None) -> str:
    """The confirmation as the institution receives it: JSON, stable key order."""
    data: dict[str, Any] = {
        "confirmation": confirmation.id,
        "project_id": confirmation.project_id,
        "deleted_at": confirmation.deleted_at.isoformat(),
        "deleted_by": confirmation.deleted_by,
        "case_reference": confirmation.case_reference,
        "file_count": confirmation.file_count,
        "total_bytes": confirmation.total_bytes,
        "files": json.loads(confirmation.manifest),
    }
    if project_code is not None:
        data["project"] = project_code
    return json.dumps(data, indent=2, sort_keys=True)


def _confirmation(session: Session, project: Project) -> DeletionConfirmation | None:
    if project.deleted_at is None:
        return None
    found = session.scalar(
        select(DeletionConfirmation)
        .where(DeletionConfirmation.project_id == project.id)
        .order_by(DeletionConfirmation.id.desc())
    )
    if found is not None:
        session.expunge(found)  # keep its loaded values past the read session's rollback
    return found


def _check_may_delete(session: Session, project: Project) -> None:
    """Data go only once the project's grants are frozen (its access has ended); policy says
    when that is, so a typo cannot delete a running project's data."""
    from labgate.policy.projects import grants_frozen

    if not grants_frozen(project_facts(session, project), clock.now()):
        raise Conflict(
            f"The project '{project.code}' still has access to its data, so its data cannot "
            "be deleted yet. Expire the project first, or wait for its end of access.",
            reason="project-still-active",
        )


def _sources(store: DataStore, project: str, own: list[str]) -> list[Path]:
    return [
        store.project_dir(project),
        store.key_dir(project),
        store.population_dir(project),
        *(store.register_dir(code) for code in own),
    ]


def _move_to_trash(store: DataStore, trash: Path, project: str, own: list[str]) -> None:
    """Rename each of the project's trees into the trash, under its path from the root."""
    for source in _sources(store, project, own):
        if not source.exists():
            continue
        target = trash / source.relative_to(store.root)
        n = 1
        while target.exists():  # recreated after an earlier, interrupted move
            target = target.with_name(f"{source.name}+{n}")
            n += 1
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        source.chmod(source.stat().st_mode | 0o700)  # a directory moves only if writable
        source.rename(target)
        fsync_dir(source.parent)


def _manifest(trash: Path) -> list[dict[str, Any]]:
    """Every file in the trash: path as it was under the data root, size and SHA-256."""
    if not trash.exists():
        return []
    files = sorted(p for p in trash.rglob("*") if p.is_file() and not p.is_symlink())
    return [
        {
            "path": file.relative_to(trash).as_posix(),
            "bytes": file.stat().st_size,
            "sha256": sha256_file(file),
        }
        for file in files
    ]
