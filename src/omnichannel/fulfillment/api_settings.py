"""Fulfilment settings over HTTP: how a location fulfils, how a channel routes.

A location's settings are for staff only: what a fulfilment order costs and how
many a store can take are the retailer's own business, not a channel's. Reading a
channel's routing is reading the channel; changing a location's settings is editing the location
(scoped staff: only their own), changing a channel's routing is managing the channel.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from omnichannel.fulfillment import settings
from omnichannel.fulfillment.schemas_settings import (
    ChannelRoutingIn,
    ChannelRoutingRead,
    LocationFulfilmentIn,
    LocationFulfilmentRead,
)
from omnichannel.http.deps import (
    IfMatch,
    PrincipalDep,
    SessionDep,
    require,
    require_location_access,
)
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Forbidden, Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["fulfilment"])

_READ_LOCATION = (Permission.FULFILMENT_WORK, Permission.LOCATIONS_READ)


async def _location_reader(principal: PrincipalDep) -> Principal:
    if principal.kind != "staff" or not any(principal.can(p) for p in _READ_LOCATION):
        raise Forbidden(
            "A location's fulfilment settings are for staff who work its orders or read "
            f"locations (needs {' or '.join(_READ_LOCATION)}).",
            required=Permission.LOCATIONS_READ,
        )
    return principal


async def _location_editor(
    location_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require(Permission.LOCATIONS_WRITE))],
) -> Principal:
    # Before the body is read: a scoped caller is told where it may not act, whatever
    # it sent.
    require_location_access(principal, location_id)
    return principal


LocationReader = Annotated[Principal, Depends(_location_reader)]
LocationEditor = Annotated[Principal, Depends(_location_editor)]
ChannelReader = Annotated[Principal, Depends(require(Permission.CHANNELS_READ))]
ChannelEditor = Annotated[Principal, Depends(require(Permission.CHANNELS_MANAGE))]


def _location(found: settings.Settings, response: Response) -> LocationFulfilmentRead:
    response.headers["ETag"] = found.etag
    return LocationFulfilmentRead(
        location_id=found.owner_id,
        **found.values,
        defaults=found.default_names,
        updated_at=found.updated_at,
    )


def _channel(found: settings.Settings, response: Response) -> ChannelRoutingRead:
    response.headers["ETag"] = found.etag
    return ChannelRoutingRead(
        channel_id=found.owner_id,
        **found.values,
        defaults=found.default_names,
        updated_at=found.updated_at,
    )


@router.get(
    "/locations/{location_id}/fulfilment-settings",
    response_model=LocationFulfilmentRead,
    summary="How a location fulfils: its cost, capacity, cut-off and pickup clocks",
    responses=problem_responses(401, 403, 404, 422),
)
def get_location_settings(
    location_id: uuid.UUID, _: LocationReader, session: SessionDep, response: Response
) -> LocationFulfilmentRead:
    return _location(settings.location_settings(session, location_id=location_id), response)


@router.put(
    "/locations/{location_id}/fulfilment-settings",
    response_model=LocationFulfilmentRead,
    summary="Replace a location's fulfilment settings (every one named; null: the default)",
    responses=problem_responses(401, 403, 404, 412, 422),
)
def put_location_settings(
    location_id: uuid.UUID,
    data: LocationFulfilmentIn,
    _: LocationEditor,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> LocationFulfilmentRead:
    found = settings.set_location_settings(
        session, location_id=location_id, data=data, if_match=if_match
    )
    return _location(found, response)


@router.get(
    "/channels/{channel_id}/routing",
    response_model=ChannelRoutingRead,
    summary="How a channel's orders are routed across its locations",
    responses=problem_responses(401, 403, 404, 422),
)
def get_channel_routing(
    channel_id: uuid.UUID, _: ChannelReader, session: SessionDep, response: Response
) -> ChannelRoutingRead:
    return _channel(settings.channel_routing(session, channel_id=channel_id), response)


@router.put(
    "/channels/{channel_id}/routing",
    response_model=ChannelRoutingRead,
    summary="Replace a channel's routing policy (every setting named; null: the default)",
    responses=problem_responses(401, 403, 404, 412, 422),
)
def put_channel_routing(
    channel_id: uuid.UUID,
    data: ChannelRoutingIn,
    _: ChannelEditor,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ChannelRoutingRead:
    found = settings.set_channel_routing(
        session, channel_id=channel_id, data=data, if_match=if_match
    )
    return _channel(found, response)
