"""Fulfilment over HTTP: an order's fulfilment orders and pickup, for staff."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from omnichannel.fulfillment import service
from omnichannel.fulfillment.schemas import (
    FulfilmentOrderRead,
    OrderFulfilmentRead,
    PickupRead,
)
from omnichannel.http.deps import SessionDep, require_staff
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.orders import service as orders
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["fulfilment"])

Reader = Annotated[Principal, Depends(require_staff(Permission.ORDERS_READ))]


@router.get(
    "/orders/{order_id}/fulfilments",
    response_model=OrderFulfilmentRead,
    summary="Where an order's goods come from: its fulfilment orders and pickup",
    responses=problem_responses(401, 403, 404, 422),
)
def order_fulfilments(
    order_id: uuid.UUID, principal: Reader, session: SessionDep
) -> OrderFulfilmentRead:
    found = service.of_order(session, order_id=order_id, access=orders.Access(staff=True))
    p = found.pickup
    return OrderFulfilmentRead(
        order_id=found.order.id,
        number=found.order.number,
        status=found.order.status,
        fulfilments=[FulfilmentOrderRead.of(fo) for fo in found.fulfilments],
        pickup=PickupRead(
            location_id=p.location_id,
            kind=p.kind,
            status=p.status,
            ready_due_at=p.ready_due_at,
            ready_at=p.ready_at,
            collect_by=p.collect_by,
            collected_at=p.collected_at,
        )
        if p is not None
        else None,
    )
