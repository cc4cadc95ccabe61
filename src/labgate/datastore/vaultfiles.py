"""The manifest of a register in the vault: its files, row count, hash and identifier kinds.

The database says which columns are identifiers; the manifest says what kind of number
each one holds (a person or a business number), because a register of jobs holds both and
each kind has its own key table. It sits next to the data in the vault and is written
before the register directory is renamed into place, so the two always agree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from labgate.datastore.layout import DataStore
from labgate.errors import NotFound

MANIFEST = "manifest.json"
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class RegisterManifest:
    dataset: str
    rows: int
    #: identifier column -> person | business
    identifier_kinds: dict[str, str] = field(default_factory=dict)
    #: file name -> SHA-256 of its content
    files: dict[str, str] = field(default_factory=dict)
    source_name: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "rows": self.rows,
            "identifier_kinds": self.identifier_kinds,
            "files": self.files,
            "source_name": self.source_name,
        }


def read_manifest(store: DataStore, dataset: str) -> RegisterManifest:
    path = store.register_dir(dataset) / MANIFEST
    if not path.is_file():
        raise NotFound(
            f"The dataset '{dataset}' has no data in the vault yet. Register its file with "
            "`labgate data register` first.",
            reason="no-register-data",
        )
    raw = json.loads(path.read_text(encoding="utf-8"))
    return RegisterManifest(
        dataset=raw["dataset"],
        rows=int(raw["rows"]),
        identifier_kinds=dict(raw["identifier_kinds"]),
        files=dict(raw["files"]),
        source_name=raw.get("source_name", ""),
    )


def register_glob(store: DataStore, dataset: str) -> Path:
    return store.register_dir(dataset) / "*.parquet"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
