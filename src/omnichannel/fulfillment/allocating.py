"""An order's work handed to its locations: one fulfilment order per location.

When an order is confirmed, its held allocations are grouped by location into
fulfilment orders (`<order number>-1`, `-2`, ...), and the order becomes
`allocated`. A pickup order also gets its pickup: the store's clock (ready within
N opening hours, `location_fulfilment.ready_within_hours`), which the counter's
overdue list reads. A till sale has left already and gets none.

This runs as an outbox consumer of `order.confirmed` (`omnichannel.schedule`), after
the checkout's transaction, so a checkout writes nothing more for it; it is
idempotent, so an event delivered twice allocates once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.db import record_event
from omnichannel.fulfillment import hours
from omnichannel.fulfillment.models import (
    ChannelRouting,
    FulfilmentLine,
    FulfilmentOrder,
    LocationFulfilment,
    Pickup,
)
from omnichannel.fulfillment.rules import (
    READY_WITHIN_HOURS,
    RESERVE_HOLD_HOURS,
    FulfilmentKind,
    FulfilmentStatus,
    PickupKind,
    PickupStatus,
)
from omnichannel.kernel import new_id, utcnow
from omnichannel.locations import service as locations
from omnichannel.orders import service as orders

ACTOR = "worker:fulfilment"
CONFIRMED = frozenset({"order.confirmed"})


class Confirmed(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...


def allocate_confirmed(session: Session, events: Sequence[Confirmed]) -> Mapping[str, int]:
    """The outbox consumer's handler: allocate every confirmed order of the batch."""
    session.info["actor"] = ACTOR
    made = 0
    for event in events:
        if event.type not in CONFIRMED:
            continue
        order_id = uuid.UUID(event.payload["order_id"])
        made += len(allocate(session, order_id=order_id, actor=ACTOR))
    return {"fulfilment_orders": made}


def allocate(
    session: Session, *, order_id: uuid.UUID, actor: str, now: datetime | None = None
) -> list[FulfilmentOrder]:
    """Hand a confirmed order's held allocations to their locations and mark it
    allocated; nothing for an order that is not confirmed (moved on, cancelled, a till
    sale) or has its fulfilment orders already."""
    now = now or utcnow()
    order = orders.load(session, order_id=order_id, access=orders.Access(staff=True))
    if (
        order.status != orders.OrderStatus.CONFIRMED
        or order.fulfilment == orders.Fulfilment.CARRY_OUT
    ):
        return []
    if session.scalar(
        select(FulfilmentOrder.id).where(FulfilmentOrder.order_id == order.id).limit(1)
    ):
        return []
    pickup = order.fulfilment == orders.Fulfilment.PICKUP
    by_location: dict[uuid.UUID, list[orders.OrderAllocation]] = {}
    for a in order.allocations:
        if a.status == orders.AllocationStatus.HELD:
            by_location.setdefault(a.location_id, []).append(a)
    # The pickup store's own shelf first, then the others in the order they were held.
    ordered = sorted(by_location, key=lambda loc: loc != order.pickup_location_id)
    made = []
    for i, location_id in enumerate(ordered, 1):
        fo = FulfilmentOrder(
            id=new_id(),
            order_id=order.id,
            number=f"{order.number}-{i}",
            kind=FulfilmentKind.PICKUP if pickup else FulfilmentKind.SHIP,
            status=FulfilmentStatus.ALLOCATED,
            location_id=location_id,
            destination_id=order.pickup_location_id if pickup else None,
            created_at=now,
            updated_at=now,
            lines=[
                FulfilmentLine(allocation_id=a.id, line_no=a.line_no, quantity=a.quantity)
                for a in by_location[location_id]
            ],
        )
        session.add(fo)
        made.append(fo)
    if pickup and order.pickup_location_id is not None:
        travels = any(loc != order.pickup_location_id for loc in by_location)
        session.add(_pickup(session, order, order.pickup_location_id, now, travels=travels))
    session.flush()
    for fo in made:
        record_event(
            session,
            aggregate_type="fulfilment_order",
            aggregate_id=fo.id,
            sequence=1,
            type="fulfilment.allocated",
            payload=event_payload(fo, order_number=order.number),
        )
    orders.advance(
        session, order=order, move=orders.Move(orders.OrderStatus.ALLOCATED, actor=actor)
    )
    return made


def _pickup(
    session: Session,
    order: orders.Order,
    store_id: uuid.UUID,
    now: datetime,
    *,
    travels: bool = False,
) -> Pickup:
    """The pickup's clock: ready within the store's opening hours from now, or, when
    goods must travel there first, from the day the route said they arrive."""
    store = locations.get_location(session, location_id=store_id)
    settings = session.get(LocationFulfilment, store.id)
    within = (settings.ready_within_hours if settings else None) or READY_WITHIN_HOURS
    opening = hours.parse_hours(store.opening_hours or {}, timezone=store.timezone)
    start = now
    eta = (order.route or {}).get("eta")
    if travels and eta:
        arrives = datetime.combine(date.fromisoformat(eta), time(0), ZoneInfo(store.timezone))
        start = max(now, arrives)
    try:
        due = hours.add_open_hours(opening, start, hours=within)
    except hours.NeverOpens:
        due = None  # a store that never opens has no clock; the overdue list cannot name it
    reserved = order.kind == orders.OrderKind.RESERVE_COLLECT
    return Pickup(
        order_id=order.id,
        location_id=store.id,
        kind=PickupKind.RESERVE_COLLECT if reserved else PickupKind.CLICK_COLLECT,
        status=PickupStatus.WAITING,
        ready_due_at=due,
        # A reservation is held for its hours from when it was made; a click & collect
        # order's collect-by starts when it is ready.
        collect_by=order.placed_at + timedelta(hours=_hold_hours(session, order, settings))
        if reserved
        else None,
        code_attempts=0,
        version=0,
        created_at=now,
        updated_at=now,
    )


def _hold_hours(session: Session, order: orders.Order, settings: LocationFulfilment | None) -> int:
    """How long a reservation is held: the channel's hold, else the store's, else the
    default."""
    policy = session.get(ChannelRouting, order.completing_channel_id)
    return (
        (policy.reserve_hold_hours if policy else None)
        or (settings.reserve_hold_hours if settings else None)
        or RESERVE_HOLD_HOURS
    )


def event_payload(fo: FulfilmentOrder, **extra: Any) -> dict[str, Any]:
    """What every fulfilment event says: ids and state, never personal data."""
    return {
        "fulfilment_order_id": str(fo.id),
        "number": fo.number,
        "order_id": str(fo.order_id),
        "kind": fo.kind,
        "status": fo.status,
        "location_id": str(fo.location_id),
        "destination_id": str(fo.destination_id) if fo.destination_id else None,
        **extra,
    }
