"""Fulfilment orders, shipments, pickups, and the fulfilment settings of locations
and channels.

A fulfilment order is the work of one location for one order: the allocations it
serves (`order_allocations`, the order's), sent as shipments or handed over at a
pickup store. The order's state follows its fulfilment orders.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnichannel.db.base import Base, TimestampMixin
from omnichannel.kernel import utcnow
from omnichannel.security.crypto import Sealed


class FulfilmentOrder(TimestampMixin, Base):
    __tablename__ = "fulfilment_orders"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(24), unique=True)  # the order's, then -1, -2
    kind: Mapped[str] = mapped_column(String(16))  # FulfilmentKind
    status: Mapped[str] = mapped_column(String(16))  # FulfilmentStatus
    location_id: Mapped[uuid.UUID] = mapped_column(  # where the goods leave from
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    # A pickup's store; a transfer carries the goods there when it is not location_id.
    destination_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("stock_transfers.id", ondelete="RESTRICT")
    )
    dispatch_by: Mapped[date | None]  # the routing plan's dispatch day
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)  # the sequence of its events

    lines: Mapped[list[FulfilmentLine]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="FulfilmentLine.line_no"
    )

    __table_args__ = (
        # A location's work list: its open fulfilment orders, oldest first.
        Index("ix_fulfilment_orders_work", "location_id", "status", "created_at"),
    )


class FulfilmentLine(Base):
    """An allocation a fulfilment order serves."""

    __tablename__ = "fulfilment_lines"

    fulfilment_order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("fulfilment_orders.id", ondelete="CASCADE"), primary_key=True
    )
    allocation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("order_allocations.id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int]
    quantity: Mapped[int]

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class Shipment(TimestampMixin, Base):
    __tablename__ = "shipments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    fulfilment_order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("fulfilment_orders.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # ShipmentStatus
    carrier: Mapped[str] = mapped_column(String(32))  # the carrier's registry name
    service: Mapped[str] = mapped_column(String(16))  # courier | locker
    point_id: Mapped[str | None] = mapped_column(String(16))  # a parcel locker's id
    parcel_size: Mapped[str | None] = mapped_column(String(4))  # a locker's A, B or C
    weight_g: Mapped[int | None]
    carrier_ref: Mapped[str | None] = mapped_column(String(64))  # the carrier's id for it
    tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    # The idempotency key of the carrier call: a retry after a crash asks again safely.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    captured: Mapped[int] = mapped_column(default=0)  # what its leaving charged
    # A cancelled parcel the carrier had booked: withdrawn with the carrier yet?
    withdrawn_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=0)  # the sequence of its events
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("weight_g IS NULL OR weight_g >= 0", name="weight_not_negative"),
    )


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    shipment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True
    )
    allocation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("order_allocations.id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int]
    quantity: Mapped[int]

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class Pickup(TimestampMixin, Base):
    """An order waiting at a store's counter: its clock, its code, its hand-over."""

    __tablename__ = "pickups"

    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(16))  # PickupKind
    status: Mapped[str] = mapped_column(String(16))  # PickupStatus
    ready_due_at: Mapped[datetime | None]  # the store's SLA: ready by then
    ready_at: Mapped[datetime | None]
    # Not collected by then: the order is cancelled (reserve & collect: the hold ends).
    collect_by: Mapped[datetime | None]
    # The code the customer shows: sealed, so the customer (and nobody else) can be
    # shown it again; checked against its keyed hash, in constant time.
    code: Mapped[str | None] = mapped_column(Sealed("pickups.code"))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_attempts: Mapped[int] = mapped_column(default=0)  # wrong tries since the last right
    code_locked_until: Mapped[datetime | None]
    collected_at: Mapped[datetime | None]
    handed_over_by: Mapped[str | None] = mapped_column(String(128))
    verified_by: Mapped[str | None] = mapped_column(String(16))  # code | identity
    version: Mapped[int] = mapped_column(default=0)  # the sequence of its events

    __table_args__ = (
        # The counter's lists: overdue to prepare, due to expire.
        Index("ix_pickups_store", "location_id", "status", "ready_due_at"),
        Index("ix_pickups_collect_by", "status", "collect_by"),
        CheckConstraint("code_attempts >= 0", name="code_attempts_not_negative"),
    )


class LocationFulfilment(Base):
    """How a location fulfils: its cost, capacity, cut-off and pickup clocks."""

    __tablename__ = "location_fulfilment"

    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    shipment_cost: Mapped[int] = mapped_column(default=0)  # minor units per fulfilment order
    daily_capacity: Mapped[int | None]  # fulfilment orders a day; None = no limit
    cutoff: Mapped[time | None]  # the carrier's last collection, local time
    ready_within_hours: Mapped[int | None]  # pickup SLA in opening hours
    collect_within_days: Mapped[int | None]  # open days a ready order waits
    reserve_hold_hours: Mapped[int | None]  # reserve & collect hold here
    version: Mapped[int] = mapped_column(default=0)  # the sequence of its events
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("shipment_cost >= 0", name="shipment_cost_not_negative"),
        CheckConstraint(
            "daily_capacity IS NULL OR daily_capacity >= 0", name="daily_capacity_not_negative"
        ),
    )


class ChannelRouting(Base):
    """A channel's routing policy and its reserve & collect hold."""

    __tablename__ = "channel_routing"

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    max_shipments: Mapped[int] = mapped_column(default=3)
    stores_ship: Mapped[bool] = mapped_column(default=True)
    split_penalty: Mapped[int] = mapped_column(default=0)
    cost_per_km: Mapped[int] = mapped_column(default=2)
    cost_per_day: Mapped[int] = mapped_column(default=500)
    reserve_hold_hours: Mapped[int | None]  # None: the store's, else the default
    version: Mapped[int] = mapped_column(default=0)  # the sequence of its events
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("max_shipments >= 1", name="max_shipments_positive"),
        CheckConstraint("split_penalty >= 0", name="split_penalty_not_negative"),
    )
