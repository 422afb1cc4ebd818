"""Fulfilment use cases, in one place for entrypoints to import.

- `allocate`: a confirmed order's held units handed to their locations, one
  fulfilment order each (also the `fulfillment.allocate` outbox consumer).
- `of_order`: an order's fulfilment orders, their lines and its pickup.
- `book`, `label`, `hand_over`: parcels with a carrier (`shipping`); `track`, where
  they are (`tracking`); `work_at`, a location's work list.
- `reject`: a line a location cannot find, counted and routed again (`rerouting`).
- `location_settings`, `set_location_settings`, `channel_routing`,
  `set_channel_routing`: how a location fulfils and a channel routes (`settings`);
  `allocate_waiting`, the consumer's catch-up (`waiting`).
- `send`, `receive`: a pickup's held units carried to its store by a transfer that
  keeps them the order's (`transfers`).
- `ready`, `reissue_code`, `collect`: the counter (`counter`); `pickups_at`, the
  counter's lists; `customer_pickup`, a customer's own pickup and code;
  `expire_pickups`, the worker's expiry of pickups nobody collected (`pickups`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.fulfillment.allocating import allocate as allocate
from omnichannel.fulfillment.allocating import allocate_confirmed as allocate_confirmed
from omnichannel.fulfillment.counter import Identity as Identity
from omnichannel.fulfillment.counter import collect as collect
from omnichannel.fulfillment.counter import ready as ready
from omnichannel.fulfillment.counter import reissue_code as reissue_code
from omnichannel.fulfillment.models import FulfilmentOrder, Pickup
from omnichannel.fulfillment.pickups import Listed as Listed
from omnichannel.fulfillment.pickups import Listing as Listing
from omnichannel.fulfillment.pickups import customer_pickup as customer_pickup
from omnichannel.fulfillment.pickups import expire_pickups as expire_pickups
from omnichannel.fulfillment.pickups import pickups_at as pickups_at
from omnichannel.fulfillment.rerouting import reject as reject
from omnichannel.fulfillment.settings import channel_routing as channel_routing
from omnichannel.fulfillment.settings import location_settings as location_settings
from omnichannel.fulfillment.settings import set_channel_routing as set_channel_routing
from omnichannel.fulfillment.settings import set_location_settings as set_location_settings
from omnichannel.fulfillment.shipping import book as book
from omnichannel.fulfillment.shipping import hand_over as hand_over
from omnichannel.fulfillment.shipping import label as label
from omnichannel.fulfillment.shipping import work_at as work_at
from omnichannel.fulfillment.tracking import track as track
from omnichannel.fulfillment.transfers import receive as receive
from omnichannel.fulfillment.transfers import send as send
from omnichannel.fulfillment.waiting import allocate_waiting as allocate_waiting
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
