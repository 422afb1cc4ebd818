"""Orders, their lines and their state history (payments are the payments domain's).

An order is a snapshot: prices, VAT, promotions, the buyer's contact and addresses
as they were at checkout, so later changes to price lists or the profile never
change an order. Contact and addresses are personal data, sealed like the profile's
(AES-GCM, see `security.crypto`) and pseudonymised when the customer is erased;
the amounts stay for the tax records. So is the reason a person types for a move
(a cancel naming the customer): sealed, blanked on erasure, never in an event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.db.types import BigIntPK, JSONDoc
from omnichannel.kernel import utcnow
from omnichannel.orders.rules import LIVE_ALLOCATIONS
from omnichannel.security.crypto import Sealed, SealedJSON


class Order(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(16), unique=True)  # what people read aloud
    kind: Mapped[str] = mapped_column(String(16))  # OrderKind
    status: Mapped[str] = mapped_column(String(24))  # OrderStatus
    payment_status: Mapped[str] = mapped_column(String(24))  # PaymentStatus of the payment
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="SET NULL")
    )
    cart_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("carts.id", ondelete="SET NULL")
    )
    origin_channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="RESTRICT")
    )
    completing_channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="RESTRICT")
    )
    # Every channel the order's cart passed through, in order (codes).
    journey: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    external_id: Mapped[str | None] = mapped_column(String(64))  # a marketplace's order id
    placed_by: Mapped[str] = mapped_column(String(128))  # actor: channel, staff or customer
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int]
    discount: Mapped[int]
    delivery: Mapped[int]
    total: Mapped[int]
    vat: Mapped[int]
    fulfilment: Mapped[str] = mapped_column(String(16))  # Fulfilment
    pickup_location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    # The quote as it was: applied promotions, coupons, VAT breakdown, segments.
    pricing: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    contact: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON("orders.contact"))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(
        SealedJSON("orders.shipping_address")
    )
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(
        SealedJSON("orders.billing_address")
    )
    # Why the goods come from where they do: the routing plan's explanation and ETA.
    route: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    pseudonymised_at: Mapped[datetime | None]

    lines: Mapped[list[OrderLine]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )
    allocations: Mapped[list[OrderAllocation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(OrderAllocation.line_no, OrderAllocation.created_at)",
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # The order counts its versions itself (`changed`), still checked in every
        # UPDATE's WHERE: a checkout inserts an order that has already moved on
        # (placed, paid, confirmed), each move with its own event sequence.
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}

    def live_locations(self) -> list[uuid.UUID]:
        """Where the order still holds stock (or has it on its way), first held first."""
        return list(
            dict.fromkeys(a.location_id for a in self.allocations if a.status in LIVE_ALLOCATIONS)
        )

    def changed(self, now: datetime) -> None:
        """Count one change of the order: its version is its events' sequence."""
        self.version = (self.version or 1) + 1
        self.updated_at = now

    __table_args__ = (
        # A marketplace order is imported once, whatever the retries.
        UniqueConstraint("origin_channel_id", "external_id"),
        Index("ix_orders_customer", "customer_id", "placed_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT")
    )
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    cancelled: Mapped[int] = mapped_column(default=0)  # units cancelled since
    price_list: Mapped[str] = mapped_column(String(64))
    unit_price: Mapped[int]
    subtotal: Mapped[int]
    discount: Mapped[int]
    total: Mapped[int]
    net: Mapped[int]
    vat: Mapped[int]
    vat_code: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("cancelled >= 0 AND cancelled <= quantity", name="cancelled_range"),
    )


class OrderAllocation(Base):
    """Units of one line held at one location: where they come from. A line may hold
    several (split across locations, or moved by a re-route); the live ones add up
    to what the line still wants.

    Two lines of one variant at one location share the reservation (a hold is per
    variant and location), so they leave or are given back together.
    """

    __tablename__ = "order_allocations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int]
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT")
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    quantity: Mapped[int]
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the stock it holds
    status: Mapped[str] = mapped_column(String(16))  # AllocationStatus
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # A store's work list: what is held at it, by state.
        Index("ix_order_allocations_location", "location_id", "status"),
    )


class OrderTransition(Base):
    """One move of the state machine: who, when, from where, why."""

    __tablename__ = "order_transitions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(24))  # None: the order was placed
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(32))
    # Free text a person typed (up to 500 characters): personal data (promise 7).
    reason: Mapped[str | None] = mapped_column(Sealed("order_transitions.reason"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
