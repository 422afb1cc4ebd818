"""Cart use cases: start, open, change lines and coupons, claim on sign-in, list a
customer's open carts.

Who may open a cart is decided here (`Access`): the customer who owns it, whoever
holds its token (anonymous carts, and a till a cart was handed to), or staff allowed
to handle carts. Anyone else is told it does not exist. Every change records the
channel that made it, so the order can say where the journey went.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from omnichannel.carts import holds, tokens
from omnichannel.carts.errors import CartClosed, CartNotFound
from omnichannel.carts.models import Cart, CartLine, CartTouch
from omnichannel.carts.rules import MAX_COUPONS, MAX_LINES, MAX_QUANTITY, CartStatus
from omnichannel.carts.seller import Seller
from omnichannel.catalog import service as catalog
from omnichannel.customers import service as customers
from omnichannel.db import record_event
from omnichannel.kernel import new_id, utcnow
from omnichannel.kernel.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Access:
    """What the caller brings: their own customer id, a cart token, or staff rights."""

    customer_id: uuid.UUID | None = None
    token: str | None = None
    staff: bool = False

    def opens(self, cart: Cart) -> bool:
        if self.staff:
            return True
        if self.customer_id is not None and cart.customer_id == self.customer_id:
            return True
        return tokens.verify(self.token, cart.id, cart.customer_id)


def _error(field: str, message: str, type_: str) -> list[dict[str, str]]:
    return [{"field": field, "message": message, "type": type_}]


def create_cart(
    session: Session,
    *,
    seller: Seller,
    actor: str,
    customer_id: uuid.UUID | None = None,
    currency: str | None = None,
) -> Cart:
    """Start a cart in a channel's currency (or the one asked, which must be the
    channel's); a customer's cart when `customer_id` is given, else anonymous."""
    currency = currency or seller.currency
    if currency != seller.currency:
        raise InvalidInput(
            f"Channel {seller.code} sells in {seller.currency}, not {currency}.",
            errors=_error("currency", f"this channel sells in {seller.currency}", "currency"),
        )
    if customer_id is not None:
        customer_id = customers.resolve_customer_id(session, customer_id=customer_id)
    cart = Cart(
        id=new_id(),
        customer_id=customer_id,
        status=CartStatus.OPEN,
        currency=currency,
        origin_channel_id=seller.id,
        coupons=[],
        lines=[],
        touches=[],
    )
    session.add(cart)
    _touch(cart, seller, actor)
    session.flush()
    _event(session, cart, "cart.created", channel=seller.code)
    return cart


def load(session: Session, *, cart_id: uuid.UUID, access: Access) -> Cart:
    """A cart with its lines and journey, if the caller may open it (else 404)."""
    # One statement: a cart has a few lines and fewer touches, so the joined rows
    # (lines x touches) stay small, where selectinload would cost two more queries.
    cart = (
        session.scalars(
            select(Cart)
            .where(Cart.id == cart_id)
            .options(joinedload(Cart.lines), joinedload(Cart.touches))
        )
        .unique()
        .first()
    )
    if cart is None or not access.opens(cart):
        raise CartNotFound(f"Cart {cart_id} does not exist.")
    return cart


def customer_carts(session: Session, *, customer_id: uuid.UUID) -> list[Cart]:
    """The open carts of a customer, those kept under profiles merged into theirs too."""
    ids = customers.every_id_of(session, customer_id=customer_id)
    return list(
        session.scalars(
            select(Cart)
            .where(Cart.customer_id.in_(ids), Cart.status == CartStatus.OPEN)
            .options(selectinload(Cart.lines), selectinload(Cart.touches))
            .order_by(Cart.updated_at.desc())
        )
    )


def set_line(
    session: Session,
    *,
    cart: Cart,
    variant_id: uuid.UUID,
    quantity: int,
    seller: Seller,
    actor: str,
    add: bool = False,
) -> Cart:
    """Set a line's quantity (or, with `add`, add to it); 0 removes the line."""
    _open(cart)
    _put_line(session, cart, variant_id, quantity, add=add)
    _changed(session, cart, seller, actor)
    return cart


