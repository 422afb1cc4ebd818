"""channels: a delivery fee per method (courier, locker, pickup, cash-on-delivery
surcharge) instead of one flat fee; catalog: a variant's packed size

Variants get `length_mm`, `width_mm` and `height_mm` (unknown until set), from which
a parcel locker's compartment is chosen.

Every channel gets its row of `channel_delivery_rates`: its flat fee becomes the
courier rate (no fee, which meant free, becomes a free courier), pickup stays free,
cash on delivery is collected without a surcharge as before, and lockers are not
offered until a rate is set. Then `channels.delivery_price` goes: one place for a fee.

Downgrading puts the courier rate back as the flat fee (free or not offered becomes
no fee, which meant free); the other rates have nowhere to go and are dropped.
Either way the directory token changes, so no worker keeps fees it cached before.

Revision ID: 0a6d3e8f4b21
Revises: f5c1d9e2a7b3
Create Date: 2026-12-08 00:40:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import omnichannel.db.types

revision: str = "0a6d3e8f4b21"
down_revision: str | None = "f5c1d9e2a7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RATES = ("courier", "locker", "pickup", "cash_on_delivery")
_DIMENSIONS = ("length_mm", "width_mm", "height_mm")

_channels = sa.table(
    "channels", sa.column("id", sa.Uuid()), sa.column("delivery_price", sa.Integer())
)
_rates = sa.table(
    "channel_delivery_rates",
    sa.column("channel_id", sa.Uuid()),
    *(sa.column(c, sa.Integer()) for c in _RATES),
)
_state = sa.table(
    "channels_state",
    sa.column("id", sa.Integer()),
    sa.column("token", sa.Uuid()),
    sa.column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True)),
)


def _bump() -> None:
    op.execute(
        _state.update()
        .where(_state.c.id == 1)
        .values(token=uuid.uuid4(), updated_at=datetime.now(UTC))
    )


def upgrade() -> None:
    op.create_table(
        "channel_delivery_rates",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=True) for c in _RATES),
        *(
            sa.CheckConstraint(
                f"{c} IS NULL OR {c} >= 0",
                name=op.f(f"ck_channel_delivery_rates_{c}_non_negative"),
            )
            for c in _RATES
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_channel_delivery_rates_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_delivery_rates")),
    )
    op.execute(
        _rates.insert().from_select(
            ["channel_id", *_RATES],
            sa.select(
                _channels.c.id,
                sa.func.coalesce(_channels.c.delivery_price, 0),
                sa.null(),
                sa.literal(0),
                sa.literal(0),
            ),
        )
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("delivery_price")
    _bump()
    with op.batch_alter_table("variants", schema=None) as batch_op:
        for c in _DIMENSIONS:
            batch_op.add_column(sa.Column(c, sa.Integer(), nullable=True))
            batch_op.create_check_constraint(
                op.f(f"ck_variants_{c}_non_negative"), f"{c} IS NULL OR {c} >= 0"
            )


def downgrade() -> None:
    with op.batch_alter_table("variants", schema=None) as batch_op:
        for c in reversed(_DIMENSIONS):
            batch_op.drop_constraint(op.f(f"ck_variants_{c}_non_negative"), type_="check")
            batch_op.drop_column(c)
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_price", sa.Integer(), nullable=True))
    courier = (
        sa.select(_rates.c.courier)
        .where(_rates.c.channel_id == _channels.c.id, _rates.c.courier > 0)
        .scalar_subquery()
    )
    op.execute(_channels.update().values(delivery_price=courier))
    op.drop_table("channel_delivery_rates")
    _bump()
