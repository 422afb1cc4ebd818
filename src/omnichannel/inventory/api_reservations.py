"""Reservations over HTTP: hold stock for a cart, an order or a customer, then
release, extend or commit it.

A channel acts only on its own channel's holds, and names their owner (the cart or
order id in its system): a wrong owner or another channel's hold is 403
`not_reservation_owner`. Staff (call center, stores) may act on any hold; a store
associate only at their own stores (403 `outside_your_locations`, `security.reach`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status
from sqlalchemy.orm import Session

from omnichannel.http.deps import SessionDep, require, require_location_access
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.inventory import service
from omnichannel.inventory.api_availability import caller_channel
from omnichannel.inventory.rules import OwnerType
from omnichannel.inventory.schemas import (
    CHANNEL_DEFAULT_TTL_SECONDS,
    OwnerRelease,
    ReleasedCount,
    ReservationCommit,
    ReservationCreate,
    ReservationExtend,
    ReservationHolds,
    ReservationRead,
    ReservationRelease,
)
from omnichannel.kernel import Principal
from omnichannel.kernel.errors import InvalidInput
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/reservations", tags=["reservations"])

Reserver = Annotated[Principal, Depends(require(Permission.INVENTORY_RESERVE))]

_ACT = problem_responses(401, 403, 404, 409, 422)


def _owner(
    principal: Principal, owner_type: OwnerType | None, owner_id: str | None
) -> service.Owner | None:
    """Whose hold the caller says it is: required of channels (and only within their own
    channel), optional for staff."""
    if owner_type is None or owner_id is None:
        if principal.kind == "channel":
            raise InvalidInput(
                "A channel names the reservation's owner: owner_type and owner_id.",
                errors=[
                    {"field": f, "message": "required for channels", "type": "missing"}
                    for f in ("owner_type", "owner_id")
                ],
            )
        return None
    return service.Owner(owner_type, owner_id, channel_id=principal.channel_id)


def _may_act(
    session: Session, principal: Principal, reservation_id: uuid.UUID, owner: service.Owner | None
) -> None:
    """Check the caller may act on the hold (owner, channel, location) before it changes."""
    res = service.get_reservation(session, reservation_id=reservation_id, owner=owner)
    require_location_access(principal, res.location_id)


@router.post(
    "",
    response_model=ReservationHolds,
    status_code=status.HTTP_201_CREATED,
    summary="Hold stock, all lines or none",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def reserve(data: ReservationCreate, principal: Reserver, session: SessionDep) -> ReservationHolds:
    for line in data.lines:
        require_location_access(principal, line.location_id)
    channel = caller_channel(session, principal, data.channel)
    ttl = data.ttl_seconds
    if principal.kind == "channel" and "ttl_seconds" not in data.model_fields_set:
        ttl = CHANNEL_DEFAULT_TTL_SECONDS
    held = service.reserve(
        session,
        lines=[service.Line(x.variant_id, x.location_id, x.quantity) for x in data.lines],
        owner=service.Owner(data.owner_type, data.owner_id, channel_id=channel.id),
        ttl=timedelta(seconds=ttl) if ttl is not None else None,
        within={*channel.sell_from, *channel.pickup_at},
    )
    return ReservationHolds(reservations=[ReservationRead.model_validate(h) for h in held])


@router.post(
    "/release-owner",
    response_model=ReleasedCount,
    summary="Release every active hold of a cart, order or customer",
    responses=problem_responses(401, 403, 422),
)
def release_owner(data: OwnerRelease, principal: Reserver, session: SessionDep) -> ReleasedCount:
    owner = service.Owner(data.owner_type, data.owner_id, channel_id=principal.channel_id)
    return ReleasedCount(released=service.release_owner(session, owner=owner, by=principal))


@router.get(
    "/{reservation_id}",
    response_model=ReservationRead,
    summary="One reservation",
    responses=problem_responses(401, 403, 404, 422),
)
def get_reservation(
    reservation_id: uuid.UUID,
    principal: Reserver,
    session: SessionDep,
    owner_type: Annotated[
        OwnerType | None, Query(description="Channels: the owner the hold belongs to.")
    ] = None,
    owner_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> ReservationRead:
    owner = _owner(principal, owner_type, owner_id)
    res = service.get_reservation(session, reservation_id=reservation_id, owner=owner)
    require_location_access(principal, res.location_id)
    return ReservationRead.model_validate(res)


@router.post(
    "/{reservation_id}/release",
    response_model=ReservationRead,
    summary="Give a hold back (releasing twice changes nothing)",
    responses=_ACT,
)
def release(
    reservation_id: uuid.UUID,
    principal: Reserver,
    session: SessionDep,
    data: Annotated[ReservationRelease | None, Body()] = None,
) -> ReservationRead:
    data = data or ReservationRelease()
    owner = _owner(principal, data.owner_type, data.owner_id)
    _may_act(session, principal, reservation_id, owner)
    res = service.release(session, reservation_id=reservation_id, owner=owner)
    return ReservationRead.model_validate(res)


@router.post(
    "/{reservation_id}/extend",
    response_model=ReservationRead,
    summary="Push an active hold's expiry to now + ttl_seconds",
    responses=_ACT,
)
def extend(
    reservation_id: uuid.UUID, data: ReservationExtend, principal: Reserver, session: SessionDep
) -> ReservationRead:
    owner = _owner(principal, data.owner_type, data.owner_id)
    _may_act(session, principal, reservation_id, owner)
    res = service.extend(
        session,
        reservation_id=reservation_id,
        owner=owner,
        ttl=timedelta(seconds=data.ttl_seconds),
    )
    return ReservationRead.model_validate(res)


@router.post(
    "/{reservation_id}/commit",
    response_model=ReservationRead,
    summary="The held goods leave: the hold ends and a sale is written to the ledger",
    responses=_ACT,
)
def commit(
    reservation_id: uuid.UUID, data: ReservationCommit, principal: Reserver, session: SessionDep
) -> ReservationRead:
    owner = _owner(principal, data.owner_type, data.owner_id)
    _may_act(session, principal, reservation_id, owner)
    res = service.commit(
        session, reservation_id=reservation_id, owner=owner, reference=data.reference
    )
    return ReservationRead.model_validate(res)
