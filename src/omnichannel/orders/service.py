"""Orders, as entrypoints and other domains use them.

- `checkout`: a cart becomes an order in whichever channel finishes it.
- `move`, `cancel`: the state machine (ship, ready for pickup, collect, ...; cancel
  whole or lines).
- `load`, `by_number`, `customer_orders`, `history`: reads.
"""

from __future__ import annotations

from omnichannel.orders.checkout import CheckoutRequest as CheckoutRequest
from omnichannel.orders.checkout import Contact as Contact
from omnichannel.orders.checkout import checkout as checkout
from omnichannel.orders.lifecycle import cancel as cancel
from omnichannel.orders.lifecycle import move as move
from omnichannel.orders.lifecycle import open_amount as open_amount
from omnichannel.orders.models import Order as Order
from omnichannel.orders.queries import Access as Access
from omnichannel.orders.queries import by_number as by_number
from omnichannel.orders.queries import customer_orders as customer_orders
from omnichannel.orders.queries import history as history
from omnichannel.orders.queries import load as load

__all__ = [
    "Access",
    "CheckoutRequest",
    "Contact",
    "Order",
    "by_number",
    "cancel",
    "checkout",
    "customer_orders",
    "history",
    "load",
    "move",
    "open_amount",
]
