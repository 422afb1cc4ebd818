"""The demo's orders taken as far as their stage through fulfilment, as staff would:
handed to their locations, parcels booked with the sandbox carrier and handed over,
tracked to the door."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omnichannel.db.session import within
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.carriers.rules import TrackingStatus
from omnichannel.orders import service as orders
from omnichannel.orders.rules import OrderStatus

ACTOR = "staff:demo"
_SHIPPED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def advance(session: Session, order: orders.Order, stage: OrderStatus) -> None:
    """Take a confirmed delivery order to `stage` (allocated and beyond)."""
    fulfilment.allocate(session, order_id=order.id, actor=ACTOR)
    if stage == OrderStatus.ALLOCATED:
        return
    if stage == OrderStatus.IN_FULFILMENT:
        _move(session, order, OrderStatus.IN_FULFILMENT)
        return
    units = within(session)
    parcels = [
        fulfilment.book(units, fulfilment_order_id=fo.id).shipment
        for fo in fulfilment.of_order(session, order_id=order.id, access=STAFF).fulfilments
    ]
    for parcel in parcels:
        fulfilment.hand_over(units, shipment_id=parcel.id)
    if stage == OrderStatus.SHIPPED:
        return
    for parcel in parcels:
        fulfilment.track(units, shipment_id=parcel.id, reported=TrackingStatus.DELIVERED)
    if stage == OrderStatus.COMPLETED:
        _move(session, order, OrderStatus.COMPLETED)


STAFF = orders.Access(staff=True)


def ready_for_pickup(session: Session, order: orders.Order) -> None:
    """Take a click & collect order to the counter: handed to its locations, what is
    not on the store's shelf carried there by transfer, then made ready (a code)."""
    fulfilment.allocate(session, order_id=order.id, actor=ACTOR)
    for fo in fulfilment.of_order(session, order_id=order.id, access=STAFF).fulfilments:
        if fo.location_id != fo.destination_id:
            fulfilment.send(session, fulfilment_id=fo.id, by=None)
            fulfilment.receive(session, fulfilment_id=fo.id, by=None)
    fulfilment.ready(session, order_id=order.id, by=None, actor=ACTOR)


def _move(session: Session, order: orders.Order, to: OrderStatus) -> None:
    orders.move(within(session), order_id=order.id, access=STAFF, move=orders.Move(to, actor=ACTOR))
