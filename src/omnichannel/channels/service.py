"""Channel use cases: the registry, where each channel sells from, and API keys."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.channels import directory
from omnichannel.channels.delivery import check_courier_once, default_rates, set_rates
from omnichannel.channels.delivery import delivery_price as delivery_price
from omnichannel.channels.directory import ChannelInfo
from omnichannel.channels.models import (
    Channel,
    ChannelApiKey,
    ChannelLocation,
)
from omnichannel.channels.rules import (
    KEY_PREFIX,
    LocationRole,
    allowed_scopes,
)
from omnichannel.channels.rules import (
    DeliveryMethod as DeliveryMethod,
)
from omnichannel.channels.rules import normalise_point_id as normalise_point_id
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate, ChannelUpdate
from omnichannel.db import record_event
from omnichannel.db.base import flush_edit
from omnichannel.kernel import Conflict, NotFound, Principal, Unauthenticated, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.locations import service as locations
from omnichannel.security.service import hash_token


class ChannelCodeTaken(Conflict):
    code = "channel_code_taken"


class ApiKeyNameTaken(Conflict):
    code = "api_key_name_taken"


class ScopeNotAllowed(InvalidInput):
    """A scope the channel's type may not hold (`rules.SCOPES_BY_TYPE`)."""

    code = "scope_not_allowed"


_WHOLE = (selectinload(Channel.locations), selectinload(Channel.rates))


def _load(session: Session, channel_id: uuid.UUID) -> Channel:
    ch = session.scalar(select(Channel).where(Channel.id == channel_id).options(*_WHOLE))
    if ch is None:
        raise NotFound(f"Channel {channel_id} does not exist.")
    return ch


def _event(session: Session, ch: Channel, type: str) -> None:
    record_event(
        session,
        aggregate_type="channel",
        aggregate_id=ch.id,
        sequence=ch.version,
        type=type,
        payload={
            "id": str(ch.id),
            "code": ch.code,
            "type": ch.type,
            "currency": ch.currency,
            "status": ch.status,
            "sell_from": [str(x) for x in ch.location_ids(LocationRole.SELL_FROM)],
            "pickup_at": [str(x) for x in ch.location_ids(LocationRole.PICKUP)],
            "delivery_rates": asdict(ch.delivery_rates()),
        },
    )


def _check_locations(session: Session, field: str, ids: list[uuid.UUID], *, pickup: bool) -> None:
    found = locations.get_locations(session, location_ids=ids)
    for i, loc in enumerate(ids):
        if loc not in found:
            raise InvalidInput(
                f"Location {loc} does not exist.",
                errors=[
                    {
                        "field": f"{field}.{i}",
                        "message": "no such location",
                        "type": "unknown_location",
                    }
                ],
            )
    if pickup:
        for i, loc in enumerate(ids):
            if "pickup" not in found[loc].capabilities:
                raise InvalidInput(
                    f"Location {loc} does not offer pickup.",
                    errors=[
                        {
                            "field": f"{field}.{i}",
                            "message": "location lacks the pickup capability",
                            "type": "not_a_pickup_location",
                        }
                    ],
                )


def _links(sell_from: list[uuid.UUID], pickup_at: list[uuid.UUID]) -> list[ChannelLocation]:
    return [
        ChannelLocation(role=LocationRole.SELL_FROM.value, location_id=loc, position=i)
        for i, loc in enumerate(sell_from)
    ] + [
        ChannelLocation(role=LocationRole.PICKUP.value, location_id=loc, position=i)
        for i, loc in enumerate(pickup_at)
    ]


def list_channels(session: Session) -> list[Channel]:
    """Every channel, by code (a retailer has tens, not thousands)."""
    return list(session.scalars(select(Channel).options(*_WHOLE).order_by(Channel.code)))


