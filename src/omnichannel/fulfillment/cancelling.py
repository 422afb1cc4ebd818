"""An order's parcels that will not go: when an order, or some of its lines, is
cancelled before its goods left, the fulfilment orders left with nothing to send are
cancelled and their booked parcels withdrawn.

An outbox consumer of `order.cancelled` and `order.lines_cancelled` marks them in
the database (a pickup's are the pickup's own consumer's, `pickups.close_cancelled`);
the carrier is told afterwards, with no transaction open, by the worker
(`settling.settle_parcels`), under the parcel's own key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.fulfillment.events import fulfilment_event
from omnichannel.fulfillment.models import FulfilmentOrder, Shipment
from omnichannel.fulfillment.rules import FulfilmentKind, FulfilmentStatus, ShipmentStatus
from omnichannel.fulfillment.shipping import STAFF, event
from omnichannel.kernel import utcnow
from omnichannel.orders import service as orders

ACTOR = "worker:fulfilment"
CANCELS = frozenset({"order.cancelled", "order.lines_cancelled"})
F = FulfilmentStatus
SS = ShipmentStatus


class OrderEvent(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...


def close_cancelled(session: Session, events: Sequence[OrderEvent]) -> Mapping[str, int]:
    """The consumer's handler: for each order of the batch, cancel what cannot ship."""
    session.info["actor"] = ACTOR
    closed = 0
    for order_id in dict.fromkeys(
        uuid.UUID(e.payload["order_id"]) for e in events if e.type in CANCELS
    ):
        closed += close(session, order_id=order_id)
    return {"fulfilment_orders_cancelled": closed}


def close(session: Session, *, order_id: uuid.UUID) -> int:
    """Cancel the order's waiting delivery fulfilment orders that hold nothing live
    any more, and their parcels not yet handed over; how many were cancelled."""
    order = orders.load(session, order_id=order_id, access=STAFF)
    live = {a.id for a in order.allocations if a.status in orders.LIVE_ALLOCATIONS}
    waiting = session.scalars(
        select(FulfilmentOrder)
        .where(
            FulfilmentOrder.order_id == order_id,
            FulfilmentOrder.kind == FulfilmentKind.SHIP,
            FulfilmentOrder.status == F.ALLOCATED,
        )
        .options(selectinload(FulfilmentOrder.lines))
    ).all()
    now = utcnow()
    closed = 0
    for fo in waiting:
        if any(ln.allocation_id in live for ln in fo.lines):
            continue
        fo.status, fo.closed_at, fo.updated_at = F.CANCELLED, now, now
        fulfilment_event(session, fo, "fulfilment.cancelled")
        for parcel in session.scalars(
            select(Shipment).where(
                Shipment.fulfilment_order_id == fo.id,
                Shipment.status.in_([SS.REQUESTED, SS.LABELLED]),
            )
        ):
            parcel.status = SS.CANCELLED
            event(session, parcel, "shipment.cancelled")
        closed += 1
    return closed
