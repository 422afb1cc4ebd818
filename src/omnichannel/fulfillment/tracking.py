"""Where a parcel is: the carrier's tracking, asked (or pushed to us) and recorded.

A parcel on its way is `in_transit`; delivered, its fulfilment order is delivered
too, and the order's last parcel delivered makes the order `delivered` (cash on
delivery is taken then, by the order's move). A parcel the carrier brought back is
`returned` (returns take it from there).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.db.session import Units
from omnichannel.fulfillment.carriers import base as carriers
from omnichannel.fulfillment.carriers.errors import CarrierError
from omnichannel.fulfillment.carriers.rules import TrackingStatus
from omnichannel.fulfillment.errors import CarrierUnavailable, FulfilmentStateConflict
from omnichannel.fulfillment.models import FulfilmentOrder, Shipment
from omnichannel.fulfillment.rules import FulfilmentStatus, ShipmentStatus
from omnichannel.fulfillment.shipping import (
    STAFF,
    check_reach,
    event,
    load_fulfilment,
    load_shipment,
)
from omnichannel.kernel import Principal, utcnow
from omnichannel.orders import service as orders

F = FulfilmentStatus
SS = ShipmentStatus
# Where a tracking update moves a shipment that has left.
_TRACKED = {
    TrackingStatus.IN_TRANSIT: SS.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY: SS.IN_TRANSIT,
    TrackingStatus.READY_FOR_PICKUP: SS.IN_TRANSIT,
    TrackingStatus.DELIVERED: SS.DELIVERED,
    TrackingStatus.RETURNED: SS.RETURNED,
}


def track(
    units: Units,
    *,
    shipment_id: uuid.UUID,
    reported: TrackingStatus | None = None,
    at: datetime | None = None,
    by: Principal | None = None,
) -> Shipment:
    """Record where the parcel is: what the carrier reports (`reported`, pushed to
    us) or, without it, what its tracking says when asked. The last parcel of an
    order delivered makes the order delivered; a parcel that has not left yet is a
    409."""
    with units() as session:
        shipment = load_shipment(session, shipment_id)
        check_reach(by, load_fulfilment(session, shipment.fulfilment_order_id))
        if shipment.status in (SS.REQUESTED, SS.LABELLED, SS.CANCELLED):
            raise FulfilmentStateConflict(
                f"Shipment {shipment.id} is {shipment.status}: it has not left yet.",
                status=shipment.status,
            )
        name, ref, key = shipment.carrier, shipment.carrier_ref, shipment.request_key
    if reported is None:
        try:
            events = carriers.carrier_for(name).tracking(ref or "", key=f"{key}:track")
        except CarrierError as e:
            raise CarrierUnavailable(f"The carrier {name} did not answer ({e}).") from None
        if not events:
            with units() as session:
                return load_shipment(session, shipment_id)
        reported, at = events[-1].status, events[-1].at
    target = _TRACKED.get(reported)
    with units() as session:
        shipment = load_shipment(session, shipment_id)
        if (
            target is None
            or shipment.status == target
            or shipment.status
            in (
                SS.DELIVERED,
                SS.RETURNED,
            )
        ):
            return shipment  # nothing new, or its journey is over
        order = orders.load(session, order_id=shipment.order_id, access=STAFF)
        if target != SS.DELIVERED or not _last_to_arrive(session, shipment):
            _arrived(session, shipment, target, at)
            return shipment
        order_id = order.id
        ready = order.status == orders.OrderStatus.SHIPPED

    def delivered(session: Session, order: orders.Order) -> None:
        _arrived(session, load_shipment(session, shipment_id), SS.DELIVERED, at)

    if ready:
        orders.move(
            units,
            order_id=order_id,
            access=STAFF,
            move=orders.Move(orders.OrderStatus.DELIVERED, actor=f"carrier:{name}"),
            then=delivered,
        )
    else:  # delivered before its siblings were handed over: the order waits for them
        with units() as session:
            _arrived(session, load_shipment(session, shipment_id), SS.DELIVERED, at)
    with units() as session:
        return load_shipment(session, shipment_id)


def _last_to_arrive(session: Session, shipment: Shipment) -> bool:
    others = session.scalars(
        select(Shipment.status).where(
            Shipment.order_id == shipment.order_id,
            Shipment.id != shipment.id,
            Shipment.status != SS.CANCELLED,
        )
    ).all()
    return all(s == SS.DELIVERED for s in others)


def _arrived(
    session: Session, shipment: Shipment, status: ShipmentStatus, at: datetime | None
) -> None:
    shipment.status = status
    if status == SS.DELIVERED:
        shipment.delivered_at = at or utcnow()
        fo = session.get(FulfilmentOrder, shipment.fulfilment_order_id)
        if fo is not None:
            fo.status = F.DELIVERED
            fo.closed_at = shipment.delivered_at
    event(session, shipment, f"shipment.{status.value}")