def codes_of(session: Session, *, channel_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The codes of these channels (from the worker's directory)."""
    by_id = directory.current(session).by_id
    return {i: by_id[i].code for i in channel_ids if i in by_id}


def channel_info(
    session: Session, *, channel_id: uuid.UUID | None = None, code: str | None = None
) -> ChannelInfo | None:
    """One channel as the worker's directory has it (None when there is none such):
    what carts and checkout read on every request, without a query."""
    d = directory.current(session)
    return d.by_id.get(channel_id) if channel_id is not None else d.by_code.get(code or "")


def get_channel(session: Session, *, channel_id: uuid.UUID) -> Channel:
    """One channel with its locations."""
    return _load(session, channel_id)


def get_channel_by_code(session: Session, *, code: str) -> Channel:
    """One channel by its code."""
    ch = session.scalar(select(Channel).where(Channel.code == code).options(*_WHOLE))
    if ch is None:
        raise NotFound(f"Channel {code!r} does not exist.")
    return ch


def create_channel(session: Session, *, data: ChannelCreate) -> Channel:
    """Register a sales channel."""
    if session.scalar(select(Channel.id).where(Channel.code == data.code)) is not None:
        raise ChannelCodeTaken(
            f"A channel with code {data.code} already exists.",
            errors=[{"field": "code", "message": "already in use", "type": "duplicate"}],
        )
    _check_locations(session, "sell_from", data.sell_from, pickup=False)
    _check_locations(session, "pickup_at", data.pickup_at, pickup=True)
    check_courier_once(data)
    rates = default_rates()
    ch = Channel(
        id=new_id(),
        code=data.code,
        name=data.name,
        type=data.type.value,
        currency=data.currency,
        buffer_percent=data.buffer_percent,
        buffer_units=data.buffer_units,
        cart_hold_minutes=data.cart_hold_minutes,
        locations=_links(data.sell_from, data.pickup_at),
        rates=rates,
    )
    set_rates(rates, data)
    session.add(ch)
    session.flush()
    directory.bump(session)
    _event(session, ch, "channel.created")
    return ch


def update_channel(session: Session, *, channel_id: uuid.UUID, data: ChannelUpdate) -> Channel:
    """Rename, re-currency, (de)activate a channel or change the locations it uses."""
    ch = _load(session, channel_id)
    check_courier_once(data)
    if data.sell_from is not None:
        _check_locations(session, "sell_from", data.sell_from, pickup=False)
    if data.pickup_at is not None:
        _check_locations(session, "pickup_at", data.pickup_at, pickup=True)
    if data.name is not None:
        ch.name = data.name
    if data.currency is not None:
        ch.currency = data.currency
    if data.status is not None:
        ch.status = data.status
    if "buffer_percent" in data.model_fields_set:
        ch.buffer_percent = data.buffer_percent
    if "buffer_units" in data.model_fields_set:
        ch.buffer_units = data.buffer_units
    if "cart_hold_minutes" in data.model_fields_set:
        ch.cart_hold_minutes = data.cart_hold_minutes
    rates = ch.rates
    if rates is None:  # a channel made by hand, outside this service
        rates = ch.rates = default_rates()
    set_rates(rates, data)
    sell_from = ch.location_ids(LocationRole.SELL_FROM)
    pickup_at = ch.location_ids(LocationRole.PICKUP)
    relinked = (data.sell_from is not None and data.sell_from != sell_from) or (
        data.pickup_at is not None and data.pickup_at != pickup_at
    )
    if relinked:
        ch.locations = []
        session.flush()  # delete the old links before inserting their replacements
        ch.locations = _links(
            data.sell_from if data.sell_from is not None else sell_from,
            data.pickup_at if data.pickup_at is not None else pickup_at,
        )
    if flush_edit(session, ch, rates):
        directory.bump(session)
        _event(session, ch, "channel.updated")
    return ch


def _check_scopes(ch: Channel, data: ApiKeyCreate) -> None:
    allowed = allowed_scopes(ch.type)
    refused = [(i, s) for i, s in enumerate(data.scopes) if s not in allowed]
    if refused:
        raise ScopeNotAllowed(
            f"A {ch.type} channel's key may not hold {', '.join(s.value for _, s in refused)}.",
            errors=[
                {
                    "field": f"scopes.{i}",
                    "message": f"{s.value} is not for a {ch.type} channel; it may hold "
                    + ", ".join(sorted(allowed)),
                    "type": "scope_not_allowed",
                }
                for i, s in refused
            ],
        )


def issue_api_key(
    session: Session, *, channel_id: uuid.UUID, data: ApiKeyCreate
) -> tuple[ChannelApiKey, str]:
    """Issue an API key for a channel; the secret is returned once and stored hashed.
    422 naming each scope the channel's type may not hold."""
    ch = _load(session, channel_id)
    if (
        session.scalar(
            select(ChannelApiKey.id).where(
                ChannelApiKey.channel_id == ch.id, ChannelApiKey.name == data.name
            )
        )
        is not None
    ):
        raise ApiKeyNameTaken(
            f"Channel {ch.code} already has a key named {data.name!r}.",
            errors=[{"field": "name", "message": "already in use", "type": "duplicate"}],
        )
    _check_scopes(ch, data)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ChannelApiKey(
        id=new_id(),
        channel_id=ch.id,
        name=data.name,
        prefix=secret[:12],
        key_hash=hash_token(secret),
        scopes=sorted({s.value for s in data.scopes}),
        created_at=utcnow(),
        expires_at=data.expires_at,
    )
    session.add(key)
    session.flush()
    record_event(
        session,
        aggregate_type="channel_api_key",
        aggregate_id=key.id,
        sequence=1,
        type="channel.api_key_issued",
        payload={"id": str(key.id), "channel": ch.code, "name": key.name, "scopes": key.scopes},
    )
    return key, secret


def split_scopes(*, channel_type: str, scopes: Collection[str]) -> tuple[list[str], list[str]]:
    """A key's stored scopes as (those in effect, those its channel's type no longer
    allows): authentication keeps only the first."""
    allowed = allowed_scopes(channel_type)
    return sorted(s for s in scopes if s in allowed), sorted(s for s in scopes if s not in allowed)


def list_api_keys(session: Session, *, channel_id: uuid.UUID) -> list[ChannelApiKey]:
    """A channel's keys, newest first (never their secrets)."""
    _load(session, channel_id)
    return list(
        session.scalars(
            select(ChannelApiKey)
            .where(ChannelApiKey.channel_id == channel_id)
            .order_by(ChannelApiKey.id.desc())
        )
    )


def revoke_api_key(session: Session, *, channel_id: uuid.UUID, key_id: uuid.UUID) -> ChannelApiKey:
    """Revoke a key at once; revoking twice is harmless."""
    key = session.get(ChannelApiKey, key_id)
    if key is None or key.channel_id != channel_id:
        raise NotFound(f"Channel {channel_id} has no API key {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        record_event(
            session,
            aggregate_type="channel_api_key",
            aggregate_id=key.id,
            sequence=2,
            type="channel.api_key_revoked",
            payload={"id": str(key.id), "channel_id": str(channel_id)},
        )
    return key


def authenticate_api_key(session: Session, *, key: str, now: datetime | None = None) -> Principal:
    """The channel principal an API key stands for; 401 if unknown, expired or revoked."""
    # Columns, not the mapped key: every request by a channel signs in here.
    row = session.execute(_SIGN_IN.where(ChannelApiKey.key_hash == hash_token(key))).one_or_none()
    if row is None:
        raise Unauthenticated("The API key is not valid.")
    key_id, channel_id, scopes, revoked_at, expires_at, code, name, type_, status, token = row
    directory.remember(session, token)
    now = now or utcnow()
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        raise Unauthenticated("The API key has expired or been revoked.")
    if status != "active":
        raise Unauthenticated(f"Channel {code} is inactive.")
    return Principal(
        kind="channel",
        id=channel_id,
        name=name,
        # A key issued before its type lost a scope keeps it stored, not usable.
        permissions=frozenset(scopes) & allowed_scopes(type_),
        channel_id=channel_id,
        channel_code=code,
        extra={"key_id": str(key_id)},
    )


_SIGN_IN = select(
    ChannelApiKey.id,
    ChannelApiKey.channel_id,
    ChannelApiKey.scopes,
    ChannelApiKey.revoked_at,
    ChannelApiKey.expires_at,
    Channel.code,
    Channel.name,
    Channel.type,
    Channel.status,
    directory.TOKEN.scalar_subquery(),  # the directory's token comes along
).join(Channel, Channel.id == ChannelApiKey.channel_id)
