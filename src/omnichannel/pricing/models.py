"""Price lists and their effective-dated prices, the price history kept for the EU
Omnibus rule, promotions, coupons, and what has been redeemed.

Prices are gross minor units. A price row holds from `valid_from` until the next row of
the same list and variant (`valid_to`, kept by the service), so "the price at t" is one
indexed lookup and a change can be scheduled ahead. Usage counters live apart from the
promotions they count, so a redemption never touches the rows every quote caches.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.db.types import BigIntPK, JSONDoc
from omnichannel.kernel import utcnow


class PriceList(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "price_lists"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))  # ListKind
    segment: Mapped[str | None] = mapped_column(String(64))  # kind == segment
    channel: Mapped[str | None] = mapped_column(String(32))  # kind == channel: its code
    # Among the lists that apply to a quote, the highest priority with a price wins.
    priority: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")  # ListStatus

    __table_args__ = (
        CheckConstraint("kind IN ('base', 'segment', 'channel')", name="kind"),
        CheckConstraint("status IN ('active', 'inactive')", name="status"),
        CheckConstraint(
            "(kind = 'segment' AND segment IS NOT NULL AND channel IS NULL)"
            " OR (kind = 'channel' AND channel IS NOT NULL AND segment IS NULL)"
            " OR (kind = 'base' AND segment IS NULL AND channel IS NULL)",
            name="audience",
        ),
    )


class Price(Base):
    __tablename__ = "prices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    price_list_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("price_lists.id", ondelete="RESTRICT")
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int | None]  # gross minor units; None: not sold in this list from then on
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]  # the next row's valid_from
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("price_list_id", "variant_id", "valid_from"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
    )


class PriceHistory(Base):
    """What a list's customers were asked to pay for a variant, from `starts_at` until
    the next row: the list price and the price after automatic item promotions. Rows in
    the past are never rewritten; the future is recomputed by every change."""

    __tablename__ = "price_history"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    price_list_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("price_lists.id", ondelete="RESTRICT")
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("variants.id", ondelete="RESTRICT"), index=True
    )
    starts_at: Mapped[datetime]
    list_amount: Mapped[int | None]  # None: not for sale in this list
    amount: Mapped[int | None]

    __table_args__ = (UniqueConstraint("price_list_id", "variant_id", "starts_at"),)


class Promotion(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "promotions"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(24))  # PromotionKind
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    stacking: Mapped[str] = mapped_column(String(16), default="combinable")  # Stacking
    priority: Mapped[int] = mapped_column(default=0)
    percent_bp: Mapped[int | None]
    amount: Mapped[int | None]
    threshold: Mapped[int | None]
    buy_quantity: Mapped[int | None]
    get_quantity: Mapped[int | None]
    bundle_size: Mapped[int | None]
    bundle_price: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    # {"variant_ids": [...], "product_ids": [...], "category_ids": [...], "brand_ids": [...]}
    targets: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    segments: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    channels: Mapped[list[str]] = mapped_column(JSONDoc, default=list)  # non-empty: an override
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    requires_coupon: Mapped[bool] = mapped_column(default=False)
    max_uses: Mapped[int | None]
    max_uses_per_customer: Mapped[int | None]
    budget: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("status IN ('active', 'paused', 'archived')", name="status"),
        CheckConstraint("stacking IN ('combinable', 'exclusive')", name="stacking"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="window"),
    )


class PromotionUsage(Base):
    """How often a promotion was redeemed and how much it gave away."""

    __tablename__ = "promotion_usage"

    promotion_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("promotions.id", ondelete="CASCADE"), primary_key=True
    )
    uses: Mapped[int] = mapped_column(default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)


class Coupon(Base):
    __tablename__ = "coupons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    promotion_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("promotions.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)  # upper case
    batch: Mapped[str | None] = mapped_column(String(64))
    max_uses: Mapped[int | None]  # 1: single-use; None: as often as the promotion allows
    max_uses_per_customer: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")  # CouponStatus
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("status IN ('active', 'revoked')", name="status"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_limit"),
    )


class CustomerUsage(Base):
    """Uses of a promotion or a coupon (`subject_id`) by one customer."""

    __tablename__ = "pricing_customer_usage"

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    uses: Mapped[int] = mapped_column(default=0)


class Redemption(Base):
    """A promotion an order consumed: one row per (order, promotion)."""

    __tablename__ = "promotion_redemptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    promotion_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("promotions.id", ondelete="RESTRICT"), index=True
    )
    coupon_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("coupons.id", ondelete="RESTRICT")
    )
    customer_id: Mapped[uuid.UUID | None]
    channel: Mapped[str | None] = mapped_column(String(32))  # attribution only
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("order_ref", "promotion_id"),)


class PricingState(Base):
    """One row: a token that changes with every change of lists or promotions, in the
    same transaction, so each worker's cache of them knows when it is stale."""

    __tablename__ = "pricing_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[uuid.UUID]
    changes: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
