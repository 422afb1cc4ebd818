"""Carts, as entrypoints and other domains (orders) use them.

- `create_cart`, `load`, `set_line`, `set_coupons`, `claim`, `customer_carts`: the cart.
- `issue_handoff`, `open_by_code`: hand a cart to another channel.
- `price`: the pricing quote of the cart as it stands.
- `caller`: who acts on carts (a customer, staff, a channel), and in which channel.
- `mark_ordered`, `release_holds`: checkout closes the cart and takes over its stock.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from omnichannel.carts import holds
from omnichannel.carts.callers import Caller as Caller
from omnichannel.carts.callers import caller as caller
from omnichannel.carts.carts import Access as Access
from omnichannel.carts.carts import attach_buyer as attach_buyer
from omnichannel.carts.carts import claim as claim
from omnichannel.carts.carts import create_cart as create_cart
from omnichannel.carts.carts import customer_carts as customer_carts
from omnichannel.carts.carts import load as load
from omnichannel.carts.carts import mark_ordered as mark_ordered
from omnichannel.carts.carts import reopen as reopen
from omnichannel.carts.carts import set_coupons as set_coupons
from omnichannel.carts.carts import set_line as set_line
from omnichannel.carts.carts import touch as touch
from omnichannel.carts.handoff import Handoff as Handoff
from omnichannel.carts.handoff import issue as issue_handoff
from omnichannel.carts.handoff import open_by_code as open_by_code
from omnichannel.carts.models import Cart as Cart
from omnichannel.carts.seller import Seller as Seller
from omnichannel.carts.seller import seller as seller
from omnichannel.carts.tokens import token_for as token_for
from omnichannel.pricing import service as pricing


def price(
    session: Session,
    *,
    cart: Cart,
    channel: str | None = None,
    delivery_price: int | None = None,
    customer_id: uuid.UUID | None = None,
) -> pricing.Quote | None:
    """The cart priced now (None when it is empty): the customer's segments (or those
    of `customer_id`, the buyer checkout found for an anonymous cart), the cart's
    coupons, in the cart's currency."""
    lines = sorted(cart.lines, key=lambda ln: ln.position)
    if not lines:
        return None
    return pricing.quote(
        session,
        items=[pricing.Item(ln.variant_id, ln.quantity) for ln in lines],
        currency=cart.currency,
        customer_id=customer_id or cart.customer_id,
        coupons=cart.coupons,
        channel=channel,
        delivery_price=delivery_price,
    )


def release_holds(session: Session, *, cart: Cart) -> int:
    """Give back the stock the cart holds (checkout takes it again for the order)."""
    return holds.release(session, cart=cart)


__all__ = [
    "Access",
    "Caller",
    "Cart",
    "Handoff",
    "Seller",
    "caller",
    "claim",
    "create_cart",
    "customer_carts",
    "issue_handoff",
    "load",
    "mark_ordered",
    "open_by_code",
    "price",
    "release_holds",
    "seller",
    "set_coupons",
    "set_line",
    "token_for",
    "touch",
]
