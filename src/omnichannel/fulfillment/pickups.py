"""A store's pickups as its counter lists them, a customer's own pickup, and the
expiry of pickups nobody collected.

The lists (`pickups_at`): waiting ones (oldest promise first), overdue ones (waiting
past their SLA, with how many of the store's open hours they are late by), ready
ones (first to expire first) and expiring ones (ready past their collect-by day: the
expiry job cancels them next).

Expiry (`expire_pickups`): a ready pickup past its collect-by (and a reserve & collect one
still waiting past it) cancels its order: holds given back, payment voided or
refunded (`orders.move`), and the pickup `expired` with a `pickup.expired` event,
which is how the customer is told. One order per transaction (its own two when a
provider is called); an order cancelled meanwhile only has its pickup closed.

An order cancelled otherwise (staff, the customer) closes its pickup through the
`fulfillment.close_pickups` outbox consumer (`close_cancelled`): `pickup.cancelled`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from omnichannel.db.session import Units
from omnichannel.fulfillment import codes, hours
from omnichannel.fulfillment.counter import STAFF, _open_fulfilments
from omnichannel.fulfillment.errors import PickupNotFound
from omnichannel.fulfillment.events import fulfilment_event, pickup_event
from omnichannel.fulfillment.models import FulfilmentOrder, Pickup
from omnichannel.fulfillment.rules import FulfilmentStatus, PickupKind, PickupStatus
from omnichannel.kernel import Principal, utcnow
from omnichannel.kernel.errors import DomainError
from omnichannel.locations import service as locations
from omnichannel.orders import service as orders
from omnichannel.orders.errors import OrderStateConflict
from omnichannel.security import reach

log = logging.getLogger(__name__)

P = PickupStatus
EXPIRER = "worker:pickups"
CANCELLED = frozenset({"order.cancelled"})
MAX_LIST = 200


class Listing(StrEnum):
    WAITING = "waiting"
    OVERDUE = "overdue"
    READY = "ready"
    EXPIRING = "expiring"


@dataclass(frozen=True, slots=True)
class Listed:
    pickup: Pickup
    order_number: str | None
    overdue_hours: float | None  # open hours past the SLA (overdue only)


def pickups_at(
    session: Session,
    *,
    location_id: uuid.UUID,
    listing: Listing,
    by: Principal | None,
    now: datetime | None = None,
    limit: int = MAX_LIST,
) -> list[Listed]:
    """A store's pickups in one of the counter's lists; 404 for an unknown store."""
    now = now or utcnow()
    store = locations.get_location(session, location_id=location_id)
    if by is not None:
        reach.check_locations(by, [store.id], what="the pickups")
    q = select(Pickup).where(Pickup.location_id == store.id)
    if listing in (Listing.WAITING, Listing.OVERDUE):
        q = q.where(Pickup.status == P.WAITING).order_by(Pickup.ready_due_at, Pickup.created_at)
        if listing is Listing.OVERDUE:
            q = q.where(Pickup.ready_due_at < now)
    else:
        q = q.where(Pickup.status == P.READY).order_by(Pickup.collect_by, Pickup.ready_at)
        if listing is Listing.EXPIRING:
            q = q.where(Pickup.collect_by <= now)
    found = list(session.scalars(q.limit(min(limit, MAX_LIST))))
    numbers = _order_numbers(session, [p.order_id for p in found])
    opening = None
    if listing is Listing.OVERDUE:
        try:
            opening = hours.parse_hours(store.opening_hours or {}, timezone=store.timezone)
        except ValueError:
            opening = None  # hours that cannot be read: "overdue by" is not known
    return [
        Listed(
            p,
            numbers.get(p.order_id),
            round(hours.open_hours_between(opening, p.ready_due_at, now), 2)
            if opening is not None and p.ready_due_at is not None
            else None,
        )
        for p in found
    ]


@dataclass(frozen=True, slots=True)
class CustomerPickup:
    pickup: Pickup
    code: str | None  # shown grouped (`7KQ-M4W`), only while it opens the pickup


def customer_pickup(
    session: Session, *, order_id: uuid.UUID, customer_id: uuid.UUID
) -> CustomerPickup:
    """A customer's own pickup and, while it is ready, its code; 404 when the order is
    not theirs or has no pickup."""
    order = orders.load(session, order_id=order_id, access=orders.Access(customer_id=customer_id))
    pickup = session.get(Pickup, order.id)
    if pickup is None:
        raise PickupNotFound(f"Order {order_id} has no pickup.")
    shown = pickup.code if pickup.status == P.READY else None
    return CustomerPickup(pickup, codes.format_code(shown) if shown else None)


# --- expiry --------------------------------------------------------------------------


@dataclass
class Expired:
    expired: int = 0
    closed: int = 0  # the order had been cancelled or collected meanwhile
    failures: int = 0


def due_to_expire(session: Session, *, now: datetime, limit: int = 100) -> list[uuid.UUID]:
    """Orders whose pickup waited past its collect-by, oldest first."""
    return list(
        session.scalars(
            select(Pickup.order_id)
            .where(
                Pickup.collect_by <= now,
                or_(
                    Pickup.status == P.READY,
                    and_(Pickup.status == P.WAITING, Pickup.kind == PickupKind.RESERVE_COLLECT),
                ),
            )
            .order_by(Pickup.collect_by)
            .limit(limit)
        )
    )


def expire_pickups(units: Units, *, now: datetime | None = None, limit: int = 100) -> Expired:
    """Cancel the orders of pickups nobody collected in time (see the module)."""
    now = now or utcnow()
    out = Expired()
    with units() as session:
        due = due_to_expire(session, now=now, limit=limit)
    for order_id in due:
        try:
            orders.move(
                units,
                order_id=order_id,
                access=STAFF,
                move=orders.Move(
                    orders.OrderStatus.CANCELLED, actor=EXPIRER, reason="not collected in time"
                ),
                then=_expired,
            )
            out.expired += 1
        except OrderStateConflict:  # cancelled meanwhile: its pickup closes here
            with units() as session:
                out.closed += _close(session, order_id)
        except DomainError as e:  # one order must not stop the rest; tried again next run
            out.failures += 1
            log.warning("expiring the pickup of order %s failed: %s", order_id, e.detail)
    return out


def _expired(session: Session, order: orders.Order) -> None:
    """In the cancel's transaction: the pickup expired, its fulfilment orders cancelled."""
    pickup = session.get(Pickup, order.id)
    if pickup is not None:
        _end(session, pickup, P.EXPIRED, order_number=order.number)


