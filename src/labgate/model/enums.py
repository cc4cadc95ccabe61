"""The model's vocabularies live in `labgate.vocabulary`, which policy can import too."""

from labgate.vocabulary import (
    ActorKind,
    ExportStatus,
    InstitutionScheme,
    MemberRole,
    Outcome,
    ReviewKind,
    Scheme,
    StaffRole,
    UnitKind,
)

__all__ = [
    "ActorKind",
    "ExportStatus",
    "InstitutionScheme",
    "MemberRole",
    "Outcome",
    "ReviewKind",
    "Scheme",
    "StaffRole",
    "UnitKind",
]
