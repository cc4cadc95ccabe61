"""labgate's data model: SQLAlchemy 2 typed ORM classes, one file per concern."""

from labgate.model.audit import AuditDailyCount, AuditEvent
from labgate.model.base import Base, UTCDateTime
from labgate.model.control import DeletionConfirmation, ExportRequest, Review
from labgate.model.data import (
    Dataset,
    DatasetYear,
    Grant,
    GrantVariable,
    GrantYear,
    Population,
    Variable,
)
from labgate.model.identity import (
    Authorisation,
    Institution,
    InstitutionAuthorisation,
    Person,
    RoleAssignment,
    SystemClient,
    TermsAcceptance,
    TermsVersion,
)
from labgate.model.projects import Membership, Project, ProjectTermChange

__all__ = [
    "AuditDailyCount",
    "AuditEvent",
    "Authorisation",
    "Base",
    "Dataset",
    "DatasetYear",
    "DeletionConfirmation",
    "ExportRequest",
    "Grant",
    "GrantVariable",
    "GrantYear",
    "Institution",
    "InstitutionAuthorisation",
    "Membership",
    "Person",
    "Population",
    "Project",
    "ProjectTermChange",
    "Review",
    "RoleAssignment",
    "SystemClient",
    "TermsAcceptance",
    "TermsVersion",
    "UTCDateTime",
    "Variable",
]
