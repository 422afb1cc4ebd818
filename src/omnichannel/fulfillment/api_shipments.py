"""Parcels over HTTP: book one for a fulfilment order, print its label, hand it to
the carrier, and record where it is (staff of the sending location)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.orm import Session

from omnichannel.fulfillment import shipping, tracking
from omnichannel.fulfillment.models import Shipment
from omnichannel.fulfillment.schemas_shipments import (
    ShipmentCreate,
    ShipmentLineRead,
    ShipmentRead,
    TrackingIn,
)
from omnichannel.http.deps import SessionDep, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.http.units import UnitsDep
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["fulfilment"])

Worker = Annotated[Principal, Depends(require(Permission.FULFILMENT_WORK))]


def _read(session: Session, shipment: Shipment) -> ShipmentRead:
    return ShipmentRead(
        id=shipment.id,
        order_id=shipment.order_id,
        fulfilment_order_id=shipment.fulfilment_order_id,
        status=shipment.status,
        carrier=shipment.carrier,
        service=shipment.service,
        point_id=shipment.point_id,
        parcel_size=shipment.parcel_size,
        weight_g=shipment.weight_g,
        tracking_number=shipment.tracking_number,
        lines=[
            ShipmentLineRead(line_no=ln.line_no, quantity=ln.quantity)
            for ln in shipping.shipment_lines(session, shipment.id)
        ],
        shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at,
    )


@router.post(
    "/fulfilments/{fulfilment_order_id}/shipments",
    response_model=ShipmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Book a parcel with a carrier for a fulfilment order (booking again is safe)",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def book_shipment(
    fulfilment_order_id: uuid.UUID,
    data: ShipmentCreate,
    principal: Worker,
    units: UnitsDep,
) -> ShipmentRead:
    booked = shipping.book(
        units, fulfilment_order_id=fulfilment_order_id, carrier=data.carrier, by=principal
    )
    with units() as session:
        return _read(session, shipping.load_shipment(session, booked.shipment.id))


@router.get(
    "/shipments/{shipment_id}",
    response_model=ShipmentRead,
    summary="A parcel and where it is",
    responses=problem_responses(401, 403, 404, 422),
)
def get_shipment(shipment_id: uuid.UUID, principal: Worker, session: SessionDep) -> ShipmentRead:
    return _read(session, shipping.load_shipment(session, shipment_id))


@router.get(
    "/shipments/{shipment_id}/label",
    summary="The parcel's label, from its carrier (PDF)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        **problem_responses(401, 403, 404, 409, 422, 503),
    },
)
def shipment_label(shipment_id: uuid.UUID, principal: Worker, units: UnitsDep) -> Response:
    label = shipping.label(units, shipment_id=shipment_id, by=principal)
    return Response(content=label.content, media_type=label.content_type)


@router.post(
    "/shipments/{shipment_id}/hand-over",
    response_model=ShipmentRead,
    summary="The carrier took the parcel: its goods leave and its share is charged",
    responses=problem_responses(401, 402, 403, 404, 409, 422, 503),
)
def hand_over(shipment_id: uuid.UUID, principal: Worker, units: UnitsDep) -> ShipmentRead:
    shipment = shipping.hand_over(units, shipment_id=shipment_id, by=principal)
    with units() as session:
        return _read(session, shipping.load_shipment(session, shipment.id))


@router.post(
    "/shipments/{shipment_id}/tracking",
    response_model=ShipmentRead,
    summary="Record where the parcel is (the carrier's word, or ask the carrier)",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def record_tracking(
    shipment_id: uuid.UUID, data: TrackingIn, principal: Worker, units: UnitsDep
) -> ShipmentRead:
    shipment = tracking.track(
        units, shipment_id=shipment_id, reported=data.status, at=data.at, by=principal
    )
    with units() as session:
        return _read(session, shipping.load_shipment(session, shipment.id))
