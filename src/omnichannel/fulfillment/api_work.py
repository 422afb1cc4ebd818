"""A location's fulfilment work over HTTP: its list, and a line it cannot find."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from omnichannel.fulfillment import rerouting, shipping
from omnichannel.fulfillment.rules import FulfilmentStatus
from omnichannel.fulfillment.schemas import FulfilmentOrderRead
from omnichannel.fulfillment.schemas_work import RejectedRead, RejectIn
from omnichannel.http.deps import SessionDep, require, require_location_access
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.http.units import UnitsDep
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["fulfilment"])

Worker = Annotated[Principal, Depends(require(Permission.FULFILMENT_WORK))]


@router.get(
    "/locations/{location_id}/fulfilments",
    response_model=list[FulfilmentOrderRead],
    summary="A location's fulfilment work, oldest first (default: waiting to be sent)",
    responses=problem_responses(401, 403, 422),
)
def location_work(
    location_id: uuid.UUID,
    principal: Worker,
    session: SessionDep,
    status: Annotated[list[FulfilmentStatus] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[FulfilmentOrderRead]:
    require_location_access(principal, location_id)
    found = shipping.work_at(
        session,
        location_id=location_id,
        statuses=status or [FulfilmentStatus.ALLOCATED],
        limit=limit,
    )
    return [FulfilmentOrderRead.of(fo) for fo in found]


@router.post(
    "/fulfilments/{fulfilment_order_id}/lines/{line_no}/reject",
    response_model=RejectedRead,
    summary="Report units of a line not on the shelf: the count is corrected, the line re-routed",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def reject_line(
    fulfilment_order_id: uuid.UUID,
    line_no: int,
    data: RejectIn,
    principal: Worker,
    units: UnitsDep,
) -> RejectedRead:
    done = rerouting.reject(
        units,
        fulfilment_order_id=fulfilment_order_id,
        line_no=line_no,
        missing=data.missing,
        by=principal,
    )
    return RejectedRead(
        order_id=done.order_id,
        moved_to=done.moved_to,
        cancelled_lines=done.cancelled_lines,
        explanation=list(done.explanation),
    )
