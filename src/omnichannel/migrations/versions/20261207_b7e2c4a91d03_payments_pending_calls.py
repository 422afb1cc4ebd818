"""payments: the provider call in flight between two transactions

Revision ID: b7e2c4a91d03
Revises: fd10951170f7
Create Date: 2026-12-07 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omnichannel.db.types

revision: str = "b7e2c4a91d03"
down_revision: str | None = "fd10951170f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("pending_amount", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pending_key", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("pending_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "pending_since",
                omnichannel.db.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_index("ix_payments_pending_since", ["pending_since"], unique=False)
        batch_op.create_check_constraint(
            "pending_complete", "(pending_kind IS NULL) = (pending_since IS NULL)"
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("ck_payments_pending_complete", type_="check")
        batch_op.drop_index("ix_payments_pending_since")
        batch_op.drop_column("pending_since")
        batch_op.drop_column("pending_reason")
        batch_op.drop_column("pending_key")
        batch_op.drop_column("pending_amount")
        batch_op.drop_column("pending_kind")
