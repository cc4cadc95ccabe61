"""The vocabularies of labgate: schemes, roles, flags and outcomes (pure, no I/O)."""

from __future__ import annotations

import enum


class Scheme(enum.StrEnum):
    """The microdata scheme a project (or an institution's authorisation) runs under."""

    RESEARCHER = "researcher"
    AUTHORITY = "authority"
    PROJECT_DATABASE = "project_database"
    SUB_PROJECT = "sub_project"


class InstitutionScheme(enum.StrEnum):
    """Schemes an institution can be authorised for (INST-1)."""

    RESEARCHER = "researcher"
    AUTHORITY = "authority"
    PROJECT_DATABASE = "project_database"


class MemberRole(enum.StrEnum):
    RESEARCHER = "researcher"
    PDB_MANAGER = "pdb_manager"


class StaffRole(enum.StrEnum):
    """Roles outside projects: who runs the environment."""

    ADMIN = "admin"
    DATA_STEWARD = "data_steward"
    SECURITY_OFFICER = "security_officer"


class ActorKind(enum.StrEnum):
    PERSON = "person"
    CLIENT = "client"
    SYSTEM = "system"


class Outcome(enum.StrEnum):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


class UnitKind(enum.StrEnum):
    """What one row of a register describes."""

    PERSON = "person"
    BUSINESS = "business"


class ReviewKind(enum.StrEnum):
    QUARTERLY = "quarterly"
    ADHOC = "adhoc"


class ExportStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
