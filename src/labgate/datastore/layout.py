"""Where the data store keeps what, and the file modes that guard it.

    <root>/vault/                        0700, never mounted into a workspace
        registers/<dataset>/part-*.parquet   raw registers (real identifiers)
        registers/<dataset>/manifest.json    identifier kinds, rows, content hash
        keys/<project>/<kind>.parquet        identifier -> pseudonym (DATA-3)
        populations/<project>/<name>.parquet pseudonyms of a population (PROJ-5)
        staging/                             half-written output; renamed when complete
        trash/<project>/                     a deletion in progress (PROJ-9)
        locks/<project>.lock                 one writer per project at a time
    <root>/projects/<project>/
        data/<dataset>/part-0.parquet        materialised, pseudonymised, read-only (DATA-8)
        data/<dataset>/_grant.json           what was granted: variables, years, rows, and
                                             which columns are pseudonyms and markers
        work/                                the project's shared, writable space

Staging lives in the vault, on the same file system as the project area, so that a
complete dataset appears with one rename() and a killed run leaves nothing visible.
Every name that becomes a path component is a validated code (`labgate.names`): no `..`,
no `/`, nothing a shell or a mount would read twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labgate.errors import InvalidInput
from labgate.model.enums import UnitKind
from labgate.names import validate_code

VAULT_DIR_MODE = 0o700
READ_ONLY_FILE_MODE = 0o444
READ_ONLY_DIR_MODE = 0o555
PROJECT_DIR_MODE = 0o755
WORK_DIR_MODE = 0o2770


def identifier_kind(kind: str) -> str:
    """Return `kind` if it is an identifier kind (person or business), else raise."""
    if kind not in {u.value for u in UnitKind}:
        raise InvalidInput(
            f"'{kind}' is not an identifier kind. Use 'person' or 'business'.",
            reason="invalid-identifier-kind",
        )
    return kind


class DataStore:
    """The paths of one data store; creating a path never happens by merely naming it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()

    # -- the vault -----------------------------------------------------------------------
    @property
    def vault(self) -> Path:
        return self.root / "vault"

    def register_dir(self, dataset: str) -> Path:
        return self.vault / "registers" / validate_code(dataset, "dataset")

    def key_file(self, project: str, kind: str) -> Path:
        return self.key_dir(project) / f"{identifier_kind(kind)}.parquet"

    def key_dir(self, project: str) -> Path:
        return self.vault / "keys" / validate_code(project, "project")

    def population_dir(self, project: str) -> Path:
        return self.vault / "populations" / validate_code(project, "project")

    def population_file(self, project: str, name: str) -> Path:
        return self.population_dir(project) / f"{validate_code(name, 'population')}.parquet"

    def trash_dir(self, project: str) -> Path:
        return self.vault / "trash" / validate_code(project, "project")

    def new_staging_dir(self, purpose: str) -> Path:
        """A fresh, empty directory in the vault's staging area, named for its purpose."""
        path = self.vault / "staging" / f"{purpose}.{secrets.token_hex(6)}"
        self.ensure_vault()
        path.mkdir(mode=VAULT_DIR_MODE, parents=True)
        return path

    def stale_staging(self, purpose: str) -> list[Path]:
        """Staging dirs left by killed runs for `purpose`."""
        staging = self.vault / "staging"
        return sorted(staging.glob(f"{purpose}.*")) if staging.is_dir() else []

    def ensure_vault(self) -> None:
        for sub in ("", "registers", "keys", "populations", "staging", "trash", "locks"):
            path = self.vault / sub
            path.mkdir(mode=VAULT_DIR_MODE, parents=True, exist_ok=True)
            os.chmod(path, VAULT_DIR_MODE)

    # -- the project area ----------------------------------------------------------------
    @property
    def projects(self) -> Path:
        return self.root / "projects"

    def project_dir(self, project: str) -> Path:
        return self.projects / validate_code(project, "project")

    def data_dir(self, project: str) -> Path:
        return self.project_dir(project) / "data"

    def dataset_dir(self, project: str, dataset: str) -> Path:
        return self.data_dir(project) / validate_code(dataset, "dataset")

    def work_dir(self, project: str) -> Path:
        return self.project_dir(project) / "work"

    def ensure_project(self, project: str) -> Path:
        """Create the project's data and work directories if they are missing."""
        self.projects.mkdir(mode=PROJECT_DIR_MODE, parents=True, exist_ok=True)
        for path, mode in (
            (self.project_dir(project), PROJECT_DIR_MODE),
            (self.data_dir(project), PROJECT_DIR_MODE),
            (self.work_dir(project), WORK_DIR_MODE),
        ):
            if not path.exists():
                path.mkdir(mode=mode)
                os.chmod(path, mode)  # mkdir's mode is filtered by the umask
        return self.project_dir(project)

    @contextmanager
    def project_lock(self, project: str) -> Iterator[None]:
        """Serialise writers of one project (key allocation, materialisation, deletion)."""
        self.ensure_vault()
        path = self.vault / "locks" / f"{validate_code(project, 'project')}.lock"
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable, not only visible."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())
    fsync_dir(path)


def write_json_atomic(path: Path, data: Mapping[str, Any] | list[Any]) -> None:
    """Write JSON so that a reader sees the old file or the whole new one, never half."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def make_read_only(tree: Path) -> None:
    """Files 0444 and directories 0555: a second guard behind the read-only mount."""
    for path in sorted(tree.rglob("*"), reverse=True):
        os.chmod(path, READ_ONLY_DIR_MODE if path.is_dir() else READ_ONLY_FILE_MODE)
    os.chmod(tree, READ_ONLY_DIR_MODE)


def make_writable(tree: Path) -> None:
    """Give the service user write access back, so a read-only tree can be moved or removed."""
    if not tree.exists():
        return
    os.chmod(tree, os.stat(tree).st_mode | stat.S_IWUSR | stat.S_IXUSR)
    for path in tree.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR | stat.S_IXUSR)


def remove_tree(tree: Path) -> None:
    if tree.exists():
        make_writable(tree)
        shutil.rmtree(tree)
