"""What orders tell the customer's profile after the fact: two handlers of outbox
consumers (`omnichannel.schedule` registers them; orders know nothing of the events
package that delivers to them).

- `report_payments`: every capture and refund of an order's payments lands on the
  customer's timeline as money paid or given back, which spend segments add up
  (`customers.spend` says what counts). Placing or cancelling an order moves no
  money, so neither counts: a big order cancelled makes nobody a VIP.
- `remember_checkouts`: the e-mail, phone and shipping address typed at a checkout
  that asked for it (`save_to_profile`) are kept on the buyer's profile.

Both follow the writer's transaction instead of joining it: a checkout stays within
its statement budget, and a profile that cannot take them (erased since) costs the
order nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers import service as customers
from omnichannel.kernel import Money
from omnichannel.orders.models import Order

ACTOR = "worker:orders"
PAYMENT_MOVES = frozenset({"payment.captured", "payment.refunded"})
PLACED = frozenset({"order.placed"})


class Reported(Protocol):
    """What the handlers read of an outbox event."""

    @property
    def type(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def occurred_at(self) -> datetime: ...


def report_payments(session: Session, events: Sequence[Reported]) -> Mapping[str, int]:
    """Money taken for or given back on customers' orders, onto their timelines (one
    read of the orders, one write for the batch)."""
    moves = [e for e in events if e.type in PAYMENT_MOVES and e.payload.get("succeeded", True)]
    session.info["actor"] = ACTOR
    order_ids = sorted({uuid.UUID(e.payload["order_id"]) for e in moves})
    buyers: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    if order_ids:
        for order_id, customer_id, number in session.execute(
            select(Order.id, Order.customer_id, Order.number).where(Order.id.in_(order_ids))
        ):
            if customer_id is not None:  # a guest's order is nobody's spend
                buyers[order_id] = (customer_id, number)
    out = []
    for e in moves:
        order_id = uuid.UUID(e.payload["order_id"])
        if order_id not in buyers:
            continue
        customer_id, number = buyers[order_id]
        out.append(
            customers.PaymentMove(
                customer_id=customer_id,
                order_id=order_id,
                order_number=number,
                amount=Money(int(e.payload["amount"]), e.payload["currency"]),
                refund=e.type == "payment.refunded",
                occurred_at=e.occurred_at,
                payment_id=uuid.UUID(e.payload["payment_id"]),
            )
        )
    return {"recorded": customers.record_payments(session, moves=out)}


def remember_checkouts(session: Session, events: Sequence[Reported]) -> Mapping[str, int]:
    """The contact and shipping address of orders whose buyer let us keep them."""
    wanted = {
        uuid.UUID(e.payload["order_id"]): e.payload.get("channel")
        for e in events
        if e.type in PLACED and e.payload.get("save_to_profile")
    }
    session.info["actor"] = ACTOR
    added = 0
    for order in _orders(session, set(wanted)):
        if order.customer_id is None:
            continue
        contact = order.contact or {}
        kept = customers.remember_checkout(
            session,
            customer_id=order.customer_id,
            email=contact.get("email"),
            phone=contact.get("phone"),
            address=order.shipping_address,
            channel=wanted[order.id],
        )
        added += len(kept.identities) + (kept.address_id is not None)
    return {"added": added}


def _orders(session: Session, order_ids: set[uuid.UUID]) -> list[Order]:
    if not order_ids:
        return []
    return list(session.scalars(select(Order).where(Order.id.in_(sorted(order_ids)))))
