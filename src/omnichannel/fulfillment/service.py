"""Fulfilment use cases, in one place for entrypoints to import.

- `allocate`: a confirmed order's held units handed to their locations, one
  fulfilment order each (also the `fulfillment.allocate` outbox consumer).
- `of_order`: an order's fulfilment orders, their lines and its pickup.
- `book`, `label`, `hand_over`: parcels with a carrier (`shipping`); `track`, where
  they are (`tracking`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.fulfillment.allocating import allocate as allocate
from omnichannel.fulfillment.allocating import allocate_confirmed as allocate_confirmed
from omnichannel.fulfillment.models import FulfilmentOrder, Pickup
from omnichannel.fulfillment.shipping import book as book
from omnichannel.fulfillment.shipping import hand_over as hand_over
from omnichannel.fulfillment.shipping import label as label
from omnichannel.fulfillment.tracking import track as track
from omnichannel.orders import service as orders


@dataclass(frozen=True, slots=True)
class OrderFulfilment:
    order: orders.Order
    fulfilments: list[FulfilmentOrder]
    pickup: Pickup | None


def of_order(session: Session, *, order_id: uuid.UUID, access: orders.Access) -> OrderFulfilment:
    """An order's fulfilment orders (oldest first) and its pickup; 404 when the order
    is unknown or not the caller's."""
    order = orders.load(session, order_id=order_id, access=access)
    found = list(
        session.scalars(
            select(FulfilmentOrder)
            .where(FulfilmentOrder.order_id == order.id)
            .options(selectinload(FulfilmentOrder.lines))
            .order_by(FulfilmentOrder.created_at, FulfilmentOrder.number)
        )
    )
    return OrderFulfilment(order, found, session.get(Pickup, order.id))
