"""Fulfilment orders and parcels found by what people read off paper and screens:
a fulfilment order's number, a parcel's tracking number (or its id)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.fulfillment.errors import FulfilmentNotFound, ShipmentNotFound
from omnichannel.fulfillment.models import FulfilmentOrder, Shipment


def fulfilment_by_number(session: Session, *, number: str) -> FulfilmentOrder:
    """The fulfilment order with this number (`<order number>-1`); 404 if none."""
    fo = session.scalar(select(FulfilmentOrder).where(FulfilmentOrder.number == number.upper()))
    if fo is None:
        raise FulfilmentNotFound(f"There is no fulfilment order {number}.")
    return fo


def shipment_by_reference(session: Session, *, reference: str) -> Shipment:
    """The parcel with this tracking number, or this id; 404 if none."""
    try:
        found = session.get(Shipment, uuid.UUID(reference))
    except ValueError:  # not an id: a tracking number
        found = session.scalar(
            select(Shipment)
            .where(Shipment.tracking_number == reference.strip())
            .order_by(Shipment.created_at.desc())
            .limit(1)
        )
    if found is None:
        raise ShipmentNotFound(f"There is no parcel {reference}.")
    return found


def shipments_of(session: Session, *, order_id: uuid.UUID) -> list[Shipment]:
    """An order's parcels, oldest first."""
    return list(
        session.scalars(
            select(Shipment)
            .where(Shipment.order_id == order_id)
            .order_by(Shipment.created_at, Shipment.id)
        )
    )
