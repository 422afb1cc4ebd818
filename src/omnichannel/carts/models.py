"""Carts, their lines and the channels that touched them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnichannel.carts.rules import CartStatus
from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.db.types import JSONDoc
from omnichannel.kernel import new_id, utcnow


class Cart(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "carts"

    # A customer's cart, or (None) an anonymous one, reached by its token (carts.tokens).
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=CartStatus.OPEN)
    currency: Mapped[str] = mapped_column(String(3))
    origin_channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="RESTRICT")
    )
    coupons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    # Handoff: a short code any channel can open the cart with, until it expires.
    handoff_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    handoff_expires_at: Mapped[datetime | None]
    # Stock held for the lines (owner "cart"), until this time; None = nothing held.
    held_until: Mapped[datetime | None]
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # set when checked out
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("carts.id", ondelete="SET NULL")
    )

    lines: Mapped[list[CartLine]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CartLine.position"
    )
    touches: Mapped[list[CartTouch]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CartTouch.first_at"
    )

    __table_args__ = (
        CheckConstraint("status IN ('open', 'ordered', 'merged', 'abandoned')", name="status"),
        Index("ix_carts_customer", "customer_id", "status"),
    )


class CartLine(Base):
    __tablename__ = "cart_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    cart_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("carts.id", ondelete="CASCADE"))
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT")
    )
    quantity: Mapped[int]
    position: Mapped[int]  # the order lines were first added in
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class CartTouch(Base):
    """A channel that created, viewed or changed the cart: the journey, for the order."""

    __tablename__ = "cart_touches"

    cart_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="RESTRICT"), primary_key=True
    )
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_actor: Mapped[str | None] = mapped_column(String(128))
