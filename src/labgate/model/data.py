"""Datasets (registers), their variables and years, populations and grants."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labgate.model.base import Base, UTCDateTime


class Dataset(Base):
    """A register (or a project's own data) held in the vault."""

    __tablename__ = "dataset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: person | business: what one row describes.
    unit: Mapped[str] = mapped_column(String(16))
    #: Register owner, e.g. "Statistics Denmark"; "own" for a project's own data (DATA-6).
    source: Mapped[str] = mapped_column(String(300), default="")
    #: The project a project's own data belong to; None for a register.
    owner_project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), default=None)
    #: Anonymous data may go to foreign institutions without exception (INST-3).
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    variables: Mapped[list[Variable]] = relationship(
        back_populates="dataset", order_by="Variable.position"
    )
    years: Mapped[list[DatasetYear]] = relationship(order_by="DatasetYear.year")


class Variable(Base):
    """A column of a dataset and its flags."""

    __tablename__ = "variable"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(300), default="")
    dtype: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    #: A real identifier (person or business number): always replaced by a pseudonym (DATA-1).
    is_identifier: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The year column that year-level grants filter on (DATA-4).
    is_year: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Particularly identifying: granted only with a written justification (DATA-5).
    is_identifying: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A name/address protection marker that travels with its data (DATA-7).
    is_protection_marker: Mapped[bool] = mapped_column(Boolean, default=False)

    dataset: Mapped[Dataset] = relationship(back_populates="variables")


class DatasetYear(Base):
    __tablename__ = "dataset_year"
    __table_args__ = (UniqueConstraint("dataset_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)


class Population(Base):
    """A set of pseudonyms of a project database, built by its managers (PROJ-5)."""

    __tablename__ = "population"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    #: How it was selected, as a readable rule; the members live in the vault.
    definition: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int | None] = mapped_column(Integer, default=None)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Grant(Base):
    """Data granted to a project: one dataset, some of its variables, some of its years.

    Withdrawn, never deleted; frozen when the project expires (PROJ-8).
    """

    __tablename__ = "grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"), index=True)
    population_id: Mapped[int | None] = mapped_column(ForeignKey("population.id"), default=None)
    #: Written justification, required when an identifying variable is granted (DATA-5).
    justification: Mapped[str | None] = mapped_column(Text, default=None)
    granted_by: Mapped[str] = mapped_column(String(128))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    withdrawn_by: Mapped[str | None] = mapped_column(String(128), default=None)
    #: Set when the grant was materialised into the project area (issue: data store).
    materialised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    dataset: Mapped[Dataset] = relationship()
    variables: Mapped[list[GrantVariable]] = relationship(cascade="all, delete-orphan")
    years: Mapped[list[GrantYear]] = relationship(cascade="all, delete-orphan")


class GrantVariable(Base):
    __tablename__ = "grant_variable"
    __table_args__ = (UniqueConstraint("grant_id", "variable_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant.id"), index=True)
    variable_id: Mapped[int] = mapped_column(ForeignKey("variable.id"))

    variable: Mapped[Variable] = relationship()


class GrantYear(Base):
    __tablename__ = "grant_year"
    __table_args__ = (UniqueConstraint("grant_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
