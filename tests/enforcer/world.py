"""A small labgate world for the enforcer tests, built with the ORM at labgate's clock.

Dates are relative to the clock's today, because the hub the tests drive runs on the
real clock: its servers' `started` times are real.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select

from labgate import clock
from labgate.audit.log import Actor
from labgate.db import Database
from labgate.model import (
    AuditEvent,
    Authorisation,
    Dataset,
    DeletionConfirmation,
    Grant,
    Institution,
    InstitutionAuthorisation,
    Membership,
    Person,
    Project,
    RoleAssignment,
)

ADMIN = Actor("admin", "person", "")
DAY = dt.timedelta(days=1)


@dataclass
class World:
    db: Database
    inst_id: int
    inst_code: str

    @property
    def today(self) -> dt.date:
        return clock.today()

    def person(self, username: str, *, authorised_days: int = 365) -> int:
        now = clock.now()
        with self.db.session() as s:
            p = Person(
                username=username, full_name=username.title(), institution_id=self.inst_id,
                created_at=now,
            )  # fmt: skip
            s.add(p)
            s.flush()
            s.add(
                Authorisation(
                    person_id=p.id, valid_from=now - 30 * DAY,
                    valid_until=now + authorised_days * DAY, granted_by="admin", created_at=now,
                )
            )  # fmt: skip
            return p.id

    def authorisation_id(self, username: str) -> int:
        with self.db.read_session() as s:
            found = s.scalar(
                select(Authorisation.id)
                .join(Person, Person.id == Authorisation.person_id)
                .where(Person.username == username)
            )
            assert found is not None
            return int(found)

    def security_officer(self, username: str) -> None:
        pid = self.person(username)
        with self.db.session() as s:
            s.add(
                RoleAssignment(
                    person_id=pid, role="security_officer", institution_id=self.inst_id,
                    created_at=clock.now(),
                )
            )  # fmt: skip

    def project(
        self, code: str, *, ends_in_days: int = 200, deletion_after_days: int = 30,
        scheme: str = "researcher",
    ) -> int:  # fmt: skip
        ends = self.today + ends_in_days * DAY
        with self.db.session() as s:
            p = Project(
                code=code, title=code, scheme=scheme, owner_institution_id=self.inst_id,
                purpose="Testing the enforcer.", legal_basis_art6="6(1)(e)",
                dpia_reference="DPIA-1", case_reference=f"J.nr. {code}",
                starts_on=self.today - 100 * DAY, access_ends_on=ends,
                deletion_deadline=ends + deletion_after_days * DAY,
                created_at=clock.now() - 100 * DAY,
            )  # fmt: skip
            s.add(p)
            s.flush()
            return p.id

    def member(self, code: str, username: str, role: str = "researcher") -> int:
        with self.db.session() as s:
            project = s.scalar(select(Project).where(Project.code == code))
            person = s.scalar(select(Person).where(Person.username == username))
            assert project is not None and person is not None
            m = Membership(
                project_id=project.id, person_id=person.id, role=role,
                valid_from=project.starts_on, valid_until=project.access_ends_on,
                created_at=clock.now(),
            )  # fmt: skip
            s.add(m)
            s.flush()
            return m.id

    def grant(self, code: str, dataset: str = "bef") -> int:
        with self.db.session() as s:
            project = s.scalar(select(Project).where(Project.code == code))
            assert project is not None
            ds = s.scalar(select(Dataset).where(Dataset.code == dataset))
            if ds is None:
                ds = Dataset(code=dataset, title=dataset, unit="person", created_at=clock.now())
                s.add(ds)
                s.flush()
            g = Grant(
                project_id=project.id, dataset_id=ds.id, granted_by="steward",
                granted_at=clock.now(),
            )  # fmt: skip
            s.add(g)
            s.flush()
            return g.id

    # -- reading back ------------------------------------------------------------------
    def events(self, type_: str) -> list[AuditEvent]:
        with self.db.read_session() as s:
            rows = list(s.scalars(select(AuditEvent).where(AuditEvent.type == type_)))
            for row in rows:
                s.expunge(row)
            return rows

    def details(self, type_: str) -> list[dict[str, object]]:
        return [json.loads(e.detail) for e in self.events(type_)]

    def confirmations(self, code: str) -> int:
        with self.db.read_session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(DeletionConfirmation)
                    .join(Project, Project.id == DeletionConfirmation.project_id)
                    .where(Project.code == code)
                )
                or 0
            )


def build(db: Database, code: str = "au", *, registered_days_ago: int = 30) -> World:
    now = clock.now()
    with db.session() as s:
        inst = Institution(
            code=code, name=code.upper(), country="DK", created_at=now - registered_days_ago * DAY
        )
        s.add(inst)
        s.flush()
        for scheme in ("researcher", "authority", "project_database"):
            s.add(
                InstitutionAuthorisation(
                    institution_id=inst.id, scheme=scheme, valid_from=now.date() - 800 * DAY,
                    valid_until=now.date() + 800 * DAY, security_policy_ref="ISMS-1",
                    created_at=now,
                )
            )  # fmt: skip
        return World(db, inst.id, code)
