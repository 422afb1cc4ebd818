"""An order's delivery details over HTTP: contact and shipping address for the staff
who fulfil it, hand it over or answer for it (`orders:delivery`). `GET /orders/{id}`
keeps them null for staff: this read states its reason and is audited.

Reading writes its audit row in the same transaction, so the endpoint runs in a
writer's unit of work even for GET, and the caller is authenticated in it (as the
customers' personal-data endpoints are).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from omnichannel.http.deps import AuditedSession, audited
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.orders import service
from omnichannel.orders.schemas_delivery import OrderDeliveryRead
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["orders"])

# The read writes its audit row, in the request's writer's session.
Deliverer = Annotated[Principal, Depends(audited(Permission.ORDERS_DELIVERY))]


@router.get(
    "/orders/{order_id}/delivery",
    response_model=OrderDeliveryRead,
    summary="Where an order goes and whom to tell (staff who deliver it; audited)",
    responses=problem_responses(401, 403, 404, 422),
)
def order_delivery(
    order_id: uuid.UUID,
    reason: Annotated[
        service.DeliveryReason,
        Query(description="Why you read it; the audit log records it with the order number."),
    ],
    principal: Deliverer,
    session: AuditedSession,
) -> OrderDeliveryRead:
    found = service.delivery_details(
        session, order_id=order_id, reason=reason, location_ids=principal.location_ids
    )
    return OrderDeliveryRead(
        order_id=found.order_id,
        number=found.number,
        fulfilment=found.fulfilment,
        pickup_location_id=found.pickup_location_id,
        contact=found.contact,
        shipping_address=found.shipping_address,
    )
