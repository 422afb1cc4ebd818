"""Payments and every call made to a provider about them.

A payment pays one order (`order_id`); the order keeps only its one payment status,
worked out from its payments (`rules.status_of`). Card data never comes here: the
provider keeps it and gives back a reference.

A provider call is never made inside a database transaction (promise 8): the
transaction that decides a move records it as *pending* on the payment (`pending_*`,
one call in flight per payment) and commits; the call goes out; a second short
transaction records the answer and clears it. A pending call that a crash left
behind is found by `pending_since` and settled by the worker.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnichannel.db.base import Base, IdMixin, TimestampMixin
from omnichannel.kernel import new_id, utcnow


class Payment(IdMixin, TimestampMixin, Base):
    """What an order is paid with, and how much of it was taken and given back."""

    __tablename__ = "payments"

    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(24))  # PaymentMethod
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(24))  # PaymentStatus
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int]
    captured: Mapped[int] = mapped_column(default=0)
    refunded: Mapped[int] = mapped_column(default=0)
    # The provider call in flight, if any: what was asked, for how much, under which
    # idempotency key (sent to the provider, so asking again cannot do it twice), why
    # (a refund's reason) and since when.
    pending_kind: Mapped[str | None] = mapped_column(String(16))  # PaymentOperationKind
    pending_amount: Mapped[int | None]
    pending_key: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    pending_reason: Mapped[str | None] = mapped_column(String(200))
    pending_since: Mapped[datetime | None]

    operations: Mapped[list[PaymentOperation]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="PaymentOperation.at"
    )

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("captured >= 0 AND captured <= amount", name="captured_range"),
        CheckConstraint("refunded >= 0 AND refunded <= captured", name="refunded_range"),
        CheckConstraint(
            "(pending_kind IS NULL) = (pending_since IS NULL)", name="pending_complete"
        ),
        # The settlement job's worklist: calls left in flight, oldest first.
        Index("ix_payments_pending_since", "pending_since"),
    )


class PaymentOperation(Base):
    """Every call made to the provider (or, for cash, every move people made) and
    what it answered."""

    __tablename__ = "payment_operations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # PaymentOperationKind
    amount: Mapped[int]
    succeeded: Mapped[bool]
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    message: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(default=utcnow)