def _put_line(
    session: Session, cart: Cart, variant_id: uuid.UUID, quantity: int, *, add: bool
) -> None:
    line = next((ln for ln in cart.lines if ln.variant_id == variant_id), None)
    wanted = quantity + (line.quantity if add and line is not None else 0)
    if not 0 <= wanted <= MAX_QUANTITY:
        raise InvalidInput(
            f"A line holds 1 to {MAX_QUANTITY} units.",
            errors=_error("quantity", f"0 to {MAX_QUANTITY} units in the line", "out_of_range"),
        )
    if line is None and wanted > 0:
        if len(cart.lines) >= MAX_LINES:
            raise InvalidInput(
                f"A cart holds at most {MAX_LINES} lines.",
                errors=_error("variant_id", f"at most {MAX_LINES} lines", "too_many_lines"),
            )
        if not catalog.existing_variant_ids(session, variant_ids=[variant_id]):
            raise InvalidInput(
                f"Variant {variant_id} does not exist.",
                errors=_error("variant_id", "no such variant", "unknown_variant"),
            )
        position = max((ln.position for ln in cart.lines), default=-1) + 1
        cart.lines.append(
            CartLine(id=new_id(), variant_id=variant_id, quantity=wanted, position=position)
        )
    elif line is not None and wanted == 0:
        cart.lines.remove(line)
    elif line is not None:
        line.quantity = wanted
    else:  # removing a line that is not there
        raise InvalidInput(
            f"Variant {variant_id} is not in the cart.",
            errors=_error("variant_id", "not in the cart", "not_in_cart"),
        )


def set_coupons(
    session: Session, *, cart: Cart, codes: Sequence[str], seller: Seller, actor: str
) -> Cart:
    """Replace the cart's coupon codes; the priced cart says which apply and why not."""
    _open(cart)
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    if len(wanted) > MAX_COUPONS:
        raise InvalidInput(
            f"At most {MAX_COUPONS} coupons per cart.",
            errors=_error("coupons", f"at most {MAX_COUPONS}", "too_many_coupons"),
        )
    cart.coupons = wanted
    _changed(session, cart, seller, actor)
    return cart


def claim(
    session: Session, *, cart: Cart, customer_id: uuid.UUID, seller: Seller, actor: str
) -> Cart:
    """On sign-in: an anonymous cart becomes the customer's. When they already have an
    open cart in the same currency, its lines are folded into that one (quantities
    added, capped) and the anonymous cart is closed as merged; the cart returned is
    the one to go on with."""
    _open(cart)
    if cart.customer_id is not None:
        if cart.customer_id == customer_id:
            return cart
        raise CartClosed("This cart belongs to another customer.")
    live = customers.resolve_customer_id(session, customer_id=customer_id)
    target = next(
        (c for c in customer_carts(session, customer_id=live) if c.currency == cart.currency),
        None,
    )
    if target is None:
        cart.customer_id = live
        _changed(session, cart, seller, actor)
        return cart
    holds.release(session, cart=cart)
    for line in sorted(cart.lines, key=lambda ln: ln.position):
        room = MAX_QUANTITY - _quantity(target, line.variant_id)
        if room > 0:
            _put_line(session, target, line.variant_id, min(line.quantity, room), add=True)
    target.coupons = list(dict.fromkeys([*target.coupons, *cart.coupons]))[:MAX_COUPONS]
    cart.status = CartStatus.MERGED
    cart.merged_into_id = target.id
    _bump(session, cart)
    _event(session, cart, "cart.merged", into=str(target.id))
    _changed(session, target, seller, actor)
    return target


def mark_ordered(session: Session, *, cart: Cart, order_id: uuid.UUID) -> None:
    """Close a checked-out cart (checkout calls it in the order's transaction)."""
    _open(cart)
    if session.new or session.deleted or any(o is not cart for o in session.dirty):
        cart.status = CartStatus.ORDERED
        cart.order_id = order_id
        cart.held_until = None
        _bump(session, cart)
    else:
        _close(session, cart, order_id)
    _event(session, cart, "cart.ordered", order_id=str(order_id))


