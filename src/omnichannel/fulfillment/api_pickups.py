"""Click & collect over HTTP: a pickup's transfer sent and received, the counter
(ready with a code, a code re-issued, the hand-over), the store's lists, and the
customer's own pickup with its code.

Staff act only at the location the step happens at (403 `outside_your_locations`):
the sending location sends, the pickup store does the rest.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from omnichannel.fulfillment import service
from omnichannel.fulfillment.models import FulfilmentOrder
from omnichannel.fulfillment.schemas_pickups import (
    CollectedRead,
    CollectIn,
    CounterPickupRead,
    CustomerPickupRead,
    FulfilmentStepRead,
    ListedPickupRead,
)
from omnichannel.http.deps import CustomerDep, SessionDep, permitted, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.http.units import UnitsDep
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["fulfilment"])

# The work of the location a step happens at (scoped staff: their own, checked by
# the use case); a customer reads their own pickup only.
Worker = Annotated[Principal, Depends(require(Permission.FULFILMENT_WORK))]


def _step(fo: FulfilmentOrder) -> FulfilmentStepRead:
    return FulfilmentStepRead(
        id=fo.id,
        number=fo.number,
        order_id=fo.order_id,
        status=fo.status,
        location_id=fo.location_id,
        destination_id=fo.destination_id,
        transfer_id=fo.transfer_id,
    )


@router.post(
    "/fulfilments/{fulfilment_order_id}/send",
    response_model=FulfilmentStepRead,
    summary="Send a pickup's held units to its store: a transfer that keeps them the order's",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def send(
    fulfilment_order_id: uuid.UUID, principal: Worker, session: SessionDep
) -> FulfilmentStepRead:
    return _step(service.send(session, fulfilment_id=fulfilment_order_id, by=principal))


@router.post(
    "/fulfilments/{fulfilment_order_id}/receive",
    response_model=FulfilmentStepRead,
    summary="Receive a pickup's transfer at its store: its units held for the order again",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def receive(
    fulfilment_order_id: uuid.UUID, principal: Worker, session: SessionDep
) -> FulfilmentStepRead:
    return _step(service.receive(session, fulfilment_id=fulfilment_order_id, by=principal))


@router.post(
    "/orders/{order_id}/pickup/ready",
    response_model=CounterPickupRead,
    summary="The order is at the counter: ready for pickup, a code issued to the customer",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def ready(order_id: uuid.UUID, principal: Worker, session: SessionDep) -> CounterPickupRead:
    pickup = service.ready(session, order_id=order_id, by=principal, actor=principal.actor)
    return CounterPickupRead.model_validate(pickup)


@router.post(
    "/orders/{order_id}/pickup/code",
    response_model=CounterPickupRead,
    summary="Issue a new pickup code (lost or locked): the old one stops opening the pickup",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def reissue_code(order_id: uuid.UUID, principal: Worker, session: SessionDep) -> CounterPickupRead:
    return CounterPickupRead.model_validate(
        service.reissue_code(session, order_id=order_id, by=principal)
    )


@router.post(
    "/orders/{order_id}/pickup/collect",
    response_model=CollectedRead,
    summary="Hand a ready pickup over on its code or a checked identity; what is due is taken",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def collect(
    order_id: uuid.UUID, data: CollectIn, principal: Worker, units: UnitsDep
) -> CollectedRead:
    done = service.collect(
        units,
        order_id=order_id,
        by=principal,
        actor=principal.actor,
        code=data.code,
        identity=service.Identity(data.identity.document) if data.identity else None,
    )
    return CollectedRead(
        order_id=done.order.id,
        number=done.order.number,
        status=done.order.status,
        payment_status=done.order.payment_status,
        pickup=CounterPickupRead.model_validate(done.pickup),
    )


@router.get(
    "/locations/{location_id}/pickups",
    response_model=list[ListedPickupRead],
    summary="A store's pickups: waiting, overdue (past the store's promise), ready, expiring",
    responses=problem_responses(401, 403, 404, 422),
)
def pickups_at(
    location_id: uuid.UUID,
    principal: Worker,
    session: SessionDep,
    state: Annotated[
        service.Listing, Query(description="Which list: waiting, overdue, ready or expiring.")
    ] = service.Listing.OVERDUE,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[ListedPickupRead]:
    found = service.pickups_at(
        session, location_id=location_id, listing=state, by=principal, limit=limit
    )
    return [
        ListedPickupRead.model_validate(
            {
                **CounterPickupRead.model_validate(x.pickup).model_dump(),
                "order_number": x.order_number,
                "overdue_hours": x.overdue_hours,
            }
        )
        for x in found
    ]


@router.get(
    "/customers/me/orders/{order_id}/pickup",
    response_model=CustomerPickupRead,
    summary="A signed-in customer's own pickup: where, until when, and the code to show",
    responses=problem_responses(401, 403, 404, 422),
)
def my_pickup(
    order_id: uuid.UUID, principal: CustomerDep, session: SessionDep
) -> CustomerPickupRead:
    permitted(principal, Permission.ORDERS_OWN)
    found = service.customer_pickup(session, order_id=order_id, customer_id=principal.id)
    p = found.pickup
    return CustomerPickupRead(
        order_id=p.order_id,
        location_id=p.location_id,
        status=p.status,
        ready_due_at=p.ready_due_at,
        ready_at=p.ready_at,
        collect_by=p.collect_by,
        code=found.code,
    )
