"""fulfillment: order lines hold allocations; fulfilment orders, shipments, pickups,
and the fulfilment settings of locations and channels

An order line held its stock at exactly one location (`order_lines.location_id` and
`reservation_id`). Now a line may hold several allocations (split across locations,
moved by a re-route), so each line's location and hold become one allocation: held
while the order still holds stock, left once the goods left (shipped, collected,
delivered, completed), released for a cancelled line or order.

Downgrading puts each line's first allocation back on the line; a line split across
locations keeps only that one location (the code before could not say more).

Revision ID: f5c1d9e2a7b3
Revises: e4b9c2d7a1f5
Create Date: 2026-12-08 00:13:59.622583
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import omnichannel.db.types
from omnichannel.kernel import new_id, utcnow

revision: str = "f5c1d9e2a7b3"
down_revision: str | None = "e4b9c2d7a1f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_GOODS_LEFT = ("shipped", "collected", "delivered", "completed")

_orders = sa.table("orders", sa.column("id", sa.Uuid()), sa.column("status", sa.String()))
_lines = sa.table(
    "order_lines",
    sa.column("order_id", sa.Uuid()),
    sa.column("line_no", sa.Integer()),
    sa.column("variant_id", sa.Uuid()),
    sa.column("quantity", sa.Integer()),
    sa.column("cancelled", sa.Integer()),
    sa.column("location_id", sa.Uuid()),
    sa.column("reservation_id", sa.Uuid()),
)
_allocations = sa.table(
    "order_allocations",
    sa.column("id", sa.Uuid()),
    sa.column("order_id", sa.Uuid()),
    sa.column("line_no", sa.Integer()),
    sa.column("variant_id", sa.Uuid()),
    sa.column("location_id", sa.Uuid()),
    sa.column("quantity", sa.Integer()),
    sa.column("reservation_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("created_at", omnichannel.db.types.UTCDateTime()),
    sa.column("updated_at", omnichannel.db.types.UTCDateTime()),
)


def _status(order_status: str, quantity: int, cancelled: int) -> str:
    if order_status == "cancelled" or cancelled >= quantity:
        return "released"
    return "left" if order_status in _GOODS_LEFT else "held"


def _lines_to_allocations() -> None:
    """One allocation per order line, where the line's stock was."""
    conn = op.get_bind()
    now = utcnow()
    query = (
        sa.select(
            _lines.c.order_id,
            _lines.c.line_no,
            _lines.c.variant_id,
            _lines.c.quantity,
            _lines.c.cancelled,
            _lines.c.location_id,
            _lines.c.reservation_id,
            _orders.c.status,
        )
        .join(_orders, _orders.c.id == _lines.c.order_id)
        .order_by(_lines.c.order_id, _lines.c.line_no)
    )
    rows = []
    for r in conn.execute(query):
        rows.append(
            {
                "id": new_id(),
                "order_id": r.order_id,
                "line_no": r.line_no,
                "variant_id": r.variant_id,
                "location_id": r.location_id,
                "quantity": r.quantity,
                "reservation_id": r.reservation_id,
                "status": _status(r.status, r.quantity, r.cancelled),
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(rows) >= _BATCH:
            conn.execute(_allocations.insert(), rows)
            rows = []
    if rows:
        conn.execute(_allocations.insert(), rows)


def _allocations_to_lines() -> None:
    """Each line's first allocation back on the line."""
    conn = op.get_bind()
    first: dict[tuple[object, int], tuple[object, object]] = {}
    query = sa.select(
        _allocations.c.order_id,
        _allocations.c.line_no,
        _allocations.c.location_id,
        _allocations.c.reservation_id,
    ).order_by(_allocations.c.order_id, _allocations.c.line_no, _allocations.c.created_at)
    for r in conn.execute(query):
        first.setdefault((r.order_id, r.line_no), (r.location_id, r.reservation_id))
    if not first:
        return
    conn.execute(
        _lines.update()
        .where(_lines.c.order_id == sa.bindparam("o"), _lines.c.line_no == sa.bindparam("n"))
        .values(location_id=sa.bindparam("loc"), reservation_id=sa.bindparam("res")),
        [{"o": o, "n": n, "loc": loc, "res": res} for (o, n), (loc, res) in first.items()],
    )


def upgrade() -> None:
    op.create_table(
        "channel_routing",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("max_shipments", sa.Integer(), nullable=False),
        sa.Column("stores_ship", sa.Boolean(), nullable=False),
        sa.Column("split_penalty", sa.Integer(), nullable=False),
        sa.Column("cost_per_km", sa.Integer(), nullable=False),
        sa.Column("cost_per_day", sa.Integer(), nullable=False),
        sa.Column("reserve_hold_hours", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "max_shipments >= 1", name=op.f("ck_channel_routing_max_shipments_positive")
        ),
        sa.CheckConstraint(
            "split_penalty >= 0", name=op.f("ck_channel_routing_split_penalty_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_channel_routing_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_routing")),
    )
    op.create_table(
        "location_fulfilment",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("shipment_cost", sa.Integer(), nullable=False),
        sa.Column("daily_capacity", sa.Integer(), nullable=True),
        sa.Column("cutoff", sa.Time(), nullable=True),
        sa.Column("ready_within_hours", sa.Integer(), nullable=True),
        sa.Column("collect_within_days", sa.Integer(), nullable=True),
        sa.Column("reserve_hold_hours", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "daily_capacity IS NULL OR daily_capacity >= 0",
            name=op.f("ck_location_fulfilment_daily_capacity_not_negative"),
        ),
        sa.CheckConstraint(
            "shipment_cost >= 0", name=op.f("ck_location_fulfilment_shipment_cost_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_location_fulfilment_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_location_fulfilment")),
    )
    op.create_table(
        "fulfilment_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("destination_id", sa.Uuid(), nullable=True),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("dispatch_by", sa.Date(), nullable=True),
        sa.Column("closed_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["locations.id"],
            name=op.f("fk_fulfilment_orders_destination_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_fulfilment_orders_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_fulfilment_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["stock_transfers.id"],
            name=op.f("fk_fulfilment_orders_transfer_id_stock_transfers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilment_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_fulfilment_orders_number")),
    )
    with op.batch_alter_table("fulfilment_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfilment_orders_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            "ix_fulfilment_orders_work", ["location_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "order_allocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_allocations_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_order_allocations_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_allocations_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_order_allocations_variant_id_variants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_allocations")),
    )
    with op.batch_alter_table("order_allocations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_allocations_location", ["location_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_order_allocations_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "pickups",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ready_due_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ready_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collect_by", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column(
            "code_locked_until", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("collected_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handed_over_by", sa.String(length=128), nullable=True),
        sa.Column("verified_by", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "code_attempts >= 0", name=op.f("ck_pickups_code_attempts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_pickups_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_pickups_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_pickups")),
    )
    with op.batch_alter_table("pickups", schema=None) as batch_op:
        batch_op.create_index("ix_pickups_collect_by", ["status", "collect_by"], unique=False)
        batch_op.create_index(
            "ix_pickups_store", ["location_id", "status", "ready_due_at"], unique=False
        )

    op.create_table(
        "fulfilment_lines",
        sa.Column("fulfilment_order_id", sa.Uuid(), nullable=False),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_fulfilment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["order_allocations.id"],
            name=op.f("fk_fulfilment_lines_allocation_id_order_allocations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fulfilment_order_id"],
            ["fulfilment_orders.id"],
            name=op.f("fk_fulfilment_lines_fulfilment_order_id_fulfilment_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "fulfilment_order_id", "allocation_id", name=op.f("pk_fulfilment_lines")
        ),
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("fulfilment_order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("point_id", sa.String(length=16), nullable=True),
        sa.Column("parcel_size", sa.String(length=4), nullable=True),
        sa.Column("weight_g", sa.Integer(), nullable=True),
        sa.Column("carrier_ref", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("captured", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("shipped_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "weight_g IS NULL OR weight_g >= 0", name=op.f("ck_shipments_weight_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["fulfilment_order_id"],
            ["fulfilment_orders.id"],
            name=op.f("fk_shipments_fulfilment_order_id_fulfilment_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("request_key", name=op.f("uq_shipments_request_key")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipments_fulfilment_order_id"), ["fulfilment_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shipments_tracking_number"), ["tracking_number"], unique=False
        )

    op.create_table(
        "shipment_lines",
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["order_allocations.id"],
            name=op.f("fk_shipment_lines_allocation_id_order_allocations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_lines_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", "allocation_id", name=op.f("pk_shipment_lines")),
    )
    _lines_to_allocations()
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_location_id_locations"), type_="foreignkey"
        )
        batch_op.drop_column("reservation_id")
        batch_op.drop_column("location_id")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "route",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("route")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("reservation_id", sa.Uuid(), nullable=True))
    _allocations_to_lines()
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.alter_column("location_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_location_id_locations"),
            "locations",
            ["location_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    op.drop_table("shipment_lines")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_fulfilment_order_id"))

    op.drop_table("shipments")
    op.drop_table("fulfilment_lines")
    with op.batch_alter_table("pickups", schema=None) as batch_op:
        batch_op.drop_index("ix_pickups_store")
        batch_op.drop_index("ix_pickups_collect_by")

    op.drop_table("pickups")
    with op.batch_alter_table("order_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_allocations_order_id"))
        batch_op.drop_index("ix_order_allocations_location")

    op.drop_table("order_allocations")
    with op.batch_alter_table("fulfilment_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfilment_orders_work")
        batch_op.drop_index(batch_op.f("ix_fulfilment_orders_order_id"))

    op.drop_table("fulfilment_orders")
    op.drop_table("location_fulfilment")
    op.drop_table("channel_routing")
