"""Stock levels, the movement ledger, reservations, transfers and stock policies.

The invariant `reserved <= on_hand + allowance` is kept by the database statement
itself (see `statements.py`): a conditional UPDATE whose row count says yes or no.
`allowance` is the backorder headroom copied from the variant's policy, so the
check needs no join.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from omnichannel.db.base import Base
from omnichannel.db.types import BigIntPK
from omnichannel.kernel import utcnow
from omnichannel.security.crypto import Sealed


class StockLevel(Base):
    __tablename__ = "stock_levels"

    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT"), primary_key=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    # Units that may be promised beyond on_hand here (backorder/preorder policy).
    allowance: Mapped[int] = mapped_column(default=0)
    # Per-variant override of the location's safety stock; None = the location's.
    safety_stock: Mapped[int | None]
    # Bumped by every change: the sequence of this level's events.
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("allowance >= 0", name="allowance_not_negative"),
    )


class StockMovement(Base):
    """One line of the append-only ledger: on_hand is the sum of `quantity`."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT")
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(16))  # MovementKind
    quantity: Mapped[int]  # signed change of on_hand
    # Free text staff type (up to 200 characters) may name a person ("returned by
    # Mrs Kowalska"): sealed like every personal value (promise 7), never in an event.
    reason: Mapped[str | None] = mapped_column(Sealed("stock_movements.reason"))
    actor: Mapped[str | None] = mapped_column(String(128))
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_stock_movements_level", "variant_id", "location_id", "id"),)


class Reservation(Base):
    __tablename__ = "reservations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT")
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    quantity: Mapped[int]
    owner_type: Mapped[str] = mapped_column(String(16))  # cart | order | hold
    owner_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(16), default="active")  # ReservationStatus
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_reservations_owner", "owner_type", "owner_id"),
        # The sweeper's and the lazy-expiry reads' path: active holds by expiry.
        Index("ix_reservations_expiry", "status", "expires_at"),
        Index("ix_reservations_level", "variant_id", "location_id", "status"),
    )


class StockPolicy(Base):
    """Backorder and preorder rules of one variant."""

    __tablename__ = "stock_policies"

    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True
    )
    backorder: Mapped[bool] = mapped_column(default=False)
    # Units promised beyond on-hand per location; None = no limit.
    backorder_limit: Mapped[int | None]
    preorder_until: Mapped[date | None]  # expected arrival of a preorder item
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocationStockSettings(Base):
    """Inventory settings of a location: its default safety stock."""

    __tablename__ = "location_stock_settings"

    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    safety_stock: Mapped[int] = mapped_column(default=0)


class StockTransfer(Base):
    __tablename__ = "stock_transfers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    from_location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    to_location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(16), default="in_transit")  # in_transit | received
    reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime | None]


class StockTransferLine(Base):
    __tablename__ = "stock_transfer_lines"

    transfer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stock_transfers.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT"), primary_key=True
    )
    quantity: Mapped[int]


class ChannelAvailability(Base):
    """The last ATP published per channel and variant (written by the projector)."""

    __tablename__ = "channel_availability"

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True
    )
    available: Mapped[int]
    version: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
