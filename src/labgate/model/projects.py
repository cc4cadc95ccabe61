"""Projects, project databases and their sub-projects, memberships and term changes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labgate.model.base import Base, UTCDateTime


class Project(Base):
    """A research or authority project, a project database (main project) or a sub-project.

    `code` is the short, path-safe name people and workspaces use (`/user/<name>/<code>`).
    """

    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("starts_on < access_ends_on", name="access_period"),
        CheckConstraint("access_ends_on <= deletion_deadline", name="deletion_after_access"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    scheme: Mapped[str] = mapped_column(String(32))
    owner_institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    #: GDPR article 6 basis, e.g. "6(1)(e)".
    legal_basis_art6: Mapped[str] = mapped_column(String(100))
    #: GDPR article 9 basis where special categories are used, e.g. "9(2)(j)".
    legal_basis_art9: Mapped[str | None] = mapped_column(String(100), default=None)
    dpia_reference: Mapped[str | None] = mapped_column(String(300), default=None)
    dpia_not_needed_reason: Mapped[str | None] = mapped_column(Text, default=None)
    case_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    access_ends_on: Mapped[dt.date] = mapped_column(Date)
    deletion_deadline: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: Set by an explicit "expire" act before the end of access.
    expired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: Set when the project's data were deleted (see DeletionConfirmation).
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    parent: Mapped[Project | None] = relationship(remote_side="Project.id")


class ProjectTermChange(Base):
    """A renewal (authority scheme, PROJ-2) or an extension (project database, PROJ-3)."""

    __tablename__ = "project_term_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # renew | extend | expire
    old_access_ends_on: Mapped[dt.date] = mapped_column(Date)
    new_access_ends_on: Mapped[dt.date] = mapped_column(Date)
    old_deletion_deadline: Mapped[dt.date] = mapped_column(Date)
    new_deletion_deadline: Mapped[dt.date] = mapped_column(Date)
    #: For a renewal: JSON {"keep": [...grant ids], "remove": [...], "add": [...]}.
    grant_review: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    case_reference: Mapped[str | None] = mapped_column(String(100), default=None)


class Membership(Base):
    """A person's role in a project for a period; ended, never deleted."""

    __tablename__ = "membership"
    __table_args__ = (CheckConstraint("valid_from < valid_until", name="period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