def reopen(session: Session, *, cart_id: uuid.UUID, order_id: uuid.UUID) -> bool:
    """Open the cart of an order that was never paid (the provider declined, or the
    authorisation expired) again, so the buyer can pay another way; whether it was.
    The stock went with the order and is reserved afresh by the next checkout."""
    cart = session.get(Cart, cart_id)
    if cart is None or cart.status != CartStatus.ORDERED or cart.order_id != order_id:
        return False
    cart.status = CartStatus.OPEN
    cart.order_id = None
    _bump(session, cart)
    _event(session, cart, "cart.reopened", order_id=str(order_id))
    return True


def attach_buyer(session: Session, *, cart_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Make an anonymous cart its buyer's once their order stands (checkout found or
    started their profile by e-mail or phone); a cart with an owner keeps it."""
    session.execute(
        update(_carts)
        .where(_carts.c.id == cart_id, _carts.c.customer_id.is_(None))
        .values(customer_id=customer_id)
        .execution_options(synchronize_session=False)
    )


_carts: Table = Cart.__table__  # type: ignore[assignment]


def _close(session: Session, cart: Cart, order_id: uuid.UUID) -> None:
    """The same change as the ORM would write, as one Core UPDATE: when the cart is the
    only thing left to write, a unit-of-work flush costs more than the checkout's
    other writes together. Same optimistic lock: the version must not have moved."""
    values = {
        "status": CartStatus.ORDERED.value,
        "order_id": order_id,
        "held_until": None,
        "customer_id": cart.customer_id,
        "updated_at": utcnow(),
        "version": cart.version + 1,
    }
    done = session.execute(
        update(_carts)
        .where(_carts.c.id == cart.id, _carts.c.version == cart.version)
        .values(**values)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleDataError(f"Cart {cart.id} was changed by another transaction.")
    for key, value in values.items():
        set_committed_value(cart, key, value)


def touch(session: Session, *, cart: Cart, seller: Seller, actor: str, flush: bool = True) -> None:
    """Record that a channel worked on the cart (opening it by handoff, checking out);
    `flush=False` leaves the write to the caller's next flush (checkout's one)."""
    _touch(cart, seller, actor)
    if flush:
        session.flush()


def _quantity(cart: Cart, variant_id: uuid.UUID) -> int:
    return next((ln.quantity for ln in cart.lines if ln.variant_id == variant_id), 0)


def _open(cart: Cart) -> None:
    if cart.status != CartStatus.OPEN:
        raise CartClosed(f"Cart {cart.id} is {cart.status}: it can no longer change.")


def _touch(cart: Cart, seller: Seller, actor: str) -> None:
    now = utcnow()
    for t in cart.touches:
        if t.channel_id == seller.id:
            t.last_at, t.last_actor = now, actor
            return
    cart.touches.append(
        CartTouch(channel_id=seller.id, first_at=now, last_at=now, last_actor=actor)
    )


def _bump(session: Session, cart: Cart) -> None:
    """Write the cart row, so its version (the events' sequence) moves on."""
    cart.updated_at = utcnow()
    flag_modified(cart, "updated_at")
    session.flush()


def _changed(session: Session, cart: Cart, seller: Seller, actor: str) -> None:
    _touch(cart, seller, actor)
    _bump(session, cart)
    if seller.hold is not None:
        holds.hold(session, cart=cart, seller=seller)
    _event(session, cart, "cart.changed", channel=seller.code, lines=len(cart.lines))


def _event(session: Session, cart: Cart, type_: str, **payload: object) -> None:
    record_event(
        session,
        aggregate_type="cart",
        aggregate_id=cart.id,
        sequence=cart.version,
        type=type_,
        payload={
            "cart_id": str(cart.id),
            "customer_id": str(cart.customer_id) if cart.customer_id else None,
            **payload,
        },
    )
