"""Order errors, each with its stable code (payment errors live in `errors`)."""

from __future__ import annotations

from omnichannel.kernel.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    """Unknown, or not yours: the two are not told apart."""

    code = "order_not_found"


class OrderStateConflict(Conflict):
    """The state machine does not allow this move from the order's current state."""

    code = "invalid_order_transition"


class PriceChanged(Conflict):
    """The total the customer agreed to is no longer the price: quote again."""

    code = "price_changed"
