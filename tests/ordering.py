"""Orders through their use cases inside one test transaction: checkout and moves
run their steps within the test's session (`db.session.within`), as the demo loader
does; a request would commit before each provider call."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.db.session import within
from omnichannel.orders import service as orders
from omnichannel.orders.rules import OrderStatus
from omnichannel.payments import service as payments


def checkout(
    session: Session,
    *,
    cart: carts.Cart,
    seller: carts.Seller,
    actor: str,
    request: orders.CheckoutRequest,
) -> orders.Order:
    """Check the cart out; the order as it ends (raises as a request would)."""
    view = orders.checkout(
        within(session),
        open_cart=lambda _: (cart, seller),
        actor=actor,
        request=request,
        answering=orders.ViewAnswer(),
    )
    return view.order


def move(
    session: Session,
    *,
    order: orders.Order,
    to: OrderStatus,
    actor: str,
    channel: str | None = None,
    reason: str | None = None,
    line_nos: Collection[int] | None = None,
) -> orders.Order:
    """Move the order on (or cancel it, or some of its lines)."""
    view = orders.move(
        within(session),
        order_id=order.id,
        access=orders.Access(staff=True),
        move=orders.Move(to, actor=actor, channel=channel, reason=reason, line_nos=line_nos),
    )
    return view.order


def cancel(
    session: Session,
    *,
    order: orders.Order,
    actor: str,
    reason: str | None = None,
    line_nos: Collection[int] | None = None,
) -> orders.Order:
    return move(
        session,
        order=order,
        to=OrderStatus.CANCELLED,
        actor=actor,
        reason=reason,
        line_nos=line_nos,
    )


def payments_of(session: Session, order: orders.Order) -> list[payments.Payment]:
    """The order's payments, oldest first."""
    return payments.of_orders(session, order_ids=[order.id])[order.id]
