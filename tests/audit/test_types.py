"""The transaction-type vocabulary is one table, and the log accepts nothing else."""

from __future__ import annotations

import pytest

from labgate.audit.log import record
from labgate.audit.types import TRANSACTION_TYPES, check_type
from labgate.db import Database

REQUIRED = [
    "login",
    "login.failed",
    "logout",
    "terms.accept",
    "workspace.start",
    "workspace.start.denied",
    "workspace.stop",
    "data.mount",
    "data.materialise",
    "data.import",
    "data.delete",
    "data.register",
    "grant.create",
    "grant.withdraw",
    "export.request",
    "export.decide",
    "institution.create",
    "institution.authorise",
    "person.create",
    "authorisation.grant",
    "authorisation.end",
    "project.create",
    "project.renew",
    "project.extend",
    "project.expire",
    "membership.add",
    "membership.end",
    "dataset.create",
    "population.create",
    "audit.search",
    "audit.stats",
    "audit.export",
    "audit.verify",
    "review.signoff",
    "review.adhoc",
    "role.assign",
    "file.access",
    "enforcer.stop",
]


@pytest.mark.requirement("LOG-1")
def test_vocabulary_covers_every_logged_transaction() -> None:
    assert set(REQUIRED) <= set(TRANSACTION_TYPES)
    assert all(description.endswith(".") for description in TRANSACTION_TYPES.values())


def test_unknown_type_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"'data\.peek'"):
        check_type("data.peek")


@pytest.mark.requirement("LOG-1")
def test_record_refuses_a_type_outside_the_vocabulary(db: Database) -> None:
    with pytest.raises(ValueError), db.session() as s:
        record(
            s, actor="alice", actor_kind="person", institution="au", type="data.peek",
            object_kind="file", object_id="x",
        )  # fmt: skip