class OrderEvent(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...


def close_cancelled(session: Session, events: Sequence[OrderEvent]) -> Mapping[str, int]:
    """The outbox consumer's handler: the pickups of orders cancelled (by staff, the
    customer, an unpaid checkout) close, and leave the counter's lists."""
    session.info["actor"] = EXPIRER
    closed = 0
    for event in events:
        if event.type in CANCELLED:
            closed += _close(session, uuid.UUID(event.payload["order_id"]))
    return {"pickups_closed": closed}


def _close(session: Session, order_id: uuid.UUID) -> bool:
    """An order cancelled without its pickup: the pickup is cancelled too (once)."""
    pickup = session.get(Pickup, order_id)
    if pickup is None or pickup.status not in (P.WAITING, P.READY):
        return False
    order = orders.load(session, order_id=order_id, access=STAFF)
    if order.status != orders.OrderStatus.CANCELLED:
        return False
    _end(session, pickup, P.CANCELLED, order_number=order.number)
    return True


def _end(session: Session, pickup: Pickup, status: PickupStatus, *, order_number: str) -> None:
    now = utcnow()
    for fo in _open_fulfilments(session, pickup.order_id):
        # Goods on their way arrive as the store's free stock when received.
        if fo.status != FulfilmentStatus.IN_TRANSIT:
            fo.status = FulfilmentStatus.CANCELLED
            fo.closed_at = now
            fo.updated_at = now
            fulfilment_event(session, fo, "fulfilment.cancelled")
    pickup.status = status
    pickup.code = None
    pickup.updated_at = now
    pickup_event(session, pickup, f"pickup.{status.value}", order_number=order_number)


def _order_numbers(session: Session, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Orders' numbers from their fulfilment orders' (`<number>-1`): one statement."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(FulfilmentOrder.order_id, FulfilmentOrder.number).where(
            FulfilmentOrder.order_id.in_(order_ids)
        )
    )
    return {order_id: number.rsplit("-", 1)[0] for order_id, number in rows}
