"""Channels and their API keys over HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from omnichannel.channels import service
from omnichannel.channels.models import ChannelApiKey
from omnichannel.channels.rules import LocationRole
from omnichannel.channels.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
    ChannelCreate,
    ChannelRead,
    ChannelSelf,
    ChannelUpdate,
    DeliveryRatesRead,
)
from omnichannel.http.deps import ChannelDep, SessionDep, etag, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["channels"])

Reader = Annotated[Principal, Depends(require(Permission.CHANNELS_READ))]
Manager = Annotated[Principal, Depends(require(Permission.CHANNELS_MANAGE))]


def _read(ch: Any) -> ChannelRead:
    return ChannelRead(
        id=ch.id,
        code=ch.code,
        name=ch.name,
        type=ch.type,
        currency=ch.currency,
        status=ch.status,
        sell_from=ch.location_ids(LocationRole.SELL_FROM),
        pickup_at=ch.location_ids(LocationRole.PICKUP),
        buffer_percent=ch.buffer_percent,
        buffer_units=ch.buffer_units,
        cart_hold_minutes=ch.cart_hold_minutes,
        delivery_price=ch.delivery_rates().legacy_delivery_price,
        delivery_rates=DeliveryRatesRead.model_validate(ch.delivery_rates()),
        version=ch.version,
        created_at=ch.created_at,
    )


@router.get(
    "/channels",
    response_model=list[ChannelRead],
    summary="List the sales channels",
    responses=problem_responses(401, 403),
)
def list_channels(_: Reader, session: SessionDep) -> list[ChannelRead]:
    return [_read(ch) for ch in service.list_channels(session)]


@router.post(
    "/channels",
    response_model=ChannelRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a sales channel",
    responses=problem_responses(401, 403, 409, 422),
)
def create_channel(
    data: ChannelCreate, _: Manager, session: SessionDep, response: Response
) -> ChannelRead:
    ch = service.create_channel(session, data=data)
    response.headers["ETag"] = etag(ch.version)
    return _read(ch)


@router.get(
    "/channels/{channel_id}",
    response_model=ChannelRead,
    summary="One channel",
    responses=problem_responses(401, 403, 404, 422),
)
def get_channel(
    channel_id: uuid.UUID, _: Reader, session: SessionDep, response: Response
) -> ChannelRead:
    ch = service.get_channel(session, channel_id=channel_id)
    response.headers["ETag"] = etag(ch.version)
    return _read(ch)


@router.patch(
    "/channels/{channel_id}",
    response_model=ChannelRead,
    summary="Change a channel",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_channel(
    channel_id: uuid.UUID, data: ChannelUpdate, _: Manager, session: SessionDep, response: Response
) -> ChannelRead:
    ch = service.update_channel(session, channel_id=channel_id, data=data)
    response.headers["ETag"] = etag(ch.version)
    return _read(ch)


@router.get(
    "/channels/{channel_id}/api-keys",
    response_model=list[ApiKeyRead],
    summary="A channel's API keys",
    responses=problem_responses(401, 403, 404, 422),
)
def list_api_keys(channel_id: uuid.UUID, _: Manager, session: SessionDep) -> list[ApiKeyRead]:
    keys = service.list_api_keys(session, channel_id=channel_id)
    kind = service.get_channel(session, channel_id=channel_id).type
    return [_key_read(k, kind) for k in keys]


def _key_read(key: ChannelApiKey, channel_type: str) -> ApiKeyRead:
    held, ignored = service.split_scopes(channel_type=channel_type, scopes=key.scopes)
    read = ApiKeyRead.model_validate(key)
    return read.model_copy(update={"scopes": held, "ignored_scopes": ignored})


@router.post(
    "/channels/{channel_id}/api-keys",
    response_model=ApiKeyIssued,
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key (the secret is shown once)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def issue_api_key(
    channel_id: uuid.UUID, data: ApiKeyCreate, _: Manager, session: SessionDep
) -> ApiKeyIssued:
    key, secret = service.issue_api_key(session, channel_id=channel_id, data=data)
    return ApiKeyIssued(**ApiKeyRead.model_validate(key).model_dump(), key=secret)


@router.delete(
    "/channels/{channel_id}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key",
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_api_key(
    channel_id: uuid.UUID, key_id: uuid.UUID, _: Manager, session: SessionDep
) -> Response:
    service.revoke_api_key(session, channel_id=channel_id, key_id=key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/channel",
    response_model=ChannelSelf,
    summary="The calling channel (API key only)",
    responses=problem_responses(401, 403),
)
def whoami(principal: ChannelDep, session: SessionDep) -> ChannelSelf:
    ch = service.get_channel(session, channel_id=principal.id)
    return ChannelSelf(
        channel=_read(ch),
        key_id=uuid.UUID(principal.extra["key_id"]),
        scopes=sorted(principal.permissions),
    )
