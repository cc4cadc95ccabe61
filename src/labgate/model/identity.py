"""Institutions, people, system clients, staff roles and the authorisation register."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labgate.model.base import Base, UTCDateTime


class Institution(Base):
    """A university, agency or ministry unit whose members may use microdata (INST-1)."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    #: ISO 3166-1 alpha-2; an institution of another country gets anonymous data only (INST-3).
    country: Mapped[str] = mapped_column(String(2))
    #: The admin's recorded exception to INST-3, with its justification; None means no exception.
    foreign_exception: Mapped[str | None] = mapped_column(Text, default=None)
    requires_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    idle_timeout_seconds: Mapped[int] = mapped_column(Integer, default=600)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    authorisations: Mapped[list[InstitutionAuthorisation]] = relationship(
        back_populates="institution", order_by="InstitutionAuthorisation.valid_from"
    )


class InstitutionAuthorisation(Base):
    """An institution's authorisation for one scheme, for a period (INST-1)."""

    __tablename__ = "institution_authorisation"
    __table_args__ = (CheckConstraint("valid_from < valid_until", name="period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    #: Reference to the institution's data-security policy document.
    security_policy_ref: Mapped[str] = mapped_column(String(300))
    case_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    institution: Mapped[Institution] = relationship(back_populates="authorisations")


class Person(Base):
    """Someone who may log in: identified by their directory username."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    full_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(300), default=None)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    #: Base32 TOTP secret where the institution requires a second factor (AUTH-4).
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    institution: Mapped[Institution] = relationship()


class SystemClient(Base):
    """A system-to-system client (a script or another service) acting through the API."""

    __tablename__ = "system_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Authorisation(Base):
    """One entry of the authorisation register (AUTH-1).

    The register is never rewritten: an authorisation is ended by setting `ended_at`
    once, never deleted, and its period is never edited. Database triggers enforce it.
    Active means valid_from <= now < min(valid_until, ended_at).
    """

    __tablename__ = "authorisation"
    __table_args__ = (
        CheckConstraint("valid_from < valid_until", name="period"),
        CheckConstraint("(person_id IS NULL) <> (client_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("system_client.id"), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    granted_by: Mapped[str] = mapped_column(String(128))
    case_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_by: Mapped[str | None] = mapped_column(String(128), default=None)
    end_reason: Mapped[str | None] = mapped_column(Text, default=None)


class RoleAssignment(Base):
    """A staff role (admin, data steward, security officer) of a person.

    `institution_id` scopes the role: a security officer reads only their own
    institution's register and log (AUTH-2). An admin with no institution is global.
    """

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("person_id", "role", "institution_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class TermsVersion(Base):
    """A published version of the terms of use (AUTH-3)."""

    __tablename__ = "terms_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TermsAcceptance(Base):
    __tablename__ = "terms_acceptance"
    __table_args__ = (UniqueConstraint("person_id", "terms_version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    terms_version_id: Mapped[int] = mapped_column(ForeignKey("terms_version.id"))
    accepted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
