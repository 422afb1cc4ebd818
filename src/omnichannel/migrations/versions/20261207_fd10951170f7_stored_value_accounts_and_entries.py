"""payments: stored value (gift cards and store credit) and its ledger

An account keeps its balance and what is held on it, so that a hold is one
conditional UPDATE; its entries are the append-only ledger they always add up to.
A gift card's code is not stored: only its SHA-256 digest (unique) and last four.

Revision ID: fd10951170f7
Revises: e7a41c2d9b60
Create Date: 2026-12-07 19:22:10.740734
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omnichannel.db.types

revision: str = "fd10951170f7"
down_revision: str | None = "e7a41c2d9b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_value_accounts",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("code_last4", sa.String(length=4), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'gift_card') = (code_digest IS NOT NULL)",
            name=op.f("ck_stored_value_accounts_code_only_on_gift_cards"),
        ),
        sa.CheckConstraint(
            "kind = 'gift_card' OR customer_id IS NOT NULL",
            name=op.f("ck_stored_value_accounts_store_credit_has_customer"),
        ),
        sa.CheckConstraint(
            "kind IN ('gift_card', 'store_credit')",
            name=op.f("ck_stored_value_accounts_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'blocked')", name=op.f("ck_stored_value_accounts_status_known")
        ),
        sa.CheckConstraint(
            "held >= 0 AND balance >= held",
            name=op.f("ck_stored_value_accounts_held_within_balance"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_stored_value_accounts_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_value_accounts")),
    )
    with op.batch_alter_table("stored_value_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stored_value_accounts_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ux_stored_value_accounts_code_digest", ["code_digest"], unique=True)

    op.create_table(
        "stored_value_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_change", sa.Integer(), nullable=False),
        sa.Column("held_change", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_stored_value_entries_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["stored_value_accounts.id"],
            name=op.f("fk_stored_value_entries_account_id_stored_value_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["stored_value_entries.id"],
            name=op.f("fk_stored_value_entries_hold_id_stored_value_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_value_entries")),
        sa.UniqueConstraint(
            "account_id", "kind", "key", name=op.f("uq_stored_value_entries_account_id_kind_key")
        ),
    )
    with op.batch_alter_table("stored_value_entries", schema=None) as batch_op:
        batch_op.create_index("ix_stored_value_entries_account", ["account_id", "at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stored_value_entries_hold_id"), ["hold_id"], unique=False
        )
        batch_op.create_index("ix_stored_value_entries_key", ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stored_value_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_stored_value_entries_key")
        batch_op.drop_index(batch_op.f("ix_stored_value_entries_hold_id"))
        batch_op.drop_index("ix_stored_value_entries_account")

    op.drop_table("stored_value_entries")
    with op.batch_alter_table("stored_value_accounts", schema=None) as batch_op:
        batch_op.drop_index("ux_stored_value_accounts_code_digest")
        batch_op.drop_index(batch_op.f("ix_stored_value_accounts_customer_id"))

    op.drop_table("stored_value_accounts")
