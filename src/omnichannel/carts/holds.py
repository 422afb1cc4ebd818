"""Stock held for a cart, in channels that hold on add-to-cart (a till: 15 minutes).

The holds are inventory reservations owned by the cart. After every change the
cart's holds are given back and taken again for the lines as they now are, each at
the first of the channel's locations that covers it: simple, and all-or-nothing
like any reservation, so a cart never holds stock for a line it no longer has.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from omnichannel.carts.models import Cart
from omnichannel.carts.seller import Seller
from omnichannel.inventory import service as inventory
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import utcnow


def owner(cart: Cart) -> inventory.Owner:
    return inventory.Owner(OwnerType.CART, str(cart.id))


def hold(session: Session, *, cart: Cart, seller: Seller) -> None:
    """Hold the cart's lines for the channel's hold time (409 naming a line that
    cannot be held; the caller's rollback undoes the change that asked for it)."""
    if seller.hold is None:
        return  # this channel holds nothing until checkout
    now = utcnow()
    inventory.release_owner(session, owner=owner(cart), now=now)
    lines = sorted(cart.lines, key=lambda ln: ln.position)
    if lines:
        placed = inventory.place(
            session,
            wants=[inventory.Want(ln.variant_id, ln.quantity) for ln in lines],
            locations=seller.sell_from,
            now=now,
        )
        inventory.reserve(
            session,
            lines=placed,
            owner=inventory.Owner(OwnerType.CART, str(cart.id), seller.id),
            ttl=seller.hold,
            now=now,
        )
    cart.held_until = now + seller.hold if lines else None


def release(session: Session, *, cart: Cart) -> int:
    """Give back whatever the cart holds; how many holds were released."""
    cart.held_until = None
    return inventory.release_owner(session, owner=owner(cart))
