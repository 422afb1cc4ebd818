"""Reading payments: one, an order's, and those whose provider call is still
pending (what a crash or an outage left for the worker)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.kernel import utcnow
from omnichannel.payments.errors import PaymentNotFound
from omnichannel.payments.models import Payment


def get_payment(session: Session, *, payment_id: uuid.UUID) -> Payment:
    """One payment with its operations; 404 `payment_not_found` if there is none."""
    payment = session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .options(selectinload(Payment.operations))
        .execution_options(populate_existing=True)
    )
    if payment is None:
        raise PaymentNotFound(f"Payment {payment_id} does not exist.")
    return payment


def of_orders(session: Session, *, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Payment]]:
    """The payments of these orders (with their operations), oldest first."""
    out: dict[uuid.UUID, list[Payment]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    found = session.scalars(
        select(Payment)
        .where(Payment.order_id.in_(order_ids))
        .options(selectinload(Payment.operations))
        .order_by(Payment.created_at, Payment.id)
    )
    for p in found:
        out[p.order_id].append(p)
    return out


def in_flight(session: Session, *, older_than: timedelta, limit: int = 100) -> list[Payment]:
    """Payments whose provider call has been pending for longer than `older_than`:
    what a crash (or a provider that stopped answering) left behind, oldest first."""
    cutoff = utcnow() - older_than
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.pending_since.is_not(None), Payment.pending_since <= cutoff)
            .order_by(Payment.pending_since)
            .limit(limit)
        )
    )
