"""The events of fulfilment orders and pickups, numbered per aggregate.

A fulfilment order and a pickup each count their versions: each event is the next
one, bumped on the row the step changes, so two steps at once queue on its lock (or
SQLite's one writer) and never take one number twice; and the numbers keep rising
after the outbox has pruned old events, as a consumer ordering by them expects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from omnichannel.customers import service as customers
from omnichannel.db import record_event
from omnichannel.fulfillment.allocating import event_payload
from omnichannel.fulfillment.models import FulfilmentOrder, Pickup
from omnichannel.orders import service as orders


def fulfilment_event(session: Session, fo: FulfilmentOrder, type: str, **extra: Any) -> None:
    """`fulfilment.<step>` of one fulfilment order (ids and state, no personal data)."""
    fo.version += 1
    record_event(
        session,
        aggregate_type="fulfilment_order",
        aggregate_id=fo.id,
        sequence=fo.version,
        type=type,
        payload=event_payload(fo, **extra),
    )


def pickup_event(session: Session, pickup: Pickup, type: str, **extra: Any) -> None:
    """`pickup.<step>`: what the customer is told of (never the code itself)."""
    pickup.version += 1
    session.flush()
    record_event(
        session,
        aggregate_type="pickup",
        aggregate_id=pickup.order_id,
        sequence=pickup.version,
        type=type,
        payload={
            "order_id": str(pickup.order_id),
            "location_id": str(pickup.location_id),
            "kind": pickup.kind,
            "status": pickup.status,
            "collect_by": pickup.collect_by.isoformat() if pickup.collect_by else None,
            **extra,
        },
    )


def tell_customer(session: Session, order: orders.Order, *, step: str, now: datetime) -> None:
    """A line on the customer's timeline for a step of their pickup the order's own
    moves do not tell (on its way, arrived, a new code)."""
    if order.customer_id is None:
        return
    customers.append_to_timeline(
        session,
        customer_id=order.customer_id,
        type=customers.TimelineType.ORDER_UPDATED,
        occurred_at=now,
        reference=order.number,
        data={"order_id": str(order.id), "pickup": step},
    )
