"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 20:28:52.086830
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from labgate.model.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_daily_count",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("institution", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "actor", "type", "institution", name=op.f("pk_audit_daily_count")
        ),
    )
    op.create_table(
        "audit_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("ts_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("institution", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_actor_ts", ["actor", "ts_us"], unique=False)
        batch_op.create_index(
            "ix_audit_event_institution_ts", ["institution", "ts_us"], unique=False
        )
        batch_op.create_index(
            "ix_audit_event_object", ["object_kind", "object_id", "ts_us"], unique=False
        )
        batch_op.create_index("ix_audit_event_ts", ["ts_us"], unique=False)
        batch_op.create_index("ix_audit_event_type_ts", ["type", "ts_us"], unique=False)

    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("foreign_exception", sa.Text(), nullable=True),
        sa.Column("requires_second_factor", sa.Boolean(), nullable=False),
        sa.Column("idle_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
        sa.UniqueConstraint("code", name=op.f("uq_institution_code")),
    )
    op.create_table(
        "terms_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_version")),
        sa.UniqueConstraint("version", name=op.f("uq_terms_version_version")),
    )
    op.create_table(
        "institution_authorisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("security_policy_ref", sa.String(length=300), nullable=False),
        sa.Column("case_reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "valid_from < valid_until", name=op.f("ck_institution_authorisation_period")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_institution_authorisation_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_authorisation")),
    )
    with op.batch_alter_table("institution_authorisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_authorisation_institution_id"),
            ["institution_id"],
            unique=False,
        )

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=300), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_person_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("username", name=op.f("uq_person_username")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("owner_institution_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis_art6", sa.String(length=100), nullable=False),
        sa.Column("legal_basis_art9", sa.String(length=100), nullable=True),
        sa.Column("dpia_reference", sa.String(length=300), nullable=True),
        sa.Column("dpia_not_needed_reason", sa.Text(), nullable=True),
        sa.Column("case_reference", sa.String(length=100), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("access_ends_on", sa.Date(), nullable=False),
        sa.Column("deletion_deadline", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expired_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "access_ends_on <= deletion_deadline", name=op.f("ck_project_deletion_after_access")
        ),
        sa.CheckConstraint("starts_on < access_ends_on", name=op.f("ck_project_access_period")),
        sa.ForeignKeyConstraint(
            ["owner_institution_id"],
            ["institution.id"],
            name=op.f("fk_project_owner_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["project.id"], name=op.f("fk_project_parent_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("code", name=op.f("uq_project_code")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_owner_institution_id"), ["owner_institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_project_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "system_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_system_client_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_client")),
        sa.UniqueConstraint("name", name=op.f("uq_system_client_name")),
    )
    with op.batch_alter_table("system_client", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_system_client_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "authorisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("granted_by", sa.String(length=128), nullable=False),
        sa.Column("case_reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=128), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (client_id IS NULL)", name=op.f("ck_authorisation_one_subject")
        ),
        sa.CheckConstraint("valid_from < valid_until", name=op.f("ck_authorisation_period")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["system_client.id"],
            name=op.f("fk_authorisation_client_id_system_client"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_authorisation_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorisation")),
    )
    with op.batch_alter_table("authorisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorisation_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_authorisation_person_id"), ["person_id"], unique=False)

    op.create_table(
        "dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("owner_project_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_project_id"], ["project.id"], name=op.f("fk_dataset_owner_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset")),
        sa.UniqueConstraint("code", name=op.f("uq_dataset_code")),
    )
    op.create_table(
        "deletion_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_by", sa.String(length=128), nullable=False),
        sa.Column("case_reference", sa.String(length=100), nullable=True),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_deletion_confirmation_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_confirmation")),
    )
    with op.batch_alter_table("deletion_confirmation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deletion_confirmation_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "export_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_export_request_project_id_project")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["person.id"], name=op.f("fk_export_request_requester_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["person.id"], name=op.f("fk_export_request_reviewer_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_request")),
    )
    with op.batch_alter_table("export_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_export_request_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("valid_from < valid_until", name=op.f("ck_membership_period")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_membership_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_membership_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_project_id"), ["project_id"], unique=False)

    op.create_table(
        "population",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_population_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_population_project_id_name")),
    )
    with op.batch_alter_table("population", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_population_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_term_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("old_access_ends_on", sa.Date(), nullable=False),
        sa.Column("new_access_ends_on", sa.Date(), nullable=False),
        sa.Column("old_deletion_deadline", sa.Date(), nullable=False),
        sa.Column("new_deletion_deadline", sa.Date(), nullable=False),
        sa.Column("grant_review", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("case_reference", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_term_change_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_term_change")),
    )
    with op.batch_alter_table("project_term_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_term_change_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_person_id", sa.Integer(), nullable=True),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("signed_off_by", sa.String(length=128), nullable=False),
        sa.Column("signed_off_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_review_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_person_id"], ["person.id"], name=op.f("fk_review_subject_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_role_assignment_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_role_assignment_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignment")),
        sa.UniqueConstraint(
            "person_id",
            "role",
            "institution_id",
            name=op.f("uq_role_assignment_person_id_role_institution_id"),
        ),
    )
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_role_assignment_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "terms_acceptance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("terms_version_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_terms_acceptance_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["terms_version_id"],
            ["terms_version.id"],
            name=op.f("fk_terms_acceptance_terms_version_id_terms_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_acceptance")),
        sa.UniqueConstraint(
            "person_id",
            "terms_version_id",
            name=op.f("uq_terms_acceptance_person_id_terms_version_id"),
        ),
    )
    with op.batch_alter_table("terms_acceptance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_terms_acceptance_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "dataset_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_dataset_year_dataset_id_dataset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_year")),
        sa.UniqueConstraint("dataset_id", "year", name=op.f("uq_dataset_year_dataset_id_year")),
    )
    with op.batch_alter_table("dataset_year", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_year_dataset_id"), ["dataset_id"], unique=False
        )

    op.create_table(
        "grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("population_id", sa.Integer(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("granted_by", sa.String(length=128), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=128), nullable=True),
        sa.Column("materialised_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_grant_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["population_id"], ["population.id"], name=op.f("fk_grant_population_id_population")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_grant_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant")),
    )
    with op.batch_alter_table("grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grant_project_id"), ["project_id"], unique=False)

    op.create_table(
        "variable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("dtype", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_identifier", sa.Boolean(), nullable=False),
        sa.Column("is_year", sa.Boolean(), nullable=False),
        sa.Column("is_identifying", sa.Boolean(), nullable=False),
        sa.Column("is_protection_marker", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_variable_dataset_id_dataset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variable")),
        sa.UniqueConstraint("dataset_id", "name", name=op.f("uq_variable_dataset_id_name")),
    )
    with op.batch_alter_table("variable", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variable_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "grant_variable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("variable_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grant.id"], name=op.f("fk_grant_variable_grant_id_grant")
        ),
        sa.ForeignKeyConstraint(
            ["variable_id"], ["variable.id"], name=op.f("fk_grant_variable_variable_id_variable")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_variable")),
        sa.UniqueConstraint(
            "grant_id", "variable_id", name=op.f("uq_grant_variable_grant_id_variable_id")
        ),
    )
    with op.batch_alter_table("grant_variable", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_variable_grant_id"), ["grant_id"], unique=False)

    op.create_table(
        "grant_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grant.id"], name=op.f("fk_grant_year_grant_id_grant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_year")),
        sa.UniqueConstraint("grant_id", "year", name=op.f("uq_grant_year_grant_id_year")),
    )
    with op.batch_alter_table("grant_year", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_year_grant_id"), ["grant_id"], unique=False)
    _create_guards()


# Tables whose rows are history: ended or withdrawn by an update, never deleted.
NEVER_DELETED = (
    "authorisation",
    "institution_authorisation",
    "membership",
    "grant",
    "review",
    "deletion_confirmation",
    "project_term_change",
    "terms_acceptance",
)

# The authorisation register (AUTH-1) may only be ended, once; its period never changes.
AUTHORISATION_FROZEN = (
    "person_id",
    "client_id",
    "valid_from",
    "valid_until",
    "granted_by",
    "case_reference",
    "created_at",
)


def _create_guards() -> None:
    """Triggers that make the audit log append-only and history tables never-deleted."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{action.lower()} BEFORE {action} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        for table in NEVER_DELETED:
            op.execute(
                f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are history and are never deleted'); END"
            )
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in AUTHORISATION_FROZEN)
        op.execute(
            "CREATE TRIGGER authorisation_end_once BEFORE UPDATE ON authorisation "
            f"WHEN OLD.ended_at IS NOT NULL OR {changed} "
            "BEGIN SELECT RAISE(ABORT, 'an authorisation is ended once and never rewritten'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION labgate_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% rows are append-only history (%)', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION labgate_refuse()"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION labgate_refuse()"
    )
    for table in NEVER_DELETED:
        op.execute(
            f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION labgate_refuse()"
        )
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in AUTHORISATION_FROZEN)
    op.execute(
        "CREATE FUNCTION labgate_authorisation_end_once() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF OLD.ended_at IS NOT NULL OR {changed} THEN "
        "RAISE EXCEPTION 'an authorisation is ended once and never rewritten' "
        "USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER authorisation_end_once BEFORE UPDATE ON authorisation "
        "FOR EACH ROW EXECUTE FUNCTION labgate_authorisation_end_once()"
    )


def downgrade() -> None:
    # The audit log and the authorisation register are never dropped by a migration.
    raise NotImplementedError("labgate's initial schema cannot be downgraded")
