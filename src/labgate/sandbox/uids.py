"""Host uids and gids for workspaces: one uid per (person, project), one gid per project.

Why a file and not the database or a formula: the model has no table for it (and the
spawner does not own migrations), and `base + membership id` would change the uid when a
membership is ended and granted again, orphaning the files of the person's home. A small
JSON map under the state directory, guarded by an exclusive flock and replaced atomically,
is persistent across hub restarts, never hands out one id twice, and is easy to inspect.

Keys are database ids (`person:<id>/project:<id>`, `project:<id>`), never usernames: a
username can be reused by a later person, an id cannot. Ids are never freed: a uid may
still own files in a home directory or in /work, and reusing it would hand them over.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from labgate.errors import LabgateError


class RangeExhausted(LabgateError):
    status = 503


@dataclass(frozen=True)
class IdRange:
    start: int
    size: int

    def __post_init__(self) -> None:
        if self.start < 1000 or self.size < 1:
            raise ValueError(
                f"an id range must start at 1000 or above and hold at least one id, "
                f"not start={self.start} size={self.size}"
            )

    @property
    def stop(self) -> int:
        return self.start + self.size


class IdAllocator:
    """Persistent key -> id map in `path`, ids taken from `id_range`, lowest free first."""

    def __init__(self, path: Path, id_range: IdRange, setting: str) -> None:
        self.path = Path(path)
        self.range = id_range
        #: The trait an operator changes when the range runs out (named in the error).
        self.setting = setting

    def allocate(self, key: str) -> int:
        """The id of `key`, allocating the lowest free one the first time."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            table = self._read()
            if key in table:
                return table[key]
            new = self._lowest_free(set(table.values()))
            table[key] = new
            self._write(table)
            return new

    def lookup(self, key: str) -> int | None:
        return self._read().get(key)

    def _lowest_free(self, used: set[int]) -> int:
        for candidate in range(self.range.start, self.range.stop):
            if candidate not in used:
                return candidate
        raise RangeExhausted(
            "No more workspaces can be started on this host. Ask the operator to enlarge "
            "the id range.",
            reason="id-range-exhausted",
            log_message=f"all {self.range.size} ids from {self.range.start} are allocated in "
            f"{self.path}; raise {self.setting}",
        )

    def _read(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): int(v) for k, v in data.items()}

    def _write(self, table: dict[str, int]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(table, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def workspace_key(person_id: int, project_id: int) -> str:
    return f"person:{person_id}/project:{project_id}"


def project_key(project_id: int) -> str:
    return f"project:{project_id}"


@dataclass(frozen=True)
class WorkspaceIds:
    uid: int
    gid: int


class HostIds:
    """The uid and gid tables of one host's state directory."""

    def __init__(self, state_dir: Path, uids: IdRange, gids: IdRange) -> None:
        if uids.start < gids.stop and gids.start < uids.stop:
            # Not a conflict for the kernel, but a project gid equal to some workspace's
            # uid makes `ls -l` lie to the operator; keep them apart.
            raise ValueError(f"the uid range {uids} and the gid range {gids} overlap")
        self.uids = IdAllocator(Path(state_dir) / "uids.json", uids, "uid_range_size")
        self.gids = IdAllocator(Path(state_dir) / "gids.json", gids, "gid_range_size")

    def for_workspace(self, person_id: int, project_id: int) -> WorkspaceIds:
        return WorkspaceIds(
            uid=self.uids.allocate(workspace_key(person_id, project_id)),
            gid=self.gids.allocate(project_key(project_id)),
        )
