"""Handoff: a short code (or the QR payload carrying it) that lets a cart started on
the phone be finished at a till or by phone with an agent.

A code is 6 characters from an alphabet without look-alikes, valid 24 hours; giving
a new one replaces the old. Whoever opens the cart with it is recorded as a channel
of the journey, gets the cart's token to go on with, and the customer's timeline
(when the cart has a customer) shows the handoff.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from omnichannel.carts import carts, tokens
from omnichannel.carts.errors import CartClosed, HandoffCodeExpired, HandoffCodeUnknown
from omnichannel.carts.models import Cart
from omnichannel.carts.rules import (
    HANDOFF_ALPHABET,
    HANDOFF_LENGTH,
    HANDOFF_TTL,
    CartStatus,
)
from omnichannel.carts.seller import Seller
from omnichannel.customers import service as customers
from omnichannel.kernel import utcnow

_ATTEMPTS = 5
QR_SCHEME = "omnichannel+cart:"


@dataclass(frozen=True, slots=True)
class Handoff:
    code: str
    expires_at: datetime
    qr_payload: str


def issue(session: Session, *, cart: Cart) -> Handoff:
    """A fresh handoff code for an open cart (the previous one stops working)."""
    if cart.status != CartStatus.OPEN:
        raise CartClosed(f"Cart {cart.id} is {cart.status}: it cannot be handed off.")
    expires = utcnow() + HANDOFF_TTL
    for attempt in range(_ATTEMPTS):
        code = "".join(secrets.choice(HANDOFF_ALPHABET) for _ in range(HANDOFF_LENGTH))
        try:
            with session.begin_nested():
                cart.handoff_code, cart.handoff_expires_at = code, expires
                session.flush()
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue  # the code is another cart's: draw again
        return Handoff(code, expires, f"{QR_SCHEME}{code}")
    raise AssertionError("unreachable")


def normalise(code: str) -> str:
    """What a person types: any case, spaces and dashes ignored; a QR payload works too."""
    return code.removeprefix(QR_SCHEME).replace(" ", "").replace("-", "").upper()


def open_by_code(session: Session, *, code: str, seller: Seller, actor: str) -> tuple[Cart, str]:
    """The cart a code opens, and its token for the channel that opened it; 404 for an
    unknown code, 410 for an expired one, 409 for a cart already checked out."""
    cart = session.scalar(
        select(Cart)
        .where(Cart.handoff_code == normalise(code))
        .options(selectinload(Cart.lines), selectinload(Cart.touches))
    )
    if cart is None:
        raise HandoffCodeUnknown("No cart has this handoff code.")
    if cart.handoff_expires_at is None or cart.handoff_expires_at <= utcnow():
        raise HandoffCodeExpired("This handoff code has expired; ask for a new one.")
    if cart.status != CartStatus.OPEN:
        raise CartClosed(f"Cart {cart.id} is {cart.status}: it can no longer be handed off.")
    carts.touch(session, cart=cart, seller=seller, actor=actor)
    if cart.customer_id is not None:
        customers.append_to_timeline(
            session,
            customer_id=cart.customer_id,
            type=customers.TimelineType.CART_HANDED_OFF,
            channel=seller.code,
            reference=str(cart.id),
        )
    return cart, tokens.token_for(cart.id, cart.customer_id)
