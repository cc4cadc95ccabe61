"""Find objects by the names people use, with a clear sentence when they do not exist."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.errors import NotFound
from labgate.model import Authorisation, Dataset, Grant, Institution, Membership, Person, Project

T = TypeVar("T")


def institution(session: Session, code: str) -> Institution:
    found = session.scalar(select(Institution).where(Institution.code == code))
    if found is None:
        raise NotFound(
            f"There is no institution with the code '{code}'. "
            "List institutions with `labgate institution list`.",
            reason="no-such-institution",
        )
    return found


def person(session: Session, username: str) -> Person:
    found = session.scalar(select(Person).where(Person.username == username))
    if found is None:
        raise NotFound(
            f"There is no person with the username '{username}'. "
            "Check the spelling, or create the person first with `labgate person create`.",
            reason="no-such-person",
        )
    return found


def project(session: Session, code: str) -> Project:
    found = session.scalar(select(Project).where(Project.code == code))
    if found is None:
        raise NotFound(
            f"There is no project with the code '{code}'. "
            "List projects with `labgate project list`.",
            reason="no-such-project",
        )
    return found


def dataset(session: Session, code: str) -> Dataset:
    found = session.scalar(select(Dataset).where(Dataset.code == code))
    if found is None:
        raise NotFound(
            f"There is no dataset with the code '{code}'. "
            "List datasets with `labgate dataset list`.",
            reason="no-such-dataset",
        )
    return found


def _by_id(session: Session, cls: type[T], ident: int, noun: str, reason: str) -> T:
    found = session.get(cls, ident)
    if found is None:
        raise NotFound(f"There is no {noun} with the number {ident}.", reason=reason)
    return found


def authorisation(session: Session, ident: int) -> Authorisation:
    return _by_id(session, Authorisation, ident, "authorisation", "no-such-authorisation")


def person_by_id(session: Session, ident: int) -> Person:
    return _by_id(session, Person, ident, "person", "no-such-person")


def project_by_id(session: Session, ident: int) -> Project:
    return _by_id(session, Project, ident, "project", "no-such-project")


def institution_by_id(session: Session, ident: int) -> Institution:
    return _by_id(session, Institution, ident, "institution", "no-such-institution")


def membership(session: Session, ident: int) -> Membership:
    return _by_id(session, Membership, ident, "membership", "no-such-membership")


def grant(session: Session, ident: int) -> Grant:
    return _by_id(session, Grant, ident, "grant", "no-such-grant")
