"""Locations over HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from omnichannel.http.deps import (
    IfMatch,
    SessionDep,
    etag,
    parse_if_match,
    require,
    require_location_access,
)
from omnichannel.http.errors import problem_responses
from omnichannel.http.pagination import CursorQuery, LimitQuery, decode_cursor, page_of
from omnichannel.http.routing import Route
from omnichannel.kernel import Forbidden, Principal
from omnichannel.locations import service
from omnichannel.locations.rules import Capability, LocationType
from omnichannel.locations.schemas import LocationCreate, LocationPage, LocationRead, LocationUpdate
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/locations", tags=["locations"])

Reader = Annotated[Principal, Depends(require(Permission.LOCATIONS_READ))]
Editor = Annotated[Principal, Depends(require(Permission.LOCATIONS_WRITE))]
Manager = Annotated[Principal, Depends(require(Permission.LOCATIONS_MANAGE))]


# What a role that may edit but not manage locations (store associates, warehouse
# operators) may change about its own location.
_SELF_SERVICE_FIELDS = frozenset({"opening_hours", "phone", "email"})


@router.get(
    "",
    response_model=LocationPage,
    summary="List warehouses and stores",
    responses=problem_responses(401, 403, 422),
)
def list_locations(
    _: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    type: Annotated[
        LocationType | None, Query(description="Only warehouses or only stores.")
    ] = None,
    capability: Annotated[
        Capability | None, Query(description="Only locations with this capability.")
    ] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|inactive)$")] = None,
) -> LocationPage:
    rows = service.list_locations(
        session,
        after=decode_cursor(cursor),
        limit=limit,
        type=type,
        capability=capability,
        status=status_,
    )
    items, next_cursor = page_of(rows, limit)
    return LocationPage(items=[LocationRead.of(x) for x in items], next_cursor=next_cursor)


@router.post(
    "",
    response_model=LocationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Open a warehouse or store",
    responses=problem_responses(401, 403, 409, 422),
)
def create_location(
    data: LocationCreate, _: Manager, session: SessionDep, response: Response
) -> LocationRead:
    loc = service.create_location(session, data=data)
    response.headers["ETag"] = etag(loc.version)
    response.headers["Location"] = f"/api/v1/locations/{loc.id}"
    return LocationRead.of(loc)


@router.get(
    "/{location_id}",
    response_model=LocationRead,
    summary="One location",
    responses=problem_responses(401, 403, 404, 422),
)
def get_location(
    location_id: uuid.UUID, _: Reader, session: SessionDep, response: Response
) -> LocationRead:
    loc = service.get_location(session, location_id=location_id)
    response.headers["ETag"] = etag(loc.version)
    return LocationRead.of(loc)


@router.patch(
    "/{location_id}",
    response_model=LocationRead,
    summary="Change a location (scoped staff: only their own)",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def update_location(
    location_id: uuid.UUID,
    data: LocationUpdate,
    principal: Editor,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> LocationRead:
    require_location_access(principal, location_id)
    if not principal.can(Permission.LOCATIONS_MANAGE):
        extra = data.model_fields_set - _SELF_SERVICE_FIELDS
        if extra:
            raise Forbidden(
                f"Your role may change only {sorted(_SELF_SERVICE_FIELDS)}, not {sorted(extra)}."
            )
    loc = service.update_location(
        session, location_id=location_id, data=data, if_version=parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(loc.version)
    return LocationRead.of(loc)


@router.delete(
    "/{location_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an unused location",
    responses=problem_responses(401, 403, 404, 409),
)
def delete_location(location_id: uuid.UUID, _: Manager, session: SessionDep) -> Response:
    service.delete_location(session, location_id=location_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
