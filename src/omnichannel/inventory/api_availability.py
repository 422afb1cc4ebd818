"""Available-to-promise over HTTP: per channel, in batches, and at pickup stores
near a customer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.http.deps import READS_ONLY, SessionDep, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.inventory import service
from omnichannel.inventory.schemas import (
    MAX_UNITS,
    AvailabilityList,
    AvailabilityQuery,
    AvailabilityRead,
    LocationAvailability,
    PickupOptionRead,
    PickupOptions,
)
from omnichannel.kernel import Forbidden, NotFound, Principal
from omnichannel.kernel.errors import InvalidInput
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/availability", tags=["availability"])

Reader = Annotated[Principal, Depends(require(Permission.INVENTORY_READ))]
ChannelQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=32,
        description="Staff: the channel's code. A channel's API key always gets its own.",
    ),
]


def caller_channel(
    session: Session, principal: Principal, code: str | None
) -> service.ChannelStock:
    """The channel a request is for: a channel's own (it may not name another); staff name one."""
    if principal.kind == "channel" and principal.channel_id is not None:
        if code is not None and code != principal.channel_code:
            raise Forbidden(
                f"This API key belongs to channel {principal.channel_code}; it cannot act for {code}."
            )
        return service.channel_for(session, channel_id=principal.channel_id)
    if code is None:
        raise InvalidInput(
            "Name the channel: staff pass its code as `channel`.",
            errors=[{"field": "channel", "message": "required for staff", "type": "missing"}],
        )
    return service.channel_for(session, code=code)


def _unknown_variants(
    session: Session, found: Iterable[service.VariantAvailability]
) -> list[uuid.UUID]:
    """Variants that do not exist (only an out-of-stock answer can be one: one query)."""
    suspects = [a.variant_id for a in found if a.status == "out_of_stock"]
    known = catalog.existing_variant_ids(session, variant_ids=suspects) if suspects else set()
    return [v for v in suspects if v not in known]


def _read(a: service.VariantAvailability, channel: str, detail: bool) -> AvailabilityRead:
    return AvailabilityRead(
        variant_id=a.variant_id,
        channel=channel,
        available=a.available,
        orderable=a.orderable,
        status=a.status,
        preorder_until=a.preorder_until,
        locations=[LocationAvailability(**x) for x in a.locations] if detail else None,
    )


@router.get(
    "/{variant_id}",
    response_model=AvailabilityRead,
    summary="What a channel can promise of a variant",
    responses=problem_responses(401, 403, 404, 422),
)
def get_availability(
    variant_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    channel: ChannelQuery = None,
    detail: Annotated[
        bool, Query(description="Staff only: add the per-location breakdown.")
    ] = False,
) -> AvailabilityRead:
    if detail and principal.kind == "channel":
        raise Forbidden("Channels see what they can promise, not per-location stock.")
    ch = caller_channel(session, principal, channel)
    [a] = service.availability(session, channel=ch, variant_ids=[variant_id], with_locations=detail)
    if _unknown_variants(session, [a]):
        raise NotFound(f"Variant {variant_id} does not exist.")
    return _read(a, ch.code, detail)


@router.post(
    "/batch",
    response_model=AvailabilityList,
    summary="What a channel can promise of up to 500 variants, in the order asked",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=READS_ONLY,
)
def batch_availability(
    data: AvailabilityQuery, principal: Reader, session: SessionDep
) -> AvailabilityList:
    ch = caller_channel(session, principal, data.channel)
    found = service.availability(session, channel=ch, variant_ids=data.variant_ids)
    unknown = set(_unknown_variants(session, found))
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} variant(s) do not exist.",
            errors=[
                {
                    "field": f"variant_ids.{i}",
                    "message": "no such variant",
                    "type": "unknown_variant",
                }
                for i, v in enumerate(data.variant_ids)
                if v in unknown
            ],
        )
    return AvailabilityList(channel=ch.code, items=[_read(a, ch.code, False) for a in found])


def _point(lat: float | None, lon: float | None, postcode: str | None) -> tuple[float, float]:
    """Where the customer is: coordinates, or a postcode's district centre."""
    given = lat is not None or lon is not None
    if given and postcode is not None:
        raise InvalidInput(
            "Give coordinates or a postcode, not both.",
            errors=[{"field": "postcode", "message": "not with lat/lon", "type": "exclusive"}],
        )
    if postcode is not None:
        point = service.postcode_coordinates(postcode)
        if point is None:
            raise InvalidInput(
                f"Postcode {postcode} is not one we can place.",
                errors=[{"field": "postcode", "message": "unknown postcode", "type": "unknown"}],
            )
        return point
    if lat is None or lon is None:
        missing = [f for f, v in (("lat", lat), ("lon", lon)) if v is None]
        raise InvalidInput(
            "Say where the customer is: lat and lon, or a postcode.",
            errors=[{"field": f, "message": "required", "type": "missing"} for f in missing],
        )
    return lat, lon


@router.get(
    "/{variant_id}/pickup",
    response_model=PickupOptions,
    summary="Stores of the channel where the variant can be collected, nearest first",
    responses=problem_responses(401, 403, 404, 422),
)
def pickup(
    variant_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    quantity: Annotated[int, Query(ge=1, le=MAX_UNITS, description="Units to collect.")] = 1,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="Customer's latitude.")] = None,
    lon: Annotated[
        float | None, Query(ge=-180, le=180, description="Customer's longitude.")
    ] = None,
    postcode: Annotated[
        str | None,
        Query(min_length=2, max_length=16, description="Instead of lat/lon: e.g. `00-017`."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Stores to list.")] = 10,
    channel: ChannelQuery = None,
) -> PickupOptions:
    near = _point(lat, lon, postcode)
    ch = caller_channel(session, principal, channel)
    options = service.pickup_options(
        session, channel=ch, variant_id=variant_id, quantity=quantity, near=near, limit=limit
    )
    # Only an out-of-stock answer can hide an unknown variant.
    if not any(o.available for o in options) and not catalog.existing_variant_ids(
        session, variant_ids=[variant_id]
    ):
        raise NotFound(f"Variant {variant_id} does not exist.")
    return PickupOptions(
        variant_id=variant_id,
        channel=ch.code,
        distance_approximate=postcode is not None,
        options=[PickupOptionRead.model_validate(o, from_attributes=True) for o in options],
    )
