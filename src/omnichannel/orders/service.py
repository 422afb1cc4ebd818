"""Orders, as entrypoints and other domains use them.

- `checkout`: a cart becomes an order in whichever channel finishes it, its payment
  authorised between two transactions (`flows`); `place_order` is its first step.
- `move`: the state machine (allocate, ship, ready for pickup, collect, ...; cancel
  whole or lines), taking or giving back money between two transactions.
- `settle_payments`: the worker's job for provider calls a crash left pending.
- `load`, `by_number`, `customer_orders`, `history`, `view`: reads.
- `delivery_details`: an order's contact and shipping address for the staff who deliver
  it, each read audited with its reason.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from omnichannel.channels.service import DeliveryMethod as DeliveryMethod
from omnichannel.orders.charges import open_amount as open_amount
from omnichannel.orders.checkout import CheckoutRequest as CheckoutRequest
from omnichannel.orders.checkout import Contact as Contact
from omnichannel.orders.checkout import Placed as Placed
from omnichannel.orders.checkout import place_order as place_order
from omnichannel.orders.delivery import Delivery as Delivery
from omnichannel.orders.delivery import DeliveryReason as DeliveryReason
from omnichannel.orders.delivery import delivery_details as delivery_details
from omnichannel.orders.flows import Answering as Answering
from omnichannel.orders.flows import OrderView as OrderView
from omnichannel.orders.flows import Settled as Settled
from omnichannel.orders.flows import ViewAnswer as ViewAnswer
from omnichannel.orders.flows import authorisation_answered as authorisation_answered
from omnichannel.orders.flows import checkout as checkout
from omnichannel.orders.flows import move as move
from omnichannel.orders.flows import settle_payments as settle_payments
from omnichannel.orders.lifecycle import Move as Move
from omnichannel.orders.lifecycle import advance as advance
from omnichannel.orders.models import Order as Order
from omnichannel.orders.models import OrderAllocation as OrderAllocation
from omnichannel.orders.queries import Access as Access
from omnichannel.orders.queries import by_number as by_number
from omnichannel.orders.queries import customer_orders as customer_orders
from omnichannel.orders.queries import history as history
from omnichannel.orders.queries import load as load
from omnichannel.orders.rerouting import Rerouted as Rerouted
from omnichannel.orders.rerouting import release_allocations as release_allocations
from omnichannel.orders.rerouting import route_again as route_again
from omnichannel.orders.rules import LIVE_ALLOCATIONS as LIVE_ALLOCATIONS
from omnichannel.orders.rules import AllocationStatus as AllocationStatus
from omnichannel.orders.rules import Fulfilment as Fulfilment
from omnichannel.orders.rules import OrderKind as OrderKind
from omnichannel.orders.rules import OrderStatus as OrderStatus
from omnichannel.orders.sourcing import Destination as Destination
from omnichannel.orders.sourcing import Need as Need
from omnichannel.orders.sourcing import Route as Route
from omnichannel.orders.sourcing import Source as Source
from omnichannel.orders.sourcing import route_with as route_with
from omnichannel.payments import service as payments


def view(session: Session, *, orders: list[Order]) -> list[OrderView]:
    """The orders with their payments (one read for all of them)."""
    paid_with = payments.of_orders(session, order_ids=[o.id for o in orders])
    return [OrderView(o, paid_with[o.id]) for o in orders]


def load_view(session: Session, *, order_id: uuid.UUID, access: Access) -> OrderView:
    """One order with its lines and payments; 404 when unknown or not the caller's."""
    return view(session, orders=[load(session, order_id=order_id, access=access)])[0]
