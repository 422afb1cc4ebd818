"""Carts, as entrypoints and other domains (orders) use them.

- `create_cart`, `load`, `set_line`, `set_coupons`, `claim`, `customer_carts`: the cart.
- `issue_handoff`, `open_by_code`: hand a cart to another channel.
- `price`: the pricing quote of the cart as it stands.
- `caller`: who acts on carts (a customer, staff, a channel), and in which channel.
- `mark_ordered`, `release_holds`: checkout closes the cart and takes over its stock.
- `open_carts_of`: the open carts of some customer ids, for the Customer 360.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
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
from omnichannel.carts.models import CartLine
from omnichannel.carts.rules import CartStatus
from omnichannel.carts.seller import Seller as Seller
from omnichannel.carts.seller import seller as seller
from omnichannel.carts.tokens import token_for as token_for
from omnichannel.channels import service as channels
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


@dataclass(frozen=True, slots=True)
class OpenCart:
    """An open cart as the Customer 360 lists it. No total: that is a quote, priced
    when the cart is opened, not for every cart of a list."""

    id: uuid.UUID
    channel: str | None  # where it was started
    currency: str
    lines: int
    units: int
    held_until: datetime | None
    updated_at: datetime


def open_carts_of(
    session: Session, *, customer_ids: list[uuid.UUID], limit: int = 10
) -> list[OpenCart]:
    """The open carts of these customer ids (checked-out, merged and abandoned ones
    left out), last changed first: one statement however many there are."""
    if not customer_ids:
        return []
    rows = session.execute(
        select(
            Cart.id,
            Cart.origin_channel_id,
            Cart.currency,
            func.count(CartLine.id),
            func.coalesce(func.sum(CartLine.quantity), 0),
            Cart.held_until,
            Cart.updated_at,
        )
        .outerjoin(CartLine, CartLine.cart_id == Cart.id)
        .where(Cart.customer_id.in_(customer_ids), Cart.status == CartStatus.OPEN.value)
        .group_by(Cart.id, Cart.origin_channel_id, Cart.currency, Cart.held_until, Cart.updated_at)
        .order_by(Cart.updated_at.desc(), Cart.id.desc())
        .limit(limit)
    ).all()
    codes = channels.codes_of(session, channel_ids={r[1] for r in rows})
    return [
        OpenCart(cart_id, codes.get(channel_id), currency, lines, units, held, updated)
        for cart_id, channel_id, currency, lines, units, held, updated in rows
    ]


__all__ = [
    "Access",
    "Caller",
    "Cart",
    "Handoff",
    "OpenCart",
    "Seller",
    "caller",
    "claim",
    "create_cart",
    "customer_carts",
    "issue_handoff",
    "load",
    "mark_ordered",
    "open_by_code",
    "open_carts_of",
    "price",
    "release_holds",
    "seller",
    "set_coupons",
    "set_line",
    "token_for",
    "touch",
]
