"""A customer's orders in their GDPR export, and pseudonymised on erasure: the orders
keep their amounts (tax law) and their history of moves, and lose the person (contact,
addresses and the reasons people typed for the moves), and say when."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from omnichannel.kernel import utcnow
from omnichannel.orders.models import Order, OrderTransition


def pseudonymise(session: Session, customer_ids: list[uuid.UUID]) -> None:
    """Blank the personal fields of these customers' orders (erasure calls it)."""
    theirs = select(Order.id).where(Order.customer_id.in_(customer_ids))
    session.execute(
        update(OrderTransition)
        .where(OrderTransition.order_id.in_(theirs), OrderTransition.reason.is_not(None))
        .values(reason=None),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(Order)
        .where(Order.customer_id.in_(customer_ids))
        .values(
            contact=None, shipping_address=None, billing_address=None, pseudonymised_at=utcnow()
        ),
        execution_options={"synchronize_session": False},
    )


def export(session: Session, customer_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """These customers' orders as the export shows them (oldest first), with the
    reasons people gave for their moves (free text about them)."""
    found = list(
        session.scalars(
            select(Order)
            .where(Order.customer_id.in_(customer_ids))
            .options(selectinload(Order.lines), selectinload(Order.allocations))
            .order_by(Order.placed_at, Order.id)
        )
    )
    reasons: dict[uuid.UUID, list[dict[str, Any]]] = {o.id: [] for o in found}
    if found:
        for t in session.scalars(
            select(OrderTransition)
            .where(OrderTransition.order_id.in_(list(reasons)), OrderTransition.reason.is_not(None))
            .order_by(OrderTransition.id)
        ):
            reasons[t.order_id].append(
                {"status": t.to_status, "at": t.at.isoformat(), "reason": t.reason}
            )
    return [
        {
            "number": o.number,
            "placed_at": o.placed_at.isoformat(),
            "status": o.status,
            "currency": o.currency,
            "total": o.total,
            "lines": [
                {"sku": ln.sku, "quantity": ln.quantity, "total": ln.total} for ln in o.lines
            ],
            "contact": o.contact,
            "shipping_address": o.shipping_address,
            "billing_address": o.billing_address,
            "reasons": reasons[o.id],
        }
        for o in found
    ]
