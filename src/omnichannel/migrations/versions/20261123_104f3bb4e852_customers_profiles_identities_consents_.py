"""customers: profiles, identities, consents, timeline, cases, segments, audit

Personal values are TEXT columns holding AES-GCM envelopes (`<key id>:<base64>`);
`digest` and `city_index` are HMAC blind indexes. See omnichannel.customers.crypto.

Revision ID: 104f3bb4e852
Revises: 5ebc12747ecb
Create Date: 2026-11-23 21:56:47.256278
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import omnichannel.db.types

revision: str = "104f3bb4e852"
down_revision: str | None = "5ebc12747ecb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_audit")),
    )
    with op.batch_alter_table("customer_audit", schema=None) as batch_op:
        batch_op.create_index("ix_customer_audit_customer", ["customer_id", "id"], unique=False)

    op.create_table(
        "customer_segments",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("recomputed_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('rule', 'manual')", name=op.f("ck_customer_segments_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_segments")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_segments_code")),
    )
    op.create_table(
        "customers",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.Column("birthday", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("preferred_location_id", sa.Uuid(), nullable=True),
        sa.Column("source_channel", sa.String(length=32), nullable=True),
        sa.Column("merged_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("erased_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'merged', 'erased')", name=op.f("ck_customers_status")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["customers.id"],
            name=op.f("fk_customers_merged_into_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["preferred_location_id"],
            ["locations.id"],
            name=op.f("fk_customers_preferred_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customers_merged_into_id"), ["merged_into_id"], unique=False
        )

    op.create_table(
        "customer_addresses",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("city_index", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    with op.batch_alter_table("customer_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_addresses_city_index"), ["city_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_addresses_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customer_cases",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("assigned_staff_id", sa.Uuid(), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("sla_due_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "category IN ('question', 'delivery', 'return', 'complaint', 'other')",
            name=op.f("ck_customer_cases_category"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'waiting_for_customer', 'resolved', 'closed')",
            name=op.f("ck_customer_cases_status"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_customer_cases_assigned_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_cases_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_cases")),
    )
    with op.batch_alter_table("customer_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_cases_assigned_staff_id"), ["assigned_staff_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_cases_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_cases_status_due", ["status", "sla_due_at"], unique=False
        )

    op.create_table(
        "customer_consent_changes",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("policy_version", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_consent_changes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_consent_changes")),
    )
    with op.batch_alter_table("customer_consent_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_consent_changes_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customer_consents",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('marketing_email', 'marketing_sms', 'profiling')",
            name=op.f("ck_customer_consents_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_consents_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "purpose", name=op.f("pk_customer_consents")),
    )
    with op.batch_alter_table("customer_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_consents_purpose_granted", ["purpose", "granted"], unique=False
        )

    op.create_table(
        "customer_identities",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("source_channel", sa.String(length=32), nullable=True),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "type IN ('email', 'phone', 'loyalty_card', 'marketplace_buyer', 'social_handle', 'pos_customer')",
            name=op.f("ck_customer_identities_type"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_identities_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
        sa.UniqueConstraint("type", "digest", name=op.f("uq_customer_identities_type_digest")),
    )
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_identities_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customer_segment_members",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_segment_members_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["customer_segments.id"],
            name=op.f("fk_customer_segment_members_segment_id_customer_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "segment_id", "customer_id", name=op.f("pk_customer_segment_members")
        ),
    )
    with op.batch_alter_table("customer_segment_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_segment_members_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customer_timeline",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_timeline_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_customer_timeline_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_timeline")),
    )
    with op.batch_alter_table("customer_timeline", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_timeline_customer", ["customer_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_timeline_type_occurred", ["type", "occurred_at"], unique=False
        )

    op.create_table(
        "customer_case_messages",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["customer_cases.id"],
            name=op.f("fk_customer_case_messages_case_id_customer_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_case_messages")),
    )
    with op.batch_alter_table("customer_case_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_case_messages_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_case_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_case_messages_case_id"))

    op.drop_table("customer_case_messages")
    with op.batch_alter_table("customer_timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_timeline_type_occurred")
        batch_op.drop_index("ix_customer_timeline_customer")

    op.drop_table("customer_timeline")
    with op.batch_alter_table("customer_segment_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_segment_members_customer_id"))

    op.drop_table("customer_segment_members")
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_identities_customer_id"))

    op.drop_table("customer_identities")
    with op.batch_alter_table("customer_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_consents_purpose_granted")

    op.drop_table("customer_consents")
    with op.batch_alter_table("customer_consent_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_consent_changes_customer_id"))

    op.drop_table("customer_consent_changes")
    with op.batch_alter_table("customer_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_cases_status_due")
        batch_op.drop_index(batch_op.f("ix_customer_cases_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_cases_assigned_staff_id"))

    op.drop_table("customer_cases")
    with op.batch_alter_table("customer_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_addresses_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_addresses_city_index"))

    op.drop_table("customer_addresses")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_merged_into_id"))

    op.drop_table("customers")
    op.drop_table("customer_segments")
    with op.batch_alter_table("customer_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_audit_customer")

    op.drop_table("customer_audit")
