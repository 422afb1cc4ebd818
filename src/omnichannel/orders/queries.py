"""Reading orders: one order (if the caller may see it), a customer's orders, an
order's history, and the recent orders the Customer 360 shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from omnichannel.customers import service as customers
from omnichannel.orders.errors import OrderNotFound
from omnichannel.orders.models import Order, OrderAllocation, OrderTransition

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Access:
    """A customer sees their own orders; staff allowed to read orders see any."""

    customer_id: uuid.UUID | None = None
    staff: bool = False

    def sees(self, order: Order) -> bool:
        return self.staff or (
            self.customer_id is not None and order.customer_id == self.customer_id
        )


def _with_children() -> tuple[ExecutableOption, ...]:
    return (selectinload(Order.lines), selectinload(Order.allocations))


def load(session: Session, *, order_id: uuid.UUID, access: Access, fresh: bool = False) -> Order:
    """One order with its lines; 404 when unknown or not the caller's. `fresh`: read
    again even if the session holds it already."""
    q = select(Order).where(Order.id == order_id).options(*_with_children())
    if fresh:
        q = q.execution_options(populate_existing=True)
    order = session.scalar(q)
    if order is None or not access.sees(order):
        raise OrderNotFound(f"Order {order_id} does not exist.")
    return order


def by_number(session: Session, *, number: str, access: Access) -> Order:
    order = session.scalar(
        select(Order).where(Order.number == number.upper()).options(*_with_children())
    )
    if order is None or not access.sees(order):
        raise OrderNotFound(f"Order {number} does not exist.")
    return order


def customer_orders(
    session: Session, *, customer_id: uuid.UUID, limit: int = 20, before: uuid.UUID | None = None
) -> list[Order]:
    """A customer's orders, newest first, those placed under profiles merged into
    theirs too (an order keeps the id it was placed under)."""
    ids = customers.every_id_of(session, customer_id=customer_id)
    q = select(Order).where(Order.customer_id.in_(ids))
    if before is not None:
        q = q.where(Order.id < before)
    return list(
        session.scalars(
            q.options(*_with_children()).order_by(Order.id.desc()).limit(min(limit, MAX_PAGE))
        )
    )


def history(session: Session, *, order: Order) -> list[OrderTransition]:
    return list(
        session.scalars(
            select(OrderTransition)
            .where(OrderTransition.order_id == order.id)
            .order_by(OrderTransition.id)
        )
    )


@dataclass(frozen=True, slots=True)
class RecentOrder:
    """An order as the Customer 360 lists it; `contact` and `shipping_address` are
    personal data, for the caller to withhold from whoever may not see them."""

    id: uuid.UUID
    number: str
    kind: str
    channel: str | None  # the channel that completed it
    journey: list[str]
    status: str
    payment_status: str
    fulfilment: str
    currency: str
    total: int
    placed_at: datetime
    location_ids: list[uuid.UUID]  # where its lines are served from, then the pickup store
    contact: dict[str, Any] | None
    shipping_address: dict[str, Any] | None


def recent_orders_of(
    session: Session, *, customer_ids: list[uuid.UUID], limit: int = 10
) -> list[RecentOrder]:
    """The latest orders of these customer ids, any channel, newest first: two
    statements however many there are (the orders, then their allocations' locations)."""
    if not customer_ids:
        return []
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.customer_id.in_(customer_ids))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(min(limit, MAX_PAGE))
        )
    )
    served: dict[uuid.UUID, list[uuid.UUID]] = {o.id: [] for o in orders}
    if orders:
        for order_id, location_id in session.execute(
            select(OrderAllocation.order_id, OrderAllocation.location_id)
            .where(OrderAllocation.order_id.in_(list(served)))
            .distinct()
            .order_by(OrderAllocation.order_id, OrderAllocation.location_id)
        ):
            served[order_id].append(location_id)
    return [
        RecentOrder(
            id=o.id,
            number=o.number,
            kind=o.kind,
            channel=o.journey[-1] if o.journey else None,
            journey=list(o.journey),
            status=o.status,
            payment_status=o.payment_status,
            fulfilment=o.fulfilment,
            currency=o.currency,
            total=o.total,
            placed_at=o.placed_at,
            location_ids=_locations(o, served[o.id]),
            contact=o.contact,
            shipping_address=o.shipping_address,
        )
        for o in orders
    ]


def _locations(order: Order, served: list[uuid.UUID]) -> list[uuid.UUID]:
    pickup = order.pickup_location_id
    return served if pickup is None or pickup in served else [*served, pickup]
