"""channels_state: the token of each worker's cached channel directory

Revision ID: a3c91e07d5b2
Revises: 6d2840b70905
Create Date: 2026-11-24 03:20:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import omnichannel.db.types

revision: str = "a3c91e07d5b2"
down_revision: str | None = "6d2840b70905"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    state = op.create_table(
        "channels_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.Uuid(), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_state")),
    )
    # The one row whose token every change of a channel replaces.
    op.bulk_insert(state, [{"id": 1, "token": uuid.uuid4(), "updated_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("channels_state")
