"""Controls: quarterly and ad-hoc reviews, deletion confirmations, export requests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from labgate.model.base import Base, UTCDateTime


class Review(Base):
    """A signed-off control of an institution's authorisations and log (LOG-5, LOG-6)."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # quarterly | adhoc
    #: For an ad-hoc control: the person under review.
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: The generated report (JSON) and its SHA-256, so the signed text cannot change later.
    report: Mapped[str] = mapped_column(Text)
    report_sha256: Mapped[str] = mapped_column(String(64))
    findings: Mapped[str] = mapped_column(Text, default="")
    signed_off_by: Mapped[str] = mapped_column(String(128))
    signed_off_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DeletionConfirmation(Base):
    """What was deleted, when, by whom, with content hashes (PROJ-9); kept after the data."""

    __tablename__ = "deletion_confirmation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    deleted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    deleted_by: Mapped[str] = mapped_column(String(128))
    case_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    #: JSON list of {"path", "bytes", "sha256"}.
    manifest: Mapped[str] = mapped_column(Text)
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(Integer)


class ExportRequest(Base):
    """A request to take a file out of a workspace, decided by a reviewer (WS-5)."""

    __tablename__ = "export_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
