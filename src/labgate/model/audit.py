"""The audit log tables: hash-chained events and their per-day counts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from labgate.model.base import Base


class AuditEvent(Base):
    """One logged transaction (LOG-1), chained to the previous one by hash (LOG-2).

    `seq` is dense (1, 2, 3, ...) and unique, so two writers can never both append after
    the same event: the chain cannot fork. Times are integer microseconds since the Unix
    epoch (UTC): compact, exact and fast to index on both backends.
    Database triggers refuse UPDATE and DELETE (see labgate.audit.triggers).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_actor_ts", "actor", "ts_us"),
        Index("ix_audit_event_type_ts", "type", "ts_us"),
        Index("ix_audit_event_object", "object_kind", "object_id", "ts_us"),
        Index("ix_audit_event_institution_ts", "institution", "ts_us"),
        Index("ix_audit_event_ts", "ts_us"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    ts_us: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(160))
    actor_kind: Mapped[str] = mapped_column(String(16))
    #: Code of the actor's institution (or of the object's, for system actors); "" if none.
    institution: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    object_kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16))
    #: Canonical JSON (sorted keys, no spaces) of further detail.
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditDailyCount(Base):
    """Events per (UTC day, actor, type, institution), kept in the same transaction as the
    events, so that transaction statistics (LOG-4) over long periods read a few thousand
    rows instead of millions. Derived data: it is rebuilt from the chain if ever in doubt."""

    __tablename__ = "audit_daily_count"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since 1970-01-01
    actor: Mapped[str] = mapped_column(String(160), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    institution: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
